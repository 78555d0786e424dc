//! Coupons (any id): a percent or an amount off, for a while, a number of times.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use super::adjust::Discount;
use super::currency::Currency;
use super::fields::{decimal, decimal_json, max_len, FieldError};
use super::product::apply_metadata;

pub const KIND: &str = "coupon";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    pub products: Vec<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponParams {
    pub id: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub percent_off: Option<Decimal>,
    pub amount_off: Option<i64>,
    pub currency: Option<String>,
    pub duration: Option<String>,
    pub duration_in_months: Option<i64>,
    pub max_redemptions: Option<i64>,
    pub redeem_by: Option<i64>,
    pub applies_to: Option<AppliesTo>,
    pub name: Option<String>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
}

fn invalid(param: &str, msg: &str) -> FieldError {
    FieldError::invalid(param, msg)
}

pub fn build(id: &str, livemode: bool, now: i64, p: &CouponParams) -> Result<Value, FieldError> {
    match (p.percent_off, p.amount_off) {
        (Some(_), Some(_)) => {
            return Err(FieldError {
                param: "amount_off".into(),
                code: "parameters_exclusive",
                message: "You may only specify one of these parameters: percent_off, amount_off.".into(),
            })
        }
        (None, None) => {
            return Err(FieldError {
                param: "percent_off".into(),
                code: "parameter_missing",
                message: "Provide percent_off or amount_off.".into(),
            })
        }
        (Some(pct), None) if pct.normalize().scale() > 2 => {
            return Err(invalid("percent_off", "Invalid percent_off: at most two decimal places (e.g. 12.75)."))
        }
        (Some(pct), None) if pct <= Decimal::ZERO || pct > Decimal::ONE_HUNDRED => {
            return Err(invalid("percent_off", "Invalid percent_off: must be greater than 0 and at most 100."))
        }
        (None, Some(a)) if a <= 0 => {
            return Err(invalid("amount_off", "Invalid amount_off: must be a positive integer."))
        }
        _ => {}
    }
    let currency = match (&p.currency, p.amount_off) {
        (None, Some(_)) => {
            return Err(FieldError {
                param: "currency".into(),
                code: "parameter_missing",
                message: "Missing required param: currency.".into(),
            })
        }
        (Some(c), _) => Some(Currency::parse(c).ok_or_else(|| invalid("currency", "Invalid currency."))?.code()),
        (None, None) => None,
    };
    let duration = p.duration.clone().unwrap_or_else(|| "once".into());
    if !["once", "repeating", "forever"].contains(&duration.as_str()) {
        return Err(FieldError {
            param: "duration".into(),
            code: "parameter_invalid_enum",
            message: "Invalid duration: must be one of once, repeating, forever.".into(),
        });
    }
    match (duration.as_str(), p.duration_in_months) {
        ("repeating", None) => {
            return Err(FieldError {
                param: "duration_in_months".into(),
                code: "parameter_missing",
                message: "Missing required param: duration_in_months.".into(),
            })
        }
        ("repeating", Some(m)) if !(1..=120).contains(&m) => {
            return Err(invalid("duration_in_months", "Invalid duration_in_months: 1 to 120."))
        }
        (d, Some(_)) if d != "repeating" => {
            return Err(invalid("duration_in_months", "duration_in_months needs duration=repeating."))
        }
        _ => {}
    }
    if p.max_redemptions.is_some_and(|m| m < 1) {
        return Err(invalid("max_redemptions", "Invalid max_redemptions: must be at least 1."));
    }
    if let Some(r) = p.redeem_by {
        if r <= now || r > now + 5 * 366 * 86_400 {
            return Err(invalid("redeem_by", "Invalid redeem_by: must be in the future, within five years."));
        }
    }
    if let Some(n) = &p.name {
        max_len("name", n, 40)?;
    }
    let mut doc = json!({
        "id": id, "object": "coupon", "amount_off": p.amount_off,
        "applies_to": p.applies_to.as_ref().map(|a| json!({"products": a.products})),
        "created": now, "currency": currency, "currency_options": null, "duration": duration,
        "duration_in_months": p.duration_in_months, "livemode": livemode, "max_redemptions": p.max_redemptions,
        "metadata": {}, "name": p.name, "percent_off": p.percent_off.map(decimal_json).unwrap_or(Value::Null),
        "percent_off_decimal": p.percent_off.map(|d| d.normalize().to_string()),
        "redeem_by": p.redeem_by, "times_redeemed": 0, "valid": true,
    });
    if let (Some(m), Value::Object(o)) = (&p.metadata, &mut doc) {
        apply_metadata(o, &Some(Some(m.clone())), "")?;
    }
    Ok(doc)
}

/// Whether the coupon can still be redeemed at `now`.
pub fn valid(doc: &Value, now: i64) -> bool {
    let redeemable = doc["max_redemptions"].as_i64().is_none_or(|m| doc["times_redeemed"].as_i64().unwrap_or(0) < m);
    let in_time = doc["redeem_by"].as_i64().is_none_or(|r| now < r);
    !doc["deleted"].as_bool().unwrap_or(false) && redeemable && in_time
}

/// The coupon as it reads at `now` (`valid` is computed, never stored stale).
pub fn render(doc: &Value, now: i64) -> Value {
    let mut out = doc.clone();
    out["valid"] = json!(valid(doc, now));
    if let Some(m) = out.as_object_mut() {
        m.remove("percent_off_decimal");
    }
    out
}

/// The discount it gives. `None` if it does not fit the currency.
pub fn discount(doc: &Value, currency: &str) -> Option<Discount> {
    if let Some(p) = doc["percent_off_decimal"].as_str() {
        return p.parse().ok().map(Discount::Percent);
    }
    (doc["currency"] == currency).then(|| doc["amount_off"].as_i64().map(Discount::Amount)).flatten()
}

/// Whether it applies to a line of `product`.
pub fn applies_to(doc: &Value, product: &str) -> bool {
    match doc["applies_to"]["products"].as_array() {
        Some(list) => list.iter().any(|p| p == product),
        None => true,
    }
}
