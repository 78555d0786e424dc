//! The processors a payment runs on, and the run itself: outside the
//! caller, so a dropped request still records its processor's answer.

use std::sync::Arc;

use tracing::Instrument;

use super::caller::Run;
use super::error::{PaymentError, PaymentResult};
use crate::domain::session::CheckoutSession;
use crate::processor::route::{execute, Attempt};
use crate::processor::{select, Authorize, Outcome, Processor};
use crate::store::Scope;
use crate::AppState;

/// Seconds after a route's longest possible run before a claimed try whose
/// outcome was never recorded is looked up.
/// (Generous: the claim's clock is read before its commit, and nodes'
/// clocks differ a little; a lookup before the try could reach the
/// gateway would read "never received".)
const LOOKUP_MARGIN: i64 = 30;

/// The processors a session's route runs, in order: its `processor_route`,
/// or (test mode only) the built-in `test` route.
pub async fn route_for(
    state: &AppState,
    scope: &Scope,
    session: &CheckoutSession,
) -> PaymentResult<Vec<Arc<dyn Processor>>> {
    route_named(state, scope, session.processor_route.as_deref()).await
}

/// As `route_for`, for a route named by id (`None`: the default).
pub async fn route_named(
    state: &AppState,
    scope: &Scope,
    route: Option<&str>,
) -> PaymentResult<Vec<Arc<dyn Processor>>> {
    Ok(select::processors_for(state, scope, route).await??)
}

/// When no try of this route can still be running: the resolver may ask
/// then, seconds after a dead node's claim, not later.
pub fn lookup_at(route: &[Arc<dyn Processor>], now: i64) -> i64 {
    let budget: u64 = route.iter().map(|p| p.budget().as_secs().saturating_add(1)).sum();
    now.saturating_add(i64::try_from(budget).unwrap_or(i64::MAX)).saturating_add(LOOKUP_MARGIN)
}

/// Runs the route in its own task: if the caller is dropped (the client
/// left, the request timeout), the processor call still ends and its
/// outcome is recorded without it (`pending::finish_dropped`). The task
/// keeps the caller's span, so its log lines carry the request id.
#[tracing::instrument(name = "run_route", skip_all, fields(payment_intent = pi_id, processors = route.len()))]
pub async fn run(
    run: &Run<'_>,
    route: Vec<Arc<dyn Processor>>,
    req: Authorize,
    pi_id: &str,
) -> PaymentResult<(Outcome, Vec<Attempt>)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (state, scope, pi_id, now) = (run.state.clone(), run.caller.scope.clone(), pi_id.to_owned(), run.now);
    let task = async move {
        let result = execute(&route, &req, now).await;
        if let Err((outcome, attempts)) = tx.send(result) {
            super::pending::finish_dropped(state, scope, pi_id, outcome, attempts).await;
        }
    };
    tokio::spawn(task.instrument(tracing::Span::current()));
    rx.await.map_err(|_| PaymentError::Internal)
}
