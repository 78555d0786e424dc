//! Ending an authorization (`capture_method=manual`): capture some or all
//! of it, or void it (a cancel, or the lapse after seven days).
//!
//! The processor is asked first, under a key made from the intent's id, so
//! a retry or a racing request asks the very same question and a gateway
//! answers it once. Only a definite answer is recorded; the caller commits
//! the returned change version-conditionally.

use std::sync::Arc;

use serde_json::{json, Value};

use super::charges;
use crate::domain::event::{self, EventContext};
use crate::domain::payment_intent;
use crate::processor::{select, Processor, RefundOutcome};
use crate::store::{Change, Scope, StoreError, StoredObject};
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
    let route_id = session.as_ref().and_then(|s| s.doc["processor_route"].as_str());
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

/// Captures `amount` (already checked against `amount_capturable`).
pub async fn capture(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    amount: i64,
    ctx: &EventContext<'_>,
) -> Result<Ended, EndError> {
    let key = format!("{}-capture", pi.id);
    ask(state, scope, &pi.doc, |p, r| async move { p.capture(&r, amount, &key).await }).await?;
    let mut doc = pi.doc.clone();
    doc["status"] = json!("succeeded");
    doc["amount_received"] = json!(amount);
    doc["amount_capturable"] = json!(0);
    if let Some(m) = doc.as_object_mut() {
        m.remove("capture_before");
    }
    let mut events = Vec::new();
    if let Some(ch) = charges::of_intent(state, scope, &doc).await? {
        events.push(event::build(ctx, "charge.captured", &ch, None));
    }
    events.push(event::build(ctx, "payment_intent.succeeded", &doc, None));
    Ok(Ended { changes: vec![update(pi, &doc)], events, intent: doc })
}

/// Voids the authorization and cancels the intent with `reason`. A lapse
/// (`automatic`) cancels even when the processor cannot be told: the
/// issuer releases an authorization that old by itself.
pub async fn void(
    state: &AppState,
    scope: &Scope,
    pi: &StoredObject,
    reason: &str,
    now: i64,
    ctx: &EventContext<'_>,
) -> Result<Ended, EndError> {
    let key = format!("{}-void", pi.id);
    match ask(state, scope, &pi.doc, |p, r| async move { p.void(&r, &key).await }).await {
        Ok(()) => {}
        Err(EndError::Store(e)) => return Err(EndError::Store(e)),
        Err(e) if reason == "automatic" => {
            tracing::warn!(payment_intent = %pi.id, error = ?e, "void of a lapsed authorization not confirmed");
        }
        Err(e) => return Err(e),
    }
    let mut doc = pi.doc.clone();
    doc["status"] = json!("canceled");
    doc["canceled_at"] = json!(now);
    doc["cancellation_reason"] = json!(reason);
    doc["amount_capturable"] = json!(0);
    if let Some(m) = doc.as_object_mut() {
        m.remove("capture_before");
    }
    let mut events = Vec::new();
    if let Some(ch) = charges::of_intent(state, scope, &doc).await? {
        events.push(event::build(ctx, "charge.refunded", &ch, None));
    }
    events.push(event::build(ctx, "payment_intent.canceled", &doc, None));
    Ok(Ended { changes: vec![update(pi, &doc)], events, intent: doc })
}
