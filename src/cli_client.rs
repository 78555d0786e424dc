//! The API-client subcommands: `kassa events tail` and `kassa listen`.
//! They speak to a running kassa over HTTP with a secret key, like the
//! Stripe CLI does, so they work against any node.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::Value;

#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// A secret key of the account to watch.
    #[arg(long, env = "KASSA_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// The kassa server.
    #[arg(long, env = "KASSA_API_BASE", default_value = "http://127.0.0.1:4242")]
    pub api_base: String,
    /// How often to poll, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
}

struct Client {
    http: reqwest::Client,
    args: ClientArgs,
}

impl Client {
    fn new(args: ClientArgs) -> Self {
        Self { http: reqwest::Client::new(), args }
    }

    async fn call(&self, method: reqwest::Method, path: &str, form: &[(String, String)]) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.args.api_base.trim_end_matches('/'));
        let res = self
            .http
            .request(method, &url)
            .basic_auth(&self.args.api_key, Some(""))
            .form(form)
            .send()
            .await
            .with_context(|| format!("calling {}", self.args.api_base))?;
        let status = res.status();
        let body: Value = res.json().await.context("reading the answer")?;
        if !status.is_success() {
            bail!("{status}: {}", body["error"]["message"].as_str().unwrap_or("error"));
        }
        Ok(body)
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, &[]).await
    }
}

fn describe(e: &Value) -> String {
    let obj = &e["data"]["object"];
    format!(
        "{}  {:<40} {} [{}]",
        e["created"].as_i64().unwrap_or(0),
        e["type"].as_str().unwrap_or_default(),
        obj["id"].as_str().unwrap_or_default(),
        e["id"].as_str().unwrap_or_default()
    )
}

/// Prints events as they happen (`--json`: one event object per line).
pub async fn tail(args: ClientArgs, json: bool, stop: impl std::future::Future<Output = ()>) -> anyhow::Result<()> {
    let poll = Duration::from_millis(args.poll_ms);
    let c = Client::new(args);
    // Start from now: the newest event is the cursor.
    let mut newest = c.get("/v1/events?limit=1").await?["data"][0]["id"].as_str().map(str::to_owned);
    eprintln!("Tailing events. Ctrl-C to stop.");
    tokio::pin!(stop);
    loop {
        let path = match &newest {
            Some(id) => format!("/v1/events?limit=100&ending_before={id}"),
            None => "/v1/events?limit=100".to_owned(),
        };
        let page = c.get(&path).await?;
        let mut data = page["data"].as_array().cloned().unwrap_or_default();
        data.reverse();
        for e in &data {
            if json {
                println!("{}", serde_json::to_string(e)?);
            } else {
                println!("{}", describe(e));
            }
            newest = e["id"].as_str().map(str::to_owned);
        }
        if page["has_more"] == true {
            continue;
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// Registers a temporary endpoint that delivers to `forward_to`, prints its
/// secret and each delivery's outcome, and removes it on Ctrl-C.
pub async fn listen(
    args: ClientArgs,
    forward_to: String,
    events: Vec<String>,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let poll = Duration::from_millis(args.poll_ms);
    let c = Client::new(args);
    let mut form = vec![
        ("url".to_owned(), forward_to.clone()),
        ("description".to_owned(), "kassa listen".to_owned()),
        ("metadata[kassa_listen]".to_owned(), "true".to_owned()),
    ];
    let events = if events.is_empty() { vec!["*".to_owned()] } else { events };
    for (i, e) in events.iter().enumerate() {
        form.push((format!("enabled_events[{i}]"), e.clone()));
    }
    let ep = c.call(reqwest::Method::POST, "/v1/webhook_endpoints", &form).await?;
    let id = ep["id"].as_str().unwrap_or_default().to_owned();
    // The secret goes to the terminal only, as `stripe listen` shows it.
    println!(
        "Ready! Forwarding to {forward_to}. Your webhook signing secret is {}",
        ep["secret"].as_str().unwrap_or("")
    );
    let watched = watch(&c, &id, poll, stop).await;
    let removed = c.call(reqwest::Method::DELETE, &format!("/v1/webhook_endpoints/{id}"), &[]).await;
    watched?;
    removed.map(|_| ())
}

async fn watch(
    c: &Client,
    id: &str,
    poll: Duration,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut shown: HashMap<String, usize> = HashMap::new();
    tokio::pin!(stop);
    loop {
        let page = c.get(&format!("/v1/webhook_endpoints/{id}/deliveries?limit=100")).await?;
        let mut data = page["data"].as_array().cloned().unwrap_or_default();
        data.reverse();
        for d in &data {
            let did = d["id"].as_str().unwrap_or_default().to_owned();
            let attempts = d["attempts"].as_array().cloned().unwrap_or_default();
            let seen = shown.entry(did).or_insert(0);
            for a in attempts.iter().skip(*seen) {
                let outcome = match a["response_status"].as_i64() {
                    Some(s) => format!("[{s}]"),
                    None => format!("[error: {}]", a["error"].as_str().unwrap_or("unknown")),
                };
                println!(
                    "{} --> {} [{}]  <-- {} in {} ms",
                    a["attempted_at"].as_i64().unwrap_or(0),
                    d["event_type"].as_str().unwrap_or_default(),
                    d["event"].as_str().unwrap_or_default(),
                    outcome,
                    a["duration_ms"].as_i64().unwrap_or(0)
                );
            }
            *seen = attempts.len().max(*seen);
        }
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tokio::time::sleep(poll) => {}
        }
    }
}
