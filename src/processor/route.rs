//! The fallback-chain executor: try each processor of a route in order.
//! - *unavailable*: try the next one;
//! - *declined* or *approved*: stop;
//! - *unknown* (may have been received): ask `lookup`; only a definite "never
//!   saw it" moves on, so one payment is never charged twice.

use std::sync::Arc;
use std::time::Instant;

use super::{Authorize, Lookup, Outcome, Processor};
pub use crate::domain::outcome::Attempt;

/// The processors a stored route (`processor_route` object) runs, in order.
/// In live mode only real processors are built: the test processor is
/// never reachable there, whatever the stored document says
/// (`select::check_route_doc` refuses such a route first). `urls` is checked
/// by each `http` processor before every request (`domain::outbound`).
pub fn processors(
    route: &serde_json::Value,
    client: &reqwest::Client,
    livemode: bool,
    urls: crate::domain::outbound::UrlPolicy,
) -> Vec<Arc<dyn Processor>> {
    let list = route["processors"].as_array().cloned().unwrap_or_default();
    list.iter()
        .filter_map(|p| -> Option<Arc<dyn Processor>> {
            match p["type"].as_str() {
                Some("http") => Some(Arc::new(super::http::HttpProcessor {
                    name: p["name"].as_str().unwrap_or("http").to_owned(),
                    url: p["url"].as_str().unwrap_or_default().to_owned(),
                    timeout: std::time::Duration::from_millis(p["timeout_ms"].as_u64().unwrap_or(10_000)),
                    client: client.clone(),
                    urls,
                })),
                _ if livemode => None,
                _ => Some(Arc::new(super::test::TestProcessor)),
            }
        })
        .collect()
}

/// Runs the chain. `key` is the payment's base idempotency key; each
/// processor gets `{key}-{index}` so retries of the whole chain stay idempotent.
/// The outcome is counted in `kassa_payments_total`.
#[tracing::instrument(skip_all, fields(processors = route.len(), amount = req.amount, currency = %req.currency))]
pub async fn execute(route: &[Arc<dyn Processor>], req: &Authorize, now: i64) -> (Outcome, Vec<Attempt>) {
    let (outcome, attempts) = run(route, req, now).await;
    let by = attempts.last().map_or("none", |a| a.processor.as_str());
    crate::meters::meters().payment(outcome.label().0.as_str(), by);
    (outcome, attempts)
}

async fn run(route: &[Arc<dyn Processor>], req: &Authorize, now: i64) -> (Outcome, Vec<Attempt>) {
    let mut attempts = Vec::new();
    let mut last = Outcome::Unavailable { reason: "the route has no processors".into() };
    for (i, p) in route.iter().enumerate() {
        let mut r = req.clone();
        r.idempotency_key = format!("{}-{i}", req.idempotency_key);
        let started = Instant::now();
        let mut outcome = p.authorize(&r).await;
        if let Outcome::Unknown { .. } = outcome {
            outcome = match p.lookup(&r.idempotency_key).await {
                Lookup::Found(o) => o,
                Lookup::NotFound => Outcome::Unavailable { reason: "not received (confirmed by lookup)".into() },
                Lookup::Unknown => outcome,
            };
        }
        let (name, detail) = outcome.label();
        // The reason stays out of the log: it may quote the gateway's url.
        if matches!(outcome, Outcome::Unavailable { .. } | Outcome::Unknown { .. }) {
            tracing::warn!(
                processor = p.name(),
                outcome = name.as_str(),
                "processor attempt did not settle the payment"
            );
        } else {
            tracing::debug!(processor = p.name(), outcome = name.as_str(), "processor attempt");
        }
        attempts.push(Attempt {
            processor: p.name().to_owned(),
            idempotency_key: r.idempotency_key.clone(),
            outcome: name,
            detail,
            processor_message: outcome.processor_message(),
            started_at: now,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        match outcome {
            Outcome::Unavailable { .. } => last = outcome,
            other => return (other, attempts),
        }
    }
    (last, attempts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::CardNumber;
    use crate::processor::CardDetails;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Fake {
        outcome: Outcome,
        lookup: Lookup,
        calls: AtomicUsize,
    }

    #[async_trait]
    impl Processor for Fake {
        fn name(&self) -> &str {
            "fake"
        }
        async fn authorize(&self, _: &Authorize) -> Outcome {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.outcome.clone()
        }
        async fn lookup(&self, _: &str) -> Lookup {
            self.lookup.clone()
        }
        async fn refund(&self, _: &str, _: i64, _: &str) -> crate::processor::RefundOutcome {
            crate::processor::RefundOutcome::Failed { reason: "fake".into() }
        }
        async fn capture(&self, _: &str, _: i64, _: &str) -> crate::processor::RefundOutcome {
            crate::processor::RefundOutcome::Failed { reason: "fake".into() }
        }
        async fn void(&self, _: &str, _: &str) -> crate::processor::RefundOutcome {
            crate::processor::RefundOutcome::Failed { reason: "fake".into() }
        }
    }

    fn fake(outcome: Outcome, lookup: Lookup) -> Arc<Fake> {
        Arc::new(Fake { outcome, lookup, calls: AtomicUsize::new(0) })
    }

    fn req() -> Authorize {
        let (number, _) = CardNumber::parse("4242424242424242").unwrap();
        Authorize {
            idempotency_key: "k".into(),
            amount: 100,
            currency: "usd".into(),
            card: CardDetails { number, exp_month: 1, exp_year: 2030, cvc: None },
            capture: true,
        }
    }

    fn ok() -> Outcome {
        Outcome::Approved { reference: "r".into() }
    }

    #[tokio::test]
    async fn unavailable_falls_through_and_a_decline_stops() {
        let down = fake(Outcome::Unavailable { reason: "503".into() }, Lookup::NotFound);
        let no = fake(
            Outcome::Declined {
                code: "card_declined".into(),
                decline_code: "x".into(),
                message: "m".into(),
                processor_message: None,
            },
            Lookup::NotFound,
        );
        let yes = fake(ok(), Lookup::NotFound);
        let route: Vec<Arc<dyn Processor>> = vec![down.clone(), no.clone(), yes.clone()];
        let (o, attempts) = execute(&route, &req(), 0).await;
        assert!(matches!(o, Outcome::Declined { .. }));
        assert_eq!(attempts.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(), ["unavailable", "declined"]);
        assert_eq!(attempts[1].idempotency_key, "k-1");
        assert_eq!(yes.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn an_unknown_outcome_moves_on_only_when_lookup_says_never_received() {
        let unsure = |lookup| fake(Outcome::Unknown { reason: "timeout".into() }, lookup);
        let next = fake(ok(), Lookup::NotFound);
        let route: Vec<Arc<dyn Processor>> = vec![unsure(Lookup::NotFound), next.clone()];
        let (o, _) = execute(&route, &req(), 0).await;
        assert_eq!(o, ok());
        assert_eq!(next.calls.load(Ordering::SeqCst), 1);

        let next = fake(ok(), Lookup::NotFound);
        let route: Vec<Arc<dyn Processor>> = vec![unsure(Lookup::Found(ok())), next.clone()];
        assert_eq!(execute(&route, &req(), 0).await.0, ok());
        assert_eq!(next.calls.load(Ordering::SeqCst), 0, "it was charged by the first one");

        let next = fake(ok(), Lookup::NotFound);
        let route: Vec<Arc<dyn Processor>> = vec![unsure(Lookup::Unknown), next.clone()];
        assert!(matches!(execute(&route, &req(), 0).await.0, Outcome::Unknown { .. }));
        assert_eq!(next.calls.load(Ordering::SeqCst), 0, "never risk a second charge");
    }

    #[tokio::test]
    async fn an_empty_route_is_unavailable() {
        assert!(matches!(execute(&[], &req(), 0).await.0, Outcome::Unavailable { .. }));
    }
}
