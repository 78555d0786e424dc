//! Business metrics: payments, processor calls, webhook deliveries and store
//! commits. Unlike the HTTP metrics of `api::metrics` they are process-wide:
//! the store and the processors are built before, and without, an
//! `AppState`. Every app's registry registers these same collectors, so each
//! `/metrics` shows them.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry};

/// Processor names are chosen by accounts (an `http` processor's `name`):
/// past this many distinct names, further ones are counted as `other`, so no
/// account can grow the series without bound.
const MAX_PROCESSOR_LABELS: usize = 64;
/// Longer names are counted as `other` too.
const MAX_PROCESSOR_LABEL_LEN: usize = 64;

pub struct Meters {
    payments: IntCounterVec,
    processor_seconds: HistogramVec,
    webhook_deliveries: IntCounterVec,
    webhook_lag: Histogram,
    batch_size: Histogram,
    group_retries: IntCounter,
    commit_seconds: HistogramVec,
    processors_seen: Mutex<HashSet<String>>,
}

static METERS: LazyLock<Meters> = LazyLock::new(Meters::new);

/// The process's business metrics.
pub fn meters() -> &'static Meters {
    &METERS
}

// Metric definitions are constants: these constructors cannot fail.
fn plain_counter(name: &str, help: &str) -> IntCounter {
    match IntCounter::new(name, help) {
        Ok(c) => c,
        Err(_) => unreachable!("constant metric definitions are valid"),
    }
}

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    match IntCounterVec::new(Opts::new(name, help), labels) {
        Ok(c) => c,
        Err(_) => unreachable!("constant metric definitions are valid"),
    }
}

fn histograms(name: &str, help: &str, buckets: &[f64], labels: &[&str]) -> HistogramVec {
    match HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets.to_vec()), labels) {
        Ok(h) => h,
        Err(_) => unreachable!("constant metric definitions are valid"),
    }
}

fn histogram(name: &str, help: &str, buckets: &[f64]) -> Histogram {
    match Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec())) {
        Ok(h) => h,
        Err(_) => unreachable!("constant metric definitions are valid"),
    }
}

const SECONDS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

impl Meters {
    fn new() -> Self {
        Self {
            payments: counter(
                "kassa_payments_total",
                "Payments run through a processor route, by the outcome and the processor that gave it",
                &["outcome", "processor"],
            ),
            processor_seconds: histograms(
                "kassa_processor_seconds",
                "Processor call latency by processor and operation",
                SECONDS,
                &["processor", "operation"],
            ),
            webhook_deliveries: counter(
                "kassa_webhook_deliveries_total",
                "Webhook delivery attempts by outcome",
                &["outcome"],
            ),
            webhook_lag: histogram(
                "kassa_webhook_delivery_lag_seconds",
                "How long after it was due a webhook delivery was attempted (whole seconds of the clock)",
                &[0.0, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0],
            ),
            batch_size: histogram(
                "kassa_store_commit_batch_size",
                "Writes per group commit (SQLite: one transaction of the writer thread; PostgreSQL: one call of a committer)",
                &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0],
            ),
            group_retries: plain_counter(
                "kassa_store_group_commit_retries_total",
                "PostgreSQL group commits refused as a whole and made again one set at a time",
            ),
            commit_seconds: histograms(
                "kassa_store_commit_seconds",
                "Store commit latency by backend (SQLite: one group commit)",
                SECONDS,
                &["backend"],
            ),
            processors_seen: Mutex::new(HashSet::new()),
        }
    }

    /// Adds these collectors to an app's registry.
    pub fn register(&self, registry: &Registry) {
        let _ = registry.register(Box::new(self.payments.clone()));
        let _ = registry.register(Box::new(self.processor_seconds.clone()));
        let _ = registry.register(Box::new(self.webhook_deliveries.clone()));
        let _ = registry.register(Box::new(self.webhook_lag.clone()));
        let _ = registry.register(Box::new(self.batch_size.clone()));
        let _ = registry.register(Box::new(self.group_retries.clone()));
        let _ = registry.register(Box::new(self.commit_seconds.clone()));
    }

    /// `name` itself while the label set is small, else `other`.
    fn processor_label<'a>(&self, name: &'a str) -> &'a str {
        if name.len() > MAX_PROCESSOR_LABEL_LEN {
            return "other";
        }
        let mut seen = self.processors_seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.contains(name) {
            return name;
        }
        if seen.len() < MAX_PROCESSOR_LABELS {
            seen.insert(name.to_owned());
            return name;
        }
        "other"
    }

    /// A route run ended with `outcome`, given by `processor`.
    pub fn payment(&self, outcome: &str, processor: &str) {
        let processor = self.processor_label(processor);
        self.payments.with_label_values(&[outcome, processor]).inc();
    }

    /// A webhook delivery attempt ended with `outcome`, `lag_secs` after it
    /// was due.
    pub fn webhook_delivery(&self, outcome: &'static str, lag_secs: i64) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
        self.webhook_lag.observe(lag_secs.max(0) as f64);
    }

    /// One commit of `backend`, `secs` long.
    pub fn store_commit(&self, backend: &'static str, secs: f64) {
        self.commit_seconds.with_label_values(&[backend]).observe(secs);
    }

    /// A PostgreSQL group commit was refused and is made again set by set.
    pub fn store_group_retry(&self) {
        self.group_retries.inc();
    }

    /// Group commits refused and made again set by set, so far.
    pub fn store_group_retries(&self) -> u64 {
        self.group_retries.get()
    }

    /// One group commit took `writes` queued writes.
    pub fn store_batch(&self, writes: usize) {
        self.batch_size.observe(writes as f64);
    }
}

/// Runs one processor call, timing it into `kassa_processor_seconds`.
pub async fn timed<T>(processor: &str, operation: &'static str, call: impl Future<Output = T>) -> T {
    let start = Instant::now();
    let out = call.await;
    let m = meters();
    let processor = m.processor_label(processor);
    m.processor_seconds.with_label_values(&[processor, operation]).observe(start.elapsed().as_secs_f64());
    out
}
