//! No charged payment is ever stranded (issue 16, defects 1 and 5): a charge
//! outlives its request, a dead node's claim is looked up within seconds, a
//! resolver failure backs off without holding the others, and a same-key
//! retry gets what really happened.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::backend_test;
use crate::gateway::{gateway_full, Mode};
use crate::helpers::{form, Res, TestApp};

impl TestApp {
    /// A test-mode object as stored, with kassa's private fields.
    async fn stored(&self, id: &str) -> Value {
        let scope = kassa::store::Scope { account_id: self.keys.account_id.clone(), livemode: false };
        self.store.get_object(&scope, id).await.unwrap().unwrap().doc().unwrap()
    }
}

/// A route of one `http` processor with the given timeout.
async fn slow_route(app: &TestApp, url: &str, timeout_ms: &str) -> String {
    let r = app
        .post(
            "/v1/processor_routes",
            &[("processors[0][type]", "http"), ("processors[0][url]", url), ("processors[0][timeout_ms]", timeout_ms)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn confirm_with_key(app: &TestApp, base: &str, id: &str, key: &str) -> Res {
    TestApp::send(
        app.http
            .post(format!("{base}/v1/checkout/sessions/{id}/confirm"))
            .bearer_auth(&app.keys.sk)
            .header("idempotency-key", key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("payment_method", "pm_card_visa")])),
    )
    .await
}

async fn wait_for_status(app: &TestApp, id: &str, want: &str) -> Value {
    for _ in 0..100 {
        let s = app.session_doc(id).await;
        if s["status"] == want {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("session {id} never became {want}: {}", app.session_doc(id).await);
}

backend_test!(
    a_charge_outlives_its_request_and_a_same_key_retry_replays_the_outcome,
    config = |c| { c.request_timeout = Duration::from_millis(300) },
    |app| {
        // Approves, then answers only after the processor's 1.5 s timeout: the
        // request times out (408) long before the charge ends.
        let (url, calls, _, _) = gateway_full(Mode::HangAfterCharging).await;
        let route = slow_route(&app, &url, "1500").await;
        let id = crate::gateway::session_on(&app, &route).await;
        let first = confirm_with_key(&app, &app.base, &id, "order-7").await;
        first.error(503, Some("request_timeout"), None);
        let s = wait_for_status(&app, &id, "complete").await;
        assert_eq!(s["payment_status"], "paid");
        assert_eq!(s["payment_intent"]["status"], "succeeded");
        let pm =
            app.get(&format!("/v1/payment_methods/{}", s["payment_intent"]["payment_method"].as_str().unwrap())).await;
        assert_eq!(pm.status, 200, "the payment method is durable: {}", pm.body);
        let retry = confirm_with_key(&app, &app.base, &id, "order-7").await;
        assert_eq!(retry.status, 200, "{}", retry.body);
        assert_eq!(retry.header("idempotent-replayed"), Some("true"));
        assert_eq!(retry.body["status"], "complete");
        assert_eq!(*calls.lock().unwrap(), 1, "charged once");
        let completed = app.events().await.iter().filter(|e| e["type"] == "checkout.session.completed").count();
        assert_eq!(completed, 1);
    }
);

backend_test!(a_claim_is_looked_up_seconds_after_its_route_must_have_ended, |app| {
    let (url, _, _, _) = gateway_full(Mode::HangAfterCharging).await;
    let route = slow_route(&app, &url, "2000").await;
    let id = crate::gateway::session_on(&app, &route).await;
    let pay = {
        let (http, base, sk) = (app.http.clone(), app.base.clone(), app.keys.sk.clone());
        let id = id.clone();
        tokio::spawn(async move {
            http.post(format!("{base}/v1/checkout/sessions/{id}/confirm"))
                .bearer_auth(sk)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("payment_method", "pm_card_visa")]))
                .send()
                .await
        })
    };
    // While the processor call runs, the claim says when to look it up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let list = app.get("/v1/payment_intents?limit=1").await.body;
    assert_eq!(list["data"][0].get("pending_attempt"), None, "kassa's bookkeeping is never shown");
    let stored = app.stored(list["data"][0]["id"].as_str().unwrap()).await;
    let claim = &stored["pending_attempt"];
    let (start, at) = (claim["started_at"].as_i64().unwrap(), claim["lookup_at"].as_i64().unwrap());
    assert!(at - start <= 40, "first lookup {}s after the claim: {claim}", at - start);
    assert!(at - start >= 4, "not before the route (2 × 2 s) could have ended: {claim}");
    pay.await.unwrap().unwrap();
});

/// An intent left `processing` with an unknown answer (the gateway
/// charged, then neither it nor its lookup answered); returns its id.
async fn stuck(app: &TestApp, route: &str) -> String {
    let id = crate::gateway::session_on(app, route).await;
    let r = app.confirm(&id, &[("payment_method", "pm_card_visa"), ("expand[]", "payment_intent")]).await;
    assert_eq!(r.body["payment_intent"]["status"], "processing", "{}", r.body);
    r.body["payment_intent"]["id"].as_str().unwrap().to_owned()
}

backend_test!(a_resolver_failure_backs_off_is_counted_and_never_holds_the_others, |app| {
    let (url, _, _, lookup_fails) = gateway_full(Mode::HangAfterCharging).await;
    lookup_fails.store(true, Ordering::SeqCst);
    let route = slow_route(&app, &url, "300").await;
    let broken = stuck(&app, &route).await;
    let fine = stuck(&app, &route).await;
    // The broken one's card cannot be read back (say, data from before
    // claims made it durable): finishing it fails.
    let scope = kassa::store::Scope { account_id: app.keys.account_id.clone(), livemode: false };
    let pi = app.store.get_object(&scope, &broken).await.unwrap().unwrap();
    let vault = kassa::domain::payment_method::vault_id(pi.doc().unwrap()["payment_method"].as_str().unwrap());
    let set = kassa::store::ChangeSet {
        scope: scope.clone(),
        changes: vec![kassa::store::Change::Update {
            id: vault.clone(),
            expected_version: 1,
            tags: vec![],
            doc: serde_json::json!({"id": vault, "sealed": "unreadable"}).to_string(),
        }],
        events: vec![],
        idempotency: None,
    };
    app.store.commit(set).await.unwrap();
    lookup_fails.store(false, Ordering::SeqCst);
    app.clock.advance(60);
    let resolved = kassa::worker::pending_payments::resolve_due(&app.state).await.unwrap();
    assert_eq!(resolved, 1, "the healthy one is finished in the same pass");
    let ok = app.get(&format!("/v1/payment_intents/{fine}")).await.body;
    assert_eq!(ok["status"], "succeeded");
    let bad = app.stored(&broken).await;
    assert_eq!(bad["status"], "processing");
    assert_eq!(bad["lookup_asks"], 1, "backed off: {bad}");
    assert!(bad["lookup_after"].as_i64().unwrap() > crate::helpers::START + 60);
    // Not asked again before its back-off ends.
    assert_eq!(kassa::worker::pending_payments::resolve_due(&app.state).await.unwrap(), 0);
    assert_eq!(app.stored(&broken).await["lookup_asks"], 1);
    let metrics = TestApp::send(app.req(reqwest::Method::GET, "/metrics")).await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    assert!(text.contains("kassa_worker_errors_total{worker=\"pending_payments\"} 1"), "{text}");
});

backend_test!(a_same_key_confirm_on_two_nodes_never_contradicts_the_payment, |app| {
    let (url, calls, _, _) = gateway_full(Mode::Approve).await;
    let route = slow_route(&app, &url, "2000").await;
    let (other, _stop) = app.second_node().await;
    for round in 0..12 {
        let id = crate::gateway::session_on(&app, &route).await;
        let key = format!("pay-{round}");
        let (a, b) =
            tokio::join!(confirm_with_key(&app, &app.base, &id, &key), confirm_with_key(&app, &other, &id, &key));
        for r in [&a, &b] {
            assert!(
                r.status == 200 || (r.status == 409 && r.body["error"]["code"] != "checkout_session_not_open"),
                "round {round}: {} {}",
                r.status,
                r.body
            );
        }
        assert!(a.status == 200 || b.status == 200, "round {round}: one answered the payment");
        // A retry after both always gets the payment's own answer.
        let again = confirm_with_key(&app, &other, &id, &key).await;
        assert_eq!((again.status, again.body["status"].as_str()), (200, Some("complete")), "{}", again.body);
    }
    assert_eq!(*calls.lock().unwrap(), 12, "one charge per session");
});

backend_test!(a_same_key_confirm_left_unknown_is_finished_by_the_resolver, |app| {
    let (url, calls, _, lookup_fails) = gateway_full(Mode::HangAfterCharging).await;
    lookup_fails.store(true, Ordering::SeqCst);
    let route = slow_route(&app, &url, "300").await;
    let id = crate::gateway::session_on(&app, &route).await;
    // The request's own answer (still processing) is its recorded answer.
    let first = confirm_with_key(&app, &app.base, &id, "held-1").await;
    assert_eq!((first.status, first.body["status"].as_str()), (200, Some("open")), "{}", first.body);
    // The claim's bookkeeping stays inside kassa: not in the API, not in events.
    let pi =
        app.get(&format!("/v1/checkout/sessions/{id}?expand[]=payment_intent")).await.body["payment_intent"].clone();
    let events = serde_json::to_string(&app.events().await).unwrap();
    for private in kassa::domain::payment_intent::PRIVATE {
        assert_eq!(pi.get(*private), None, "{private}: {pi}");
        assert!(!events.contains(&format!("\"{private}\"")), "{private} in an event");
    }
    lookup_fails.store(false, Ordering::SeqCst);
    app.clock.advance(60);
    assert_eq!(kassa::worker::pending_payments::resolve_due(&app.state).await.unwrap(), 1);
    let s = app.session_doc(&id).await;
    assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("complete"), Some("paid")), "{s}");
    let retry = confirm_with_key(&app, &app.base, &id, "held-1").await;
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(*calls.lock().unwrap(), 1);
});
