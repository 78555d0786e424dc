//! `POST /v1/payment_intents/{id}/capture` and `…/cancel`: the end of an
//! authorization made with `payment_intent_data[capture_method]=manual`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::api::plumbing::resource;
use crate::domain::document::Document;
use crate::domain::payment_intent::{CancellationReason, PaymentIntent, PaymentIntentStatus};
use crate::domain::product::merge_metadata;
use crate::engine::capture::{self, EndError, Ended};
use crate::engine::intent::Intent;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::AppState;

fn unexpected_state(message: String) -> ApiError {
    ApiError::bad_request("payment_intent_unexpected_state", message)
}

impl From<EndError> for ApiError {
    fn from(e: EndError) -> Self {
        match e {
            EndError::Store(e) => e.into(),
            EndError::NoProcessor => ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorType::Api,
                Some("processor_unavailable"),
                "The processor that took this payment is no longer configured in its session's route.",
            ),
            EndError::OtherAmount(a) => unexpected_state(format!(
                "A capture of {a} is already under way for this PaymentIntent: retry it with amount_to_capture={a}, or wait for it to finish."
            )),
            EndError::Refused(reason) => ApiError::new(
                StatusCode::PAYMENT_REQUIRED,
                ErrorType::Card,
                Some("processing_error"),
                format!("The processor refused: {reason}"),
            ),
            EndError::Unknown(_) => ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorType::Api,
                Some("processor_unavailable"),
                "The processor's answer is not known yet. Retry the same request: it asks the processor the same question again.",
            ),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CaptureParams {
    amount_to_capture: Option<i64>,
    metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Capture an authorized PaymentIntent, in full or in part.
#[utoipa::path(post, path = "/v1/payment_intents/{id}/capture", operation_id = "PostPaymentIntentsIntentCapture", request_body(content((CaptureParams = "application/x-www-form-urlencoded"), (CaptureParams = "application/json"))),
    tag = "payments",
    params(("id" = String, Path, description = "pi_…")),
    responses((status = 200, body = PaymentIntent, description = "The captured PaymentIntent"),
              (status = 400, description = "Not capturable, or more than is capturable")))]
pub async fn capture(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: CaptureParams = call.parse()?;
    expand::validate(&call.expand)?;
    let (state, call) = (&state, &call);
    retry_on_conflict(|| async {
        let (mut pi, version) = resource::find_typed::<PaymentIntent>(state, call, "payment_intent", &id).await?;
        // Checked (and kept) before the processor is asked.
        pi.metadata = merge_metadata(&pi.metadata, &p.metadata.clone().map(Some), "")?;
        if pi.status != PaymentIntentStatus::RequiresCapture {
            return Err(unexpected_state(format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                pi.status.as_str()
            )));
        }
        let now = state.now();
        if pi.capture_before.is_some_and(|t| now >= t) {
            return Err(ApiError::bad_request(
                "charge_expired_for_capture",
                "The charge expired for capture: an authorization can be captured for 7 days.",
            ));
        }
        let capturable = pi.amount_capturable;
        let amount = p.amount_to_capture.unwrap_or(capturable);
        if amount < 1 {
            return Err(ApiError::invalid("parameter_invalid", "amount_to_capture", "Invalid amount_to_capture: must be at least 1."));
        }
        if amount > capturable {
            return Err(ApiError::invalid(
                "amount_too_large",
                "amount_to_capture",
                format!("The amount to capture ({amount}) is greater than the amount capturable ({capturable})."),
            ));
        }
        let read = Intent { pi, version };
        let ended = capture::capture(state, &call.scope(), &read, amount, &call.event_ctx(now)).await?;
        respond(state, call, ended).await
    })
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CancelParams {
    cancellation_reason: Option<String>,
}

/// Cancel a PaymentIntent whose authorization was not captured (the
/// processor voids it). Intents of an open Checkout Session end with the
/// session: expire it instead.
#[utoipa::path(post, path = "/v1/payment_intents/{id}/cancel", operation_id = "PostPaymentIntentsIntentCancel", request_body(content((CancelParams = "application/x-www-form-urlencoded"), (CancelParams = "application/json"))),
    tag = "payments",
    params(("id" = String, Path, description = "pi_…")),
    responses((status = 200, body = PaymentIntent, description = "The canceled PaymentIntent"),
              (status = 400, description = "Not in a state that can be canceled")))]
pub async fn cancel(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: CancelParams = call.parse()?;
    expand::validate(&call.expand)?;
    let reason = match p.cancellation_reason.as_deref() {
        None => None,
        Some(r) => Some(CancellationReason::merchant(r).ok_or_else(|| {
            ApiError::invalid(
                "parameter_invalid_enum",
                "cancellation_reason",
                format!("Invalid cancellation_reason: must be one of {}.", CancellationReason::MERCHANT.join(", ")),
            )
        })?),
    };
    let (state, call) = (&state, &call);
    retry_on_conflict(|| async {
        let (pi, version) = resource::find_typed::<PaymentIntent>(state, call, "payment_intent", &id).await?;
        match pi.status {
            PaymentIntentStatus::RequiresCapture => {}
            s @ (PaymentIntentStatus::Succeeded | PaymentIntentStatus::Canceled | PaymentIntentStatus::Processing) => {
                return Err(unexpected_state(format!(
                    "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action.",
                    s.as_str()
                )))
            }
            _ => {
                return Err(unexpected_state(
                    "This PaymentIntent belongs to a Checkout Session: expire the session (POST /v1/checkout/sessions/{id}/expire) instead."
                        .into(),
                ))
            }
        }
        let now = state.now();
        let ended = capture::void(state, &call.scope(), &Intent { pi, version }, reason, &call.event_ctx(now)).await?;
        respond(state, call, ended).await
    })
    .await
}

async fn respond(state: &AppState, call: &Call, ended: Ended) -> ApiResult<Response> {
    let body = resource::respond(state, call, ended.intent.wire()).await?;
    answer::commit(state, call, answer::Writes { changes: ended.changes, events: ended.events }, StatusCode::OK, body)
        .await
}
