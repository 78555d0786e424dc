//! Durability under a crash: a server killed with SIGKILL while it is under
//! load has lost no write it acknowledged (the group commit answers only
//! after the shared COMMIT is durable). The confirm storm, with a gateway
//! that counts charges, is in `crash_confirm.rs`.

use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::backend_test;
use crate::cli::kassa;

pub(crate) fn serve(db_url: &str, port: u16) -> Child {
    kassa(db_url)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub(crate) async fn ready(base: &str) {
    for _ in 0..400 {
        if reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("kassa serve did not become ready");
}

/// A gateway for crash tests that counts what it charged: a payment a
/// crash made kassa send twice shows up here, whatever kassa recorded.
/// What the gateway holds for one idempotency key.
pub(crate) struct Charge {
    approved: bool,
    /// Authorize requests that carried this key.
    calls: usize,
}

/// Every charge the gateway took, by kassa's idempotency key
/// (`{payment_intent}-{try}-{position in the route}`).
pub(crate) type Ledger = Arc<Mutex<HashMap<String, Charge>>>;

/// FNV-1a: a stable pseudo-random choice per key, so a key's answer and
/// delay never change between its authorize and its lookups.
fn mix(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn answer(key: &str, approved: bool) -> Value {
    if approved {
        json!({"status": "approved", "reference": format!("gw_{key}")})
    } else {
        json!({"status": "declined", "reference": format!("gw_{key}"), "decline_code": "do_not_honor", "message": "No."})
    }
}

/// Dedupes by idempotency key as a real gateway does (one key is one
/// charge with one answer), so two charges of one PaymentIntent show up as
/// two keys. Declines about one key in six (the declined path settles too),
/// and answers 10–160 ms after recording the charge: a SIGKILL then lands
/// while charges are taken but not yet recorded by kassa.
async fn authorize(State(ledger): State<Ledger>, Json(body): Json<Value>) -> Response {
    let key = body["idempotency_key"].as_str().unwrap_or_default().to_owned();
    let approved = {
        let mut l = ledger.lock().unwrap();
        let c = l.entry(key.clone()).or_insert(Charge { approved: mix(&key) % 6 != 0, calls: 0 });
        c.calls += 1;
        c.approved
    };
    tokio::time::sleep(Duration::from_millis(10 + (mix(&key) >> 8) % 150)).await;
    Json(answer(&key, approved)).into_response()
}

async fn lookup(State(ledger): State<Ledger>, Path(key): Path<String>) -> Response {
    let known = ledger.lock().unwrap().get(&key).map(|c| c.approved);
    match known {
        Some(approved) => Json(answer(&key, approved)).into_response(),
        None => (StatusCode::NOT_FOUND, "never seen").into_response(),
    }
}

pub(crate) async fn ledger_gateway() -> (String, Ledger) {
    let ledger = Ledger::default();
    let app = Router::new()
        .route("/authorize", post(authorize))
        .route("/payments/{key}", get(lookup))
        .with_state(ledger.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, ledger)
}

/// Approved keys by PaymentIntent, and authorize calls in all.
pub(crate) fn approvals(ledger: &Ledger) -> (HashMap<String, Vec<String>>, usize) {
    let l = ledger.lock().unwrap();
    let mut by_pi: HashMap<String, Vec<String>> = HashMap::new();
    for (key, _) in l.iter().filter(|(_, c)| c.approved) {
        let pi = key.split('-').next().unwrap().to_owned();
        by_pi.entry(pi).or_default().push(key.clone());
    }
    (by_pi, l.values().map(|c| c.calls).sum())
}

backend_test!(a_server_killed_under_load_loses_no_acknowledged_session, |app| {
    let db = crate::helpers::test_db(app.backend).await.unwrap();
    let out = kassa(&db.url).args(["account", "create", "--name", "crash", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let sk =
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["secret_key"].as_str().unwrap().to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(&db.url, port);
    ready(&base).await;

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for w in 0..32 {
        let (acked, stop, base, sk) = (acked.clone(), stop.clone(), base.clone(), sk.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let r = http
                    .post(format!("{base}/v1/checkout/sessions"))
                    .bearer_auth(&sk)
                    .header("idempotency-key", format!("crash-{w}-{i}"))
                    .form(&[
                        ("mode", "payment"),
                        ("success_url", "https://shop.example/ok"),
                        ("line_items[0][price_data][currency]", "usd"),
                        ("line_items[0][price_data][unit_amount]", "500"),
                        ("line_items[0][price_data][product_data][name]", "T"),
                        ("line_items[0][quantity]", "1"),
                    ])
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                let Ok(r) = r else { break };
                if r.status() == 200 {
                    if let Ok(v) = r.json::<serde_json::Value>().await {
                        acked.lock().unwrap().push(v["id"].as_str().unwrap().to_owned());
                    }
                }
            }
        }));
    }
    // Killed after a count of acknowledged writes, not after a time: a
    // loaded machine takes longer to reach it (the deadline only bounds a
    // server that never answers).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while acked.lock().unwrap().len() < 20 {
        assert!(std::time::Instant::now() < deadline, "the load never reached 20 acknowledged sessions");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 20, "the load reached the server ({} acknowledged)", acked.len());

    let mut again = serve(&db.url, port);
    ready(&base).await;
    let http = reqwest::Client::new();
    let mut lost = Vec::new();
    for id in &acked {
        let r = http.get(format!("{base}/v1/checkout/sessions/{id}")).bearer_auth(&sk).send().await.unwrap();
        if r.status() != 200 {
            lost.push(id.clone());
        }
    }
    again.kill().unwrap();
    again.wait().unwrap();
    assert!(lost.is_empty(), "{} of {} acknowledged sessions were lost: {lost:?}", lost.len(), acked.len());
});
