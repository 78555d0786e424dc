//! The scenarios: what one iteration of a worker sends, and what it needs
//! set up first. Bodies are form-encoded the way stripe-python sends them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::http::Conn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    Health,
    CreateSession,
    Retrieve,
    List,
    Pay,
    Webhooks,
    CreateCustomer,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Health => "health",
            Scenario::CreateSession => "create-session",
            Scenario::Retrieve => "retrieve",
            Scenario::List => "list",
            Scenario::Pay => "pay",
            Scenario::Webhooks => "webhooks",
            Scenario::CreateCustomer => "create-customer",
        }
    }
}

/// What the workers share: ids to read, a price to sell, and, for the
/// webhook scenario, when each payment was answered and delivered.
#[derive(Default)]
pub struct Shared {
    pub price: String,
    pub sessions: Vec<String>,
    pub run: String,
    pub counter: AtomicU64,
    pub paid_at: Mutex<HashMap<String, Instant>>,
    pub delivered_at: Mutex<HashMap<String, Instant>>,
}

pub fn session_form(price: &str) -> String {
    format!(
        "mode=payment&success_url=https%3A%2F%2Fshop.example%2Fdone%3Fs%3D%7BCHECKOUT_SESSION_ID%7D\
         &line_items[0][price]={price}&line_items[0][quantity]=2\
         &line_items[1][price_data][currency]=usd&line_items[1][price_data][unit_amount]=1250\
         &line_items[1][price_data][product_data][name]=Gift%20wrap&line_items[1][quantity]=1\
         &metadata[order_id]=bench&client_reference_id=bench-order"
    )
}

fn id_of(body: &[u8]) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    v["id"].as_str().map(str::to_owned).ok_or_else(|| "no id in the answer".to_owned())
}

fn ok(status: u16, body: &[u8]) -> Result<(), String> {
    if status == 200 {
        Ok(())
    } else {
        Err(format!("HTTP {status}: {}", String::from_utf8_lossy(&body[..body.len().min(200)])))
    }
}

async fn create(conn: &mut Conn, shared: &Shared) -> Result<String, String> {
    let n = shared.counter.fetch_add(1, Ordering::Relaxed);
    let key = format!("bench-{}-{n}", shared.run);
    let r = conn
        .send("POST", "/v1/checkout/sessions", Some(session_form(&shared.price)), Some(&key))
        .await
        .map_err(|e| e.to_string())?;
    ok(r.status, &r.body)?;
    id_of(&r.body)
}

async fn pay(conn: &mut Conn, shared: &Shared) -> Result<String, String> {
    let id = create(conn, shared).await?;
    let path = format!("/v1/checkout/sessions/{id}/confirm");
    let r =
        conn.send("POST", &path, Some("payment_method=pm_card_visa".into()), None).await.map_err(|e| e.to_string())?;
    ok(r.status, &r.body)?;
    Ok(id)
}

/// One iteration of `s`; its latency is the iteration's.
pub async fn iteration(s: Scenario, conn: &mut Conn, shared: &Shared) -> Result<(), String> {
    match s {
        Scenario::Health => {
            let r = conn.send("GET", "/healthz", None, None).await.map_err(|e| e.to_string())?;
            ok(r.status, &r.body)
        }
        Scenario::CreateSession => create(conn, shared).await.map(|_| ()),
        Scenario::Retrieve => {
            let n = shared.counter.fetch_add(1, Ordering::Relaxed) as usize;
            let id = shared.sessions.get(n % shared.sessions.len().max(1)).ok_or("no sessions to read")?;
            let r = conn
                .send("GET", &format!("/v1/checkout/sessions/{id}"), None, None)
                .await
                .map_err(|e| e.to_string())?;
            ok(r.status, &r.body)
        }
        Scenario::List => {
            let r = conn.send("GET", "/v1/checkout/sessions?limit=10", None, None).await.map_err(|e| e.to_string())?;
            ok(r.status, &r.body)
        }
        Scenario::Pay => pay(conn, shared).await.map(|_| ()),
        Scenario::Webhooks => {
            let id = pay(conn, shared).await?;
            if let Ok(mut m) = shared.paid_at.lock() {
                m.insert(id, Instant::now());
            }
            Ok(())
        }
        Scenario::CreateCustomer => {
            let n = shared.counter.fetch_add(1, Ordering::Relaxed);
            let form = format!("email=bench{n}%40example.com&name=Bench%20Buyer&metadata[n]={n}");
            let key = format!("bench-cus-{}-{n}", shared.run);
            let r = conn.send("POST", "/v1/customers", Some(form), Some(&key)).await.map_err(|e| e.to_string())?;
            ok(r.status, &r.body)
        }
    }
}

/// A price for the sessions to sell (created once, before the load).
pub async fn make_price(conn: &mut Conn) -> anyhow::Result<String> {
    let form = "currency=usd&unit_amount=2000&product_data[name]=Bench%20mug".to_owned();
    let r = conn.send("POST", "/v1/prices", Some(form), None).await?;
    anyhow::ensure!(r.status == 200, "creating a price: HTTP {}", r.status);
    id_of(&r.body).map_err(anyhow::Error::msg)
}
