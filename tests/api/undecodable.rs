//! A stored document that no longer fits its type is reported (a logged
//! 500 with the error shape), never passed off as missing, never shown as a
//! `null` list item, and never holds up the background work due after it.

use kassa::store::{Change, ChangeSet, Scope};
use serde_json::json;

use crate::backend_test;
use crate::helpers::{TestApp, START};

async fn short_session(app: &TestApp) -> String {
    let expires = (START + 1800).to_string();
    let r = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("expires_at", &expires),
        ])
        .await;
    r.body["id"].as_str().expect("a session id").to_owned()
}

/// Rewrites the stored session with a field its type does not know, keeping
/// the tags that make it due to expire.
async fn corrupt(app: &TestApp, id: &str) {
    let scope = Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let obj = app.store.get_object(&scope, id).await.unwrap().expect("stored");
    let mut doc = obj.doc().unwrap();
    doc["surprise"] = json!(1);
    let tags = vec![
        ("status".to_owned(), "open".to_owned()),
        ("open_until".to_owned(), kassa::domain::fields::time_tag(START + 1800)),
    ];
    let change = Change::Update { id: id.to_owned(), expected_version: obj.version, tags, doc: doc.to_string() };
    let set = ChangeSet { scope, changes: vec![change], events: vec![], idempotency: None };
    app.store.commit(set).await.unwrap();
}

backend_test!(an_undecodable_session_is_reported_and_holds_up_nothing, |app| {
    let bad = short_session(&app).await;
    let good = short_session(&app).await;
    corrupt(&app, &bad).await;
    app.clock.advance(1800);
    // The expiry sweep passes over the bad session and expires the other.
    assert_eq!(kassa::worker::session_expiry::expire_due(&app.state, None).await.unwrap(), 1);
    assert_eq!(app.get(&format!("/v1/checkout/sessions/{good}")).await.body["status"], "expired");
    let read = app.get(&format!("/v1/checkout/sessions/{bad}")).await;
    assert_eq!((read.status, read.body["error"]["type"].as_str()), (500, Some("api_error")), "{}", read.body);
    let list = app.get("/v1/checkout/sessions").await;
    assert_eq!((list.status, list.body["error"]["type"].as_str()), (500, Some("api_error")), "{}", list.body);
    let page = app.http.get(format!("{}/pay/{bad}", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 500);
    let body = page.text().await.unwrap();
    assert!(!body.contains("surprise"), "the page shows no internals");
});

backend_test!(an_undecodable_payment_intent_is_a_500_everywhere_it_is_read, |app| {
    let scope = Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let doc = json!({"id": "pi_undecodable", "object": "payment_intent", "surprise": 1});
    let change = Change::Insert {
        id: "pi_undecodable".into(),
        kind: "payment_intent".into(),
        created: START,
        doc: doc.to_string(),
        tags: vec![],
    };
    let set = ChangeSet { scope, changes: vec![change], events: vec![], idempotency: None };
    app.store.commit(set).await.unwrap();
    for path in ["/v1/payment_intents/pi_undecodable", "/v1/payment_intents"] {
        let r = app.get(path).await;
        assert_eq!((r.status, r.body["error"]["type"].as_str()), (500, Some("api_error")), "{path}: {}", r.body);
    }
    let status = app.http.get(format!("{}/3ds/pi_undecodable/status?client_secret=x", app.base)).send().await.unwrap();
    assert_eq!(status.status(), 500, "not passed off as a missing payment");
    let body: serde_json::Value = status.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");
    let page = app.http.get(format!("{}/3ds/pi_undecodable/challenge?key=k", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 500);
    assert!(!page.text().await.unwrap().contains("surprise"), "the page shows no internals");
});

// A kind whose stored text is sent as it is (customers) is checked to be
// JSON first: a corrupt row is a 500, never a 200 with a broken body.
backend_test!(a_stored_customer_that_is_not_json_is_a_500, |app| {
    let scope = Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let change = Change::Insert {
        id: "cus_broken".into(),
        kind: "customer".into(),
        created: START,
        doc: r#"{"id": "cus_broken", "object": "customer""#.into(),
        tags: vec![],
    };
    let set = ChangeSet { scope, changes: vec![change], events: vec![], idempotency: None };
    app.store.commit(set).await.unwrap();
    for path in ["/v1/customers/cus_broken", "/v1/customers"] {
        let r = app.get(path).await;
        assert_eq!((r.status, r.body["error"]["type"].as_str()), (500, Some("api_error")), "{path}: {}", r.body);
    }
});
