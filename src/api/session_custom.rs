//! Custom amounts (seed 002): a price with `custom_unit_amount.enabled` takes
//! the buyer's `amount` at confirm, within the price's bounds (by default
//! the currency's minimum charge and maximum, `domain::currency`: 50 to
//! 99,999,999 for USD). The session's amounts are recomputed.

use serde_json::{json, Value};

use super::extract::Call;
use super::session_amounts;
use super::session_lines::Lines;
use crate::domain::currency::Currency;
use crate::domain::pricing::LineAmounts;
use crate::domain::session;
use crate::error::{ApiError, ApiResult};
use crate::store::Scope;
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
    recompute(state, &call.scope(), doc, now).await
}

/// Recomputes a stored session's amounts from its line subtotals, its
/// discount, its lines' tax rates and its chosen shipping.
pub async fn recompute(state: &AppState, scope: &Scope, doc: &mut Value, now: i64) -> ApiResult<()> {
    let items = doc["line_items"]["data"].as_array().cloned().unwrap_or_default();
    let mut rates = Vec::with_capacity(items.len());
    for item in &items {
        let mut line = Vec::new();
        for t in item["taxes"].as_array().into_iter().flatten() {
            if let Some(id) = t["rate"]["id"].as_str() {
                if let Some(r) = state.store.get_object(scope, id).await? {
                    line.push(r.doc);
                }
            }
        }
        rates.push(line);
    }
    let amounts = items.iter().map(|i| LineAmounts::new(i["amount_subtotal"].as_i64().unwrap_or(0))).collect();
    let mut lines =
        Lines { items, amounts, currency: doc["currency"].as_str().map(str::to_owned), changes: Vec::new(), rates };
    // A coupon deleted since it was applied keeps its discount here.
    let coupon = session_amounts::applied_coupon(state, scope, doc).await?;
    let id = doc["id"].as_str().unwrap_or_default().to_owned();
    let shipping = doc["total_details"]["amount_shipping"].as_i64().unwrap_or(0);
    let priced = session_amounts::price(&mut lines, coupon.as_ref(), &id, now)?;
    let (sub, total, details) = session::totals_json(&priced.totals);
    doc["amount_subtotal"] = sub;
    doc["amount_total"] = json!(total.as_i64().unwrap_or(0).checked_add(shipping).ok_or_else(|| ApiError::invalid(
        "amount_too_large",
        "amount",
        "The session's total is too large."
    ))?);
    doc["total_details"] = details;
    doc["total_details"]["amount_shipping"] = json!(shipping);
    doc["total_details_breakdown"] = priced.breakdown;
    doc["line_items"]["data"] = json!(lines.items);
    session_amounts::keep_coupon(doc, coupon.as_ref());
    Ok(())
}
