//! A session's shipping options: fixed-amount rates, the first chosen by
//! default, another chosen by the buyer at confirm (`shipping_rate=shr_…`).

use crate::api::plumbing::extract::Call;
use crate::api::plumbing::resource;
use crate::domain::checkout_session::{ShippingCost, ShippingOption as Offered};
use crate::domain::document::Document;
use crate::domain::session::CheckoutSession;
use crate::domain::session_params::Mode;
use crate::domain::session_params::ShippingOption;
use crate::domain::shipping_rate::{self, ShippingRate};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::Change;
use crate::AppState;

/// The rates of `shipping_options[]` (made from `shipping_rate_data` where
/// given, to commit with the session), all in the session's currency.
pub async fn options(
    state: &AppState,
    call: &Call,
    opts: &[ShippingOption],
    currency: &str,
    now: i64,
) -> ApiResult<(Vec<ShippingRate>, Vec<Change>)> {
    let mut rates = Vec::new();
    let mut changes = Vec::new();
    for (i, o) in opts.iter().enumerate() {
        let p = format!("shipping_options[{i}]");
        let rate = match (&o.shipping_rate, &o.shipping_rate_data) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "parameters_exclusive",
                    format!("{p}[shipping_rate_data]"),
                    "You may only specify one of these parameters: shipping_rate, shipping_rate_data.",
                ))
            }
            (None, None) => return Err(ApiError::missing_param(&format!("{p}[shipping_rate]"))),
            (Some(id), None) => {
                let param = format!("{p}[shipping_rate]");
                let at = resource::IdParam { id, param: &param };
                let r = resource::find_param_typed::<ShippingRate>(state, call, "shipping_rate", at).await?;
                if !r.active {
                    return Err(ApiError::invalid("parameter_invalid", param, "This shipping rate is not active."));
                }
                r
            }
            (None, Some(data)) => {
                let id = new_id(ShippingRate::PREFIX);
                let rate =
                    shipping_rate::build(&id, call.auth.livemode, now, data, &format!("{p}[shipping_rate_data]"))?;
                changes.push(Change::insert(&rate)?);
                rate
            }
        };
        if rate.fixed_amount.currency != currency {
            return Err(ApiError::invalid(
                "parameter_invalid",
                format!("{p}[shipping_rate]"),
                "The shipping rate's currency must match the session's.",
            ));
        }
        rates.push(rate);
    }
    Ok((rates, changes))
}

/// Lists the options on the session and chooses `rate` (totals follow).
pub fn offer(s: &mut CheckoutSession, rates: &[ShippingRate]) -> ApiResult<()> {
    s.shipping_options =
        rates.iter().map(|r| Offered { shipping_amount: r.fixed_amount.amount, shipping_rate: r.id.clone() }).collect();
    match rates.first() {
        Some(r) => choose(s, r),
        None => Ok(()),
    }
}

/// Makes `rate` the session's shipping: `shipping_cost`, `amount_shipping`, total.
pub fn choose(s: &mut CheckoutSession, rate: &ShippingRate) -> ApiResult<()> {
    let amount = rate.fixed_amount.amount;
    set_amount(s, amount)?;
    s.shipping_cost = Some(ShippingCost {
        amount_subtotal: amount,
        amount_tax: 0,
        amount_total: amount,
        shipping_rate: rate.id.clone(),
    });
    Ok(())
}

/// Puts `amount` in place of the shipping the total holds now.
pub fn set_amount(s: &mut CheckoutSession, amount: i64) -> ApiResult<()> {
    let old = s.amount_shipping();
    let total =
        s.amount_total.unwrap_or(0).checked_sub(old).and_then(|t| t.checked_add(amount)).ok_or_else(|| {
            ApiError::invalid("amount_too_large", "shipping_rate", "The session's total is too large.")
        })?;
    s.amount_total = Some(total);
    let details = s.total_details.get_or_insert(Default::default());
    details.amount_shipping = amount;
    Ok(())
}

/// The merchant's new `shipping_options` on an open session (`""` removes
/// them): the first is chosen, as at create.
pub async fn replace(
    state: &AppState,
    call: &Call,
    s: &mut CheckoutSession,
    opts: Option<&[ShippingOption]>,
    now: i64,
) -> ApiResult<Vec<Change>> {
    if s.mode == Mode::Setup {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "shipping_options",
            "`shipping_options` cannot be used in `setup` mode.",
        ));
    }
    match opts.filter(|o| !o.is_empty()) {
        None => {
            set_amount(s, 0)?;
            s.shipping_options = Vec::new();
            s.shipping_cost = None;
            Ok(Vec::new())
        }
        Some(opts) => {
            let currency = s.currency.clone().unwrap_or_default();
            let (rates, changes) = options(state, call, opts, &currency, now).await?;
            offer(s, &rates)?;
            Ok(changes)
        }
    }
}

/// The buyer's choice at confirm: one of the session's own options.
pub async fn chosen_at_confirm(state: &AppState, call: &Call, s: &mut CheckoutSession, rate_id: &str) -> ApiResult<()> {
    let offered = s.shipping_options.iter().any(|x| x.shipping_rate == rate_id);
    if !offered {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "shipping_rate",
            "This shipping rate is not one of the session's shipping options.",
        ));
    }
    let id = resource::IdParam { id: rate_id, param: "shipping_rate" };
    choose(s, &resource::find_param_typed::<ShippingRate>(state, call, "shipping_rate", id).await?)
}
