//! Refunds: `POST /v1/refunds` (Stripe's) and `POST /v1/payment_intents/{id}/refund`.
//! The refunded amount is reserved on the PaymentIntent (a conditional write)
//! before the processor is asked, so racing refunds never exceed the charge.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::api::plumbing::list;
use crate::api::plumbing::resource;
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::payment_intent::{self, PaymentIntent, PaymentIntentStatus};
use crate::domain::refund::{self, Refund, RefundFailureReason, RefundReason, RefundStatus, Request};
use crate::engine::intent::Intent;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::processor::{Processor, RefundOutcome};
use crate::store::{Change, ChangeSet, StoreError};
use crate::AppState;

pub use crate::domain::refund::KIND;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RefundParams {
    payment_intent: Option<String>,
    amount: Option<i64>,
    reason: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct IntentRefundParams {
    amount: Option<i64>,
    reason: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
}

/// The processor that took the payment, found by name in the session's route.
async fn processor_for(
    state: &AppState,
    call: &Call,
    intent: &PaymentIntent,
) -> ApiResult<(Arc<dyn Processor>, String)> {
    crate::engine::capture::processor_of(state, &call.scope(), intent).await?.ok_or_else(|| {
        ApiError::invalid(
            "parameter_invalid",
            "payment_intent",
            "The processor that took this payment is no longer configured.",
        )
    })
}

/// The refund reason a request named, or Stripe's error.
fn reason(r: Option<String>) -> ApiResult<Option<RefundReason>> {
    let Some(r) = r else { return Ok(None) };
    RefundReason::parse(&r).map(Some).ok_or_else(|| {
        ApiError::invalid(
            "parameter_invalid_enum",
            "reason",
            "Invalid reason: must be one of duplicate, fraudulent, requested_by_customer.",
        )
    })
}

/// What a refund request named.
struct Asked {
    amount: Option<i64>,
    reason: Option<RefundReason>,
    metadata: BTreeMap<String, String>,
}

/// How much of the intent's payment a refund may take, or why none.
fn refundable(pi: &PaymentIntent, asked: Option<i64>) -> ApiResult<(i64, i64)> {
    if pi.status != PaymentIntentStatus::Succeeded {
        return Err(ApiError::bad_request(
            "charge_not_refundable",
            "This PaymentIntent does not have a successful charge to refund.",
        ));
    }
    let refunded = pi.amount_refunded;
    let refundable = pi.amount_received.saturating_sub(refunded);
    let amount = asked.unwrap_or(refundable);
    if amount <= 0 {
        return Err(ApiError::invalid("parameter_invalid", "amount", "Invalid amount: must be at least 1."));
    }
    if amount > refundable {
        return Err(ApiError::invalid(
            "amount_too_large",
            "amount",
            format!("Refund amount ({amount}) is greater than the unrefunded amount ({refundable})."),
        ));
    }
    Ok((amount, refunded))
}

async fn refund(state: &AppState, call: &Call, pi_id: &str, asked: Asked, param: Option<&str>) -> ApiResult<Response> {
    retry_on_conflict(|| async {
        let now = state.now();
        let read = match param {
            Some(p) => {
                let id = resource::IdParam { id: pi_id, param: p };
                resource::find_param(state, call, payment_intent::KIND, "payment_intent", id).await?
            }
            None => resource::find(state, call, payment_intent::KIND, "payment_intent", pi_id).await?,
        };
        let read = Intent::of(&read)?;
        let (amount, refunded) = refundable(&read.pi, asked.amount)?;
        // Know who to ask before reserving anything.
        let (processor, reference) = processor_for(state, call, &read.pi).await?;
        let mut reserved = read.pi.clone();
        reserved.amount_refunded = refunded + amount;
        let request = Request { amount, reason: asked.reason, metadata: asked.metadata.clone() };
        let pending = refund::pending(&new_id(Refund::PREFIX), &read.pi, request, now);
        let claim = ChangeSet {
            scope: call.scope(),
            changes: vec![read.update(&reserved)?, Change::insert(&pending)?],
            events: vec![],
            idempotency: None,
        };
        crate::engine::commit::commit(state, claim).await?;
        let outcome = processor.refund(&reference, amount, &pending.id).await;
        let mut done = pending;
        let ctx = call.event_ctx(now);
        let mut events = Vec::new();
        match outcome {
            RefundOutcome::Succeeded { .. } => {
                done.status = RefundStatus::Succeeded;
                events.push(event::of(&ctx, "refund.created", &done));
                if let Some(ch) = crate::engine::charges::of_intent(state, &call.scope(), &reserved).await? {
                    events.push(event::build(&ctx, "charge.refunded", &ch, None));
                }
            }
            RefundOutcome::Failed { reason } => {
                done.status = RefundStatus::Failed;
                done.failure_reason = Some(RefundFailureReason::Unknown);
                tracing::warn!(refund = %done.id, %reason, "refund refused by the processor");
                release(state, call, pi_id, amount).await?;
                events.push(event::of(&ctx, "refund.failed", &done));
            }
            // Perhaps refunded: the amount stays reserved and the refund
            // pending, so it is never sent again under another key.
            RefundOutcome::Unknown { reason } => {
                tracing::warn!(refund = %done.id, %reason, "refund outcome unknown; left pending");
                events.push(event::of(&ctx, "refund.created", &done));
            }
        }
        let changes = vec![Change::update(&done, 1)?];
        answer::commit(state, call, answer::Writes { changes, events }, StatusCode::OK, done.wire()).await
    })
    .await
}

/// Gives a refused refund's amount back to the intent (re-read each try, as
/// other refunds may have changed it meanwhile).
async fn release(state: &AppState, call: &Call, pi_id: &str, amount: i64) -> ApiResult<()> {
    for _ in 0..10 {
        let read = Intent::of(&resource::find(state, call, payment_intent::KIND, "payment_intent", pi_id).await?)?;
        let mut pi = read.pi.clone();
        pi.amount_refunded = pi.amount_refunded.saturating_sub(amount).max(0);
        let set =
            ChangeSet { scope: call.scope(), changes: vec![read.update(&pi)?], events: vec![], idempotency: None };
        match crate::engine::commit::commit(state, set).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// Refund a payment, in full or in part.
#[utoipa::path(post, path = "/v1/refunds", operation_id = "PostRefunds", request_body(content((RefundParams = "application/x-www-form-urlencoded"), (RefundParams = "application/json"))),
    tag = "payments", responses((status = 200, body = Refund, description = "The refund"), (status = 400, description = "Nothing to refund")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: RefundParams = call.parse()?;
    expand::validate(&call.expand)?;
    let pi = p.payment_intent.ok_or_else(|| ApiError::missing_param("payment_intent"))?;
    let asked = Asked { amount: p.amount, reason: reason(p.reason)?, metadata: p.metadata.unwrap_or_default() };
    refund(&state, &call, &pi, asked, Some("payment_intent")).await
}

/// Refund a PaymentIntent, in full or in part.
#[utoipa::path(post, path = "/v1/payment_intents/{id}/refund", operation_id = "PostPaymentIntentsIntentRefund", request_body(content((IntentRefundParams = "application/x-www-form-urlencoded"), (IntentRefundParams = "application/json"))),
    tag = "payments", params(("id" = String, Path, description = "pi_…")),
    responses((status = 200, body = Refund, description = "The refund"), (status = 404, description = "No such payment_intent")))]
pub async fn refund_intent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    mut call: Call,
) -> ApiResult<Response> {
    let p: IntentRefundParams = call.parse()?;
    let asked = Asked { amount: p.amount, reason: reason(p.reason)?, metadata: p.metadata.unwrap_or_default() };
    refund(&state, &call, &id, asked, None).await
}

/// Retrieve a refund.
#[utoipa::path(get, path = "/v1/refunds/{id}", operation_id = "GetRefundsRefund", tag = "payments", params(("id" = String, Path, description = "re_…")),
    responses((status = 200, body = Refund, description = "The refund"), (status = 404, description = "No such refund")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    Ok(Json(resource::find_typed::<Refund>(&state, &call, "refund", &id).await?.0.wire()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    payment_intent: Option<String>,
}

/// List refunds (`payment_intent` filter).
#[utoipa::path(get, path = "/v1/refunds", operation_id = "GetRefunds", params(ListFilters), tag = "payments", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of refunds")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let filters = f.payment_intent.map(|p| vec![("payment_intent".to_owned(), p)]).unwrap_or_default();
    Ok(Json(list::run(&state, &call, lp, list::Listing::new(KIND, "refund", filters), list::stored).await?)
        .into_response())
}
