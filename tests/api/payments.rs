//! Confirming sessions: charges, declines, card checks, modes, races.

use crate::backend_test;
use crate::helpers::{form, Res, TestApp, START};
use crate::sessions::OK_URL;
use reqwest::Method;
use serde_json::Value;

const CARD: [(&str, &str); 5] = [
    ("payment_method_data[type]", "card"),
    ("payment_method_data[card][number]", "4242424242424242"),
    ("payment_method_data[card][exp_month]", "12"),
    ("payment_method_data[card][exp_year]", "2031"),
    ("payment_method_data[card][cvc]", "123"),
];

impl TestApp {
    pub async fn confirm(&self, id: &str, pairs: &[(&str, &str)]) -> Res {
        self.post(&format!("/v1/checkout/sessions/{id}/confirm"), pairs).await
    }

    pub async fn session_doc(&self, id: &str) -> Value {
        self.get(&format!("/v1/checkout/sessions/{id}?expand[]=payment_intent")).await.body
    }
}

fn card(number: &'static str) -> Vec<(&'static str, &'static str)> {
    let mut c = CARD.to_vec();
    c[1].1 = number;
    c
}

backend_test!(a_card_payment_completes_the_session_once, |app| {
    let id = app.open_session().await;
    let mut pairs = CARD.to_vec();
    pairs.extend([
        ("customer_details[email]", "buyer@x.io"),
        ("customer_details[name]", "Bo"),
        ("expand[]", "payment_intent"),
    ]);
    let r = app.confirm(&id, &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let s = &r.body;
    assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(s["url"], Value::Null);
    assert_eq!(s["customer_details"]["email"], "buyer@x.io");
    let pi = &s["payment_intent"];
    assert_eq!((pi["status"].as_str(), pi["amount_received"].as_i64()), (Some("succeeded"), Some(500)));
    assert_eq!(pi["attempts"][0]["outcome"], "approved");
    assert_eq!(pi["attempts"][0]["processor"], "test");
    let pm = app.get(&format!("/v1/payment_methods/{}", pi["payment_method"].as_str().unwrap())).await.body;
    assert_eq!((pm["card"]["last4"].as_str(), pm["card"]["brand"].as_str()), (Some("4242"), Some("visa")));
    assert!(!pm.to_string().contains("4242424242424242"));
    let ctr = app.get(&format!("/v1/contracts/{}", s["contract"].as_str().unwrap())).await.body;
    assert_eq!(ctr["schedule"][0]["status"], "paid");
    assert_eq!(ctr["checkout_session"], id.as_str());
    let types: Vec<String> = app.events().await.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    assert!(
        types.contains(&"checkout.session.completed".to_owned())
            && types.contains(&"payment_intent.succeeded".to_owned()),
        "{types:?}"
    );
    let completed: Vec<Value> =
        app.events().await.into_iter().filter(|e| e["type"] == "checkout.session.completed").collect();
    assert_eq!(completed.len(), 1);
    assert!(completed[0]["data"]["object"].get("line_items").is_none());
    app.confirm(&id, &CARD).await.error(400, Some("checkout_session_not_open"), None);
});

backend_test!(redirect_answers_302_to_the_success_url_with_the_id, |app| {
    let id = app.open_session().await;
    let mut pairs = CARD.to_vec();
    pairs.push(("redirect", "true"));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let rb = client
        .post(format!("{}/v1/checkout/sessions/{id}/confirm", app.base))
        .bearer_auth(&app.keys.sk)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&pairs));
    let r = TestApp::send(rb).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert_eq!(r.header("location").unwrap(), OK_URL.replace("{CHECKOUT_SESSION_ID}", &id));
});

backend_test!(each_decline_is_a_402_card_error_and_the_session_stays_open, |app| {
    let id = app.open_session().await;
    for (token, code, decline) in [
        ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
        ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
        ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"),
        ("pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
        ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
        ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
        ("pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"),
        ("pm_card_chargeCustomerFail", "card_declined", "generic_decline"),
    ] {
        let r = app.confirm(&id, &[("payment_method", token)]).await;
        let e = r.error(402, Some(code), None);
        assert_eq!(e["type"], "card_error");
        assert_eq!(e["decline_code"], decline, "{token}");
        assert_eq!(e["payment_intent"]["status"], "requires_payment_method");
        assert_eq!(e["payment_intent"]["last_payment_error"]["decline_code"], decline);
    }
    let s = app.session_doc(&id).await;
    assert_eq!(s["status"], "open");
    assert_eq!(s["payment_intent"]["attempts"].as_array().unwrap().len(), 8, "one intent, every try recorded");
    let ok = app.confirm(&id, &[("payment_method", "pm_card_mastercard")]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let s = app.session_doc(&id).await;
    assert_eq!(s["payment_intent"]["status"], "succeeded");
    assert_eq!(s["payment_intent"]["attempts"].as_array().unwrap().len(), 9);
});

backend_test!(bad_cards_are_card_errors_with_stripes_codes, |app| {
    let id = app.open_session().await;
    app.confirm(&id, &card("4242424242424241")).await.error(
        402,
        Some("incorrect_number"),
        Some("payment_method_data[card][number]"),
    );
    let mut past = CARD.to_vec();
    past[3].1 = "2020";
    app.confirm(&id, &past).await.error(402, Some("invalid_expiry_year"), Some("payment_method_data[card][exp_year]"));
    let mut amex = card("378282246310005");
    amex[4].1 = "12";
    app.confirm(&id, &amex).await.error(402, Some("invalid_cvc"), Some("payment_method_data[card][cvc]"));
    app.confirm(&id, &[]).await.error(400, Some("parameter_missing"), Some("payment_method"));
    app.confirm(&id, &[("payment_method", "pm_nope")]).await.error(
        400,
        Some("resource_missing"),
        Some("payment_method"),
    );
    assert_eq!(app.session_doc(&id).await["status"], "open");
});

backend_test!(a_publishable_key_confirms_only_with_the_sessions_client_secret, |app| {
    let id = app.open_session().await;
    let other = app.open_session().await;
    let stored = app
        .store
        .get_object(&kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false }, &id)
        .await
        .unwrap()
        .unwrap();
    let secret = stored.doc().unwrap()["client_secret"].as_str().unwrap().to_owned();
    let other_secret = app
        .store
        .get_object(&kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false }, &other)
        .await
        .unwrap()
        .unwrap()
        .doc()
        .unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let pk = app.keys.pk.clone();
    let path = format!("/v1/checkout/sessions/{id}/confirm");
    app.post_as(&pk, &path, &[("payment_method", "pm_card_visa")]).await.error(
        400,
        Some("parameter_missing"),
        Some("client_secret"),
    );
    app.post_as(&pk, &path, &[("payment_method", "pm_card_visa"), ("client_secret", &other_secret)]).await.error(
        400,
        Some("parameter_invalid"),
        Some("client_secret"),
    );
    app.post_as(&pk, &path, &[("confirmation", "no_payment"), ("client_secret", &secret)]).await.error(
        403,
        Some("secret_key_required"),
        None,
    );
    let ok = app.post_as(&pk, &path, &[("payment_method", "pm_card_visa"), ("client_secret", &secret)]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    app.get_as(&pk, "/v1/payment_intents").await.error(401, None, None);
    app.post_as(&pk, &format!("/v1/checkout/sessions/{other}/complete"), &[]).await.error(401, None, None);
});

backend_test!(no_payment_creates_a_contract_without_a_charge, |app| {
    let id = app.open_session().await;
    let r = app.confirm(&id, &[("confirmation", "no_payment"), ("notes", "internal")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["status"].as_str(), r.body["payment_status"].as_str()),
        (Some("complete"), Some("no_payment_required"))
    );
    assert_eq!(r.body["payment_intent"], Value::Null);
    let ctr = app.get(&format!("/v1/contracts/{}", r.body["contract"].as_str().unwrap())).await.body;
    assert_eq!(
        (ctr["schedule"][0]["status"].as_str(), ctr["notes"].as_str()),
        (Some("not_required"), Some("internal"))
    );
});

backend_test!(setup_saves_a_card_that_charge_when_due_uses, |app| {
    let setup = app
        .post("/v1/checkout/sessions", &[("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)])
        .await
        .body;
    let sid = setup["id"].as_str().unwrap();
    let mut pairs = CARD.to_vec();
    pairs.push(("customer_details[email]", "saver@x.io"));
    let r = app.confirm(sid, &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cus = r.body["customer"].as_str().unwrap().to_owned();
    let seti = app.get(&format!("/v1/setup_intents/{}", r.body["setup_intent"].as_str().unwrap())).await.body;
    assert_eq!((seti["status"].as_str(), seti["customer"].as_str()), (Some("succeeded"), Some(cus.as_str())));
    let pms = app.get(&format!("/v1/payment_methods?customer={cus}")).await.body;
    assert_eq!(pms["data"].as_array().unwrap().len(), 1);

    let pay = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "900"),
            ("line_items[0][price_data][product_data][name]", "Plan"),
            ("line_items[0][quantity]", "1"),
            ("customer", &cus),
        ])
        .await
        .body;
    let pid = pay["id"].as_str().unwrap();
    let r = app.confirm(pid, &[("confirmation", "charge_when_due"), ("days_until_due", "14")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["status"].as_str(), r.body["payment_status"].as_str()), (Some("complete"), Some("unpaid")));
    let ctr = app.get(&format!("/v1/contracts/{}", r.body["contract"].as_str().unwrap())).await.body;
    assert_eq!(ctr["schedule"][0]["status"], "pending");
    assert_eq!(ctr["schedule"][0]["due_at"], START + 14 * 86_400);
    assert_eq!(ctr["payment_terms"]["days_until_due"], 14);

    let guest = app.open_session().await;
    app.confirm(&guest, &[("confirmation", "charge_when_due")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("confirmation"),
    );
});

backend_test!(another_customers_or_accounts_payment_method_is_not_found, |app| {
    let setup = app
        .post("/v1/checkout/sessions", &[("mode", "setup"), ("currency", "usd"), ("success_url", OK_URL)])
        .await
        .body;
    let r = app.confirm(setup["id"].as_str().unwrap(), &CARD).await;
    let pm = app.get(&format!("/v1/payment_methods?customer={}", r.body["customer"].as_str().unwrap())).await.body
        ["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let someone = app.customer(&[]).await;
    let theirs = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("customer", &someone),
        ])
        .await
        .body;
    app.confirm(theirs["id"].as_str().unwrap(), &[("payment_method", &pm)]).await.error(
        400,
        Some("resource_missing"),
        Some("payment_method"),
    );
    let other = app.other_account().await;
    let price = app
        .post_as(
            &other.secret_key,
            "/v1/prices",
            &[("currency", "usd"), ("unit_amount", "500"), ("product_data[name]", "x")],
        )
        .await
        .body;
    let s = app
        .post_as(
            &other.secret_key,
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("success_url", OK_URL),
                ("line_items[0][price]", price["id"].as_str().unwrap()),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await
        .body;
    let path = format!("/v1/checkout/sessions/{}/confirm", s["id"].as_str().unwrap());
    app.post_as(&other.secret_key, &path, &[("payment_method", &pm)]).await.error(
        400,
        Some("resource_missing"),
        Some("payment_method"),
    );
    app.get_as(&other.secret_key, &format!("/v1/payment_methods/{pm}")).await.error(
        404,
        Some("resource_missing"),
        Some("id"),
    );
});

backend_test!(complete_and_cancel_end_sessions_without_a_charge, |app| {
    let owed = app.open_session().await;
    app.post(&format!("/v1/checkout/sessions/{owed}/complete"), &[]).await.error(
        400,
        Some("parameter_invalid"),
        Some("paid_out_of_band"),
    );
    let r = app.post(&format!("/v1/checkout/sessions/{owed}/complete"), &[("paid_out_of_band", "true")]).await;
    assert_eq!((r.body["status"].as_str(), r.body["payment_status"].as_str()), (Some("complete"), Some("paid")));
    let free = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "0"),
            ("line_items[0][price_data][product_data][name]", "gift"),
            ("line_items[0][quantity]", "1"),
        ])
        .await
        .body;
    let r = app.post(&format!("/v1/checkout/sessions/{}/complete", free["id"].as_str().unwrap()), &[]).await;
    assert_eq!(r.body["payment_status"], "no_payment_required");
    let gone = app.open_session().await;
    let r = app.post(&format!("/v1/checkout/sessions/{gone}/cancel"), &[]).await;
    assert_eq!(r.body["status"], "expired");
    app.confirm(&gone, &CARD).await.error(400, Some("checkout_session_not_open"), None);
    let events = app.events().await;
    assert_eq!(events.iter().filter(|e| e["type"] == "checkout.session.completed").count(), 2);
    assert_eq!(
        events
            .iter()
            .filter(|e| e["type"] == "checkout.session.expired" && e["data"]["object"]["id"] == gone.as_str())
            .count(),
        1
    );
});

backend_test!(racing_confirms_charge_once, |app| {
    let id = app.open_session().await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let rb = app
            .req(Method::POST, &format!("/v1/checkout/sessions/{id}/confirm"))
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&CARD));
        tasks.push(tokio::spawn(TestApp::send(rb)));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => ok += 1,
            400 | 409 => assert!(r.body["error"]["code"].is_string()),
            s => panic!("{s}: {}", r.body),
        }
    }
    assert_eq!(ok, 1);
    let s = app.session_doc(&id).await;
    assert_eq!(s["payment_intent"]["attempts"].as_array().unwrap().len(), 1, "charged once");
    assert_eq!(app.events().await.iter().filter(|e| e["type"] == "checkout.session.completed").count(), 1);
});

backend_test!(payment_objects_are_listed_and_scoped, |app| {
    let id = app.open_session().await;
    app.confirm(&id, &CARD).await;
    let pis = app.get("/v1/payment_intents").await.body;
    assert_eq!(pis["data"].as_array().unwrap().len(), 1);
    assert!(pis["data"][0]["id"].as_str().unwrap().starts_with("pi_"));
    assert_eq!(app.get("/v1/contracts").await.body["data"].as_array().unwrap().len(), 1);
    let other = app.other_account().await;
    assert!(app.get_as(&other.secret_key, "/v1/payment_intents").await.body["data"].as_array().unwrap().is_empty());
    app.get("/v1/payment_intents?status=x").await.error(400, Some("parameter_unknown"), Some("status"));
});

backend_test!(racing_confirms_on_two_nodes_charge_once, |app| {
    let (other_node, stop) = app.second_node().await;
    let id = app.open_session().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let base = if i % 2 == 0 { app.base.clone() } else { other_node.clone() };
        let rb = app
            .http
            .post(format!("{base}/v1/checkout/sessions/{id}/confirm"))
            .bearer_auth(&app.keys.sk)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&CARD));
        tasks.push(tokio::spawn(TestApp::send(rb)));
    }
    let mut ok = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => ok += 1,
            400 | 409 => {}
            s => panic!("{s}: {}", r.body),
        }
    }
    stop.cancel();
    assert_eq!(ok, 1);
    let s = app.session_doc(&id).await;
    assert_eq!(s["payment_intent"]["attempts"].as_array().unwrap().len(), 1, "charged once");
    assert_eq!(app.events().await.iter().filter(|e| e["type"] == "checkout.session.completed").count(), 1);
});

backend_test!(card_numbers_are_never_echoed_in_errors, |app| {
    let id = app.open_session().await;
    let r = app.confirm(&id, &[("payment_method", "4242424242424242")]).await;
    assert!(!r.body.to_string().contains("4242424242424242"), "{}", r.body);
    let json = serde_json::json!({"payment_method_data": {"type": "card", "card": {"number": 4242424242424242u64, "exp_month": 12, "exp_year": 2031}}});
    let r = TestApp::send(
        app.req(Method::POST, &format!("/v1/checkout/sessions/{id}/confirm")).bearer_auth(&app.keys.sk).json(&json),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(!r.body.to_string().contains("4242424242424242"), "{}", r.body);
});

backend_test!(buyers_cannot_defer_payment_or_borrow_loose_payment_methods, |app| {
    let id = app.open_session().await;
    let secret = app
        .store
        .get_object(&kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false }, &id)
        .await
        .unwrap()
        .unwrap()
        .doc()
        .unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/checkout/sessions/{id}/confirm");
    app.post_as(&app.keys.pk, &path, &[("confirmation", "charge_when_due"), ("client_secret", &secret)]).await.error(
        403,
        Some("secret_key_required"),
        None,
    );
    // A payment method saved by a guest payment (no customer) is not the buyer's to reuse.
    let first = app.open_session().await;
    let r = app.confirm(&first, &CARD).await;
    let pi = app.get(&format!("/v1/payment_intents/{}", r.body["payment_intent"].as_str().unwrap())).await.body;
    let loose = pi["payment_method"].as_str().unwrap();
    app.post_as(&app.keys.pk, &path, &[("payment_method", loose), ("client_secret", &secret)]).await.error(
        400,
        Some("resource_missing"),
        Some("payment_method"),
    );
});

backend_test!(bad_customer_details_are_refused_before_any_charge, |app| {
    let id = app.open_session().await;
    let mut pairs = CARD.to_vec();
    pairs.push(("customer_details[email]", "not-an-email"));
    app.confirm(&id, &pairs).await.error(400, Some("email_invalid"), Some("customer_details[email]"));
    let s = app.session_doc(&id).await;
    assert_eq!(s["payment_intent"], Value::Null, "nothing was tried");
    assert_eq!(app.confirm(&id, &CARD).await.status, 200, "and the session is not held");
});

backend_test!(a_retry_after_a_decline_charges_the_sessions_current_amount, |app| {
    let price = app.price(1000, "usd").await;
    let s = app.session(&[("line_items[0][price]", &price), ("line_items[0][quantity]", "1")]).await.body;
    let id = s["id"].as_str().unwrap().to_owned();
    app.confirm(&id, &[("payment_method", "pm_card_visa_chargeDeclined")]).await;
    let items = app.get(&format!("/v1/checkout/sessions/{id}/line_items")).await.body;
    let li = items["data"][0]["id"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/checkout/sessions/{id}"), &[("line_items[0][id]", &li), ("line_items[0][quantity]", "5")])
        .await;
    let r = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pi = app.session_doc(&id).await["payment_intent"].clone();
    assert_eq!((pi["amount"].as_i64(), pi["amount_received"].as_i64()), (Some(5000), Some(5000)));
});
