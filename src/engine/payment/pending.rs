//! Payments whose processor answer was unknown (a timeout after sending, and
//! a lookup that could not tell either). The session stays held; this asks
//! the processor again and finishes the payment once the answer is known.

use std::sync::Arc;

use super::caller::{load_session, Caller, IdempotencyKey, Plain, Run};
use super::error::{PaymentError, PaymentResult};
use super::route::route_for;
use super::settle::{finish, outcome_finish};
use super::{method, terms};
use crate::domain::outcome::AttemptOutcome;
use crate::domain::payment_intent::{PaymentIntent, PaymentIntentStatus};
use crate::domain::session::{self, CheckoutSession};
use crate::engine::intent::{self, Intent};
use crate::processor::route::Attempt;
use crate::processor::{Lookup, Outcome, Processor};
use crate::store::Scope;
use crate::AppState;

/// After this long at a gateway's page, an unfinished authentication fails.
const GIVE_UP_AFTER: i64 = 24 * 3600;

/// Asks again later: 5 s, doubling up to an hour, so waiting payments never
/// starve newer ones in the worker's batch.
#[tracing::instrument(skip_all, fields(payment_intent = %read.pi.id))]
pub async fn back_off(state: &AppState, scope: &Scope, read: &Intent, now: i64) -> PaymentResult<bool> {
    let asks = read.pi.lookup_asks.unwrap_or(0).saturating_add(1);
    let delay = 5i64.saturating_mul(1 << asks.min(10)).min(3600);
    let mut pi = read.pi.clone();
    pi.lookup_asks = Some(asks);
    pi.lookup_after = Some(now.saturating_add(delay));
    let set = crate::store::ChangeSet {
        scope: scope.clone(),
        changes: vec![read.update(&pi)?],
        events: vec![],
        idempotency: None,
    };
    match crate::engine::commit::commit(state, set).await {
        Ok(()) | Err(crate::store::StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Asks the processor about the intent's unknown attempt; finishes the
/// payment if it now knows. Returns whether it did.
#[tracing::instrument(skip_all, fields(payment_intent = %read.pi.id))]
pub async fn resolve(state: &AppState, scope: &Scope, read: &Intent) -> PaymentResult<bool> {
    let now = state.now();
    let pi = &read.pi;
    // The try to ask about: one claimed but never recorded, or the last one.
    let (name, key, started_at) = match (&pi.pending_attempt, pi.attempts.last()) {
        (Some(p), _) => (p.processor.clone(), p.idempotency_key.clone(), p.started_at),
        (None, Some(l)) => (l.processor.clone(), l.idempotency_key.clone(), l.started_at),
        (None, None) => return Ok(false),
    };
    let claimed = pi.pending_attempt.is_some();
    let session = load_session(state, scope, &pi.checkout_session).await?.ok_or(PaymentError::Internal)?;
    // Only the payment the session is waiting for.
    if session.0.payment_intent.as_deref() != Some(pi.id.as_str()) || !session::confirming(&session.0, now) {
        return back_off(state, scope, read, now).await;
    }
    let route = route_for(state, scope, &session.0).await?;
    let (found, name, key) = if claimed {
        ask_route(&route, &key).await
    } else {
        let Some(processor) = route.iter().find(|p| p.name() == name) else {
            return back_off(state, scope, read, now).await;
        };
        (processor.lookup(&key).await, name, key)
    };
    let waited = now.saturating_sub(started_at);
    let outcome = match found {
        // The buyer left the gateway's page a day ago: the try has failed.
        Lookup::Found(Outcome::RequiresAction { .. }) if waited > GIVE_UP_AFTER => Outcome::Declined {
            code: "card_declined".into(),
            decline_code: "authentication_not_completed".into(),
            message: "The cardholder did not complete authentication.".into(),
            processor_message: None,
        },
        // The buyer is still at the gateway's page.
        Lookup::Found(Outcome::RequiresAction { .. }) => return back_off(state, scope, read, now).await,
        Lookup::Found(o) => o,
        // Never received: nothing was charged, so the buyer may try again.
        Lookup::NotFound => Outcome::Unavailable { reason: "not received (confirmed by lookup)".into() },
        // A charge may exist: keep asking, ever more slowly; never give up.
        Lookup::Unknown => return back_off(state, scope, read, now).await,
    };
    let label = match &outcome {
        Outcome::Approved { .. } => AttemptOutcome::Approved,
        Outcome::Declined { .. } => AttemptOutcome::Declined,
        Outcome::Unavailable { .. } => AttemptOutcome::Unavailable,
        Outcome::Unknown { .. } | Outcome::RequiresAction { .. } => return back_off(state, scope, read, now).await,
    };
    let detail = match &outcome {
        Outcome::Approved { reference } => Some(reference.clone()),
        Outcome::Declined { decline_code, .. } => Some(decline_code.clone()),
        Outcome::Unavailable { reason } => Some(reason.clone()),
        _ => None,
    };
    let attempt = Attempt {
        processor: name.to_owned(),
        idempotency_key: format!("{key}-lookup"),
        outcome: label,
        detail,
        processor_message: outcome.processor_message(),
        started_at: now,
        duration_ms: 0,
    };
    finish_known(state, scope, read, &session, (&outcome, &[attempt])).await?;
    Ok(true)
}

/// A claim whose tries were never recorded (a node died mid-route): any
/// processor of the route may have taken it, each under its own key
/// (`{pi}-{try}-{position}`), since the chain moves on only past a processor
/// that never took it. The first that knows the key answers; one that
/// cannot tell stops the search (asked again later); only when none has
/// seen it was it never received. Returns the answer, its processor and key.
async fn ask_route(route: &[Arc<dyn Processor>], first_key: &str) -> (Lookup, String, String) {
    let base = first_key.strip_suffix("-0").unwrap_or(first_key);
    for (i, p) in route.iter().enumerate() {
        let key = format!("{base}-{i}");
        match p.lookup(&key).await {
            Lookup::NotFound => continue,
            other => return (other, p.name().to_owned(), key),
        }
    }
    let first = route.first().map(|p| p.name().to_owned()).unwrap_or_default();
    (Lookup::NotFound, first, first_key.to_owned())
}

/// Records an outcome that is known for a payment whose request is gone:
/// found by a lookup, or reached by a charge whose request was dropped.
/// Everything it needs was made durable by the claim (the payment method,
/// the buyer's terms, the request's idempotency key), and the request's
/// idempotency record is written with it, so a retry with the same key
/// replays this answer.
#[tracing::instrument(skip_all, fields(payment_intent = %read.pi.id, session = %session.0.id))]
pub async fn finish_known(
    state: &AppState,
    scope: &Scope,
    read: &Intent,
    session: &(CheckoutSession, i64),
    (outcome, attempts): (&Outcome, &[Attempt]),
) -> PaymentResult<()> {
    let now = state.now();
    let pi = &read.pi;
    let chosen = method::saved(state, scope, pi.payment_method.as_deref().unwrap_or_default()).await?;
    let settled = pi.settle(outcome, attempts, Some(&chosen.method), &crate::ids::new_id("ch"));
    let terms = terms::saved(state, scope, &pi.id).await?;
    let caller = Caller { idempotency: claimed_request(pi), ..Caller::background(scope.clone()) };
    let view = Plain { version: caller.version(), now };
    let run = Run { state, caller: &caller, terms: &terms, view: &view, now };
    finish(&run, &session.0, session.1, outcome_finish(outcome, chosen, (settled, read.version))).await?;
    Ok(())
}

/// The idempotency key (and fingerprint) of the request that claimed it.
fn claimed_request(pi: &PaymentIntent) -> Option<IdempotencyKey> {
    let r = pi.confirm_request.as_ref()?;
    Some(IdempotencyKey { key: r.idempotency_key.clone(), fingerprint: r.fingerprint.clone() })
}

/// A charge whose request was dropped (a client gone, the request timeout)
/// finishes here, with the outcome its processor call reached.
#[tracing::instrument(skip_all, fields(payment_intent = %pi_id))]
pub async fn finish_dropped(state: AppState, scope: Scope, pi_id: String, outcome: Outcome, attempts: Vec<Attempt>) {
    let result = async {
        let read = intent::load(&state, &scope, &pi_id).await?.ok_or(PaymentError::Internal)?;
        let session = load_session(&state, &scope, &read.pi.checkout_session).await?.ok_or(PaymentError::Internal)?;
        if read.pi.status != PaymentIntentStatus::Processing
            || session.0.payment_intent.as_deref() != Some(pi_id.as_str())
        {
            return Ok(());
        }
        finish_known(&state, &scope, &read, &session, (&outcome, &attempts)).await
    }
    .await;
    if let Err(e) = result {
        // The resolver asks the processor again at the claim's lookup time.
        tracing::warn!(payment_intent = %pi_id, error = %e, "a dropped request's payment was not finished");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::{Authorize, RefundOutcome};

    /// A processor that knows only the keys it was given.
    struct Knows(&'static str, Vec<(&'static str, Lookup)>);

    #[async_trait::async_trait]
    impl Processor for Knows {
        fn name(&self) -> &str {
            self.0
        }
        async fn authorize(&self, _: &Authorize) -> Outcome {
            Outcome::Unavailable { reason: "unused".into() }
        }
        async fn lookup(&self, key: &str) -> Lookup {
            self.1.iter().find(|(k, _)| *k == key).map_or(Lookup::NotFound, |(_, l)| l.clone())
        }
        async fn refund(&self, _: &str, _: i64, _: &str) -> RefundOutcome {
            RefundOutcome::Failed { reason: "unused".into() }
        }
        async fn capture(&self, _: &str, _: i64, _: &str) -> RefundOutcome {
            RefundOutcome::Failed { reason: "unused".into() }
        }
        async fn void(&self, _: &str, _: &str) -> RefundOutcome {
            RefundOutcome::Failed { reason: "unused".into() }
        }
    }

    fn approved() -> Lookup {
        Lookup::Found(Outcome::Approved { reference: "r".into() })
    }

    #[tokio::test]
    async fn a_dead_claim_is_looked_up_at_every_processor_it_may_have_reached() {
        // The first never saw it; the second charged it under its own key.
        let route: Vec<Arc<dyn Processor>> =
            vec![Arc::new(Knows("a", vec![])), Arc::new(Knows("b", vec![("pi_1-0-1", approved())]))];
        let (found, name, key) = ask_route(&route, "pi_1-0-0").await;
        assert_eq!((found, name.as_str(), key.as_str()), (approved(), "b", "pi_1-0-1"));
        // One that cannot tell stops the search: nothing after it is asked.
        let route: Vec<Arc<dyn Processor>> = vec![
            Arc::new(Knows("a", vec![("pi_1-0-0", Lookup::Unknown)])),
            Arc::new(Knows("b", vec![("pi_1-0-1", approved())])),
        ];
        assert_eq!(ask_route(&route, "pi_1-0-0").await.0, Lookup::Unknown);
        // None has seen it: never received.
        let route: Vec<Arc<dyn Processor>> = vec![Arc::new(Knows("a", vec![])), Arc::new(Knows("b", vec![]))];
        let (found, name, key) = ask_route(&route, "pi_1-0-0").await;
        assert_eq!((found, name.as_str(), key.as_str()), (Lookup::NotFound, "a", "pi_1-0-0"));
    }
}
