//! Custom amounts (seed 002): a price with `custom_unit_amount.enabled` takes
//! the buyer's `amount` at confirm, within the price's bounds (by default
//! the currency's minimum charge and maximum, `domain::currency`: 50 to
//! 99,999,999 for USD). The session's amounts are recomputed.

use serde_json::{json, Value};

use crate::api::plumbing::extract::Call;
use crate::domain::currency::Currency;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// Sets the custom-amount line to `amount` and recomputes the session.
pub async fn set(state: &AppState, call: &Call, doc: &mut Value, amount: i64, now: i64) -> ApiResult<()> {
    let mut items = doc["line_items"]["data"].as_array().cloned().unwrap_or_default();
    let Some(idx) = items.iter().position(|i| i["price"]["custom_unit_amount"].is_object()) else {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "amount",
            "This session has no price with a custom amount.",
        ));
    };
    let bounds = &items[idx]["price"]["custom_unit_amount"];
    let currency = doc["currency"].as_str().and_then(Currency::parse);
    let (min, max) = (
        bounds["minimum"].as_i64().or(currency.map(Currency::minimum_charge)).unwrap_or(1),
        bounds["maximum"].as_i64().or(currency.map(Currency::maximum_charge)).unwrap_or(i64::MAX),
    );
    if amount < min || amount > max {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "amount",
            format!("Invalid amount: must be between {min} and {max}."),
        ));
    }
    items[idx]["amount_subtotal"] = json!(amount);
    doc["line_items"]["data"] = json!(items);
    Ok(recompute(state, &call.scope(), doc, now).await?)
}

pub use crate::engine::pricing::recompute;
