//! `payment_intent_data[capture_method]=manual`: the session completes on
//! an authorization, and capture, cancel or the seven-day lapse ends it.

use std::sync::{Arc, Mutex};

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::backend_test;
use crate::helpers::TestApp;

const WEEK: i64 = 7 * 86_400;

impl TestApp {
    /// A manual-capture session of 1000 paid with `pm_card_visa` (or on
    /// `route`); returns the confirm's answer with the intent expanded.
    pub async fn authorized(&self, route: Option<&str>) -> Value {
        let mut pairs = vec![
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "1000"),
            ("line_items[0][price_data][product_data][name]", "Held"),
            ("line_items[0][quantity]", "1"),
            ("payment_intent_data[capture_method]", "manual"),
        ];
        if let Some(r) = route {
            pairs.push(("processor_route", r));
        }
        let s = self.session(&pairs).await;
        assert_eq!(s.status, 200, "{}", s.body);
        let r = self
            .confirm(
                s.body["id"].as_str().unwrap(),
                &[("payment_method", "pm_card_visa"), ("expand[]", "payment_intent")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    async fn intent(&self, id: &str) -> Value {
        self.get(&format!("/v1/payment_intents/{id}")).await.body
    }
}

fn types(events: &[Value]) -> Vec<String> {
    let mut t: Vec<String> = events.iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect();
    t.reverse();
    t
}

backend_test!(a_manual_capture_session_completes_unpaid_and_captures_in_part, |app| {
    let s = app.authorized(None).await;
    assert_eq!((s["status"].as_str(), s["payment_status"].as_str()), (Some("complete"), Some("unpaid")));
    let pi = &s["payment_intent"];
    assert_eq!(pi["status"], "requires_capture", "{pi}");
    assert_eq!((pi["amount_capturable"].as_i64(), pi["amount_received"].as_i64()), (Some(1000), Some(0)));
    assert_eq!(pi["capture_method"], "manual");
    let pi_id = pi["id"].as_str().unwrap().to_owned();
    let ch = app.get(&format!("/v1/charges/{}", pi["latest_charge"].as_str().unwrap())).await.body;
    assert_eq!(
        (ch["captured"].as_bool(), ch["paid"].as_bool(), ch["status"].as_str()),
        (Some(false), Some(true), Some("succeeded"))
    );
    assert_eq!(ch["payment_method_details"]["card"]["capture_before"], crate::helpers::START + WEEK);

    let r = app.post(&format!("/v1/payment_intents/{pi_id}/capture"), &[("amount_to_capture", "600")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["status"].as_str(), r.body["amount_received"].as_i64()), (Some("succeeded"), Some(600)));
    assert_eq!(r.body["amount_capturable"], 0);
    let ch = app.get(&format!("/v1/charges/{}", r.body["latest_charge"].as_str().unwrap())).await.body;
    assert_eq!(
        (ch["captured"].as_bool(), ch["amount_captured"].as_i64(), ch["amount"].as_i64()),
        (Some(true), Some(600), Some(1000))
    );
    let t = types(&app.events().await);
    let at = |k: &str| t.iter().position(|x| x == k).unwrap_or_else(|| panic!("no {k} in {t:?}"));
    assert!(at("charge.succeeded") < at("payment_intent.amount_capturable_updated"));
    assert!(at("checkout.session.completed") < at("charge.captured"));
    assert!(at("charge.captured") < at("payment_intent.succeeded"));

    // Finished: neither captured again nor canceled.
    let again = app.post(&format!("/v1/payment_intents/{pi_id}/capture"), &[]).await;
    again.error(400, Some("payment_intent_unexpected_state"), None);
    let cancel = app.post(&format!("/v1/payment_intents/{pi_id}/cancel"), &[]).await;
    cancel.error(400, Some("payment_intent_unexpected_state"), None);
});

backend_test!(capturing_more_than_is_capturable_is_refused_and_changes_nothing, |app| {
    let s = app.authorized(None).await;
    let pi_id = s["payment_intent"]["id"].as_str().unwrap();
    let path = format!("/v1/payment_intents/{pi_id}/capture");
    app.post(&path, &[("amount_to_capture", "1001")]).await.error(
        400,
        Some("amount_too_large"),
        Some("amount_to_capture"),
    );
    app.post(&path, &[("amount_to_capture", "0")]).await.error(
        400,
        Some("parameter_invalid"),
        Some("amount_to_capture"),
    );
    app.post(&path, &[("application_fee_amount", "5")]).await.error(
        400,
        Some("parameter_unknown"),
        Some("application_fee_amount"),
    );
    let pi = app.intent(pi_id).await;
    assert_eq!((pi["status"].as_str(), pi["amount_capturable"].as_i64()), (Some("requires_capture"), Some(1000)));
    // In full, by default, with metadata.
    let r = app.post(&path, &[("metadata[order]", "42")]).await;
    assert_eq!((r.status, r.body["amount_received"].as_i64()), (200, Some(1000)), "{}", r.body);
    assert_eq!(r.body["metadata"]["order"], "42");
    // A paid (automatic) intent is not capturable.
    let paid = app.open_session().await;
    let r = app.confirm(&paid, &[("payment_method", "pm_card_visa")]).await;
    let pi = r.body["payment_intent"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/payment_intents/{pi}/capture"), &[]).await.error(
        400,
        Some("payment_intent_unexpected_state"),
        None,
    );
});

backend_test!(cancel_voids_an_authorization_and_refunds_its_charge, |app| {
    let s = app.authorized(None).await;
    let pi_id = s["payment_intent"]["id"].as_str().unwrap();
    let path = format!("/v1/payment_intents/{pi_id}/cancel");
    app.post(&path, &[("cancellation_reason", "bored")]).await.error(
        400,
        Some("parameter_invalid_enum"),
        Some("cancellation_reason"),
    );
    let r = app.post(&path, &[("cancellation_reason", "fraudulent")]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.body["status"].as_str(), r.body["cancellation_reason"].as_str()),
        (Some("canceled"), Some("fraudulent"))
    );
    assert_eq!(r.body["canceled_at"], crate::helpers::START);
    let ch = app.get(&format!("/v1/charges/{}", r.body["latest_charge"].as_str().unwrap())).await.body;
    assert_eq!(
        (ch["refunded"].as_bool(), ch["amount_refunded"].as_i64(), ch["captured"].as_bool()),
        (Some(true), Some(1000), Some(false))
    );
    let t = types(&app.events().await);
    assert!(t.ends_with(&["charge.refunded".to_owned(), "payment_intent.canceled".to_owned()]), "{t:?}");
    let capture = app.post(&format!("/v1/payment_intents/{pi_id}/capture"), &[]).await;
    capture.error(400, Some("payment_intent_unexpected_state"), None);
    app.post(&path, &[]).await.error(400, Some("payment_intent_unexpected_state"), None);
});

backend_test!(an_uncaptured_authorization_lapses_after_seven_days, |app| {
    let s = app.authorized(None).await;
    let pi_id = s["payment_intent"]["id"].as_str().unwrap();
    app.clock.advance(WEEK - 1);
    assert_eq!(kassa::worker::capture_lapse::sweep(&app.state).await.unwrap(), 0);
    app.clock.advance(1);
    assert_eq!(kassa::worker::capture_lapse::sweep(&app.state).await.unwrap(), 1);
    assert_eq!(kassa::worker::capture_lapse::sweep(&app.state).await.unwrap(), 0, "once");
    let pi = app.intent(pi_id).await;
    assert_eq!((pi["status"].as_str(), pi["cancellation_reason"].as_str()), (Some("canceled"), Some("automatic")));
    assert_eq!(types(&app.events().await).last().map(String::as_str), Some("payment_intent.canceled"));
});

type Seen = Arc<Mutex<Vec<Value>>>;

/// A gateway that authorizes, and records what it was asked to capture and
/// void; it answers captures as `capture_answer` says (`succeeded`,
/// `failed`, or `503` for an unknown outcome).
async fn recording_gateway() -> (String, Seen, Arc<Mutex<&'static str>>) {
    let seen: Seen = Arc::default();
    let answer: Arc<Mutex<&'static str>> = Arc::new(Mutex::new("succeeded"));
    let log = |path: &'static str, seen: Seen, answer: Arc<Mutex<&'static str>>| {
        post(move |Json(mut body): Json<Value>| async move {
            use axum::response::IntoResponse;
            body["path"] = json!(path);
            body.as_object_mut().unwrap().remove("card");
            seen.lock().unwrap().push(body);
            let status = match path {
                "authorize" => "approved",
                "capture" => *answer.lock().unwrap(),
                _ => "succeeded",
            };
            if status == "503" {
                return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
            }
            Json(json!({"status": status, "reference": "gw_1"})).into_response()
        })
    };
    let app = Router::new()
        .route("/authorize", log("authorize", seen.clone(), answer.clone()))
        .route("/capture", log("capture", seen.clone(), answer.clone()))
        .route("/void", log("void", seen.clone(), answer.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen, answer)
}

async fn http_route(app: &TestApp, url: &str) -> String {
    let r = app.post("/v1/processor_routes", &[("processors[0][type]", "http"), ("processors[0][url]", url)]).await;
    r.body["id"].as_str().unwrap().to_owned()
}

fn paths(seen: &Seen) -> Vec<String> {
    seen.lock().unwrap().iter().map(|s| s["path"].as_str().unwrap().to_owned()).collect()
}

backend_test!(an_unanswered_or_refused_capture_changes_nothing_and_a_retry_asks_the_same, |app| {
    let (url, seen, answer) = recording_gateway().await;
    let route = http_route(&app, &url).await;
    let pi_id = app.authorized(Some(&route)).await["payment_intent"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/payment_intents/{pi_id}/capture");
    let before = app.events().await.len();
    *answer.lock().unwrap() = "503";
    app.post(&path, &[("amount_to_capture", "400")]).await.error(502, Some("processor_unavailable"), None);
    let pi = app.intent(&pi_id).await;
    assert_eq!((pi["status"].as_str(), pi["amount_received"].as_i64()), (Some("requires_capture"), Some(0)));
    assert_eq!(app.events().await.len(), before, "nothing recorded");
    // Maybe captured: nothing may ask a different question meanwhile.
    let other = app.post(&path, &[("amount_to_capture", "500")]).await;
    assert!(other.error(400, Some("payment_intent_unexpected_state"), None)["message"]
        .as_str()
        .unwrap()
        .contains("400"));
    let cancel = app.post(&format!("/v1/payment_intents/{pi_id}/cancel"), &[]).await;
    cancel.error(400, Some("payment_intent_unexpected_state"), None);
    *answer.lock().unwrap() = "succeeded";
    let r = app.post(&path, &[("amount_to_capture", "400")]).await;
    assert_eq!((r.status, r.body["amount_received"].as_i64()), (200, Some(400)), "{}", r.body);
    let captures: Vec<Value> = seen.lock().unwrap().iter().filter(|s| s["path"] == "capture").cloned().collect();
    assert_eq!(captures.len(), 2);
    assert!(captures.iter().all(|c| c["amount"] == 400 && c["idempotency_key"] == format!("{pi_id}-capture")));

    // A definite refusal: the authorization stays, and may be captured again.
    let pi_id = app.authorized(Some(&route)).await["payment_intent"]["id"].as_str().unwrap().to_owned();
    *answer.lock().unwrap() = "failed";
    let r = app.post(&format!("/v1/payment_intents/{pi_id}/capture"), &[("amount_to_capture", "300")]).await;
    r.error(402, Some("processing_error"), None);
    let pi = app.intent(&pi_id).await;
    assert_eq!(pi["status"], "requires_capture");
    assert_eq!(pi.get("pending_capture"), None, "{pi}");
    let cancel = app.post(&format!("/v1/payment_intents/{pi_id}/cancel"), &[]).await;
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert_eq!(cancel.body["cancellation_reason"], Value::Null);
});

backend_test!(a_lapse_voids_at_the_gateway_and_finishes_a_capture_under_way, |app| {
    let (url, seen, answer) = recording_gateway().await;
    let route = http_route(&app, &url).await;
    let lapsing = app.authorized(Some(&route)).await["payment_intent"]["id"].as_str().unwrap().to_owned();
    let held = app.authorized(Some(&route)).await["payment_intent"]["id"].as_str().unwrap().to_owned();
    *answer.lock().unwrap() = "503";
    app.post(&format!("/v1/payment_intents/{held}/capture"), &[("amount_to_capture", "700")]).await;
    *answer.lock().unwrap() = "succeeded";
    app.clock.advance(WEEK);
    let late = app.post(&format!("/v1/payment_intents/{lapsing}/capture"), &[]).await;
    late.error(400, Some("charge_expired_for_capture"), None);
    assert_eq!(kassa::worker::capture_lapse::sweep(&app.state).await.unwrap(), 2);
    let pi = app.intent(&lapsing).await;
    assert_eq!((pi["status"].as_str(), pi["cancellation_reason"].as_str()), (Some("canceled"), Some("automatic")));
    let pi = app.intent(&held).await;
    assert_eq!((pi["status"].as_str(), pi["amount_received"].as_i64()), (Some("succeeded"), Some(700)));
    let p = paths(&seen);
    assert_eq!(p.iter().filter(|x| *x == "void").count(), 1, "{p:?}");
    assert_eq!(p.iter().filter(|x| *x == "capture").count(), 2, "{p:?}");
    let t = types(&app.events().await);
    assert!(t.contains(&"charge.expired".to_owned()), "{t:?}");
    assert!(!t.contains(&"charge.refunded".to_owned()), "{t:?}");
});

backend_test!(an_http_processor_authorizes_without_capture_then_captures_and_voids, |app| {
    let (url, seen, _) = recording_gateway().await;
    let route = http_route(&app, &url).await;
    let one = app.authorized(Some(&route)).await;
    let two = app.authorized(Some(&route)).await;
    let (a, b) = (one["payment_intent"]["id"].as_str().unwrap(), two["payment_intent"]["id"].as_str().unwrap());
    assert_eq!(
        app.post(&format!("/v1/payment_intents/{a}/capture"), &[("amount_to_capture", "250")]).await.status,
        200
    );
    assert_eq!(app.post(&format!("/v1/payment_intents/{b}/cancel"), &[]).await.status, 200);
    let seen = seen.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(|s| s["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["authorize", "authorize", "capture", "void"]);
    assert_eq!((seen[0]["capture"].as_bool(), seen[1]["capture"].as_bool()), (Some(false), Some(false)));
    assert_eq!((seen[2]["amount"].as_i64(), seen[2]["reference"].as_str()), (Some(250), Some("gw_1")));
    assert_eq!(seen[2]["idempotency_key"], format!("{a}-capture"));
    assert_eq!(seen[3]["idempotency_key"], format!("{b}-void"));
});
