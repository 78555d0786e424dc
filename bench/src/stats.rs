//! What one scenario measured: throughput, the latency distribution
//! (microseconds, HDR histogram), errors, and the server's memory.

use hdrhistogram::Histogram;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Result {
    pub scenario: String,
    pub concurrency: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Requests per second as a share of `health` in the same run.
    pub ratio_to_health: Option<f64>,
    /// The server's resident memory after the scenario, when it is a child.
    pub server_rss_mib: Option<f64>,
    /// First error seen, to say why a run failed.
    pub first_error: Option<String>,
}

/// 1 µs to 60 s at 3 significant digits; longer values are saturated.
pub fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}

/// The requests of a scenario that failed.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    pub count: u64,
    /// The first one's message, to say why a run failed.
    pub first: Option<String>,
}

pub fn summarize(scenario: &str, concurrency: usize, seconds: f64, hist: &Histogram<u64>, errors: Errors) -> Result {
    let ms = |q: f64| hist.value_at_quantile(q) as f64 / 1000.0;
    let requests = hist.len();
    Result {
        scenario: scenario.to_owned(),
        concurrency,
        seconds,
        requests,
        errors: errors.count,
        per_second: if seconds > 0.0 { requests as f64 / seconds } else { 0.0 },
        p50_ms: ms(0.50),
        p90_ms: ms(0.90),
        p99_ms: ms(0.99),
        max_ms: hist.max() as f64 / 1000.0,
        ratio_to_health: None,
        server_rss_mib: None,
        first_error: errors.first,
    }
}

/// A process's resident memory now and at its peak (MiB), from /proc.
pub fn rss_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    };
    Some((kib("VmRSS:")? / 1024.0, kib("VmHWM:")? / 1024.0))
}

pub fn print_table(results: &[Result], peak_rss: Option<f64>) {
    println!(
        "{:<16} {:>6} {:>10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>9}",
        "scenario", "conc", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "×health", "rss MiB"
    );
    for r in results {
        println!(
            "{:<16} {:>6} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8} {:>7} {:>9}",
            r.scenario,
            r.concurrency,
            r.per_second,
            r.p50_ms,
            r.p90_ms,
            r.p99_ms,
            r.max_ms,
            r.errors,
            r.ratio_to_health.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "-".into()),
            r.server_rss_mib.map(|x| format!("{x:.1}")).unwrap_or_else(|| "-".into()),
        );
    }
    if let Some(p) = peak_rss {
        println!("server peak RSS: {p:.1} MiB");
    }
}
