use crate::backend_test;
use crate::helpers::{TestApp, START};
use reqwest::Method;
use serde_json::json;

backend_test!(customers_are_created_retrieved_updated_and_deleted, |app| {
    let r = app
        .post(
            "/v1/customers",
            &[
                ("email", "jo@example.com"),
                ("name", "Jo"),
                ("metadata[plan]", "gold"),
                ("address[city]", "Oslo"),
                ("preferred_locales[0]", "nb"),
                ("balance", "-500"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let c = &r.body;
    let id = c["id"].as_str().unwrap();
    assert!(id.starts_with("cus_"));
    assert_eq!(c["object"], "customer");
    assert_eq!(c["created"], START);
    assert_eq!(c["livemode"], false);
    assert_eq!(c["email"], "jo@example.com");
    assert_eq!(c["balance"], -500);
    assert_eq!(c["metadata"], json!({"plan": "gold"}));
    assert_eq!(
        c["address"],
        json!({"city": "Oslo", "country": null, "line1": null, "line2": null, "postal_code": null, "state": null})
    );
    assert_eq!(c["preferred_locales"], json!(["nb"]));
    assert_eq!(c["phone"], serde_json::Value::Null);

    let got = app.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(&got.body, c);

    let up = app
        .post(&format!("/v1/customers/{id}"), &[("name", ""), ("phone", "+4712345678"), ("metadata[plan]", "")])
        .await;
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.body["name"], serde_json::Value::Null);
    assert_eq!(up.body["phone"], "+4712345678");
    assert_eq!(up.body["metadata"], json!({}));
    assert_eq!(up.body["email"], "jo@example.com");

    let del = app.delete(&format!("/v1/customers/{id}")).await;
    assert_eq!(del.status, 200);
    assert_eq!(del.body, json!({"id": id, "object": "customer", "deleted": true}));
    let again = app.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(again.body, json!({"id": id, "object": "customer", "deleted": true}));
    app.post(&format!("/v1/customers/{id}"), &[("name", "x")]).await.error(404, Some("resource_missing"), Some("id"));
    app.delete(&format!("/v1/customers/{id}")).await.error(404, Some("resource_missing"), Some("id"));
    assert!(app.get("/v1/customers").await.body["data"].as_array().unwrap().is_empty());
});

backend_test!(every_change_records_its_event_in_the_outbox, |app| {
    let id = app.customer(&[("email", "a@b.co")]).await;
    app.post(&format!("/v1/customers/{id}"), &[("email", "c@d.co")]).await;
    app.delete(&format!("/v1/customers/{id}")).await;
    let events = app.events().await;
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["customer.deleted", "customer.updated", "customer.created"]);
    let updated = &events[1];
    assert_eq!(updated["object"], "event");
    assert_eq!(updated["data"]["object"]["email"], "c@d.co");
    assert_eq!(updated["data"]["previous_attributes"], json!({"email": "a@b.co"}));
    assert_eq!(updated["api_version"], kassa::domain::version::LATEST);
    assert!(updated["request"]["id"].as_str().unwrap().starts_with("req_"));
    assert_eq!(events[0]["data"]["object"]["id"], id.as_str());
});

backend_test!(an_update_that_changes_nothing_records_no_event, |app| {
    let id = app.customer(&[("email", "a@b.co")]).await;
    let r = app.post(&format!("/v1/customers/{id}"), &[("email", "a@b.co")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.events().await.len(), 1);
});

backend_test!(customers_can_be_listed_by_email, |app| {
    let a = app.customer(&[("email", "same@x.io")]).await;
    app.customer(&[("email", "other@x.io")]).await;
    let b = app.customer(&[("email", "same@x.io")]).await;
    let r = app.get("/v1/customers?email=same%40x.io").await;
    let ids: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [b.as_str(), a.as_str()]);
    // Changing the email moves the customer out of the filter.
    app.post(&format!("/v1/customers/{b}"), &[("email", "new@x.io")]).await;
    let r = app.get("/v1/customers?email=same%40x.io").await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    app.get("/v1/customers?colour=red").await.error(400, Some("parameter_unknown"), Some("colour"));
});

backend_test!(invalid_customer_fields_name_their_param, |app| {
    app.post("/v1/customers", &[("email", "nope")]).await.error(400, Some("email_invalid"), Some("email"));
    app.post("/v1/customers", &[("balance", "lots")]).await.error(
        400,
        Some("parameter_invalid_integer"),
        Some("balance"),
    );
    app.post("/v1/customers", &[("tax_exempt", "sometimes")]).await.error(
        400,
        Some("parameter_invalid_enum"),
        Some("tax_exempt"),
    );
    app.post("/v1/customers", &[("shipping[address][city]", "Oslo")]).await.error(
        400,
        Some("parameter_missing"),
        Some("shipping[name]"),
    );
    app.post("/v1/customers", &[("address[planet]", "Mars")]).await.error(
        400,
        Some("parameter_unknown"),
        Some("address[planet]"),
    );
    app.post("/v1/customers", &[("invoice_settings[default_payment_method]", "pm_nope")]).await.error(
        400,
        Some("resource_missing"),
        Some("invoice_settings[default_payment_method]"),
    );
    let long = "n".repeat(257);
    app.post("/v1/customers", &[("name", &long)]).await.error(
        400,
        Some("parameter_invalid_string_length"),
        Some("name"),
    );
    assert!(app.events().await.is_empty(), "nothing is written by a refused request");
});

backend_test!(sql_metacharacters_in_every_string_field_are_plain_text, |app| {
    let nasty = "'; DROP TABLE objects; -- \" \\ % _ x";
    let nasty_email = "o'hara\"--;@x.io";
    let pairs = [
        ("email", nasty_email),
        ("name", nasty),
        ("description", nasty),
        ("phone", "';--"),
        ("address[line1]", nasty),
        ("shipping[name]", nasty),
        ("shipping[address][city]", nasty),
        ("metadata[k';--]", nasty),
        ("invoice_settings[footer]", nasty),
        ("preferred_locales[0]", "'--"),
    ];
    let r = app.post("/v1/customers", &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let id = r.body["id"].as_str().unwrap();
    let got = app.get(&format!("/v1/customers/{id}")).await.body;
    assert_eq!(got["name"], nasty);
    assert_eq!(got["metadata"]["k';--"], nasty);
    let enc = percent_encoding::utf8_percent_encode(nasty_email, percent_encoding::NON_ALPHANUMERIC).to_string();
    let listed = app.get(&format!("/v1/customers?email={enc}")).await.body;
    assert_eq!(listed["data"][0]["id"], id);
    let enc = percent_encoding::utf8_percent_encode(nasty, percent_encoding::NON_ALPHANUMERIC).to_string();
    app.get(&format!("/v1/customers/{enc}")).await.error(404, Some("resource_missing"), Some("id"));
    app.get(&format!("/v1/customers?starting_after={enc}")).await.error(
        400,
        Some("resource_missing"),
        Some("starting_after"),
    );
    assert_eq!(app.get("/v1/customers").await.body["data"].as_array().unwrap().len(), 1);
});

backend_test!(metadata_limits_are_enforced, |app| {
    let key = "k".repeat(41);
    app.post("/v1/customers", &[(&format!("metadata[{key}]"), "v")]).await.error(
        400,
        Some("parameter_invalid"),
        Some(&format!("metadata[{key}]")),
    );
    let val = "v".repeat(501);
    app.post("/v1/customers", &[("metadata[k]", &val)]).await.error(
        400,
        Some("parameter_invalid"),
        Some("metadata[k]"),
    );
    let many: Vec<(String, String)> = (0..51).map(|i| (format!("metadata[k{i}]"), "v".to_owned())).collect();
    let pairs: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post("/v1/customers", &pairs).await.error(400, Some("parameter_invalid"), Some("metadata"));
    let r = TestApp::send(
        app.req(Method::POST, "/v1/customers").bearer_auth(&app.keys.sk).json(&json!({"metadata": {"a[b]": "v"}})),
    )
    .await;
    r.error(400, Some("parameter_invalid"), Some("metadata[a[b]]"));

    let fifty: Vec<(String, String)> = (0..50).map(|i| (format!("metadata[k{i}]"), "v".to_owned())).collect();
    let pairs: Vec<(&str, &str)> = fifty.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let id = app.customer(&pairs).await;
    app.post(&format!("/v1/customers/{id}"), &[("metadata[one_more]", "v")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("metadata"),
    );
    let cleared = app.post(&format!("/v1/customers/{id}"), &[("metadata", "")]).await;
    assert_eq!(cleared.body["metadata"], json!({}));
});

backend_test!(expand_replaces_ids_and_refuses_bad_paths, |app| {
    // No endpoint creates payment methods yet: put one in the store directly.
    let pm = json!({"id": "pm_expandme", "object": "payment_method", "type": "card"});
    let set = kassa::store::ChangeSet {
        scope: kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false },
        changes: vec![kassa::store::Change::Insert {
            id: "pm_expandme".into(),
            kind: "payment_method".into(),
            created: START,
            doc: pm.clone().to_string(),
            tags: vec![],
        }],
        events: vec![],
        idempotency: None,
    };
    app.store.commit(set).await.unwrap();
    let id = app.customer(&[("invoice_settings[default_payment_method]", "pm_expandme")]).await;
    let r = app.get(&format!("/v1/customers/{id}")).await;
    assert_eq!(r.body["invoice_settings"]["default_payment_method"], "pm_expandme");
    let r = app
        .get(&format!("/v1/customers/{id}?expand[]=test_clock&expand[]=invoice_settings.default_payment_method"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["invoice_settings"]["default_payment_method"], pm);
    let r = app.get("/v1/customers?expand[0]=data.invoice_settings.default_payment_method").await;
    assert_eq!(r.body["data"][0]["invoice_settings"]["default_payment_method"], pm);
    app.get(&format!("/v1/customers/{id}?expand[]=email")).await.error(400, Some("parameter_invalid"), Some("expand"));
    app.get(&format!("/v1/customers/{id}?expand[]=nothing_here")).await.error(
        400,
        Some("parameter_invalid"),
        Some("expand"),
    );
    app.get(&format!("/v1/customers/{id}?expand[]=a.b.c.d.e")).await.error(
        400,
        Some("parameter_invalid"),
        Some("expand"),
    );
    let r = app.get("/v1/customers?expand[]=data.test_clock").await;
    assert_eq!(r.status, 200, "{}", r.body);
    app.get("/v1/customers?expand[]=test_clock").await.error(400, Some("parameter_invalid"), Some("expand"));
});

// A customer made for a guest at payment is set, in the same commit, on the
// intent's and the charge's events (their text is edited before it is
// written); the intent's `created` event, written at the claim, has none.
backend_test!(a_guest_customer_made_at_payment_is_on_the_intent_and_charge_events, |app| {
    let s = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "1000"),
            ("line_items[0][price_data][product_data][name]", "Guest"),
            ("line_items[0][quantity]", "1"),
            ("customer_creation", "always"),
        ])
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    let pairs = [("payment_method", "pm_card_visa"), ("customer_details[email]", "guest@example.com")];
    let r = app.confirm(s.body["id"].as_str().unwrap(), &pairs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cus = r.body["customer"].as_str().expect("a customer for the guest").to_owned();
    for t in ["payment_intent.succeeded", "charge.succeeded", "checkout.session.completed"] {
        let obj = app.only_event_object(t).await;
        assert_eq!(obj["customer"], json!(cus), "{t}: {obj}");
    }
    assert_eq!(app.only_event_object("payment_intent.created").await["customer"], json!(null));
    assert_eq!(app.only_event_object("customer.created").await["email"], "guest@example.com");
});

impl TestApp {
    /// The object of the one event of type `t`.
    async fn only_event_object(&self, t: &str) -> serde_json::Value {
        let list = self.get(&format!("/v1/events?type={t}")).await.body;
        assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{t}: {list}");
        list["data"][0]["data"]["object"].clone()
    }
}

// A create answers with the text its event was built from, or, with
// `expand[]`, with a rendered tree: either way what a retrieve then shows.
backend_test!(a_create_answers_what_a_retrieve_shows_with_and_without_expand, |app| {
    for expand in [None, Some("default_source")] {
        let mut pairs = vec![("email", "same@example.com"), ("metadata[k]", "v")];
        pairs.extend(expand.map(|e| ("expand[]", e)));
        let made = app.post("/v1/customers", &pairs).await;
        assert_eq!(made.status, 200, "{}", made.body);
        let id = made.body["id"].as_str().unwrap();
        let read = app.get(&format!("/v1/customers/{id}")).await;
        assert_eq!(made.body, read.body, "expand: {expand:?}");
    }
    let bad = app.post("/v1/customers", &[("expand[]", "email")]).await;
    assert_eq!((bad.status, bad.body["error"]["param"].as_str()), (400, Some("expand")), "{}", bad.body);
    assert_eq!(bad.body["error"]["type"], "invalid_request_error");
    // Refused before anything was written.
    let all = app.get("/v1/customers").await.body;
    assert_eq!(all["data"].as_array().map(Vec::len), Some(2), "{all}");
});
