//! Delivery fairness (issue 16, defect 3): one tenant's endpoint that never
//! answers, with a backlog of thousands, holds up no other tenant's deliveries.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::backend_test;
use crate::helpers::{TestApp, START};
use crate::webhook_receiver::Receiver;
use kassa::domain::event::{self, EventContext};
use kassa::store::{ChangeSet, Scope};

/// Backlog size: events for the hanging endpoint, committed `PER_COMMIT` at a time.
const BACKLOG: usize = 3000;
const PER_COMMIT: usize = 1000;

/// A receiver that accepts connections and never answers; counts them.
async fn black_hole() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

async fn endpoint(app: &TestApp, key: &str, url: &str) -> String {
    let r = app.post_as(key, "/v1/webhook_endpoints", &[("url", url), ("enabled_events[]", "customer.created")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// `total` events in the test account, older than anything that follows,
/// in a few large commits: the fan-out adds one delivery per endpoint each.
async fn backlog(app: &TestApp, total: usize) {
    let scope = Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let ctx = EventContext {
        api_version: kassa::domain::version::LATEST,
        livemode: false,
        now: START - 100,
        request_id: None,
        idempotency_key: None,
        ids: &kassa::ids::RandomIds,
    };
    for chunk in 0..total.div_ceil(PER_COMMIT) {
        let events = (0..PER_COMMIT.min(total - chunk * PER_COMMIT))
            .map(|i| {
                let object = json!({"id": format!("cus_backlog{chunk}x{i}"), "object": "customer"});
                event::build(&ctx, "customer.created", &object, None)
            })
            .collect();
        let set = ChangeSet { scope: scope.clone(), changes: vec![], events, idempotency: None };
        app.state.store.commit(set).await.unwrap();
    }
}

backend_test!(a_hanging_endpoint_with_a_backlog_holds_up_no_other_tenant, |app| {
    let (hole, accepted) = black_hole().await;
    endpoint(&app, &app.keys.sk, &hole).await;
    let started = Instant::now();
    backlog(&app, BACKLOG).await;
    let filled = started.elapsed();
    let lags = healthy_lags(&app).await;
    let worst = lags.iter().max().copied().unwrap_or_default();
    eprintln!(
        "webhook fairness ({:?}): backlog of {BACKLOG} committed in {filled:?}; healthy tenant's lag: worst {worst:?}, all {lags:?}",
        app.backend
    );
    assert!(worst < Duration::from_secs(1), "the healthy tenant waited {worst:?}: {lags:?}");
    // The backlog was being worked on all along, at most at its cap.
    let tried = accepted.load(Ordering::SeqCst);
    assert!(tried >= 1, "the hanging endpoint was never tried");
});

backend_test!(a_tenant_with_many_hanging_endpoints_holds_at_most_half_the_slots, |app| {
    // 10 endpoints × 4 in flight would be more than every slot there is.
    let mut holes = Vec::new();
    for _ in 0..10 {
        let (hole, accepted) = black_hole().await;
        endpoint(&app, &app.keys.sk, &hole).await;
        holes.push(accepted);
    }
    backlog(&app, 200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held: usize = holes.iter().map(|a| a.load(Ordering::SeqCst)).sum();
    assert!(held <= kassa::worker::webhooks::PER_ACCOUNT, "{held} attempts of one account under way at once");
    let lags = healthy_lags(&app).await;
    let worst = lags.iter().max().copied().unwrap_or_default();
    assert!(worst < Duration::from_secs(1), "the healthy tenant waited {worst:?}: {lags:?}");
});

/// Another tenant's healthy endpoint and 10 events for it: how long each
/// delivery took to arrive.
async fn healthy_lags(app: &TestApp) -> Vec<Duration> {
    let b = app.other_account().await;
    let healthy = Receiver::start(200).await;
    endpoint(app, &b.secret_key, &healthy.url).await;
    let mut lags = Vec::new();
    for n in 1..=10 {
        let t0 = Instant::now();
        let r = app.post_as(&b.secret_key, "/v1/customers", &[]).await;
        assert_eq!(r.status, 200, "{}", r.body);
        while healthy.received().len() < n {
            assert!(t0.elapsed() < Duration::from_secs(10), "delivery {n} of the healthy tenant never came: {lags:?}");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        lags.push(t0.elapsed());
    }
    let received: Vec<String> =
        healthy.received().iter().map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned()).collect();
    assert!(received.iter().all(|t| t == "customer.created"), "{received:?}");
    lags
}
