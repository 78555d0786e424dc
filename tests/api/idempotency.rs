use std::collections::HashSet;

use crate::backend_test;
use crate::helpers::{form, TestApp};
use reqwest::Method;

backend_test!(a_replay_returns_the_stored_response, |app| {
    let first = app.post_idem("/v1/customers", "key-1", &[("email", "r@x.io")]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(first.header("idempotency-key"), Some("key-1"));
    app.clock.advance(60);
    let again = app.post_idem("/v1/customers", "key-1", &[("email", "r@x.io")]).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(app.get("/v1/customers").await.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.events().await.len(), 1);
});

// A session's answer is several kilobytes: SQLite stores it compressed
// (`store::sqlite::idem_body`), and the replay is the same answer.
backend_test!(a_replay_of_a_long_answer_returns_it_whole, |app| {
    let pairs = [
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "500"),
        ("line_items[0][price_data][product_data][name]", "T"),
        ("line_items[0][quantity]", "1"),
        ("mode", "payment"),
        ("success_url", "https://shop.example/ok"),
        ("expand[]", "line_items"),
    ];
    let first = app.post_idem("/v1/checkout/sessions", "key-long", &pairs).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body.to_string().len() > 2048);
    let again = app.post_idem("/v1/checkout/sessions", "key-long", &pairs).await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(app.session_count().await, 1);
});

backend_test!(a_key_reused_with_other_params_or_endpoint_is_an_idempotency_error, |app| {
    let first = app.post_idem("/v1/customers", "key-2", &[("email", "a@x.io")]).await;
    let id = first.body["id"].as_str().unwrap();
    let r = app.post_idem("/v1/customers", "key-2", &[("email", "b@x.io")]).await;
    let e = r.error(400, None, None);
    assert_eq!(e["type"], "idempotency_error");
    assert!(e["message"].as_str().unwrap().contains("key-2"));
    let r = app.post_idem(&format!("/v1/customers/{id}"), "key-2", &[("email", "a@x.io")]).await;
    assert_eq!(r.body["error"]["type"], "idempotency_error");
    assert_eq!(app.get("/v1/customers").await.body["data"].as_array().unwrap().len(), 1);
});

backend_test!(keys_are_scoped_to_account_and_mode, |app| {
    app.post_idem("/v1/customers", "shared", &[("email", "a@x.io")]).await;
    let live = TestApp::send(
        app.req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.live_sk)
            .header("idempotency-key", "shared")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("email", "other@x.io")])),
    )
    .await;
    assert_eq!(live.status, 200, "{}", live.body);
    assert_eq!(live.header("idempotent-replayed"), None);
});

backend_test!(a_key_longer_than_255_characters_is_refused, |app| {
    let key = "k".repeat(256);
    let r = app.post_idem("/v1/customers", &key, &[]).await;
    r.error(400, Some("idempotency_key_invalid"), None);
    let ok = app.post_idem("/v1/customers", &"k".repeat(255), &[]).await;
    assert_eq!(ok.status, 200);
});

backend_test!(a_failed_validation_is_not_stored_and_can_be_retried, |app| {
    app.post_idem("/v1/customers", "key-3", &[("email", "bad")]).await.error(400, Some("email_invalid"), Some("email"));
    let r = app.post_idem("/v1/customers", "key-3", &[("email", "good@x.io")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
});

backend_test!(thirty_two_concurrent_posts_with_one_key_create_one_customer, |app| {
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let rb = app
            .req(Method::POST, "/v1/customers")
            .bearer_auth(&app.keys.sk)
            .header("idempotency-key", "race")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("email=race%40x.io");
        tasks.push(tokio::spawn(TestApp::send(rb)));
    }
    let mut ids = HashSet::new();
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            200 => {
                ids.insert(r.body["id"].as_str().unwrap().to_owned());
            }
            409 => {
                r.error(409, Some("idempotency_key_in_use"), None);
                assert_eq!(r.header("stripe-should-retry"), Some("true"));
                conflicts += 1;
            }
            s => panic!("unexpected {s}: {}", r.body),
        }
    }
    assert_eq!(ids.len(), 1, "every success names the same customer");
    let listed = app.get("/v1/customers").await.body;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.events().await.len(), 1);
    assert!(conflicts < 32);
});

backend_test!(keys_older_than_a_day_are_reaped, |app| {
    app.post_idem("/v1/customers", "old", &[("email", "a@x.io")]).await;
    app.clock.advance(23 * 3600);
    assert_eq!(kassa::worker::idempotency_reaper::reap_once(&app.state).await.unwrap(), 0);
    app.post_idem("/v1/customers", "old", &[("email", "b@x.io")]).await.error(400, None, None);
    app.clock.advance(2 * 3600);
    assert_eq!(kassa::worker::idempotency_reaper::reap_once(&app.state).await.unwrap(), 1);
    let r = app.post_idem("/v1/customers", "old", &[("email", "b@x.io")]).await;
    assert_eq!(r.status, 200, "after pruning, the key starts a new request");
});

backend_test!(deletes_ignore_idempotency_keys, |app| {
    let id = app.customer(&[]).await;
    let r = TestApp::send(
        app.req(Method::DELETE, &format!("/v1/customers/{id}"))
            .bearer_auth(&app.keys.sk)
            .header("idempotency-key", "d"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = app.post_idem("/v1/customers", "d", &[]).await;
    assert_eq!(r.status, 200);
});

// Creates of sessions and customers claim their key without reading its
// record first (`idempotency::Deferred`): the record is read when the commit
// finds the key taken, or when the handler fails. These are the answers that
// depend on it.

backend_test!(a_replayed_create_answers_as_first_even_when_it_would_now_fail, |app| {
    let prod = app.post("/v1/products", &[("name", "Mug")]).await.body["id"].as_str().unwrap().to_owned();
    let price = app.post("/v1/prices", &[("product", &prod), ("currency", "usd"), ("unit_amount", "900")]).await;
    let price = price.body["id"].as_str().unwrap().to_owned();
    let pairs = [
        ("mode", "payment"),
        ("success_url", "https://shop.example/ok"),
        ("line_items[0][price]", price.as_str()),
        ("line_items[0][quantity]", "1"),
    ];
    let first = app.post_idem("/v1/checkout/sessions", "key-archived", &pairs).await;
    assert_eq!(first.status, 200, "{}", first.body);
    app.post(&format!("/v1/prices/{price}"), &[("active", "false")]).await;
    let fresh = app.post_idem("/v1/checkout/sessions", "key-other", &pairs).await;
    assert_eq!(fresh.status, 400, "the same request under a new key fails now: {}", fresh.body);
    let again = app.post_idem("/v1/checkout/sessions", "key-archived", &pairs).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(app.session_count().await, 1);
});

backend_test!(a_reused_key_is_an_idempotency_error_whether_the_new_request_succeeds_or_fails, |app| {
    let pairs = |name: &'static str| {
        [
            ("mode", "payment"),
            ("success_url", "https://shop.example/ok"),
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", name),
            ("line_items[0][quantity]", "1"),
        ]
    };
    let first = app.post_idem("/v1/checkout/sessions", "key-reused", &pairs("A")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    // Would succeed: its commit finds the key taken and writes nothing.
    let other = app.post_idem("/v1/checkout/sessions", "key-reused", &pairs("B")).await;
    assert_eq!(other.error(400, None, None)["type"], "idempotency_error");
    assert_eq!(app.session_count().await, 1);
    assert_eq!(app.stored_of("product").await.len(), 1, "the refused create's product was not written");
    // Would fail its own validation: the key's error comes first.
    let mut bad = pairs("A").to_vec();
    bad[3] = ("line_items[0][price_data][unit_amount]", "-5");
    let amount = "line_items[0][price_data][unit_amount]";
    app.post_idem("/v1/checkout/sessions", "key-fresh", &bad).await.error(400, Some("parameter_invalid"), Some(amount));
    let r = app.post_idem("/v1/checkout/sessions", "key-reused", &bad).await;
    assert_eq!(r.error(400, None, None)["type"], "idempotency_error");
    let c = app.post_idem("/v1/customers", "key-cus", &[("email", "a@x.io")]).await;
    assert_eq!(c.status, 200);
    let r = app.post_idem("/v1/customers", "key-cus", &[("email", "bad")]).await;
    assert_eq!(r.error(400, None, None)["type"], "idempotency_error");
    // A failure with no record is the handler's own error, and stores nothing.
    app.post_idem("/v1/customers", "key-new", &[("email", "bad")]).await.error(
        400,
        Some("email_invalid"),
        Some("email"),
    );
    let r = app.post_idem("/v1/customers", "key-new", &[("email", "ok@x.io")]).await;
    assert_eq!((r.status, r.header("idempotent-replayed")), (200, None));
});
