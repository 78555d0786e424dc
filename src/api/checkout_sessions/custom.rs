//! Custom amounts (seed 002): a price with `custom_unit_amount.enabled` takes
//! the buyer's `amount` at confirm, within the price's bounds (by default
//! the currency's minimum charge and maximum, `domain::currency`: 50 to
//! 99,999,999 for USD). The session's amounts are recomputed.

use crate::api::plumbing::extract::Call;
use crate::domain::currency::Currency;
use crate::domain::session::CheckoutSession;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Sets the custom-amount line to `amount` and recomputes the session.
pub async fn set(state: &AppState, call: &Call, s: &mut CheckoutSession, amount: i64, now: i64) -> ApiResult<()> {
    let items = &mut s.line_items.data;
    let Some(line) = items.iter_mut().find(|i| i.price.custom_unit_amount.is_some()) else {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "amount",
            "This session has no price with a custom amount.",
        ));
    };
    let bounds = line.price.custom_unit_amount.as_ref();
    let currency = s.currency.as_deref().and_then(Currency::parse);
    let (min, max) = (
        bounds.and_then(|b| b.minimum).or(currency.map(Currency::minimum_charge)).unwrap_or(1),
        bounds.and_then(|b| b.maximum).or(currency.map(Currency::maximum_charge)).unwrap_or(i64::MAX),
    );
    if amount < min || amount > max {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "amount",
            format!("Invalid amount: must be between {min} and {max}."),
        ));
    }
    line.amount_subtotal = amount;
    Ok(recompute(state, &call.scope(), s, now).await?)
}

pub use crate::engine::pricing::recompute;
