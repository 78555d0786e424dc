//! Payments whose processor answer was unknown (a timeout after sending, and
//! a lookup that could not tell either). The session stays held; this asks
//! the processor again and finishes the payment once the answer is known.

use super::steps::outcome_finish;
use super::three_ds::{saved_method, saved_terms};
use super::*;
use crate::processor::route::Attempt;
use crate::processor::Lookup;
use crate::store::{Scope, StoredObject};

/// Asks the processor about the intent's unknown attempt; finishes the
/// payment if it now knows. Returns whether it did.
pub async fn resolve(state: &AppState, scope: &Scope, pi: &StoredObject) -> ApiResult<bool> {
    let now = state.now();
    let Some(last) = pi.doc["attempts"].as_array().and_then(|a| a.last()).cloned() else { return Ok(false) };
    let name = last["processor"].as_str().unwrap_or_default();
    let key = last["idempotency_key"].as_str().unwrap_or_default();
    let session = state
        .store
        .get_object(scope, pi.doc["checkout_session"].as_str().unwrap_or_default())
        .await?
        .ok_or_else(ApiError::internal)?;
    let route = route_for(state, scope, &session.doc).await?;
    let Some(processor) = route.iter().find(|p| p.name() == name) else { return Ok(false) };
    let outcome = match processor.lookup(key).await {
        // The buyer is still at the gateway's page.
        Lookup::Found(Outcome::RequiresAction { .. }) => return Ok(false),
        Lookup::Found(o) => o,
        // Never received: nothing was charged, so the buyer may try again.
        Lookup::NotFound => Outcome::Unavailable { reason: "not received (confirmed by lookup)".into() },
        Lookup::Unknown => return Ok(false),
    };
    let label = match &outcome {
        Outcome::Approved { .. } => "approved",
        Outcome::Declined { .. } => "declined",
        Outcome::Unavailable { .. } => "unavailable",
        Outcome::Unknown { .. } | Outcome::RequiresAction { .. } => return Ok(false),
    };
    let attempt = Attempt {
        processor: name.to_owned(),
        idempotency_key: format!("{key}-lookup"),
        outcome: label,
        detail: None,
        started_at: now,
        duration_ms: 0,
    };
    let chosen = saved_method(state, scope, pi.doc["payment_method"].as_str().unwrap_or_default()).await?;
    let settled = payment_intent::settle(&pi.doc, &outcome, &[attempt], &chosen.doc);
    let terms = saved_terms(state, scope, &pi.id).await?;
    let ctx =
        Ctx { state, origin: Origin::background(scope.clone()), terms, now, lines: false, breakdown: false, rest: &[] };
    ctx.finish(&session.doc, session.version, outcome_finish(&outcome, chosen, (settled, pi.version))).await?;
    Ok(true)
}
