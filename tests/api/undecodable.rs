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

/// SQLite only (PostgreSQL keeps documents as text): a compressed document
/// whose bytes were damaged on disk, the version unchanged, fails each read
/// that needs its text with a logged 500 (`StoredObject::raw`), never a
/// panic, never a 200, and the object's retrieve and list say the same.
mod a_damaged_compressed_document_is_a_500 {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let Some(app) = crate::helpers::spawn(crate::helpers::Backend::Sqlite).await else { return };
        super::damaged_is_a_500(&app).await;
    }
}

async fn damaged_is_a_500(app: &TestApp) {
    let id = short_session(app).await;
    let path = app.db.url.strip_prefix("sqlite:").expect("a SQLite database").to_owned();
    let conn = rusqlite::Connection::open(path).unwrap();
    // The dictionary's version byte and zstd's magic number, then noise.
    let damaged: Vec<u8> = [1u8, 0x28, 0xb5, 0x2f, 0xfd].into_iter().chain([0x5a; 40]).collect();
    let changed = conn.execute("UPDATE objects SET doc = ? WHERE id = ?", rusqlite::params![damaged, id]).unwrap();
    assert_eq!(changed, 1);
    for p in [format!("/v1/checkout/sessions/{id}"), "/v1/checkout/sessions".to_owned()] {
        let r = app.get(&p).await;
        assert_eq!((r.status, r.body["error"]["type"].as_str()), (500, Some("api_error")), "{p}: {}", r.body);
        assert!(!r.body.to_string().contains("decompress"), "no internals in the answer: {}", r.body);
    }
}
