//! A session's money after its lines are built: the coupon's discount and
//! each line's tax rates (domain::adjust), written back into the line items,
//! with the totals and the `total_details.breakdown` includable, and the
//! coupon a session keeps. The API prices a session as it is built or
//! changed; the payment engine reprices it when a decline moves it to a
//! cascade's next tier.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::domain::adjust::{self, Line};
use crate::domain::coupon::Coupon;
use crate::domain::document::Document;
use crate::domain::fields::FieldError;
use crate::domain::line_item::{
    Breakdown, CouponSource, DiscountAmount, DiscountApplied, DiscountObject, DiscountSource, LineItem, TaxAmount,
    TaxabilityReason,
};
use crate::domain::pricing::{self, LineAmounts, Totals};
use crate::domain::session::CheckoutSession;
use crate::domain::tax_rate::TaxRate;
use crate::engine::payment::{PaymentError, PaymentResult};
use crate::store::{Change, Scope, StoreResult};
use crate::AppState;

/// Line items ready to store, with what they add to the session.
#[derive(Default)]
pub struct Lines {
    pub items: Vec<LineItem>,
    pub amounts: Vec<LineAmounts>,
    pub currency: Option<String>,
    /// New prices and products made from `price_data`, to commit alongside.
    pub changes: Vec<Change>,
    /// Each line's tax rates (TaxRate objects), in the line's order.
    pub rates: Vec<Vec<TaxRate>>,
}

impl Lines {
    pub fn totals(&self) -> Result<Totals, FieldError> {
        pricing::session_totals(&self.amounts, 0).map_err(|_| too_large())
    }
}

pub struct Priced {
    pub totals: Totals,
    pub breakdown: Breakdown,
}

fn too_large() -> FieldError {
    FieldError {
        param: "line_items".into(),
        code: "amount_too_large",
        message: "The session's total is too large.".into(),
    }
}

/// The discount object a session shows for its coupon.
pub fn discount_object(coupon: &Coupon, session_id: &str, now: i64) -> DiscountApplied {
    let c = coupon.at(now).wire();
    DiscountApplied {
        id: format!("di_{}", session_id.trim_start_matches("cs_")),
        object: DiscountObject,
        checkout_session: session_id.to_owned(),
        source: DiscountSource { coupon: c["id"].as_str().unwrap_or_default().to_owned(), kind: CouponSource },
        coupon: c,
        customer: None,
        end: None,
        invoice: None,
        invoice_item: None,
        promotion_code: None,
        start: now,
        subscription: None,
    }
}

fn tax_amount(amount: i64, rate: Value, taxable_amount: i64) -> TaxAmount {
    TaxAmount { amount, rate, taxability_reason: TaxabilityReason::StandardRated, taxable_amount }
}

/// Applies `coupon` and the lines' rates; rewrites `lines.items` and amounts.
pub fn price(lines: &mut Lines, coupon: Option<&Coupon>, session_id: &str, now: i64) -> Result<Priced, FieldError> {
    let currency = lines.currency.clone().unwrap_or_default();
    let discount = coupon.and_then(|c| c.discount(&currency));
    let inputs: Vec<Line> = lines
        .items
        .iter()
        .zip(lines.rates.iter().chain(std::iter::repeat(&Vec::new())))
        .map(|(item, rates)| Line {
            subtotal: item.amount_subtotal,
            // Custom (buyer-chosen) amounts are not discounted (seed 002).
            discountable: item.price.custom_unit_amount.is_none()
                && coupon.is_some_and(|c| c.applies_to(&item.price.product)),
            rates: rates.iter().map(TaxRate::rate).collect(),
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
        item.amount_discount = a.amounts.discount;
        item.amount_tax = tax;
        item.amount_total = total;
        item.discounts = match (&disc_obj, a.amounts.discount) {
            (Some(d), n) if n > 0 => vec![DiscountAmount { amount: n, discount: d.clone() }],
            _ => Vec::new(),
        };
        let mut line_taxes = Vec::new();
        for (t, rate) in a.taxes.iter().zip(rates) {
            let shown = rate.wire();
            line_taxes.push(tax_amount(t.amount, shown.clone(), t.taxable_amount));
            let e = taxes.entry(t.rate.clone()).or_insert((0, 0, shown));
            e.0 = e.0.checked_add(t.amount).ok_or_else(too_large)?;
            e.1 = e.1.checked_add(t.taxable_amount).ok_or_else(too_large)?;
        }
        item.taxes = line_taxes;
    }
    lines.amounts = adjusted.iter().map(|a| a.amounts).collect();
    let totals = pricing::session_totals(&lines.amounts, 0).map_err(|_| too_large())?;
    let breakdown = Breakdown {
        discounts: match disc_obj {
            Some(d) if totals.discount > 0 => vec![DiscountAmount { amount: totals.discount, discount: d }],
            _ => Vec::new(),
        },
        taxes: taxes.into_values().map(|(amount, taxable, rate)| tax_amount(amount, rate, taxable)).collect(),
    };
    Ok(Priced { totals, breakdown })
}

/// The coupon the session's discount uses: the stored coupon while it
/// exists, else the terms the session kept when it was applied. Deleting a
/// coupon does not touch discounts already applied (Stripe's rule).
pub async fn applied_coupon(state: &AppState, scope: &Scope, s: &CheckoutSession) -> StoreResult<Option<Coupon>> {
    let Some(id) = s.coupon() else { return Ok(None) };
    let stored = state.store.get_object(scope, id).await?.filter(|o| !o.deleted);
    if let Some(c) = stored.map(|o| o.decode::<Coupon>()).transpose()?.flatten() {
        return Ok(Some(c));
    }
    Ok(s.applied_coupon.clone().filter(|c| c.id == id))
}

/// Keeps the terms of the coupon now applied on the session (none: forgets them).
pub fn keep_coupon(s: &mut CheckoutSession, coupon: Option<&Coupon>) {
    s.applied_coupon = coupon.cloned();
}

/// Recomputes a stored session's amounts from its line subtotals, its
/// discount, its lines' tax rates and its chosen shipping.
pub async fn recompute(state: &AppState, scope: &Scope, s: &mut CheckoutSession, now: i64) -> PaymentResult<()> {
    let items = std::mem::take(&mut s.line_items.data);
    let mut rates = Vec::with_capacity(items.len());
    for item in &items {
        let mut line = Vec::new();
        for t in &item.taxes {
            if let Some(id) = t.rate["id"].as_str() {
                if let Some(r) = state.store.get_object(scope, id).await? {
                    line.extend(r.decode::<TaxRate>()?);
                }
            }
        }
        rates.push(line);
    }
    let amounts = items.iter().map(|i| LineAmounts::new(i.amount_subtotal)).collect();
    let mut lines = Lines { items, amounts, currency: s.currency.clone(), changes: Vec::new(), rates };
    // A coupon deleted since it was applied keeps its discount here.
    let coupon = applied_coupon(state, scope, s).await?;
    let shipping = s.amount_shipping();
    let priced = price(&mut lines, coupon.as_ref(), &s.id, now)?;
    s.set_totals(&priced.totals);
    s.amount_total =
        Some(
            priced.totals.total.checked_add(shipping).ok_or_else(|| {
                PaymentError::invalid("amount_too_large", "amount", "The session's total is too large.")
            })?,
        );
    if let Some(t) = &mut s.total_details {
        t.amount_shipping = shipping;
    }
    s.total_details_breakdown = Some(priced.breakdown);
    s.line_items.data = lines.items;
    keep_coupon(s, coupon.as_ref());
    Ok(())
}
