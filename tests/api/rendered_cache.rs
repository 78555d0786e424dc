//! Reads answered from the render cache (`api::plumbing::rendered`) say
//! what a fresh rendering says: after a write, after the session lapses,
//! in each API version, with and without line items. Every read is checked
//! against a fresh rendering (the same GET with `expand[]` of a field that
//! is `null`, which is built as a tree and never cached; `wire_text.rs`
//! shows the two agree). The same reads run with the cache off.

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

/// The same GET twice (the second, with the cache on, a hit), each equal
/// to a fresh rendering: `null_field` expanded.
async fn twice(app: &TestApp, path: &str, null_field: &str) -> Value {
    let sep = if path.contains('?') { '&' } else { '?' };
    let fresh = app.get(&format!("{path}{sep}expand[]={null_field}")).await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    for _ in 0..2 {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body, fresh.body, "{path}");
    }
    fresh.body
}

fn counter(metrics: &str, name: &str) -> u64 {
    metrics.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok())).unwrap_or(0)
}

async fn metrics(app: &TestApp) -> String {
    TestApp::send(app.req(Method::GET, "/metrics")).await.body.as_str().unwrap_or_default().to_owned()
}

async fn stored_version(app: &TestApp, id: &str) -> i64 {
    let scope = kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false };
    app.store.get_object(&scope, id).await.unwrap().expect("stored").version
}

/// An open session read (and cached), then read after its expiry: it shows
/// as expired though its stored version is the one cached (the expiry
/// worker, which runs every few seconds, has not written it). Tried again
/// with a new session if the worker did write it in between.
async fn lapses_without_a_write(app: &TestApp) {
    for _ in 0..3 {
        let id = app.open_session().await;
        let path = format!("/v1/checkout/sessions/{id}");
        assert_eq!(twice(app, &path, "customer").await["status"], "open");
        let before = stored_version(app, &id).await;
        app.clock.advance(25 * 3600);
        let lapsed = twice(app, &path, "customer").await;
        assert_eq!((lapsed["status"].as_str(), &lapsed["url"]), (Some("expired"), &Value::Null), "{lapsed}");
        let listed = twice(app, "/v1/checkout/sessions?limit=1", "data.customer").await;
        assert_eq!(listed["data"][0], lapsed);
        if stored_version(app, &id).await == before {
            return;
        }
    }
    panic!("the expiry worker wrote each session before it was read lapsed");
}

async fn reads_follow_the_object(app: &TestApp) {
    let id = app.open_session().await;
    let path = format!("/v1/checkout/sessions/{id}");
    let open = twice(app, &path, "customer").await;
    assert_eq!((open["status"].as_str(), open["metadata"].as_object().map(|m| m.len())), (Some("open"), Some(0)));
    let listed = twice(app, "/v1/checkout/sessions?limit=1", "data.customer").await;
    assert_eq!(listed["data"][0], open, "a list shows the same rendering");

    // A write makes a new version: the next read shows it.
    let updated = app.post(&path, &[("metadata[order]", "42")]).await;
    assert_eq!(updated.status, 200, "{}", updated.body);
    let after = twice(app, &path, "customer").await;
    assert_eq!((&after["metadata"]["order"], &after), (&Value::from("42"), &updated.body));

    // Line items and older API versions are renderings of their own.
    let with_lines = twice(app, &format!("{path}?expand[]=line_items"), "customer").await;
    assert_eq!(with_lines["line_items"]["data"][0]["amount_total"], 500, "{with_lines}");
    assert!(twice(app, &path, "customer").await.get("line_items").is_none());
    let old = get_in(app, &path, OLD).await;
    assert_eq!(old["ui_mode"], "hosted", "{old}");
    assert_eq!(get_in(app, &path, OLD).await, old);
    let latest = get_in(app, &path, kassa::domain::version::LATEST).await;
    assert_eq!(latest["ui_mode"], "hosted_page", "{latest}");
    assert_eq!(get_in(app, &path, kassa::domain::version::LATEST).await, latest);

    // Any other object (the generic retrieve): an intent read while held,
    // then after its capture.
    let held = app.authorized(None).await;
    let pi = held["payment_intent"]["id"].as_str().expect("an intent").to_owned();
    let pi_path = format!("/v1/payment_intents/{pi}");
    assert_eq!(twice(app, &pi_path, "customer").await["status"], "requires_capture");
    let captured = app.post(&format!("{pi_path}/capture"), &[]).await;
    assert_eq!(captured.status, 200, "{}", captured.body);
    let shown = twice(app, &pi_path, "customer").await;
    assert_eq!((shown["status"].as_str(), &shown), (Some("succeeded"), &captured.body));

    lapses_without_a_write(app).await;
}

backend_test!(cached_reads_follow_writes_time_and_versions, |app| {
    reads_follow_the_object(&app).await;
    let m = metrics(&app).await;
    assert!(counter(&m, "kassa_render_cache_hits_total") >= 10, "{m}");
    assert!(counter(&m, "kassa_render_cache_misses_total") >= 8, "{m}");
});

backend_test!(the_same_reads_with_the_cache_off, config = |c| c.render_cache_bytes = 0, |app| {
    reads_follow_the_object(&app).await;
    let m = metrics(&app).await;
    assert_eq!(counter(&m, "kassa_render_cache_hits_total"), 0, "{m}");
});
