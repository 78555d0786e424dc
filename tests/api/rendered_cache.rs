//! Reads answered from the render cache (`api::plumbing::rendered`) say
//! what a fresh rendering says: after a write, after the session lapses,
//! in each API version, with and without line items, to its owner only.
//! The same reads run with the cache off, and must answer the same.

use reqwest::Method;
use serde_json::Value;

use crate::backend_test;
use crate::helpers::TestApp;

const OLD: &str = "2025-03-31.basil";

async fn get_in(app: &TestApp, path: &str, version: &str) -> Value {
    let r = TestApp::send(app.req(Method::GET, path).bearer_auth(&app.keys.sk).header("stripe-version", version)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// The same GET twice, the second (with the cache on) a hit: one answer.
async fn twice(app: &TestApp, path: &str) -> Value {
    let first = app.get(path).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let second = app.get(path).await;
    assert_eq!(first.body, second.body, "{path}");
    second.body
}

fn counter(metrics: &str, name: &str) -> u64 {
    metrics.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok())).unwrap_or(0)
}

async fn reads_follow_the_object(app: &TestApp) {
    let id = app.open_session().await;
    let path = format!("/v1/checkout/sessions/{id}");
    let open = twice(app, &path).await;
    assert_eq!((open["status"].as_str(), open["metadata"].as_object().map(|m| m.len())), (Some("open"), Some(0)));
    let listed = twice(app, "/v1/checkout/sessions?limit=1").await;
    assert_eq!(listed["data"][0], open, "a list shows the same rendering");

    // A write makes a new version: the next read shows it.
    let updated = app.post(&path, &[("metadata[order]", "42")]).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let after = twice(app, &path).await;
    assert_eq!(after["metadata"]["order"], "42", "{after}");
    assert_eq!(after, updated.body);

    // Line items and older API versions are renderings of their own.
    let with_lines = twice(app, &format!("{path}?expand[]=line_items")).await;
    assert_eq!(with_lines["line_items"]["data"][0]["amount_total"], 500, "{with_lines}");
    assert!(twice(app, &path).await.get("line_items").is_none());
    let old = get_in(app, &path, OLD).await;
    assert_eq!(old["ui_mode"], "hosted", "{old}");
    assert_eq!(get_in(app, &path, OLD).await, old);
    let latest = get_in(app, &path, kassa::domain::version::LATEST).await;
    assert_eq!(latest["ui_mode"], "hosted_page", "{latest}");
    assert_eq!(get_in(app, &path, kassa::domain::version::LATEST).await, latest);

    // The session lapses: a rendering from before its expiry is not shown after it.
    app.clock.advance(25 * 3600);
    let lapsed = twice(app, &path).await;
    assert_eq!((lapsed["status"].as_str(), &lapsed["url"]), (Some("expired"), &Value::Null), "{lapsed}");
    assert_eq!(twice(app, "/v1/checkout/sessions?limit=1").await["data"][0]["status"], "expired");

    // Another account does not see it, cached or not.
    let other = app.other_account().await;
    let theirs = app.get_as(&other.secret_key, &path).await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);

    // A paid session, and its payment intent (any other object's retrieve).
    let paid_id = app.open_session().await;
    let paid_path = format!("/v1/checkout/sessions/{paid_id}");
    assert_eq!(twice(app, &paid_path).await["status"], "open");
    let paid = app.confirm(&paid_id, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let complete = twice(app, &paid_path).await;
    assert_eq!(complete, paid.body, "the confirm's answer is what the next read shows");
    let pi = complete["payment_intent"].as_str().expect("an intent");
    let intent = twice(app, &format!("/v1/payment_intents/{pi}")).await;
    assert_eq!((intent["status"].as_str(), intent["amount"].as_i64()), (Some("succeeded"), Some(500)), "{intent}");
}

backend_test!(cached_reads_follow_writes_time_versions_and_owners, |app| {
    reads_follow_the_object(&app).await;
    let metrics = TestApp::send(app.req(Method::GET, "/metrics")).await.body.as_str().unwrap_or_default().to_owned();
    assert!(counter(&metrics, "kassa_render_cache_hits_total") >= 8, "{metrics}");
    assert!(counter(&metrics, "kassa_render_cache_misses_total") >= 8, "{metrics}");
});

backend_test!(the_same_reads_with_the_cache_off, config = |c| c.render_cache_bytes = 0, |app| {
    reads_follow_the_object(&app).await;
    let metrics = TestApp::send(app.req(Method::GET, "/metrics")).await.body.as_str().unwrap_or_default().to_owned();
    assert_eq!(counter(&metrics, "kassa_render_cache_hits_total"), 0, "{metrics}");
});
