//! A session's money after its lines are built: the coupon's discount and
//! each line's tax rates (domain::adjust), written back into the line items,
//! with the totals and the `total_details.breakdown` includable; the
//! coupon a session keeps; and Stripe's charge limits on its total.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::session_lines::Lines;
use crate::domain::adjust::{self, Line};
use crate::domain::coupon;
use crate::domain::currency::{Currency, Limit};
use crate::domain::pricing::{self, Totals};
use crate::domain::tax_rate;
use crate::error::{ApiError, ApiResult};
use crate::store::Scope;
use crate::AppState;

pub struct Priced {
    pub totals: Totals,
    pub breakdown: Value,
}

fn too_large() -> ApiError {
    ApiError::invalid("amount_too_large", "line_items", "The session's total is too large.")
}

/// The discount object a session shows for its coupon.
pub fn discount_object(coupon: &Value, session_id: &str, now: i64) -> Value {
    let c = coupon::render(coupon, now);
    json!({"id": format!("di_{}", session_id.trim_start_matches("cs_")), "object": "discount", "checkout_session": session_id,
           "coupon": c, "source": {"coupon": c["id"], "type": "coupon"}, "customer": null, "end": null,
           "invoice": null, "invoice_item": null, "promotion_code": null, "start": now, "subscription": null})
}

/// Applies `coupon` and the lines' rates; rewrites `lines.items` and amounts.
pub fn price(lines: &mut Lines, coupon: Option<&Value>, session_id: &str, now: i64) -> ApiResult<Priced> {
    let currency = lines.currency.clone().unwrap_or_default();
    let discount = coupon.and_then(|c| coupon::discount(c, &currency));
    let inputs: Vec<Line> = lines
        .items
        .iter()
        .zip(lines.rates.iter().chain(std::iter::repeat(&Vec::new())))
        .map(|(item, rates)| Line {
            subtotal: item["amount_subtotal"].as_i64().unwrap_or(0),
            // Custom (buyer-chosen) amounts are not discounted (seed 002).
            discountable: item["price"]["custom_unit_amount"].is_null()
                && coupon.is_some_and(|c| coupon::applies_to(c, item["price"]["product"].as_str().unwrap_or_default())),
            rates: rates.iter().filter_map(tax_rate::rate).collect(),
        })
        .collect();
    let adjusted = adjust::apply(&inputs, discount).map_err(|_| too_large())?;
    let disc_obj = coupon.map(|c| discount_object(c, session_id, now));
    let mut taxes: BTreeMap<String, (i64, i64, Value)> = BTreeMap::new();
    for ((item, a), rates) in
        lines.items.iter_mut().zip(&adjusted).zip(lines.rates.iter().chain(std::iter::repeat(&Vec::new())))
    {
        let total = a.amounts.total().map_err(|_| too_large())?;
        let tax = a.amounts.tax().map_err(|_| too_large())?;
        item["amount_discount"] = json!(a.amounts.discount);
        item["amount_tax"] = json!(tax);
        item["amount_total"] = json!(total);
        item["discounts"] = match (&disc_obj, a.amounts.discount) {
            (Some(d), n) if n > 0 => json!([{"amount": n, "discount": d}]),
            _ => json!([]),
        };
        let mut line_taxes = Vec::new();
        for (t, rate) in a.taxes.iter().zip(rates) {
            let shown = tax_rate::render(rate, now);
            line_taxes.push(json!({"amount": t.amount, "rate": shown, "taxability_reason": "standard_rated", "taxable_amount": t.taxable_amount}));
            let e = taxes.entry(t.rate.clone()).or_insert((0, 0, shown));
            e.0 = e.0.checked_add(t.amount).ok_or_else(too_large)?;
            e.1 = e.1.checked_add(t.taxable_amount).ok_or_else(too_large)?;
        }
        item["taxes"] = json!(line_taxes);
    }
    lines.amounts = adjusted.iter().map(|a| a.amounts).collect();
    let totals = pricing::session_totals(&lines.amounts, 0).map_err(|_| too_large())?;
    let breakdown = json!({
        "discounts": match &disc_obj {
            Some(d) if totals.discount > 0 => json!([{"amount": totals.discount, "discount": d}]),
            _ => json!([]),
        },
        "taxes": taxes.into_values().map(|(amount, taxable, rate)| json!({"amount": amount, "rate": rate, "taxability_reason": "standard_rated", "taxable_amount": taxable})).collect::<Vec<_>>(),
    });
    Ok(Priced { totals, breakdown })
}

/// Where a session keeps the terms of the coupon its discount uses
/// (a private field of the stored document).
pub const APPLIED_COUPON: &str = "applied_coupon";

/// The coupon the session's discount uses: the stored coupon while it
/// exists, else the terms the session kept when it was applied. Deleting a
/// coupon does not touch discounts already applied (Stripe's rule).
pub async fn applied_coupon(state: &AppState, scope: &Scope, doc: &Value) -> ApiResult<Option<Value>> {
    let Some(id) = doc["discounts"][0]["coupon"].as_str() else { return Ok(None) };
    let stored = state.store.get_object(scope, id).await?.filter(|o| o.kind == coupon::KIND && !o.deleted);
    if let Some(c) = stored {
        return Ok(Some(c.doc));
    }
    let kept = &doc[APPLIED_COUPON];
    Ok((kept["id"] == id).then(|| kept.clone()))
}

/// Keeps the terms of the coupon now applied on the session (none: forgets them).
pub fn keep_coupon(doc: &mut Value, coupon: Option<&Value>) {
    let Some(m) = doc.as_object_mut() else { return };
    match coupon.filter(|c| c["percent_off_decimal"].is_string() || c["amount_off"].is_i64()) {
        Some(c) => m.insert(APPLIED_COUPON.into(), c.clone()),
        None => m.remove(APPLIED_COUPON),
    };
}

/// Stripe's limits on what a session charges (`domain::currency`): a total
/// over the currency's maximum is `amount_too_large`, one above zero but
/// under its minimum charge `amount_too_small`, each naming `param`, the
/// parameter that brought the total there. A total of 0 charges nothing.
pub fn check_total(doc: &Value, param: &str) -> ApiResult<()> {
    let currency = doc["currency"].as_str().and_then(Currency::parse);
    let (Some(total), Some(cur)) = (doc["amount_total"].as_i64(), currency) else { return Ok(()) };
    let code = cur.code();
    match cur.check_charge(total) {
        Ok(()) => Ok(()),
        Err(Limit::TooLarge(max)) => Err(ApiError::invalid(
            "amount_too_large",
            param,
            format!("The Checkout Session's total amount due must be no more than {} {code}.", cur.format(max)),
        )),
        Err(Limit::TooSmall(min)) => Err(ApiError::invalid(
            "amount_too_small",
            param,
            format!("The Checkout Session's total amount due must add up to at least {} {code}.", cur.format(min)),
        )),
    }
}

/// `check_total` after a request that may have changed the amounts: only
/// if one of `given` (parameter, sent) was sent, blaming the last sent.
pub fn check_changed(doc: &Value, given: &[(&str, bool)]) -> ApiResult<()> {
    match given.iter().rev().find(|(_, sent)| *sent) {
        Some((param, _)) => check_total(doc, param),
        None => Ok(()),
    }
}
