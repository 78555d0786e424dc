//! Prometheus metrics: request counts and latencies by route and status,
//! worker errors, and the business metrics of `crate::meters`.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};

use crate::AppState;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    worker_errors: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        // Metric definitions are constants: these constructors cannot fail.
        let requests = IntCounterVec::new(
            Opts::new("kassa_http_requests_total", "HTTP requests by route, method and status"),
            &["route", "method", "status"],
        );
        let latency = HistogramVec::new(
            HistogramOpts::new("kassa_http_request_duration_seconds", "HTTP request latency by route and method")
                .buckets(vec![0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0]),
            &["route", "method"],
        );
        let worker_errors = IntCounterVec::new(
            Opts::new("kassa_worker_errors_total", "Items a background worker failed on (and backed off)"),
            &["worker"],
        );
        let (requests, latency, worker_errors) = match (requests, latency, worker_errors) {
            (Ok(r), Ok(l), Ok(w)) => (r, l, w),
            _ => unreachable!("constant metric definitions are valid"),
        };
        let _ = registry.register(Box::new(requests.clone()));
        let _ = registry.register(Box::new(latency.clone()));
        let _ = registry.register(Box::new(worker_errors.clone()));
        crate::meters::meters().register(&registry);
        Self { registry, requests, latency, worker_errors }
    }

    /// `method` is any client-sent text; only standard methods become labels,
    /// so made-up ones cannot grow the series without bound.
    pub fn observe(&self, route: &str, method: &str, status: u16, secs: f64) {
        let method = match method {
            "GET" | "POST" | "DELETE" | "PUT" | "PATCH" | "HEAD" | "OPTIONS" => method,
            _ => "OTHER",
        };
        self.requests.with_label_values(&[route, method, &status.to_string()]).inc();
        self.latency.with_label_values(&[route, method]).observe(secs);
    }

    /// Where other parts of kassa register their own metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// One item `worker` failed on.
    pub fn worker_error(&self, worker: &'static str) {
        self.worker_errors.with_label_values(&[worker]).inc();
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Route-level layer: the route label is the matched template, never the raw
/// path, so ids do not explode the label set.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    state.metrics.observe(&route, &method, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}
