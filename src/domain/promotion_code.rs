//! Promotion codes (`promo_…`): a customer-facing code for a coupon, with
//! restrictions of its own.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::fields::FieldError;
use super::product::apply_metadata;
use super::version::{ApiVersion, CLOVER};

pub const KIND: &str = "promotion_code";
pub const MAX_CODE: usize = 500;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Promotion {
    #[serde(rename = "type")]
    pub kind: String,
    pub coupon: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Restrictions {
    pub first_time_transaction: Option<bool>,
    pub minimum_amount: Option<i64>,
    pub minimum_amount_currency: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionCodeParams {
    pub code: Option<String>,
    pub promotion: Option<Promotion>,
    /// Before 2025-09-30.clover the coupon was a top-level parameter.
    pub coupon: Option<String>,
    pub active: Option<bool>,
    pub customer: Option<String>,
    pub expires_at: Option<i64>,
    pub max_redemptions: Option<i64>,
    pub restrictions: Option<Restrictions>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Letters, digits and `-`; at most 500 characters.
pub fn check_code(code: &str) -> Result<(), FieldError> {
    if code.is_empty() || code.len() > MAX_CODE || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(FieldError::invalid(
            "code",
            "Invalid code: use letters, digits and '-' only, at most 500 characters.",
        ));
    }
    Ok(())
}

/// The coupon a create names, in either spelling.
pub fn coupon_of(p: &PromotionCodeParams) -> Result<String, FieldError> {
    match (&p.promotion, &p.coupon) {
        (Some(_), Some(_)) => Err(FieldError {
            param: "coupon".into(),
            code: "parameters_exclusive",
            message: "You may only specify one of these parameters: promotion, coupon.".into(),
        }),
        (Some(pr), None) => {
            if pr.kind != "coupon" {
                return Err(FieldError {
                    param: "promotion[type]".into(),
                    code: "parameter_invalid_enum",
                    message: "Invalid promotion[type]: must be coupon.".into(),
                });
            }
            pr.coupon.clone().ok_or_else(|| FieldError {
                param: "promotion[coupon]".into(),
                code: "parameter_missing",
                message: "Missing required param: promotion[coupon].".into(),
            })
        }
        (None, Some(c)) => Ok(c.clone()),
        (None, None) => Err(FieldError {
            param: "promotion[coupon]".into(),
            code: "parameter_missing",
            message: "Missing required param: promotion[coupon].".into(),
        }),
    }
}

pub fn build(
    id: &str,
    livemode: bool,
    now: i64,
    code: &str,
    coupon: &Value,
    p: &PromotionCodeParams,
) -> Result<Value, FieldError> {
    if let Some(e) = p.expires_at {
        if e <= now {
            return Err(FieldError::invalid("expires_at", "Invalid expires_at: must be in the future."));
        }
        if coupon["redeem_by"].as_i64().is_some_and(|r| e > r) {
            return Err(FieldError::invalid("expires_at", "The code cannot outlive its coupon's redeem_by."));
        }
    }
    if let Some(m) = p.max_redemptions {
        if m < 1 || coupon["max_redemptions"].as_i64().is_some_and(|c| m > c) {
            return Err(FieldError::invalid(
                "max_redemptions",
                "Invalid max_redemptions: at least 1, and at most the coupon's.",
            ));
        }
    }
    let r = p.restrictions.clone().unwrap_or_default();
    if r.minimum_amount.is_some() != r.minimum_amount_currency.is_some() {
        return Err(FieldError {
            param: "restrictions[minimum_amount_currency]".into(),
            code: "parameter_missing",
            message: "minimum_amount and minimum_amount_currency go together.".into(),
        });
    }
    if r.minimum_amount.is_some_and(|m| m < 0) {
        return Err(FieldError::invalid("restrictions[minimum_amount]", "Invalid minimum_amount."));
    }
    let mut doc = json!({
        "id": id, "object": "promotion_code", "active": p.active.unwrap_or(true), "code": code, "created": now,
        "customer": p.customer, "expires_at": p.expires_at, "livemode": livemode, "max_redemptions": p.max_redemptions,
        "metadata": {}, "promotion": {"type": "coupon", "coupon": coupon["id"]},
        "restrictions": {"currency_options": {}, "first_time_transaction": r.first_time_transaction.unwrap_or(false),
                         "minimum_amount": r.minimum_amount, "minimum_amount_currency": r.minimum_amount_currency.map(|c| c.to_ascii_lowercase())},
        "times_redeemed": 0,
    });
    if let (Some(m), Value::Object(o)) = (&p.metadata, &mut doc) {
        apply_metadata(o, &Some(Some(m.clone())), "")?;
    }
    Ok(doc)
}

/// In the request's version: before clover, the coupon was `coupon`.
pub fn render(doc: &Value, version: &ApiVersion) -> Value {
    let mut out = doc.clone();
    if !version.at_least(CLOVER) {
        out["coupon"] = doc["promotion"]["coupon"].clone();
    }
    out
}

/// Active codes are unique, case-insensitively, per account and mode.
pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let mut t = vec![
        ("coupon".to_owned(), doc["promotion"]["coupon"].as_str().unwrap_or_default().to_owned()),
        ("active".to_owned(), doc["active"].as_bool().unwrap_or(false).to_string()),
    ];
    if doc["active"] == true {
        t.push(("code".to_owned(), doc["code"].as_str().unwrap_or_default().to_ascii_lowercase()));
    }
    if let Some(c) = doc["customer"].as_str() {
        t.push(("customer".to_owned(), c.to_owned()));
    }
    t
}

/// Why a code cannot be used now, as (param-less) reason.
pub fn unusable(doc: &Value, now: i64) -> Option<&'static str> {
    if doc["active"] != true {
        return Some("This promotion code is not active.");
    }
    if doc["expires_at"].as_i64().is_some_and(|e| now >= e) {
        return Some("This promotion code has expired.");
    }
    if doc["max_redemptions"].as_i64().is_some_and(|m| doc["times_redeemed"].as_i64().unwrap_or(0) >= m) {
        return Some("This promotion code has reached its redemption limit.");
    }
    None
}
