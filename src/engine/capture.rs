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

use super::charges;
use super::intent::Intent;
use crate::domain::event::{self, EventContext};
use crate::domain::outcome::AttemptOutcome;
use crate::domain::payment_intent::{CancellationReason, PaymentIntent, PaymentIntentStatus, PendingCapture};
use crate::processor::{select, Processor, RefundOutcome};
use crate::store::{Change, ChangeSet, Scope, StoreError};
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
    pub intent: PaymentIntent,
    pub changes: Vec<Change>,
    pub events: Vec<event::Event>,
}

/// The processor that approved the intent's payment, and its reference;
/// `None` when the session's route no longer holds it.
pub async fn processor_of(
    state: &AppState,
    scope: &Scope,
    pi: &PaymentIntent,
) -> Result<Option<(Arc<dyn Processor>, String)>, StoreError> {
    let approved = pi.attempts.iter().rev().find(|x| x.outcome == AttemptOutcome::Approved);
    let name = approved.map_or("test", |a| a.processor.as_str()).to_owned();
    let reference = approved.and_then(|a| a.detail.clone()).unwrap_or_default();
    let session = state.store.get_object(scope, &pi.checkout_session).await?;
    let session = session.map(|s| s.decode::<crate::domain::session::CheckoutSession>()).transpose()?.flatten();
    let route_id = session.as_ref().and_then(|s| s.processor_route.as_deref());
    let route = select::processors_for(state, scope, route_id).await?.unwrap_or_default();
    Ok(route.into_iter().find(|p| p.name() == name).map(|p| (p, reference)))
}

async fn ask<F, Fut>(state: &AppState, scope: &Scope, pi: &PaymentIntent, call: F) -> Result<(), EndError>
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

/// Claims a capture of `amount` on the intent (or finds it already
/// claimed with that amount); returns the claimed intent.
async fn claim_capture(state: &AppState, scope: &Scope, read: &Intent, amount: i64) -> Result<Intent, EndError> {
    match &read.pi.pending_capture {
        Some(c) if c.amount == amount => return Ok(read.clone()),
        Some(c) => return Err(EndError::OtherAmount(c.amount)),
        None => {}
    }
    let mut claimed = read.clone();
    claimed.pi.pending_capture = Some(PendingCapture { amount, idempotency_key: format!("{}-capture", read.pi.id) });
    claimed.version += 1;
    commit(state, scope, vec![read.update(&claimed.pi)?]).await?;
    Ok(claimed)
}

async fn commit(state: &AppState, scope: &Scope, changes: Vec<Change>) -> Result<(), StoreError> {
    crate::engine::commit::commit(state, ChangeSet { scope: scope.clone(), changes, events: vec![], idempotency: None })
        .await
}

/// Captures `amount` (already checked against `amount_capturable`).
#[tracing::instrument(skip_all, fields(payment_intent = %read.pi.id, amount))]
pub async fn capture(
    state: &AppState,
    scope: &Scope,
    read: &Intent,
    amount: i64,
    ctx: &EventContext<'_>,
) -> Result<Ended, EndError> {
    let read = claim_capture(state, scope, read, amount).await?;
    let key = format!("{}-capture", read.pi.id);
    match ask(state, scope, &read.pi, |p, r| async move { p.capture(&r, amount, &key).await }).await {
        Ok(()) => {}
        // Definitely not captured: the claim goes, the authorization stays.
        Err(e @ (EndError::Refused(_) | EndError::NoProcessor)) => {
            let mut pi = read.pi.clone();
            pi.pending_capture = None;
            commit(state, scope, vec![read.update(&pi)?]).await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    let mut pi = read.pi.clone();
    pi.status = PaymentIntentStatus::Succeeded;
    pi.amount_received = amount;
    pi.amount_capturable = 0;
    pi.pending_capture = None;
    pi.capture_before = None;
    let mut events = Vec::new();
    if let Some(ch) = charges::of_intent(state, scope, &pi).await? {
        events.push(event::build(ctx, "charge.captured", &ch, None));
    }
    events.push(event::of(ctx, "payment_intent.succeeded", &pi));
    Ok(Ended { changes: vec![read.update(&pi)?], events, intent: pi })
}

/// Voids the authorization and cancels the intent (`reason` is the
/// merchant's, or `None`). Refused while a capture is under way.
#[tracing::instrument(skip_all, fields(payment_intent = %read.pi.id))]
pub async fn void(
    state: &AppState,
    scope: &Scope,
    read: &Intent,
    reason: Option<CancellationReason>,
    ctx: &EventContext<'_>,
) -> Result<Ended, EndError> {
    if let Some(c) = &read.pi.pending_capture {
        return Err(EndError::OtherAmount(c.amount));
    }
    let key = format!("{}-void", read.pi.id);
    ask(state, scope, &read.pi, |p, r| async move { p.void(&r, &key).await }).await?;
    Ok(canceled(state, scope, read, Cancel { reason, charge_event: "charge.refunded" }, ctx).await?)
}

/// The lapse of an authorization past `capture_before`. A capture under way
/// is finished instead (its key and amount are on the claim). A void the
/// processor refuses is not recorded: the intent is looked at again in an
/// hour. An unknown answer, or no processor, still cancels: the issuer
/// drops an authorization that old by itself.
#[tracing::instrument(skip_all, fields(payment_intent = %read.pi.id))]
pub async fn lapse(state: &AppState, scope: &Scope, read: &Intent, ctx: &EventContext<'_>) -> Result<Ended, EndError> {
    if let Some(c) = &read.pi.pending_capture {
        return capture(state, scope, read, c.amount, ctx).await;
    }
    let key = format!("{}-void", read.pi.id);
    match ask(state, scope, &read.pi, |p, r| async move { p.void(&r, &key).await }).await {
        Ok(()) | Err(EndError::Unknown(_) | EndError::NoProcessor) => {}
        Err(EndError::Refused(reason)) => {
            tracing::warn!(payment_intent = %read.pi.id, %reason, "the processor refused to void a lapsed authorization");
            let mut pi = read.pi.clone();
            pi.capture_before = Some(ctx.now.saturating_add(3600));
            return Ok(Ended { changes: vec![read.update(&pi)?], events: vec![], intent: pi });
        }
        Err(e) => return Err(e),
    }
    let reason = Some(CancellationReason::Automatic);
    Ok(canceled(state, scope, read, Cancel { reason, charge_event: "charge.expired" }, ctx).await?)
}

/// How an authorization is canceled: the intent's reason, and the event
/// its charge gets.
struct Cancel {
    reason: Option<CancellationReason>,
    charge_event: &'static str,
}

async fn canceled(
    state: &AppState,
    scope: &Scope,
    read: &Intent,
    how: Cancel,
    ctx: &EventContext<'_>,
) -> Result<Ended, StoreError> {
    let mut pi = read.pi.clone();
    pi.status = PaymentIntentStatus::Canceled;
    pi.canceled_at = Some(ctx.now);
    pi.cancellation_reason = how.reason;
    pi.amount_capturable = 0;
    pi.capture_before = None;
    let mut events = Vec::new();
    if let Some(ch) = charges::of_intent(state, scope, &pi).await? {
        events.push(event::build(ctx, how.charge_event, &ch, None));
    }
    events.push(event::of(ctx, "payment_intent.canceled", &pi));
    Ok(Ended { changes: vec![read.update(&pi)?], events, intent: pi })
}
