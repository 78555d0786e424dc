//! Ending an authorization (`capture_method=manual`): capture some or all
//! of it, or void it (a cancel, or the lapse after seven days).
//!
//! A capture is claimed before the processor is asked: the intent records
//! `pending_capture` (amount and key) with a version-conditional write, so a
//! retry, a racing request or the lapse sweep can only ask the very same
//! question (same key, same amount), never a different one, and nothing
//! voids an authorization whose capture may have happened. Only a definite
//! answer ends it; the caller commits the returned change, which expects the
//! claimed version.

use std::sync::Arc;

use serde_json::{json, Value};

use super::charges;
use crate::domain::event::{self, EventContext};
use crate::domain::payment_intent;
use crate::processor::{select, Processor, RefundOutcome};
use crate::store::{Change, ChangeSet, Scope, StoreError, StoredObject};
use crate::AppState;

/// Why an authorization could not be ended.
#[derive(Debug)]
pub enum EndError {
    Store(StoreError),
    /// The processor that took the payment is not configured any more.
    NoProcessor,
    /// The processor refused.
    Refused(String),
    /// The processor's answer is unknown: ask again with the same request.
    Unknown(String),
    /// A capture of another amount is already under way.
    OtherAmount(i64),
}

impl From<StoreError> for EndError {
    fn from(e: StoreError) -> Self {
        EndError::Store(e)
    }
}

/// What to record: the intent's new version and its events.
pub struct Ended {
    pub intent: Value,
    pub changes: Vec<Change>,
    pub events: Vec<Value>,
}

/// The processor that approved the intent's payment, and its reference;
/// `None` when the session's route no longer holds it.
pub async fn processor_of(
    state: &AppState,
    scope: &Scope,
    pi: &Value,
) -> Result<Option<(Arc<dyn Processor>, String)>, StoreError> {
    let approved = pi["attempts"]
        .as_array()
        .and_then(|a| a.iter().rev().find(|x| x["outcome"] == "approved"))
        .cloned()
        .unwrap_or_default();
    let name = approved["processor"].as_str().unwrap_or("test").to_owned();
    let reference = approved["detail"].as_str().unwrap_or_default().to_owned();
    let session = state.store.get_object(scope, pi["checkout_session"].as_str().unwrap_or_default()).await?;
    let session = session.map(|s| s.decode::<crate::domain::session::CheckoutSession>()).transpose()?.flatten();
    let route_id = session.as_ref().and_then(|s| s.processor_route.as_deref());
    let route = select::processors_for(state, scope, route_id).await?.unwrap_or_default();
    Ok(route.into_iter().find(|p| p.name() == name).map(|p| (p, reference)))
}

async fn ask<F, Fut>(state: &AppState, scope: &Scope, pi: &Value, call: F) -> Result<(), EndError>
where
    F: FnOnce(Arc<dyn Processor>, String) -> Fut,
    Fut: std::future::Future<Output = RefundOutcome>,
{
    let (processor, reference) = processor_of(state, scope, pi).await?.ok_or(EndError::NoProcessor)?;
    match call(processor, reference).await {
        RefundOutcome::Succeeded { .. } => Ok(()),
        RefundOutcome::Failed { reason } => Err(EndError::Refused(reason)),
        RefundOutcome::Unknown { reason } => Err(EndError::Unknown(reason)),
    }
}

fn update(pi: &StoredObject, doc: &Value) -> Change {
    Change::Update {
        id: pi.id.clone(),
        expected_version: pi.version,
        tags: payment_intent::tags(doc),
        doc: doc.clone(),
    }
}

/// Claims a capture of `amount` on the intent (or finds it already
/// claimed with that amount); returns the claimed intent.
async fn claim_capture(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    amount: i64,
) -> Result<StoredObject, EndError> {
    match pi.doc["pending_capture"]["amount"].as_i64() {
        Some(a) if a == amount => return Ok(pi.clone()),
        Some(a) => return Err(EndError::OtherAmount(a)),
        None => {}
    }
    let mut claimed = pi.clone();
    claimed.doc["pending_capture"] = json!({"amount": amount, "idempotency_key": format!("{}-capture", pi.id)});
    claimed.version += 1;
    commit(state, scope, vec![update(pi, &claimed.doc)]).await?;
    Ok(claimed)
}

async fn commit(state: &AppState, scope: &Scope, changes: Vec<Change>) -> Result<(), StoreError> {
    crate::engine::commit::commit(state, ChangeSet { scope: scope.clone(), changes, events: vec![], idempotency: None })
        .await
}

/// Captures `amount` (already checked against `amount_capturable`).
#[tracing::instrument(skip_all, fields(payment_intent = %pi.id, amount))]
pub async fn capture(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    amount: i64,
    ctx: &EventContext<'_>,
) -> Result<Ended, EndError> {
    let pi = claim_capture(state, scope, pi, amount).await?;
    let key = format!("{}-capture", pi.id);
    match ask(state, scope, &pi.doc, |p, r| async move { p.capture(&r, amount, &key).await }).await {
        Ok(()) => {}
        // Definitely not captured: the claim goes, the authorization stays.
        Err(e @ (EndError::Refused(_) | EndError::NoProcessor)) => {
            let mut doc = pi.doc.clone();
            payment_intent::strip(&mut doc, "pending_capture");
            commit(state, scope, vec![update(&pi, &doc)]).await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    let mut doc = pi.doc.clone();
    doc["status"] = json!("succeeded");
    doc["amount_received"] = json!(amount);
    doc["amount_capturable"] = json!(0);
    payment_intent::strip(&mut doc, "pending_capture");
    payment_intent::strip(&mut doc, "capture_before");
    let mut events = Vec::new();
    if let Some(ch) = charges::of_intent(state, scope, &doc).await? {
        events.push(event::build(ctx, "charge.captured", &ch, None));
    }
    events.push(event::build(ctx, "payment_intent.succeeded", &doc, None));
    Ok(Ended { changes: vec![update(&pi, &doc)], events, intent: doc })
}

/// Voids the authorization and cancels the intent (`reason` is the
/// merchant's, or `None`). Refused while a capture is under way.
#[tracing::instrument(skip_all, fields(payment_intent = %pi.id))]
pub async fn void(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    reason: Option<&str>,
    now: i64,
    ctx: &EventContext<'_>,
) -> Result<Ended, EndError> {
    if let Some(a) = pi.doc["pending_capture"]["amount"].as_i64() {
        return Err(EndError::OtherAmount(a));
    }
    let key = format!("{}-void", pi.id);
    ask(state, scope, &pi.doc, |p, r| async move { p.void(&r, &key).await }).await?;
    Ok(canceled(state, scope, pi, reason, now, ctx, "charge.refunded").await?)
}

/// The lapse of an authorization past `capture_before`. A capture under way
/// is finished instead (its key and amount are on the claim). A void the
/// processor refuses is not recorded: the intent is looked at again in an
/// hour. An unknown answer, or no processor, still cancels: the issuer
/// drops an authorization that old by itself.
#[tracing::instrument(skip_all, fields(payment_intent = %pi.id))]
pub async fn lapse(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    now: i64,
    ctx: &EventContext<'_>,
) -> Result<Ended, EndError> {
    if let Some(amount) = pi.doc["pending_capture"]["amount"].as_i64() {
        return capture(state, scope, pi, amount, ctx).await;
    }
    let key = format!("{}-void", pi.id);
    match ask(state, scope, &pi.doc, |p, r| async move { p.void(&r, &key).await }).await {
        Ok(()) | Err(EndError::Unknown(_) | EndError::NoProcessor) => {}
        Err(EndError::Refused(reason)) => {
            tracing::warn!(payment_intent = %pi.id, %reason, "the processor refused to void a lapsed authorization");
            let mut doc = pi.doc.clone();
            doc["capture_before"] = json!(now.saturating_add(3600));
            return Ok(Ended { changes: vec![update(pi, &doc)], events: vec![], intent: doc });
        }
        Err(e) => return Err(e),
    }
    Ok(canceled(state, scope, pi, Some("automatic"), now, ctx, "charge.expired").await?)
}

async fn canceled(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    reason: Option<&str>,
    now: i64,
    ctx: &EventContext<'_>,
    charge_event: &str,
) -> Result<Ended, StoreError> {
    let mut doc = pi.doc.clone();
    doc["status"] = json!("canceled");
    doc["canceled_at"] = json!(now);
    doc["cancellation_reason"] = json!(reason);
    doc["amount_capturable"] = json!(0);
    payment_intent::strip(&mut doc, "capture_before");
    let mut events = Vec::new();
    if let Some(ch) = charges::of_intent(state, scope, &doc).await? {
        events.push(event::build(ctx, charge_event, &ch, None));
    }
    events.push(event::build(ctx, "payment_intent.canceled", &doc, None));
    Ok(Ended { changes: vec![update(pi, &doc)], events, intent: doc })
}
