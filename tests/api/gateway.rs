//! Processor routes over the `http` protocol, against a fake gateway on
//! loopback that approves, declines, answers 503, or hangs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::TestApp;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Approve,
    Decline,
    Unavailable,
    /// Records an approval, then never answers in time.
    HangAfterCharging,
    /// Never answers in time and never records anything.
    HangUnseen,
    /// Sends the buyer to its own 3-D Secure page.
    Challenge,
}

#[derive(Clone)]
struct Gateway {
    mode: Mode,
    seen: Arc<Mutex<HashMap<String, Value>>>,
    calls: Arc<Mutex<usize>>,
    lookup_fails: Arc<std::sync::atomic::AtomicBool>,
    refunds: Arc<Mutex<usize>>,
}

async fn authorize(State(g): State<Gateway>, Json(body): Json<Value>) -> axum::response::Response {
    use axum::response::IntoResponse;
    *g.calls.lock().unwrap() += 1;
    let key = body["idempotency_key"].as_str().unwrap_or_default().to_owned();
    assert!(body["card"]["number"].as_str().unwrap().len() >= 12);
    let answer = match g.mode {
        Mode::Approve | Mode::HangAfterCharging => json!({"status": "approved", "reference": format!("gw_{key}")}),
        Mode::Decline => {
            json!({"status": "declined", "reference": "gw_d", "decline_code": "do_not_honor", "message": "Do not honor."})
        }
        Mode::Challenge => {
            json!({"status": "requires_action", "reference": "gw_c", "action_url": "https://acs.example/challenge/1"})
        }
        Mode::Unavailable => return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "down").into_response(),
        Mode::HangUnseen => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            return Json(json!({})).into_response();
        }
    };
    g.seen.lock().unwrap().insert(key, answer.clone());
    if g.mode == Mode::HangAfterCharging {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    Json(answer).into_response()
}

async fn lookup(State(g): State<Gateway>, Path(key): Path<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    if g.lookup_fails.load(std::sync::atomic::Ordering::SeqCst) {
        return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "lookup down").into_response();
    }
    match g.seen.lock().unwrap().get(&key) {
        Some(v) => Json(v.clone()).into_response(),
        None => (axum::http::StatusCode::NOT_FOUND, "never seen").into_response(),
    }
}

/// Refunds always time out on the gateway's side (503): counted, never answered.
async fn refund(State(g): State<Gateway>, Json(_): Json<Value>) -> axum::response::Response {
    use axum::response::IntoResponse;
    *g.refunds.lock().unwrap() += 1;
    (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
}

/// Starts a fake gateway; returns its base URL and its call counter.
pub async fn gateway(mode: Mode) -> (String, Arc<Mutex<usize>>) {
    let (url, calls, _, _) = gateway_full(mode).await;
    (url, calls)
}

pub type Seen = Arc<Mutex<HashMap<String, Value>>>;

/// As `gateway`, also handing out what it has seen and its lookup switch.
pub async fn gateway_full(mode: Mode) -> (String, Arc<Mutex<usize>>, Seen, Arc<std::sync::atomic::AtomicBool>) {
    let g = Gateway {
        mode,
        seen: Arc::default(),
        calls: Arc::default(),
        lookup_fails: Arc::default(),
        refunds: Arc::default(),
    };
    let (calls, seen, fails) = (g.calls.clone(), g.seen.clone(), g.lookup_fails.clone());
    let app = Router::new()
        .route("/authorize", post(authorize))
        .route("/payments/{key}", get(lookup))
        .route("/refund", post(refund))
        .with_state(g);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls, seen, fails)
}

/// A URL where nothing listens: connections are refused.
fn refused() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

pub async fn route(app: &TestApp, urls: &[&str]) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (i, u) in urls.iter().enumerate() {
        pairs.push((format!("processors[{i}][type]"), "http".into()));
        pairs.push((format!("processors[{i}][url]"), (*u).to_owned()));
        pairs.push((format!("processors[{i}][timeout_ms]"), "400".into()));
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = app.post("/v1/processor_routes", &refs).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

/// An open session of 700 charged through `route`; returns its id.
pub async fn session_on(app: &TestApp, route: &str) -> String {
    let s = app
        .session(&[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "700"),
            ("line_items[0][price_data][product_data][name]", "x"),
            ("line_items[0][quantity]", "1"),
            ("processor_route", route),
        ])
        .await;
    assert_eq!(s.status, 200, "{}", s.body);
    s.body["id"].as_str().unwrap().to_owned()
}

async fn pay(app: &TestApp, route: &str) -> crate::helpers::Res {
    let id = session_on(app, route).await;
    app.confirm(&id, &[("payment_method", "pm_card_visa"), ("expand[]", "payment_intent")]).await
}

fn outcomes(pi: &Value) -> Vec<String> {
    pi["attempts"].as_array().unwrap().iter().map(|a| a["outcome"].as_str().unwrap().to_owned()).collect()
}

backend_test!(a_503_falls_through_to_the_next_processor, |app| {
    let (down, _) = gateway(Mode::Unavailable).await;
    let (up, calls) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&down, &up]).await).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(outcomes(&r.body["payment_intent"]), ["unavailable", "approved"]);
    assert_eq!(*calls.lock().unwrap(), 1);
});

backend_test!(a_refused_connection_falls_through_to_the_next_processor, |app| {
    let (up, _) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&refused(), &up]).await).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(outcomes(&r.body["payment_intent"]), ["unavailable", "approved"]);
});

backend_test!(a_gateway_decline_stops_the_chain, |app| {
    let (no, _) = gateway(Mode::Decline).await;
    let (up, calls) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&no, &up]).await).await;
    let e = r.error(402, Some("card_declined"), None);
    assert_eq!(e["decline_code"], "do_not_honor");
    assert_eq!(*calls.lock().unwrap(), 0, "never sent to the next processor");
});

backend_test!(an_unknown_outcome_is_resolved_by_lookup_and_never_charged_twice, |app| {
    let (slow, _) = gateway(Mode::HangAfterCharging).await;
    let (up, calls) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&slow, &up]).await).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["payment_status"], "paid");
    assert_eq!(outcomes(&r.body["payment_intent"]), ["approved"], "the lookup found the charge");
    assert_eq!(*calls.lock().unwrap(), 0);
});

backend_test!(an_unseen_timeout_moves_on_after_lookup, |app| {
    let (slow, _) = gateway(Mode::HangUnseen).await;
    let (up, calls) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&slow, &up]).await).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(outcomes(&r.body["payment_intent"]), ["unavailable", "approved"]);
    assert_eq!(*calls.lock().unwrap(), 1);
});

backend_test!(routes_are_validated_and_listed, |app| {
    app.post("/v1/processor_routes", &[("name", "empty")]).await.error(
        400,
        Some("parameter_missing"),
        Some("processors"),
    );
    app.post("/v1/processor_routes", &[("processors[0][type]", "http"), ("processors[0][url]", "/relative")])
        .await
        .error(400, Some("url_invalid"), Some("processors[0][url]"));
    app.post("/v1/processor_routes", &[("processors[0][type]", "http")]).await.error(
        400,
        Some("parameter_missing"),
        Some("processors[0][url]"),
    );
    app.post("/v1/processor_routes", &[("processors[0][type]", "carrier_pigeon")]).await.error(
        400,
        Some("parameter_invalid_enum"),
        Some("processors[0][type]"),
    );
    app.post("/v1/processor_routes", &[("processors[0][type]", "test"), ("processors[0][timeout_ms]", "1")])
        .await
        .error(400, Some("parameter_invalid"), Some("processors[0][timeout_ms]"));
    let id = route(&app, &["https://gw.example/v1"]).await;
    assert!(id.starts_with("prt_"));
    let got = app.get(&format!("/v1/processor_routes/{id}")).await.body;
    assert_eq!(got["processors"][0]["url"], "https://gw.example/v1");
    assert_eq!(app.get("/v1/processor_routes/test").await.body["processors"][0]["type"], "test");
    assert_eq!(app.get("/v1/processor_routes").await.body["data"].as_array().unwrap().len(), 1);
    let other = app.other_account().await;
    app.get_as(&other.secret_key, &format!("/v1/processor_routes/{id}")).await.error(
        404,
        Some("resource_missing"),
        Some("id"),
    );
});

backend_test!(a_payment_whose_answer_stays_unknown_is_held_then_finished_by_the_resolver, |app| {
    let (slow, _, seen, lookup_fails) = gateway_full(Mode::HangUnseen).await;
    lookup_fails.store(true, std::sync::atomic::Ordering::SeqCst);
    let (up, calls) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&slow, &up]).await).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "open");
    let pi = &r.body["payment_intent"];
    assert_eq!(pi["status"], "processing");
    assert_eq!(outcomes(pi), ["unknown"]);
    assert_eq!(*calls.lock().unwrap(), 0, "never sent elsewhere while it may have been charged");
    let id = r.body["id"].as_str().unwrap().to_owned();
    app.confirm(&id, &[("payment_method", "pm_card_visa")]).await.error(
        409,
        Some("checkout_session_confirm_in_progress"),
        None,
    );
    app.clock.advance(10);
    assert_eq!(kassa::worker::pending_payments::resolve_due(&app.state).await.unwrap(), 0, "still unknown");
    // The gateway learns it did charge; the next lookup says so.
    let key = pi["attempts"][0]["idempotency_key"].as_str().unwrap().to_owned();
    seen.lock().unwrap().insert(key, json!({"status": "approved", "reference": "gw_late"}));
    lookup_fails.store(false, std::sync::atomic::Ordering::SeqCst);
    app.clock.advance(60); // past the back-off
    assert_eq!(kassa::worker::pending_payments::resolve_due(&app.state).await.unwrap(), 1);
    let s = app.session_doc(&id).await;
    assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("complete"), Some("paid")));
    assert_eq!(s["payment_intent"]["status"], "succeeded");
    assert_eq!(*calls.lock().unwrap(), 0);
});

backend_test!(a_gateway_challenge_holds_the_session_until_the_gateway_answers, |app| {
    let (gw, _, seen, _) = gateway_full(Mode::Challenge).await;
    let (up, calls) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&gw, &up]).await).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pi = &r.body["payment_intent"];
    assert_eq!(pi["status"], "requires_action");
    let na = &pi["next_action"];
    assert_eq!(na["type"], "three_d_secure");
    assert_eq!(na["three_d_secure"]["challenge_url"], "https://acs.example/challenge/1");
    assert_eq!(na["redirect_to_url"]["url"], "https://acs.example/challenge/1");
    let id = r.body["id"].as_str().unwrap().to_owned();
    app.confirm(&id, &[("payment_method", "pm_card_visa")]).await.error(
        409,
        Some("checkout_session_confirm_in_progress"),
        None,
    );
    app.clock.advance(10);
    assert_eq!(
        kassa::worker::pending_payments::resolve_due(&app.state).await.unwrap(),
        0,
        "the buyer is still at the gateway"
    );
    let key = pi["attempts"][0]["idempotency_key"].as_str().unwrap().to_owned();
    seen.lock().unwrap().insert(key, json!({"status": "approved", "reference": "gw_c"}));
    app.clock.advance(60); // past the back-off
    assert_eq!(kassa::worker::pending_payments::resolve_due(&app.state).await.unwrap(), 1);
    let s = app.session_doc(&id).await;
    assert_eq!((s["status"].as_str(), s["payment_intent"]["status"].as_str()), (Some("complete"), Some("succeeded")));
    assert_eq!(*calls.lock().unwrap(), 0);
});

backend_test!(a_refund_with_an_unknown_outcome_stays_pending_and_is_never_sent_twice, |app| {
    let (up, _) = gateway(Mode::Approve).await;
    let r = pay(&app, &route(&app, &[&up]).await).await;
    let pi = r.body["payment_intent"]["id"].as_str().unwrap().to_owned();
    let re = app.post("/v1/refunds", &[("payment_intent", &pi)]).await;
    assert_eq!(re.status, 200, "{}", re.body);
    assert_eq!(re.body["status"], "pending");
    app.post("/v1/refunds", &[("payment_intent", &pi), ("amount", "1")]).await.error(
        400,
        Some("amount_too_large"),
        Some("amount"),
    );
    assert_eq!(app.get(&format!("/v1/payment_intents/{pi}")).await.body["amount_refunded"], 700, "still reserved");
});

backend_test!(processor_names_are_unique_and_test_is_reserved, |app| {
    app.post(
        "/v1/processor_routes",
        &[
            ("processors[0][type]", "http"),
            ("processors[0][url]", "https://a.example"),
            ("processors[0][name]", "gw"),
            ("processors[1][type]", "http"),
            ("processors[1][url]", "https://b.example"),
            ("processors[1][name]", "gw"),
        ],
    )
    .await
    .error(400, Some("parameter_invalid"), Some("processors[1][name]"));
    app.post(
        "/v1/processor_routes",
        &[
            ("processors[0][type]", "http"),
            ("processors[0][url]", "https://a.example"),
            ("processors[0][name]", "test"),
        ],
    )
    .await
    .error(400, Some("parameter_invalid"), Some("processors[0][name]"));
});

backend_test!(processor_outages_do_not_count_toward_the_failed_payment_limit, |app| {
    let (down, _) = gateway(Mode::Unavailable).await;
    let route = route(&app, &[&down]).await;
    let id = session_on(&app, &route).await;
    for _ in 0..11 {
        let r = app.confirm(&id, &[("payment_method", "pm_card_visa")]).await;
        assert_ne!(r.status, 429, "an outage is not the buyer's failed payment: {}", r.body);
        assert!(r.status >= 500 || r.status == 402, "{}", r.body);
    }
});
