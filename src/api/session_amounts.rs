//! A session's money after its lines are built: the coupon's discount and
//! each line's tax rates (domain::adjust), written back into the line items,
//! with the totals and the `total_details.breakdown` includable.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::session_lines::Lines;
use crate::domain::adjust::{self, Line};
use crate::domain::coupon;
use crate::domain::pricing::{self, Totals};
use crate::domain::tax_rate;
use crate::error::{ApiError, ApiResult};

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
