//! Running scenarios: workers, the webhook receiver, preloading.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::routing::post;
use serde::Serialize;

use super::http::Conn;
use super::scenarios::{self, Scenario, Shared};
use super::stats::{self, new_histogram};
use super::target::Target;
use super::BenchArgs;

#[derive(Debug, Serialize)]
pub struct Report {
    pub target: String,
    pub preloaded: u64,
    pub results: Vec<stats::Result>,
    pub server_peak_rss_mib: Option<f64>,
    pub webhook_lag_ms: Option<LagStats>,
    pub webhooks_missing: u64,
}

#[derive(Debug, Serialize)]
pub struct LagStats {
    pub delivered: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// Runs `scenario` with `concurrency` workers for `seconds`.
async fn measure(
    target: &Target,
    scenario: Scenario,
    concurrency: usize,
    seconds: f64,
    shared: Arc<Shared>,
) -> anyhow::Result<stats::Result> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let mut conn = Conn::open(&target.addr, &target.key).await?;
        let shared = shared.clone();
        let (addr, key) = (target.addr.clone(), target.key.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = new_histogram()?;
            let (mut errors, mut first) = (0u64, None);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match scenarios::iteration(scenario, &mut conn, &shared).await {
                    Ok(()) => hist.saturating_record(t0.elapsed().as_micros() as u64),
                    Err(e) => {
                        errors += 1;
                        first.get_or_insert(e);
                        // The connection may be broken: start a fresh one.
                        if let Ok(c) = Conn::open(&addr, &key).await {
                            conn = c;
                        }
                    }
                }
            }
            anyhow::Ok((hist, errors, first))
        }));
    }
    let mut hist = new_histogram()?;
    let (mut errors, mut first) = (0u64, None);
    for t in tasks {
        let (h, e, f) = t.await??;
        hist.add(&h)?;
        errors += e;
        if first.is_none() {
            first = f;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let errors = stats::Errors { count: errors, first };
    let mut r = stats::summarize(scenario.name(), concurrency, elapsed, &hist, errors);
    r.server_rss_mib = target.server_pid().and_then(stats::rss_mib).map(|(now, _)| now);
    Ok(r)
}

/// Creates `n` sessions as fast as the server takes them; returns up to
/// 10,000 of their ids.
async fn preload(target: &Target, shared: &Arc<Shared>, n: u64) -> anyhow::Result<Vec<String>> {
    let workers = 64u64.min(n.max(1));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let mut conn = Conn::open(&target.addr, &target.key).await?;
        let shared = shared.clone();
        let count = n / workers + u64::from(w < n % workers);
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..count {
                let form = scenarios::session_form(&shared.price);
                let key = format!("preload-{}-{w}-{i}", shared.run);
                let r = conn.send("POST", "/v1/checkout/sessions", Some(form), Some(&key)).await?;
                anyhow::ensure!(r.status == 200, "preload: HTTP {}", r.status);
                if ids.len() < 10_000 / workers as usize + 1 {
                    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
                    ids.extend(v["id"].as_str().map(str::to_owned));
                }
            }
            anyhow::Ok(ids)
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    println!("preloaded {n} sessions in {secs:.1} s ({:.0}/s)", n as f64 / secs.max(0.001));
    Ok(ids)
}

/// A loopback receiver that notes when each session's completion arrives.
async fn receiver(shared: Arc<Shared>) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/hook",
        post(move |body: Bytes| {
            let shared = shared.clone();
            async move {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if let Some(id) = v["data"]["object"]["id"].as_str() {
                    if let Ok(mut m) = shared.delivered_at.lock() {
                        m.entry(id.to_owned()).or_insert_with(Instant::now);
                    }
                }
                "ok"
            }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}/hook"))
}

/// Waits (up to 30 s) for every paid session's webhook; the lag of each.
async fn lags(shared: &Shared) -> (Option<LagStats>, u64) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let (paid, got) = match (shared.paid_at.lock(), shared.delivered_at.lock()) {
            (Ok(p), Ok(d)) => (p.len(), p.keys().filter(|k| d.contains_key(*k)).count()),
            _ => (0, 0),
        };
        if got >= paid || Instant::now() > until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (Ok(paid), Ok(got)) = (shared.paid_at.lock(), shared.delivered_at.lock()) else { return (None, 0) };
    let Ok(mut hist) = new_histogram() else { return (None, 0) };
    let mut missing = 0;
    for (id, at) in paid.iter() {
        match got.get(id) {
            Some(d) => hist.saturating_record(d.saturating_duration_since(*at).as_micros() as u64),
            None => missing += 1,
        }
    }
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    let stats = (!hist.is_empty()).then(|| LagStats {
        delivered: hist.len(),
        p50: ms(0.5),
        p90: ms(0.9),
        p99: ms(0.99),
        max: hist.max() as f64 / 1000.0,
    });
    (stats, missing)
}

pub async fn all(args: &BenchArgs, target: &Target) -> anyhow::Result<Report> {
    let mut setup = Conn::open(&target.addr, &target.key).await?;
    let mut shared = Shared { run: crate::random_id(8), ..Default::default() };
    let needs_price = args.scenarios.iter().any(|s| !matches!(s, Scenario::Health | Scenario::CreateCustomer));
    if needs_price || args.preload > 0 {
        shared.price = scenarios::make_price(&mut setup).await?;
    }
    let mut shared = Arc::new(shared);
    if args.preload > 0 || args.scenarios.contains(&Scenario::Retrieve) {
        let ids = preload(target, &shared, args.preload.max(200)).await?;
        if let Some(s) = Arc::get_mut(&mut shared) {
            s.sessions = ids;
        }
    }
    if args.scenarios.contains(&Scenario::Webhooks) {
        let url = receiver(shared.clone()).await?;
        let form = format!("url={}&enabled_events[]=checkout.session.completed", urlencode(&url));
        let r = setup.send("POST", "/v1/webhook_endpoints", Some(form), None).await?;
        anyhow::ensure!(r.status == 200, "creating the webhook endpoint: HTTP {}", r.status);
    }
    let mut results = vec![measure(target, Scenario::Health, args.concurrency, args.seconds, shared.clone()).await?];
    for s in args.scenarios.iter().filter(|s| **s != Scenario::Health) {
        results.push(measure(target, *s, args.concurrency, args.seconds, shared.clone()).await?);
    }
    let health = results[0].per_second;
    for r in &mut results {
        r.ratio_to_health = (health > 0.0).then(|| r.per_second / health);
    }
    let (lag, missing) = if args.scenarios.contains(&Scenario::Webhooks) { lags(&shared).await } else { (None, 0) };
    let peak = target.server_pid().and_then(stats::rss_mib).map(|(_, peak)| peak);
    stats::print_table(&results, peak);
    if let Some(l) = &lag {
        println!(
            "webhook delivery lag (payment answered → checkout.session.completed received): p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms; {} delivered, {missing} missing",
            l.p50, l.p90, l.p99, l.max, l.delivered
        );
    }
    Ok(Report {
        target: target.base.clone(),
        preloaded: args.preload,
        results,
        server_peak_rss_mib: peak,
        webhook_lag_ms: lag,
        webhooks_missing: missing,
    })
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
