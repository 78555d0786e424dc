//! A session's money after its lines are built: the coupon's discount and
//! each line's tax rates (domain::adjust), written back into the line items,
//! with the totals and the `total_details.breakdown` includable; the
//! coupon a session keeps; and Stripe's charge limits on its total.

use serde_json::Value;

use crate::api::checkout_sessions::discounts;
use crate::domain::coupon::Coupon;
use crate::domain::currency::{Currency, Limit};
use crate::domain::line_item::Breakdown;
use crate::domain::pricing::Totals;
use crate::domain::session::CheckoutSession;
use crate::domain::session_params::Mode;
use crate::engine::pricing::Lines;
use crate::error::{ApiError, ApiResult};

pub use crate::engine::pricing::{applied_coupon, keep_coupon, price};

/// Stripe's limits on what a session charges (`domain::currency`): a total
/// over the currency's maximum is `amount_too_large`, one above zero but
/// under its minimum charge `amount_too_small`, each naming `param`, the
/// parameter that brought the total there. A total of 0 charges nothing.
pub fn check_total(s: &CheckoutSession, param: &str) -> ApiResult<()> {
    let currency = s.currency.as_deref().and_then(Currency::parse);
    let (Some(total), Some(cur)) = (s.amount_total, currency) else { return Ok(()) };
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
pub fn check_changed(s: &CheckoutSession, given: &[(&str, bool)]) -> ApiResult<()> {
    match given.iter().rev().find(|(_, sent)| *sent) {
        Some((param, _)) => check_total(s, param),
        None => Ok(()),
    }
}

/// The discount a new session starts with.
#[derive(Clone, Copy)]
pub struct Offer<'a> {
    pub coupon: Option<&'a Coupon>,
    pub promotion: Option<&'a Value>,
}

/// A new session's lines priced with its discount (nothing in setup mode),
/// checked against the coupon's currency and the code's minimum.
pub fn price_new(
    lines: &mut Lines,
    mode: Mode,
    offer: Offer<'_>,
    id: &str,
    now: i64,
) -> ApiResult<(Option<Totals>, Option<Breakdown>)> {
    if mode == Mode::Setup {
        return Ok((None, None));
    }
    let currency = lines.currency.clone().unwrap_or_default();
    if let Some(c) = offer.coupon {
        discounts::check_coupon_fits(c, &currency)?;
    }
    let priced = price(lines, offer.coupon, id, now)?;
    if let Some(promo) = offer.promotion {
        discounts::check_minimum(promo, &priced.totals, &currency)?;
    }
    Ok((Some(priced.totals), Some(priced.breakdown)))
}
