//! Discounts a session starts with: a coupon, or a promotion code and its
//! coupon, each checked against every restriction.

use serde_json::Value;

use crate::api::plumbing::extract::Call;
use crate::api::plumbing::resource;
use crate::domain::checkout_session::Discount;
use crate::domain::coupon::Coupon;
use crate::domain::promotion_code::PromotionCode;
use crate::domain::session::{CheckoutSession, KIND};
use crate::error::{ApiError, ApiResult};
use crate::AppState;

/// A coupon a new session may use: it exists, and is still valid.
pub async fn usable_coupon(state: &AppState, call: &Call, id: &str, param: &str, now: i64) -> ApiResult<Coupon> {
    let c = resource::find_param_typed::<Coupon>(state, call, "coupon", resource::IdParam { id, param }).await?;
    if !c.is_valid(now) {
        return Err(ApiError::invalid(
            "coupon_expired",
            param,
            format!("This coupon ('{id}') is no longer valid: it has expired or reached its redemption limit."),
        ));
    }
    Ok(c)
}

/// An `amount_off` coupon works only in its own currency.
pub fn check_coupon_fits(coupon: &Coupon, currency: &str) -> ApiResult<()> {
    let fits = coupon.amount_off.is_none() || coupon.currency.as_deref() == Some(currency);
    if !fits {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "discounts[0][coupon]",
            "This coupon's currency does not match the session's.",
        ));
    }
    Ok(())
}

/// A promotion code a new session may use: active, unexpired, not used up,
/// for this customer, and (if so restricted) this customer's first purchase.
pub async fn usable_promotion(
    state: &AppState,
    call: &Call,
    id: &str,
    customer: Option<&str>,
    now: i64,
) -> ApiResult<Value> {
    usable_promotion_as(state, call, (id, customer), now, "discounts[0][promotion_code]").await
}

/// As `usable_promotion` (for the code `id` and the session's customer), blaming `param`.
pub async fn usable_promotion_as(
    state: &AppState,
    call: &Call,
    (id, customer): (&str, Option<&str>),
    now: i64,
    param: &str,
) -> ApiResult<Value> {
    let found = resource::find_param(
        state,
        call,
        crate::domain::promotion_code::KIND,
        "promotion_code",
        resource::IdParam { id, param },
    )
    .await?;
    let promo = found
        .decode::<PromotionCode>()?
        .ok_or_else(|| ApiError::no_such("promotion_code", id, Some(param)).with_status_400())?;
    if let Some(why) = promo.unusable(now) {
        return Err(ApiError::invalid("promotion_code_invalid", param, why));
    }
    if let Some(only) = promo.customer.as_deref() {
        if customer != Some(only) {
            return Err(ApiError::invalid(
                "promotion_code_invalid",
                param,
                "This promotion code is for another customer.",
            ));
        }
    }
    if promo.restrictions.first_time_transaction {
        if let Some(c) = customer {
            let q = crate::store::ListQuery {
                kind: KIND.into(),
                filters: vec![("customer".into(), c.to_owned()), ("status".into(), "complete".into())],
                created: Default::default(),
                cursor: None,
                limit: 1,
                any_of: Vec::new(),
            };
            if !state.store.list_objects(&call.scope(), &q).await?.items.is_empty() {
                return Err(ApiError::invalid(
                    "promotion_code_invalid",
                    param,
                    "This promotion code is for a customer's first purchase only.",
                ));
            }
        }
    }
    Ok(found.doc()?)
}

/// A code's minimum order, in its currency.
pub fn check_minimum(promo: &Value, totals: &crate::domain::pricing::Totals, currency: &str) -> ApiResult<()> {
    check_minimum_as(promo, totals.subtotal, currency, "discounts[0][promotion_code]")
}

/// As `check_minimum`, for a subtotal, blaming `param`.
pub fn check_minimum_as(promo: &Value, subtotal: i64, currency: &str, param: &str) -> ApiResult<()> {
    if !crate::domain::promotion_code::decode(promo).is_some_and(|p| p.reaches_minimum(subtotal, currency)) {
        return Err(ApiError::invalid(
            "promotion_code_invalid",
            param,
            "This order does not reach the promotion code's minimum amount.",
        ));
    }
    Ok(())
}

/// The session's promotion code still reaches its minimum amount: checked
/// again whenever the buyer's amounts change, and before any charge.
pub async fn recheck_minimum(state: &AppState, scope: &crate::store::Scope, s: &CheckoutSession) -> ApiResult<()> {
    let Some(id) = s.promotion_code() else { return Ok(()) };
    let Some(promo) = state.store.get_object(scope, id).await? else { return Ok(()) };
    let currency = s.currency.as_deref().unwrap_or_default();
    check_minimum_as(&promo.doc()?, s.amount_subtotal.unwrap_or(0), currency, "promotion_code")
}

/// A code the buyer enters at confirm (`allow_promotion_codes=true`): it
/// becomes the session's discount, and the amounts are recomputed.
pub async fn enter_code(state: &AppState, call: &Call, s: &mut CheckoutSession, code: &str, now: i64) -> ApiResult<()> {
    let param = "promotion_code";
    if s.allow_promotion_codes != Some(true) {
        return Err(ApiError::invalid("parameter_invalid", param, "This checkout does not take promotion codes."));
    }
    // Unknown, inactive and other accounts' codes read the same.
    let found = crate::api::promotion_codes::by_code(state, call, code).await?;
    let Some(promo) = found else {
        return Err(ApiError::invalid("promotion_code_invalid", param, "This promotion code is not valid."));
    };
    let promo = usable_promotion_as(state, call, (&promo.id, s.customer.as_deref()), now, param).await?;
    let coupon_id = promo["promotion"]["coupon"].as_str().unwrap_or_default().to_owned();
    let coupon = usable_coupon(state, call, &coupon_id, param, now).await?;
    let currency = s.currency.clone().unwrap_or_default();
    check_coupon_fits(&coupon, &currency).map_err(|e| e.with_param(param))?;
    check_minimum_as(&promo, s.amount_subtotal.unwrap_or(0), &currency, param)?;
    s.discounts =
        vec![Discount { coupon: Some(coupon.id.clone()), promotion_code: promo["id"].as_str().map(str::to_owned) }];
    Ok(crate::api::checkout_sessions::custom::recompute(state, &call.scope(), s, now).await?)
}
