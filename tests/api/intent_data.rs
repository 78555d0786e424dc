//! What a session passes on: `payment_intent_data` to its PaymentIntent,
//! `setup_intent_data` to its SetupIntent, `customer_update` to its
//! Customer, `payment_method_data` to the PaymentMethod; what needs Connect
//! or subscriptions is refused.

use crate::backend_test;
use crate::helpers::{form, Res, TestApp};
use crate::sessions::OK_URL;
use serde_json::{json, Value};

const LINE: [(&str, &str); 4] = [
    ("line_items[0][price_data][currency]", "usd"),
    ("line_items[0][price_data][unit_amount]", "700"),
    ("line_items[0][price_data][product_data][name]", "Mug"),
    ("line_items[0][quantity]", "1"),
];

const CARD: [(&str, &str); 5] = [
    ("payment_method_data[type]", "card"),
    ("payment_method_data[card][number]", "4242424242424242"),
    ("payment_method_data[card][exp_month]", "12"),
    ("payment_method_data[card][exp_year]", "2031"),
    ("payment_method_data[card][cvc]", "123"),
];

/// A payment session with one line and `extra`; returns its id.
async fn paying(app: &TestApp, extra: &[(&str, &str)]) -> String {
    let mut pairs = LINE.to_vec();
    pairs.extend_from_slice(extra);
    let r = app.session(&pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// Confirms with the test card (plus `extra`) and returns the session with
/// its PaymentIntent expanded.
async fn pay(app: &TestApp, id: &str, extra: &[(&str, &str)]) -> Value {
    let mut pairs = CARD.to_vec();
    pairs.extend_from_slice(extra);
    pairs.push(("expand[]", "payment_intent"));
    let r = app.confirm(id, &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn refused(r: &Res, param: &str, says: &str) {
    r.error(400, Some("parameter_invalid"), Some(param));
    let msg = r.body["error"]["message"].as_str().unwrap();
    assert!(msg.contains(says), "{param}: {msg}");
}

backend_test!(payment_intent_data_reaches_the_payment_intent, |app| {
    let id = paying(
        &app,
        &[
            ("payment_intent_data[description]", "Order 7"),
            ("payment_intent_data[metadata][order]", "7"),
            ("payment_intent_data[receipt_email]", "receipts@shop.example"),
            ("payment_intent_data[statement_descriptor_suffix]", "ORDER 7"),
            ("payment_intent_data[capture_method]", "automatic"),
            ("payment_intent_data[shipping][name]", "Jo Buyer"),
            ("payment_intent_data[shipping][address][line1]", "1 Main St"),
            ("payment_intent_data[shipping][address][country]", "US"),
            ("payment_intent_data[shipping][carrier]", "UPS"),
        ],
    )
    .await;
    let created = app.get(&format!("/v1/checkout/sessions/{id}")).await.body;
    assert!(created.get("payment_intent_data").is_none(), "kept out of the session object");
    let s = pay(&app, &id, &[]).await;
    let pi = &s["payment_intent"];
    assert_eq!(pi["status"], "succeeded");
    assert_eq!(pi["description"], "Order 7");
    assert_eq!(pi["metadata"], json!({"order": "7"}));
    assert_eq!(pi["receipt_email"], "receipts@shop.example");
    assert_eq!(pi["statement_descriptor"], Value::Null);
    assert_eq!(pi["statement_descriptor_suffix"], "ORDER 7");
    assert_eq!(pi["capture_method"], "automatic");
    assert_eq!(pi["setup_future_usage"], Value::Null);
    assert_eq!(pi["shipping"]["name"], "Jo Buyer");
    assert_eq!(pi["shipping"]["address"]["line1"], "1 Main St");
    assert_eq!(pi["shipping"]["carrier"], "UPS");
    // The same intent, as retrieved and as the event carried it.
    let got = app.get(&format!("/v1/payment_intents/{}", pi["id"].as_str().unwrap())).await.body;
    assert_eq!((got["description"].as_str(), got["metadata"]["order"].as_str()), (Some("Order 7"), Some("7")));
    let events = app.events().await;
    let created = events.iter().find(|e| e["type"] == "payment_intent.created").unwrap();
    assert_eq!(created["data"]["object"]["statement_descriptor_suffix"], "ORDER 7");
});

backend_test!(the_description_a_confirm_gives_wins_over_the_sessions, |app| {
    let id = paying(&app, &[("payment_intent_data[description]", "From the session")]).await;
    let s = pay(&app, &id, &[("description", "From the confirm")]).await;
    assert_eq!(s["payment_intent"]["description"], "From the confirm");
});

backend_test!(setup_future_usage_saves_the_card_to_the_customer, |app| {
    let id = paying(
        &app,
        &[
            ("payment_intent_data[setup_future_usage]", "off_session"),
            ("payment_method_data[allow_redisplay]", "always"),
        ],
    )
    .await;
    let s = pay(&app, &id, &[("customer_details[email]", "saver@x.io")]).await;
    let cus = s["customer"].as_str().expect("a customer is made to save the card to").to_owned();
    let pi = &s["payment_intent"];
    assert_eq!((pi["setup_future_usage"].as_str(), pi["customer"].as_str()), (Some("off_session"), Some(cus.as_str())));
    let pm = app.get(&format!("/v1/payment_methods/{}", pi["payment_method"].as_str().unwrap())).await.body;
    assert_eq!((pm["customer"].as_str(), pm["allow_redisplay"].as_str()), (Some(cus.as_str()), Some("always")));
    let saved = app.get(&format!("/v1/payment_methods?customer={cus}")).await.body;
    assert_eq!(saved["data"].as_array().unwrap().len(), 1);
    let events = app.events().await;
    assert!(events
        .iter()
        .any(|e| e["type"] == "payment_method.attached" && e["data"]["object"]["customer"] == cus.as_str()));
    // The charge and the payment's events belong to the new customer too.
    let charges = app.get(&format!("/v1/charges?customer={cus}")).await.body;
    assert_eq!(charges["data"][0]["id"], pi["latest_charge"], "{charges}");
    for kind in ["charge.succeeded", "payment_intent.succeeded"] {
        let e = events.iter().find(|e| e["type"] == kind).unwrap();
        assert_eq!(e["data"]["object"]["customer"], cus.as_str(), "{kind}");
    }
    // Without it, a guest's card is saved nowhere.
    let plain = paying(&app, &[]).await;
    let s = pay(&app, &plain, &[("customer_details[email]", "guest@x.io")]).await;
    assert_eq!(s["customer"], Value::Null);
    let pm = app.get(&format!("/v1/payment_methods/{}", s["payment_intent"]["payment_method"].as_str().unwrap())).await;
    assert_eq!((pm.body["customer"].clone(), pm.body["allow_redisplay"].as_str()), (Value::Null, Some("unspecified")));
});

backend_test!(a_card_authenticated_later_is_saved_when_the_payment_completes, |app| {
    let id = paying(&app, &[("payment_intent_data[setup_future_usage]", "on_session")]).await;
    let mut pairs = CARD.to_vec();
    pairs[1].1 = "4000000000003220";
    pairs.extend([("return_url", "https://shop.example/back"), ("expand[]", "payment_intent")]);
    let r = app.confirm(&id, &pairs).await;
    assert_eq!(r.body["status"], "open", "{}", r.body);
    let url = r.body["payment_intent"]["next_action"]["three_d_secure"]["challenge_url"].as_str().unwrap().to_owned();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let html = client.get(&url).send().await.unwrap().text().await.unwrap();
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_owned();
    let body = form(&[("outcome", "succeed"), ("csrf", &csrf)]);
    let done = client.post(&url).header("content-type", "application/x-www-form-urlencoded").body(body).send().await;
    assert_eq!(done.unwrap().status().as_u16(), 302);
    let s = app.session_doc(&id).await;
    assert_eq!(s["status"], "complete");
    let cus = s["customer"].as_str().unwrap();
    let pm = app.get(&format!("/v1/payment_methods/{}", s["payment_intent"]["payment_method"].as_str().unwrap())).await;
    assert_eq!(pm.body["customer"], cus);
});

backend_test!(connect_and_bad_payment_intent_data_are_refused, |app| {
    for (sent, value, param) in [
        ("payment_intent_data[on_behalf_of]", "acct_1", "payment_intent_data[on_behalf_of]"),
        ("payment_intent_data[transfer_data][destination]", "acct_1", "payment_intent_data[transfer_data]"),
        ("payment_intent_data[application_fee_amount]", "100", "payment_intent_data[application_fee_amount]"),
        ("payment_intent_data[transfer_group]", "g", "payment_intent_data[transfer_group]"),
    ] {
        let mut pairs = LINE.to_vec();
        pairs.push((sent, value));
        refused(&app.session(&pairs).await, param, "needs Connect, which kassa does not implement");
    }
    for (param, value) in [
        ("payment_intent_data[statement_descriptor]", "SHOP*1"),
        ("payment_intent_data[statement_descriptor]", "1234"),
        ("payment_intent_data[statement_descriptor]", "Café Müller"),
        ("payment_intent_data[statement_descriptor_suffix]", "12345"),
        ("payment_intent_data[statement_descriptor_suffix]", "A'B"),
    ] {
        let mut pairs = LINE.to_vec();
        pairs.push((param, value));
        app.session(&pairs).await.error(400, Some("parameter_invalid"), Some(param));
    }
    let mut pairs = LINE.to_vec();
    pairs.push(("payment_intent_data[statement_descriptor_suffix]", "TWENTY THREE CHARS LONG"));
    app.session(&pairs).await.error(
        400,
        Some("parameter_invalid_string_length"),
        Some("payment_intent_data[statement_descriptor_suffix]"),
    );
    // Stripe refuses a full descriptor for card payments; kassa takes cards.
    let mut pairs = LINE.to_vec();
    pairs.push(("payment_intent_data[statement_descriptor]", "KASSA SHOP"));
    let e = app.session(&pairs).await;
    let e = e.error(400, Some("parameter_invalid"), Some("payment_intent_data[statement_descriptor]"));
    assert!(e["message"].as_str().unwrap().contains("statement_descriptor_suffix"), "{e}");
    for (param, value, code) in [
        ("payment_intent_data[capture_method]", "later", "parameter_invalid_enum"),
        ("payment_intent_data[setup_future_usage]", "always", "parameter_invalid_enum"),
        ("payment_intent_data[receipt_email]", "nobody", "email_invalid"),
    ] {
        let mut pairs = LINE.to_vec();
        pairs.push((param, value));
        app.session(&pairs).await.error(400, Some(code), Some(param));
    }
    let mut pairs = LINE.to_vec();
    pairs.push(("payment_intent_data[shipping][name]", "Jo"));
    app.session(&pairs).await.error(400, Some("parameter_missing"), Some("payment_intent_data[shipping][address]"));
    assert_eq!(app.session_count().await, 0);
});

backend_test!(setup_intent_data_reaches_the_setup_intent, |app| {
    let setup = [("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)];
    let mut pairs = setup.to_vec();
    pairs.extend([("setup_intent_data[description]", "Card for later"), ("setup_intent_data[metadata][plan]", "gold")]);
    let s = app.post("/v1/checkout/sessions", &pairs).await;
    assert_eq!(s.status, 200, "{}", s.body);
    assert!(s.body.get("setup_intent_data").is_none());
    let r = app.confirm(s.body["id"].as_str().unwrap(), &CARD).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let seti = app.get(&format!("/v1/setup_intents/{}", r.body["setup_intent"].as_str().unwrap())).await.body;
    assert_eq!(
        (seti["description"].as_str(), seti["metadata"].clone()),
        (Some("Card for later"), json!({"plan": "gold"}))
    );
    let mut pairs = setup.to_vec();
    pairs.push(("setup_intent_data[on_behalf_of]", "acct_1"));
    refused(&app.post("/v1/checkout/sessions", &pairs).await, "setup_intent_data[on_behalf_of]", "needs Connect");
});

async fn customer_session(app: &TestApp, cus: &str, update: &[(&'static str, &'static str)]) -> String {
    let mut pairs = vec![("customer", cus), ("shipping_address_collection[allowed_countries][0]", "DE")];
    pairs.extend_from_slice(update);
    paying(app, &pairs).await
}

const ENTERED: [(&str, &str); 9] = [
    ("customer_details[name]", "Erika Muster"),
    ("customer_details[address][line1]", "Hauptstr. 1"),
    ("customer_details[address][city]", "Berlin"),
    ("customer_details[address][postal_code]", "10115"),
    ("customer_details[address][country]", "DE"),
    ("shipping_details[name]", "Erika at work"),
    ("shipping_details[address][line1]", "Werkstr. 9"),
    ("shipping_details[address][city]", "Hamburg"),
    ("shipping_details[address][country]", "DE"),
];

backend_test!(customer_update_saves_what_the_buyer_entered, |app| {
    let cus = app.customer(&[("name", "Old Name"), ("email", "e@x.io")]).await;
    let auto = [
        ("customer_update[address]", "auto"),
        ("customer_update[name]", "auto"),
        ("customer_update[shipping]", "auto"),
    ];
    let id = customer_session(&app, &cus, &auto).await;
    pay(&app, &id, &ENTERED).await;
    let c = app.get(&format!("/v1/customers/{cus}")).await.body;
    assert_eq!(c["name"], "Erika Muster");
    assert_eq!((c["address"]["line1"].as_str(), c["address"]["city"].as_str()), (Some("Hauptstr. 1"), Some("Berlin")));
    assert_eq!(c["address"]["country"], "DE");
    assert_eq!(
        (c["shipping"]["name"].as_str(), c["shipping"]["address"]["city"].as_str()),
        (Some("Erika at work"), Some("Hamburg"))
    );
    assert_eq!(c["email"], "e@x.io");
    let updated: Vec<Value> = app.events().await.into_iter().filter(|e| e["type"] == "customer.updated").collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["data"]["previous_attributes"]["name"], "Old Name");
});

backend_test!(customer_update_saves_only_what_it_names, |app| {
    let cus = app.customer(&[("name", "Old Name")]).await;
    let id = customer_session(&app, &cus, &[("customer_update[shipping]", "auto"), ("customer_update[name]", "never")])
        .await;
    pay(&app, &id, &ENTERED).await;
    let c = app.get(&format!("/v1/customers/{cus}")).await.body;
    assert_eq!((c["name"].as_str(), c["address"].clone()), (Some("Old Name"), Value::Null));
    assert_eq!(c["shipping"]["name"], "Erika at work");
    // By default (no customer_update) nothing is saved.
    let other = app.customer(&[("name", "Kept")]).await;
    let id = customer_session(&app, &other, &[]).await;
    pay(&app, &id, &ENTERED).await;
    let c = app.get(&format!("/v1/customers/{other}")).await.body;
    assert_eq!(
        (c["name"].as_str(), c["address"].clone(), c["shipping"].clone()),
        (Some("Kept"), Value::Null, Value::Null)
    );
    let mut pairs = LINE.to_vec();
    pairs.extend([("customer", other.as_str()), ("customer_update[address]", "always")]);
    app.session(&pairs).await.error(400, Some("parameter_invalid_enum"), Some("customer_update[address]"));
});

backend_test!(subscriptions_are_refused_and_never_charged_once, |app| {
    let mut pairs = LINE.to_vec();
    pairs[2] = ("line_items[0][price_data][recurring][interval]", "month");
    pairs.extend([
        ("line_items[0][price_data][product_data][name]", "Plan"),
        ("mode", "subscription"),
        ("success_url", OK_URL),
    ]);
    refused(&app.post("/v1/checkout/sessions", &pairs).await, "mode", "Subscriptions are not available yet");
    let mut pairs = LINE.to_vec();
    pairs.push(("subscription_data[trial_period_days]", "7"));
    refused(&app.session(&pairs).await, "subscription_data", "Subscriptions are not available yet");
    assert_eq!(app.session_count().await, 0);
    // A subscription session stored before the refusal is never paid for.
    let id = paying(&app, &[]).await;
    let scope = kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let obj = app.store.get_object(&scope, &id).await.unwrap().unwrap();
    let mut doc = obj.doc().unwrap();
    doc["mode"] = json!("subscription");
    let change = kassa::store::Change::Update {
        id: id.clone(),
        expected_version: obj.version,
        tags: kassa::domain::document::Document::tags(
            &serde_json::from_value::<kassa::domain::session::CheckoutSession>(doc.clone()).unwrap(),
        ),
        doc: doc.to_string(),
    };
    let set = kassa::store::ChangeSet { scope, changes: vec![change], events: vec![], idempotency: None };
    app.store.commit(set).await.unwrap();
    refused(&app.confirm(&id, &CARD).await, "mode", "Subscriptions are not available yet");
    let s = app.session_doc(&id).await;
    assert_eq!((s["status"].as_str(), s["payment_intent"].clone()), (Some("open"), Value::Null));
});

backend_test!(the_update_endpoint_takes_payment_intent_data, |app| {
    let mut pairs = LINE.to_vec();
    pairs.extend([("mode", "payment"), ("ui_mode", "elements")]);
    let r = app.post("/v1/checkout/sessions", &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // A first try is declined: the intent it made takes the update too.
    let declined = app.confirm(&id, &[("payment_method", "pm_card_visa_chargeDeclined")]).await;
    assert_eq!(declined.status, 402);
    let path = format!("/v1/checkout/sessions/{id}");
    let u = app
        .post(
            &path,
            &[
                ("payment_intent_data[description]", "Order 9"),
                ("payment_intent_data[metadata][order]", "9"),
                ("payment_intent_data[setup_future_usage]", "off_session"),
                ("payment_intent_data[statement_descriptor_suffix]", "ORDER 9"),
            ],
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    assert!(u.body.get("payment_intent_data").is_none());
    let pi = app.get(&format!("/v1/payment_intents/{}", u.body["payment_intent"].as_str().unwrap())).await.body;
    assert_eq!((pi["description"].as_str(), pi["metadata"]["order"].as_str()), (Some("Order 9"), Some("9")));
    // "" unsets a field, metadata keys merge.
    let u =
        app.post(&path, &[("payment_intent_data[description]", ""), ("payment_intent_data[metadata][k]", "v")]).await;
    assert_eq!(u.status, 200, "{}", u.body);
    let s = pay(&app, &id, &[("customer_details[email]", "b@x.io")]).await;
    let pi = &s["payment_intent"];
    assert_eq!(pi["description"], Value::Null);
    assert_eq!(pi["metadata"], json!({"order": "9", "k": "v"}));
    assert_eq!(
        (pi["setup_future_usage"].as_str(), pi["statement_descriptor_suffix"].as_str()),
        (Some("off_session"), Some("ORDER 9"))
    );
    assert!(s["customer"].is_string(), "the card was saved to a new customer");
    // Stripe takes it only for elements sessions in payment mode.
    let hosted = paying(&app, &[]).await;
    let r = app.post(&format!("/v1/checkout/sessions/{hosted}"), &[("payment_intent_data[description]", "x")]).await;
    refused(&r, "payment_intent_data", "ui_mode=elements");
    let r = app.post(&path, &[("payment_intent_data[capture_method]", "manual")]).await;
    r.error(400, Some("parameter_unknown"), Some("payment_intent_data[capture_method]"));
});
