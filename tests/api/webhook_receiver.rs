//! A real local webhook receiver for the tests: records every request and
//! answers as told (a status, a hang, or a huge body).

use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Status codes with special meanings.
pub const HANG: u16 = 1;
pub const HUGE: u16 = 2;

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> String {
        self.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub answer: Arc<AtomicU16>,
    pub got: Arc<Mutex<Vec<Received>>>,
    /// Requests being answered right now, and the most ever at once per event.
    pub in_flight: Arc<Mutex<std::collections::HashMap<String, usize>>>,
    pub overlaps: Arc<AtomicUsize>,
    pub url: String,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> axum::response::Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let id = headers.get("webhook-id").map(|v| v.to_str().unwrap_or_default().to_owned()).unwrap_or_default();
    {
        let mut f = r.in_flight.lock().unwrap();
        let n = f.entry(id.clone()).or_default();
        *n += 1;
        if *n > 1 {
            r.overlaps.fetch_add(1, Ordering::SeqCst);
        }
    }
    r.got.lock().unwrap().push(Received { headers, body });
    let answer = r.answer.load(Ordering::SeqCst);
    let res = match answer {
        HANG => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        HUGE => (StatusCode::OK, "x".repeat(1 << 20)).into_response(),
        code => {
            // A little work, so two concurrent deliveries of one event would overlap.
            tokio::time::sleep(Duration::from_millis(20)).await;
            StatusCode::from_u16(code).unwrap().into_response()
        }
    };
    *r.in_flight.lock().unwrap().get_mut(&id).unwrap() -= 1;
    res
}

impl Receiver {
    pub async fn start(answer: u16) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut r = Receiver { answer: Arc::new(AtomicU16::new(answer)), ..Default::default() };
        r.url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = Router::new().route("/hook", post(hook)).with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        r
    }

    pub fn answer(&self, code: u16) {
        self.answer.store(code, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (in real time, at most 15 s) until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} deliveries, got {}", self.received().len());
    }
}

fn mac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
    m.update(msg.as_bytes());
    m.finalize().into_bytes().to_vec()
}

/// Whether any `v1=` of a `Stripe-Signature` header is valid for `secret`.
pub fn stripe_valid(header: &str, body: &str, secret: &str) -> bool {
    let t = header.split(',').find_map(|p| p.strip_prefix("t=")).unwrap();
    let want = hex::encode(mac(secret.as_bytes(), &format!("{t}.{body}")));
    header.split(',').filter_map(|p| p.strip_prefix("v1=")).any(|v| v == want)
}

/// Whether any `v1,` of a Standard Webhooks signature is valid for `secret`.
pub fn standard_valid(r: &Received, secret: &str) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let msg = format!("{}.{}.{}", r.header("webhook-id"), r.header("webhook-timestamp"), r.body);
    let want = b64.encode(mac(&key, &msg));
    r.header("webhook-signature").split(' ').filter_map(|p| p.strip_prefix("v1,")).any(|v| v == want)
}
