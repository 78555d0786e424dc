//! The merchant's update of a session's `payment_intent_data` (Stripe's
//! `description`, `metadata`, `setup_future_usage` and statement
//! descriptors; `mode=payment` with `ui_mode=elements`, as Stripe's rule).

use crate::api::plumbing::extract::Call;
use crate::domain::intent_data::{self, PaymentIntentDataUpdate};
use crate::domain::session::CheckoutSession;
use crate::domain::session_params::{Mode, UiMode};
use crate::engine::intent;
use crate::error::{ApiError, ApiResult};
use crate::store::{Change, StoreError};
use crate::AppState;

/// Sets the session's `payment_intent_data`; an intent a failed try already
/// made takes it too (the returned change, committed with the session).
pub async fn update(
    state: &AppState,
    call: &Call,
    s: &mut CheckoutSession,
    u: &PaymentIntentDataUpdate,
) -> ApiResult<Vec<Change>> {
    if s.mode != Mode::Payment || s.ui_mode != UiMode::Elements {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "payment_intent_data",
            "`payment_intent_data` can only be updated on sessions with `mode=payment` and `ui_mode=elements`.",
        ));
    }
    s.payment_intent_data = Some(intent_data::update_payment_intent_data(s.payment_intent_data.as_ref(), u)?);
    let Some(pi_id) = s.payment_intent.as_deref() else { return Ok(Vec::new()) };
    let Some(read) = intent::load(state, &call.scope(), pi_id).await? else { return Ok(Vec::new()) };
    let mut next = read.pi.clone();
    next.apply_session_update(s).map_err(|e| StoreError::Backend(format!("payment_intent_data: {e}")))?;
    Ok(vec![read.update(&next)?])
}
