//! Webhook endpoints and delivery, against a real local receiver: both
//! signature schemes, filtering, retries on the moved clock, 410, secret
//! rotation, resend, a killed worker, slow receivers, and address policy.

use std::time::Duration;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::backend_test;
use crate::helpers::{TestApp, START};
use crate::webhook_receiver::{standard_valid, stripe_valid, Receiver, HANG, HUGE};

/// An endpoint for `events`; returns (id, secret).
async fn endpoint(app: &TestApp, url: &str, events: &[&str]) -> (String, String) {
    let mut pairs = vec![("url", url.to_owned())];
    for (i, e) in events.iter().enumerate() {
        pairs.push((Box::leak(format!("enabled_events[{i}]").into_boxed_str()), (*e).to_owned()));
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post("/v1/webhook_endpoints", &refs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    (r.body["id"].as_str().unwrap().to_owned(), r.body["secret"].as_str().unwrap().to_owned())
}

async fn deliveries(app: &TestApp, we: &str) -> Vec<Value> {
    app.get(&format!("/v1/webhook_endpoints/{we}/deliveries?limit=100")).await.body["data"].as_array().unwrap().clone()
}

/// Waits (real time) until `check` holds for the endpoint's deliveries.
async fn until(app: &TestApp, we: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    for _ in 0..300 {
        let d = deliveries(app, we).await;
        if check(&d) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deliveries never matched: {:?}", deliveries(app, we).await);
}

backend_test!(events_are_delivered_signed_with_both_schemes, |app| {
    let rx = Receiver::start(200).await;
    let (we, secret) = endpoint(&app, &rx.url, &["customer.created"]).await;
    assert!(secret.starts_with("whsec_"));
    let cus = app.customer(&[("email", "a@example.com")]).await;
    let got = rx.wait_for(1).await;
    let r = &got[0];
    let evt = r.json();
    assert_eq!(
        (evt["type"].as_str(), evt["data"]["object"]["id"].as_str()),
        (Some("customer.created"), Some(cus.as_str()))
    );
    assert!(r.header("content-type").starts_with("application/json"));
    let sig = r.header("stripe-signature");
    assert!(sig.starts_with(&format!("t={START},v1=")), "{sig}");
    assert!(stripe_valid(&sig, &r.body, &secret));
    assert!(!stripe_valid(&sig, &r.body.replace("a@example.com", "b@example.com"), &secret), "a tampered body fails");
    assert_eq!(
        (r.header("webhook-id"), r.header("webhook-timestamp")),
        (evt["id"].as_str().unwrap().to_owned(), START.to_string())
    );
    assert!(standard_valid(r, &secret));
    let d = until(&app, &we, |d| d.first().is_some_and(|d| d["status"] == "succeeded")).await;
    assert_eq!(d[0]["attempts"][0]["response_status"], 200);
    assert_eq!((d[0]["event"].as_str(), d[0]["attempt_count"].as_i64()), (evt["id"].as_str(), Some(1)));
    let e = app.get(&format!("/v1/events/{}", evt["id"].as_str().unwrap())).await.body;
    assert_eq!(e["pending_webhooks"], 0);
    let ok = app.get("/v1/events?delivery_success=true").await.body;
    assert!(ok["data"].as_array().unwrap().iter().any(|x| x["id"] == evt["id"]));
    // The secret is shown once only.
    assert!(app.get(&format!("/v1/webhook_endpoints/{we}")).await.body.get("secret").is_none());
    assert!(app.get("/v1/webhook_endpoints").await.body["data"][0].get("secret").is_none());
});

backend_test!(only_enabled_events_are_delivered, |app| {
    let rx = Receiver::start(200).await;
    let (we, _) = endpoint(&app, &rx.url, &["customer.updated"]).await;
    let cus = app.customer(&[]).await;
    app.post(&format!("/v1/customers/{cus}"), &[("name", "Ada")]).await;
    let got = rx.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1);
    assert_eq!(got[0].json()["type"], "customer.updated");
    assert_eq!(got[0].json()["data"]["previous_attributes"], json!({"name": null}));
    assert_eq!(deliveries(&app, &we).await.len(), 1);
    let created = app.get("/v1/events?type=customer.created").await.body;
    assert_eq!(created["data"][0]["pending_webhooks"], 0);
    assert_eq!(created["data"][0]["type"], "customer.created");
});

backend_test!(a_500_is_retried_when_the_clock_reaches_the_next_attempt, |app| {
    let rx = Receiver::start(500).await;
    let (we, _) = endpoint(&app, &rx.url, &["*"]).await;
    app.customer(&[]).await;
    rx.wait_for(1).await;
    let d = until(&app, &we, |d| d.first().is_some_and(|d| d["attempt_count"] == 1)).await;
    assert_eq!(
        (d[0]["status"].as_str(), d[0]["attempts"][0]["response_status"].as_i64()),
        (Some("pending"), Some(500))
    );
    let next = d[0]["next_retry_at"].as_i64().unwrap();
    assert!((START + 60..=START + 72).contains(&next), "1 minute, with jitter: {next}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1, "nothing before its time");
    rx.answer(204);
    app.clock.set(next);
    rx.wait_for(2).await;
    let d = until(&app, &we, |d| d[0]["status"] == "succeeded").await;
    assert_eq!((d[0]["attempt_count"].as_i64(), d[0]["next_retry_at"].clone()), (Some(2), Value::Null));
    let evt = app.get("/v1/events?delivery_success=false").await.body;
    assert!(evt["data"].as_array().unwrap().is_empty(), "{evt}");
});

backend_test!(
    a_timeout_is_a_failure_and_a_slow_receiver_holds_up_no_one_else,
    config = |c: &mut kassa::config::Config| c.webhooks.timeout = Duration::from_millis(700),
    |app| {
        let slow = Receiver::start(HANG).await;
        let fast = Receiver::start(200).await;
        let huge = Receiver::start(HUGE).await;
        let (slow_we, _) = endpoint(&app, &slow.url, &["*"]).await;
        endpoint(&app, &fast.url, &["*"]).await;
        let (huge_we, _) = endpoint(&app, &huge.url, &["*"]).await;
        app.customer(&[]).await;
        fast.wait_for(1).await;
        assert!(slow.received().len() <= 1);
        let d = until(&app, &slow_we, |d| d.first().is_some_and(|d| d["attempt_count"] == 1)).await;
        assert!(d[0]["attempts"][0]["error"].as_str().unwrap().contains("timed out"), "{}", d[0]);
        assert_eq!(d[0]["status"], "pending");
        let h = until(&app, &huge_we, |d| d.first().is_some_and(|d| d["status"] == "succeeded")).await;
        let kept = h[0]["attempts"][0]["response_body"].as_str().unwrap();
        assert_eq!(kept.chars().count(), 200, "a 200-character excerpt of the body is kept");
    }
);

backend_test!(a_410_disables_the_endpoint_at_once, |app| {
    let rx = Receiver::start(410).await;
    let (we, _) = endpoint(&app, &rx.url, &["customer.created"]).await;
    let watcher = Receiver::start(200).await;
    endpoint(&app, &watcher.url, &["webhook_endpoint.disabled"]).await;
    app.customer(&[]).await;
    rx.wait_for(1).await;
    let got = watcher.wait_for(1).await;
    assert_eq!(got[0].json()["type"], "webhook_endpoint.disabled");
    assert_eq!(got[0].json()["data"]["object"]["id"], we.as_str());
    assert!(got[0].json()["data"]["object"].get("secrets").is_none());
    assert_eq!(app.get(&format!("/v1/webhook_endpoints/{we}")).await.body["status"], "disabled");
    let d = deliveries(&app, &we).await;
    assert_eq!((d[0]["status"].as_str(), d[0]["next_retry_at"].clone()), (Some("failed"), Value::Null));
    app.customer(&[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.received().len(), 1, "a disabled endpoint gets nothing more");
    let first = rx.received()[0].json()["id"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/events/{first}/resend"), &[("webhook_endpoint", &we)]).await.error(
        400,
        Some("parameter_invalid"),
        Some("webhook_endpoint"),
    );
    let back = app.post(&format!("/v1/webhook_endpoints/{we}"), &[("disabled", "false")]).await;
    assert_eq!(back.body["status"], "enabled");
});

backend_test!(a_rolled_secret_signs_beside_the_old_one_until_the_grace_period_ends, |app| {
    let rx = Receiver::start(200).await;
    let (we, old) = endpoint(&app, &rx.url, &["customer.created"]).await;
    let rolled = app.post(&format!("/v1/webhook_endpoints/{we}/roll_secret"), &[("expires_in", "3600")]).await;
    assert_eq!(rolled.status, 200, "{}", rolled.body);
    let new = rolled.body["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    app.customer(&[]).await;
    let r = rx.wait_for(1).await[0].clone();
    let sig = r.header("stripe-signature");
    assert_eq!(sig.matches("v1=").count(), 2, "{sig}");
    assert!(stripe_valid(&sig, &r.body, &old) && stripe_valid(&sig, &r.body, &new));
    assert!(standard_valid(&r, &old) && standard_valid(&r, &new));
    app.clock.advance(3601);
    app.customer(&[]).await;
    let r = rx.wait_for(2).await[1].clone();
    let sig = r.header("stripe-signature");
    assert_eq!(sig.matches("v1=").count(), 1);
    assert!(stripe_valid(&sig, &r.body, &new) && !stripe_valid(&sig, &r.body, &old));
    app.post(&format!("/v1/webhook_endpoints/{we}/roll_secret"), &[("expires_in", "999999999")]).await.error(
        400,
        Some("parameter_invalid_integer"),
        Some("expires_in"),
    );
});

backend_test!(an_event_can_be_resent_to_one_endpoint_or_all, |app| {
    let rx = Receiver::start(200).await;
    let (we, _) = endpoint(&app, &rx.url, &["customer.created"]).await;
    app.customer(&[]).await;
    let first = rx.wait_for(1).await[0].json();
    let id = first["id"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/v1/events/{id}/resend"), &[("webhook_endpoint", &we)]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(rx.wait_for(2).await[1].json()["id"], id.as_str());
    app.post(&format!("/v1/events/{id}/resend"), &[]).await;
    rx.wait_for(3).await;
    app.post(&format!("/v1/events/{id}/resend"), &[("webhook_endpoint", "we_nope")]).await.error(
        400,
        Some("resource_missing"),
        Some("webhook_endpoint"),
    );
    app.post("/v1/events/evt_nope/resend", &[]).await.error(404, Some("resource_missing"), Some("id"));
    until(&app, &we, |d| d.len() == 3 && d.iter().all(|d| d["status"] == "succeeded")).await;
    let one = app.get(&format!("/v1/webhook_endpoints/{we}/deliveries?event={id}")).await.body;
    assert_eq!(one["data"].as_array().unwrap().len(), 3, "all three are this event's");
    // No endpoint takes coupon events.
    app.post("/v1/coupons", &[("percent_off", "5")]).await;
    let coupon_evt = app.get("/v1/events?type=coupon.created").await.body["data"][0]["id"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/events/{coupon_evt}/resend"), &[]).await.error(400, Some("no_webhook_endpoint"), None);
});

backend_test!(
    a_worker_killed_mid_delivery_loses_nothing,
    config = |c: &mut kassa::config::Config| c.webhooks.worker = false,
    |app| {
        let rx = Receiver::start(HANG).await;
        let (we, _) = endpoint(&app, &rx.url, &["customer.created"]).await;
        app.customer(&[]).await;
        let token = CancellationToken::new();
        let worker = tokio::spawn(kassa::worker::webhooks::run(app.state.clone(), token.clone()));
        rx.wait_for(1).await;
        // Killed, not stopped: the attempt under way is never recorded.
        worker.abort();
        let _ = worker.await;
        let d = deliveries(&app, &we).await;
        assert_eq!((d[0]["status"].as_str(), d[0]["attempt_count"].as_i64()), (Some("pending"), Some(0)));
        rx.answer(200);
        let restarted = tokio::spawn(kassa::worker::webhooks::run(app.state.clone(), token.clone()));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(rx.received().len(), 1, "leased: not sent again before the lease runs out");
        app.clock.advance(kassa::webhooks::deliver::LEASE_SECS + 1);
        let got = rx.wait_for(2).await;
        assert_eq!(got[0].json()["id"], got[1].json()["id"]);
        until(&app, &we, |d| d[0]["status"] == "succeeded").await;
        token.cancel();
        let _ = restarted.await;
    }
);

backend_test!(two_nodes_deliver_every_event_and_never_the_same_attempt_at_once, |app| {
    let rx = Receiver::start(200).await;
    let (we, _) = endpoint(&app, &rx.url, &["customer.created"]).await;
    let (_other, stop) = app.second_node().await;
    for _ in 0..20 {
        app.customer(&[]).await;
    }
    until(&app, &we, |d| d.len() == 20 && d.iter().all(|d| d["status"] == "succeeded")).await;
    let got = rx.received();
    let ids: std::collections::HashSet<String> =
        got.iter().map(|r| r.json()["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 20, "every event delivered");
    assert_eq!(rx.overlaps.load(std::sync::atomic::Ordering::SeqCst), 0, "no event sent twice at once");
    stop.cancel();
});

backend_test!(
    private_addresses_are_refused_when_configured,
    config = |c: &mut kassa::config::Config| c.webhooks.deny_private = true,
    |app| {
        let rx = Receiver::start(200).await;
        let (we, _) = endpoint(&app, &rx.url, &["*"]).await;
        let by_name = rx.url.replace("127.0.0.1", "localhost");
        let (we2, _) = endpoint(&app, &by_name, &["*"]).await;
        app.customer(&[]).await;
        let d = until(&app, &we, |d| d.first().is_some_and(|d| d["attempt_count"] == 1)).await;
        assert!(d[0]["attempts"][0]["error"].as_str().unwrap().contains("private"), "{}", d[0]);
        let d = until(&app, &we2, |d| d.first().is_some_and(|d| d["attempt_count"] == 1)).await;
        assert!(d[0]["attempts"][0]["error"].as_str().unwrap().contains("private"), "{}", d[0]);
        assert!(rx.received().is_empty());
    }
);

backend_test!(bad_endpoints_name_their_param, |app| {
    let long = format!("https://example.com/{}", "a".repeat(2048));
    for (pairs, code, param) in [
        (vec![("enabled_events[]", "*")], "parameter_missing", "url"),
        (vec![("url", "not a url"), ("enabled_events[]", "*")], "url_invalid", "url"),
        (vec![("url", "ftp://example.com/x"), ("enabled_events[]", "*")], "url_invalid", "url"),
        (vec![("url", long.as_str()), ("enabled_events[]", "*")], "parameter_invalid_string_length", "url"),
        (vec![("url", "https://example.com/x")], "parameter_missing", "enabled_events"),
        (
            vec![("url", "https://example.com/x"), ("enabled_events[]", "customer.made")],
            "parameter_invalid_enum",
            "enabled_events[0]",
        ),
        (
            vec![("url", "https://example.com/x"), ("enabled_events[]", "*"), ("disabled", "true")],
            "parameter_unknown",
            "disabled",
        ),
        (
            vec![("url", "https://example.com/x"), ("enabled_events[]", "*"), ("api_version", "yesterday")],
            "parameter_invalid",
            "api_version",
        ),
        (
            vec![("url", "https://example.com/x"), ("enabled_events[]", "*"), ("connect", "true")],
            "parameter_invalid",
            "connect",
        ),
    ] {
        app.post("/v1/webhook_endpoints", &pairs).await.error(400, Some(code), Some(param));
    }
    app.get("/v1/webhook_endpoints/we_nope").await.error(404, Some("resource_missing"), Some("id"));
    let (we, _) = endpoint(&app, "https://example.com/hook", &["*"]).await;
    let upd = app
        .post(
            &format!("/v1/webhook_endpoints/{we}"),
            &[("enabled_events[]", "customer.created"), ("description", "CRM")],
        )
        .await;
    assert_eq!(
        (upd.body["enabled_events"].clone(), upd.body["description"].as_str()),
        (json!(["customer.created"]), Some("CRM"))
    );
    app.post(&format!("/v1/webhook_endpoints/{we}"), &[("url", "nope")]).await.error(
        400,
        Some("url_invalid"),
        Some("url"),
    );
    assert_eq!(app.delete(&format!("/v1/webhook_endpoints/{we}")).await.body["deleted"], true);
    app.get(&format!("/v1/webhook_endpoints/{we}")).await.error(404, Some("resource_missing"), Some("id"));
});

backend_test!(events_are_listed_by_type_wildcard_and_types, |app| {
    let cus = app.customer(&[]).await;
    app.post(&format!("/v1/customers/{cus}"), &[("name", "B")]).await;
    app.post("/v1/coupons", &[("percent_off", "5")]).await;
    let count = |v: Value| v["data"].as_array().unwrap().len();
    assert_eq!(count(app.get("/v1/events?type=customer.*").await.body), 2);
    assert_eq!(count(app.get("/v1/events?type=customer.updated").await.body), 1);
    assert_eq!(count(app.get("/v1/events?types[]=customer.created&types[]=coupon.created").await.body), 2);
    assert_eq!(count(app.get("/v1/events?types[]=customer.*&types[]=coupon.created").await.body), 3);
    assert_eq!(count(app.get("/v1/events?type=*").await.body), 3);
    let e = app.get("/v1/events?limit=1").await.body;
    assert_eq!(e["data"][0]["type"], "coupon.created");
    assert_eq!(e["data"][0]["object"], "event");
    assert!(e["data"][0]["request"]["id"].as_str().unwrap().starts_with("req_"));
    app.get("/v1/events?type=a&types[]=b").await.error(400, Some("parameters_exclusive"), Some("types"));
    app.get("/v1/events?delivery_success=maybe").await.error(
        400,
        Some("parameter_invalid_boolean"),
        Some("delivery_success"),
    );
    app.get("/v1/events?nope=1").await.error(400, Some("parameter_unknown"), Some("nope"));
    let many: String = (0..21).map(|i| format!("types[]=t{i}&")).collect();
    app.get(&format!("/v1/events?{many}")).await.error(400, Some("parameter_invalid"), Some("types"));
});

backend_test!(an_endpoint_failing_for_five_days_is_disabled, |app| {
    let rx = Receiver::start(500).await;
    let (we, _) = endpoint(&app, &rx.url, &["customer.created"]).await;
    app.customer(&[]).await;
    until(&app, &we, |d| d.first().is_some_and(|d| d["attempt_count"] == 1)).await;
    assert_eq!(app.get(&format!("/v1/webhook_endpoints/{we}")).await.body["status"], "enabled");
    app.clock.advance(5 * 24 * 3600);
    app.customer(&[]).await;
    for _ in 0..300 {
        if app.get(&format!("/v1/webhook_endpoints/{we}")).await.body["status"] == "disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.get(&format!("/v1/webhook_endpoints/{we}")).await.body["status"], "disabled");
    let disabled = app.get("/v1/events?type=webhook_endpoint.disabled").await.body;
    assert_eq!(disabled["data"][0]["data"]["object"]["id"], we.as_str());
});
