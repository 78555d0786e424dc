//! Payments whose processor answer was unknown (a timeout after sending, and
//! a lookup that could not tell either). The session stays held; this asks
//! the processor again and finishes the payment once the answer is known.

use super::steps::outcome_finish;
use super::three_ds::{saved_method, saved_terms};
use super::*;
use crate::processor::route::Attempt;
use crate::processor::Lookup;
use crate::store::{Scope, StoredObject};

/// After this long at a gateway's page, an unfinished authentication fails.
const GIVE_UP_AFTER: i64 = 24 * 3600;

/// Asks again later: 5 s, doubling up to an hour, so waiting payments never
/// starve newer ones in the worker's batch.
pub async fn back_off(state: &AppState, scope: &Scope, pi: &StoredObject, now: i64) -> ApiResult<bool> {
    let asks = pi.doc["lookup_asks"].as_i64().unwrap_or(0).saturating_add(1);
    let delay = 5i64.saturating_mul(1 << asks.min(10)).min(3600);
    let mut doc = pi.doc.clone();
    doc["lookup_asks"] = serde_json::json!(asks);
    doc["lookup_after"] = serde_json::json!(now.saturating_add(delay));
    let set = crate::store::ChangeSet {
        scope: scope.clone(),
        changes: vec![Change::Update {
            id: pi.id.clone(),
            expected_version: pi.version,
            tags: payment_intent::tags(&doc),
            doc,
        }],
        events: vec![],
        idempotency: None,
    };
    match state.store.commit(set).await {
        Ok(()) | Err(crate::store::StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Asks the processor about the intent's unknown attempt; finishes the
/// payment if it now knows. Returns whether it did.
pub async fn resolve(state: &AppState, scope: &Scope, pi: &StoredObject) -> ApiResult<bool> {
    let now = state.now();
    // The try to ask about: one claimed but never recorded, or the last one.
    let last = match &pi.doc["pending_attempt"] {
        Value::Object(p) => Value::Object(p.clone()),
        _ => match pi.doc["attempts"].as_array().and_then(|a| a.last()).cloned() {
            Some(l) => l,
            None => return Ok(false),
        },
    };
    let name = last["processor"].as_str().unwrap_or_default();
    let key = last["idempotency_key"].as_str().unwrap_or_default();
    let session = state
        .store
        .get_object(scope, pi.doc["checkout_session"].as_str().unwrap_or_default())
        .await?
        .ok_or_else(ApiError::internal)?;
    // Only the payment the session is waiting for.
    if session.doc["payment_intent"] != pi.id.as_str() || !session::confirming(&session.doc, now) {
        return back_off(state, scope, pi, now).await;
    }
    let route = route_for(state, scope, &session.doc).await?;
    let Some(processor) = route.iter().find(|p| p.name() == name) else { return back_off(state, scope, pi, now).await };
    let waited = now.saturating_sub(last["started_at"].as_i64().unwrap_or(now));
    let outcome = match processor.lookup(key).await {
        // The buyer left the gateway's page a day ago: the try has failed.
        Lookup::Found(Outcome::RequiresAction { .. }) if waited > GIVE_UP_AFTER => Outcome::Declined {
            code: "card_declined".into(),
            decline_code: "authentication_not_completed".into(),
            message: "The cardholder did not complete authentication.".into(),
            processor_message: None,
        },
        // The buyer is still at the gateway's page.
        Lookup::Found(Outcome::RequiresAction { .. }) => return back_off(state, scope, pi, now).await,
        Lookup::Found(o) => o,
        // Never received: nothing was charged, so the buyer may try again.
        Lookup::NotFound => Outcome::Unavailable { reason: "not received (confirmed by lookup)".into() },
        // A charge may exist: keep asking, ever more slowly; never give up.
        Lookup::Unknown => return back_off(state, scope, pi, now).await,
    };
    let label = match &outcome {
        Outcome::Approved { .. } => "approved",
        Outcome::Declined { .. } => "declined",
        Outcome::Unavailable { .. } => "unavailable",
        Outcome::Unknown { .. } | Outcome::RequiresAction { .. } => return back_off(state, scope, pi, now).await,
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
        processor_message: match &outcome {
            Outcome::Declined { processor_message, .. } => processor_message.clone(),
            _ => None,
        },
        started_at: now,
        duration_ms: 0,
    };
    finish_known(state, scope, pi, &session, &outcome, &[attempt]).await?;
    Ok(true)
}

/// Records an outcome that is known for a payment whose request is gone:
/// found by a lookup, or reached by a charge whose request was dropped.
/// Everything it needs was made durable by the claim (the payment method,
/// the buyer's terms, the request's idempotency key), and the request's
/// idempotency record is written with it, so a retry with the same key
/// replays this answer.
pub async fn finish_known(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    session: &StoredObject,
    outcome: &Outcome,
    attempts: &[Attempt],
) -> ApiResult<()> {
    let now = state.now();
    let chosen = saved_method(state, scope, pi.doc["payment_method"].as_str().unwrap_or_default()).await?;
    let settled = payment_intent::settle(&pi.doc, outcome, attempts, &chosen.doc);
    let terms = saved_terms(state, scope, &pi.id).await?;
    let mut origin = Origin::background(scope.clone());
    origin.idempotency = claimed_request(&pi.doc);
    let ctx = Ctx { state, origin, terms, now, lines: false, breakdown: false, rest: &[] };
    ctx.finish(&session.doc, session.version, outcome_finish(outcome, chosen, (settled, pi.version))).await?;
    Ok(())
}

/// The idempotency key (and fingerprint) of the request that claimed it.
fn claimed_request(pi: &Value) -> Option<(String, String)> {
    let r = &pi["confirm_request"];
    Some((r["idempotency_key"].as_str()?.to_owned(), r["fingerprint"].as_str()?.to_owned()))
}

/// A charge whose request was dropped (a client gone, the request timeout)
/// finishes here, with the outcome its processor call reached.
pub async fn finish_dropped(state: AppState, scope: Scope, pi_id: String, outcome: Outcome, attempts: Vec<Attempt>) {
    let result = async {
        let pi = state.store.get_object(&scope, &pi_id).await?.ok_or_else(ApiError::internal)?;
        let sid = pi.doc["checkout_session"].as_str().unwrap_or_default().to_owned();
        let session = state.store.get_object(&scope, &sid).await?.ok_or_else(ApiError::internal)?;
        if pi.doc["status"] != "processing" || session.doc["payment_intent"] != pi_id.as_str() {
            return Ok(());
        }
        finish_known(&state, &scope, &pi, &session, &outcome, &attempts).await
    }
    .await;
    if let Err(e) = result {
        // The resolver asks the processor again at the claim's lookup time.
        tracing::warn!(payment_intent = %pi_id, error = %e.message, "a dropped request's payment was not finished");
    }
}
