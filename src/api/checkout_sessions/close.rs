//! Ending a session without a charge through kassa: `complete` (seed 000:
//! nothing owed, or paid elsewhere) and `cancel` (seed 001: as expire).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::api::checkout_sessions::{find, includes, not_open};
use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::domain::checkout_session::{PaymentStatus, SessionStatus};
use crate::domain::event;
use crate::domain::session::{self, CheckoutSession};
use crate::domain::version::ApiVersion;
use crate::error::{ApiError, ApiResult};
use crate::store::Change;
use crate::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CompleteParams {
    paid_out_of_band: Option<bool>,
}

/// Which ending, and its event.
#[derive(Clone, Copy)]
enum End {
    Complete { paid_out_of_band: bool },
    Expire,
}

async fn end(state: &AppState, call: &Call, id: &str, how: End, action: &'static str) -> ApiResult<Response> {
    let inc = includes(call, "");
    expand::validate(&inc.rest)?;
    let version = ApiVersion::parse(&call.auth.account_version).unwrap_or_else(|_| ApiVersion::latest());
    retry_on_conflict(|| async {
        let (current, stored) = find(state, call, id).await?;
        let now = state.now();
        session::require_open(&current, now, action).map_err(not_open)?;
        let (doc, kind) = match how {
            End::Expire => (session::expire(&current, now).map_err(not_open)?, "checkout.session.expired"),
            End::Complete { paid_out_of_band } => {
                (completed(&current, now, paid_out_of_band)?, "checkout.session.completed")
            }
        };
        let evt = event::of_session(&call.event_ctx(now), kind, &doc, now, &version);
        let mut changes = match how {
            End::Complete { .. } => crate::engine::payment::redeem::redeem(state, &call.scope(), &doc).await?,
            End::Expire => Vec::new(),
        };
        let body = super::body(state, call, &doc, &inc).await?;
        changes.push(Change::update(&doc, stored)?);
        answer::commit(state, call, answer::Writes { changes, events: vec![evt] }, StatusCode::OK, body).await
    })
    .await
}

/// The session completed without a charge through kassa.
fn completed(s: &CheckoutSession, now: i64, paid_out_of_band: bool) -> ApiResult<CheckoutSession> {
    if session::confirming(s, now) {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "id",
            "A payment for this Checkout Session is in progress.",
        ));
    }
    if s.amount_total.unwrap_or(0) > 0 && !paid_out_of_band {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "paid_out_of_band",
            "This Checkout Session has an amount due: confirm it, or pass paid_out_of_band=true if it was paid elsewhere.",
        ));
    }
    let mut d = s.clone();
    d.status = SessionStatus::Complete;
    d.payment_status = if paid_out_of_band { PaymentStatus::Paid } else { PaymentStatus::NoPaymentRequired };
    d.url = None;
    Ok(d)
}

/// Complete an open session without a charge through kassa: allowed when
/// nothing is owed, or with `paid_out_of_band=true`.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/complete", operation_id = "PostCheckoutSessionsSessionComplete", request_body(content((CompleteParams = "application/x-www-form-urlencoded"), (CompleteParams = "application/json"))),
    tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, body = CheckoutSession, description = "The completed session"), (status = 400, description = "Not open, or an amount is due")))]
pub async fn complete(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: CompleteParams = call.parse()?;
    end(&state, &call, &id, End::Complete { paid_out_of_band: p.paid_out_of_band == Some(true) }, "completed").await
}

/// Cancel an open session: it ends as `expired`, with the same event as expire.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/cancel", operation_id = "PostCheckoutSessionsSessionCancel",
    request_body(content((crate::api::plumbing::schemas::ExpandOnly = "application/x-www-form-urlencoded"), (crate::api::plumbing::schemas::ExpandOnly = "application/json"))),
    tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, body = CheckoutSession, description = "The cancelled (expired) session"), (status = 400, description = "Not open")))]
pub async fn cancel(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Response> {
    call.no_params()?;
    end(&state, &call, &id, End::Expire, "cancelled").await
}

/// Expire an open Checkout Session.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/expire", operation_id = "PostCheckoutSessionsSessionExpire",
    request_body(content((crate::api::plumbing::schemas::ExpandOnly = "application/x-www-form-urlencoded"), (crate::api::plumbing::schemas::ExpandOnly = "application/json"))),
    tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, body = CheckoutSession, description = "The expired Checkout Session"), (status = 400, description = "The session is not open")))]
pub async fn expire(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Response> {
    call.no_params()?;
    end(&state, &call, &id, End::Expire, "expired").await
}
