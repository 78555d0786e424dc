//! Promotion codes (`promo_…`): a customer-facing code for a coupon, with
//! restrictions of its own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::coupon::Coupon;
use super::document::{Document, Tag};
use super::fields::FieldError;
use super::product::merge_metadata;
use super::version::{ApiVersion, CLOVER};

pub const KIND: &str = "promotion_code";
pub const MAX_CODE: usize = 500;

crate::wire_name!(PromotionCodeObject, "promotion_code");

/// What a code promotes; kassa's codes are all for coupons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionType {
    Coupon,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredPromotion {
    #[serde(rename = "type")]
    pub kind: PromotionType,
    pub coupon: String,
}

/// Stripe's per-currency minimums; kassa never sets any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrencyRestriction {
    pub minimum_amount: i64,
}

/// Who and which orders may use a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRestrictions {
    pub currency_options: BTreeMap<String, CurrencyRestriction>,
    pub first_time_transaction: bool,
    pub minimum_amount: Option<i64>,
    pub minimum_amount_currency: Option<String>,
}

/// A stored promotion code. Before 2025-09-30.clover the API also showed
/// the coupon at the top level (`render`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionCode {
    pub id: String,
    #[schema(value_type = String)]
    pub object: PromotionCodeObject,
    pub active: bool,
    pub code: String,
    pub created: i64,
    pub customer: Option<String>,
    pub expires_at: Option<i64>,
    pub livemode: bool,
    pub max_redemptions: Option<i64>,
    pub metadata: BTreeMap<String, String>,
    pub promotion: StoredPromotion,
    pub restrictions: CodeRestrictions,
    pub times_redeemed: i64,
}

impl Document for PromotionCode {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "promo";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    /// Active codes are unique, case-insensitively, per account and mode.
    fn tags(&self) -> Vec<Tag> {
        let mut t =
            vec![("coupon".to_owned(), self.promotion.coupon.clone()), ("active".to_owned(), self.active.to_string())];
        if self.active {
            t.push(("code".to_owned(), self.code.to_ascii_lowercase()));
        }
        if let Some(c) = &self.customer {
            t.push(("customer".to_owned(), c.clone()));
        }
        t
    }
}

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

/// The checks a new code's terms must pass against its coupon.
fn check_terms(now: i64, coupon: &Coupon, p: &PromotionCodeParams) -> Result<Restrictions, FieldError> {
    if let Some(e) = p.expires_at {
        if e <= now {
            return Err(FieldError::invalid("expires_at", "Invalid expires_at: must be in the future."));
        }
        if coupon.redeem_by.is_some_and(|r| e > r) {
            return Err(FieldError::invalid("expires_at", "The code cannot outlive its coupon's redeem_by."));
        }
    }
    if let Some(m) = p.max_redemptions {
        if m < 1 || coupon.max_redemptions.is_some_and(|c| m > c) {
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
    Ok(r)
}

/// A new code for `coupon` from the create parameters (their `code` is
/// filled in by then).
pub fn build(
    id: &str,
    livemode: bool,
    now: i64,
    coupon: &Coupon,
    p: &PromotionCodeParams,
) -> Result<PromotionCode, FieldError> {
    let code = p.code.as_deref().ok_or_else(|| FieldError {
        param: "code".into(),
        code: "parameter_missing",
        message: "Missing required param: code.".into(),
    })?;
    check_code(code)?;
    let r = check_terms(now, coupon, p)?;
    let base = PromotionCode {
        id: id.to_owned(),
        object: PromotionCodeObject,
        active: p.active.unwrap_or(true),
        code: code.to_owned(),
        created: now,
        customer: p.customer.clone(),
        expires_at: p.expires_at,
        livemode,
        max_redemptions: p.max_redemptions,
        metadata: BTreeMap::new(),
        promotion: StoredPromotion { kind: PromotionType::Coupon, coupon: coupon.id.clone() },
        restrictions: CodeRestrictions {
            currency_options: BTreeMap::new(),
            first_time_transaction: r.first_time_transaction.unwrap_or(false),
            minimum_amount: r.minimum_amount,
            minimum_amount_currency: r.minimum_amount_currency.map(|c| c.to_ascii_lowercase()),
        },
        times_redeemed: 0,
    };
    update(&base, None, &p.metadata)
}

/// Turns a code on or off, or merges its metadata.
pub fn update(
    current: &PromotionCode,
    active: Option<bool>,
    metadata: &Option<BTreeMap<String, Option<String>>>,
) -> Result<PromotionCode, FieldError> {
    let mut out = current.clone();
    if let Some(a) = active {
        out.active = a;
    }
    if let Some(m) = metadata {
        out.metadata = merge_metadata(&out.metadata, &Some(Some(m.clone())), "")?;
    }
    Ok(out)
}

/// A stored document as a promotion code; `None` for anything else.
pub fn decode(doc: &Value) -> Option<PromotionCode> {
    serde_json::from_value(doc.clone()).ok()
}

/// A stored document as the API shows it in `version` (for lists).
pub fn render(doc: Value, version: &ApiVersion) -> Value {
    decode(&doc).map_or(doc, |c| c.render(version))
}

impl PromotionCode {
    /// In the request's version: before clover, the coupon was `coupon`.
    pub fn render(&self, version: &ApiVersion) -> Value {
        let mut out = self.wire();
        if !version.at_least(CLOVER) {
            out["coupon"] = Value::String(self.promotion.coupon.clone());
        }
        out
    }

    /// Why the code cannot be used now, as (param-less) reason.
    pub fn unusable(&self, now: i64) -> Option<&'static str> {
        if !self.active {
            return Some("This promotion code is not active.");
        }
        if self.expires_at.is_some_and(|e| now >= e) {
            return Some("This promotion code has expired.");
        }
        if self.max_redemptions.is_some_and(|m| self.times_redeemed >= m) {
            return Some("This promotion code has reached its redemption limit.");
        }
        None
    }

    /// The order reaches the code's minimum amount, in its currency.
    pub fn reaches_minimum(&self, subtotal: i64, currency: &str) -> bool {
        let r = &self.restrictions;
        r.minimum_amount.is_none_or(|min| r.minimum_amount_currency.as_deref() == Some(currency) && subtotal >= min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::coupon::{self, CouponParams};
    use serde_json::json;

    fn coupon() -> Coupon {
        let p: CouponParams =
            serde_json::from_value(json!({"percent_off": 10, "max_redemptions": 5, "redeem_by": 100})).unwrap();
        coupon::build("C", false, 5, &p).unwrap()
    }

    fn params(v: Value) -> PromotionCodeParams {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_code_round_trips_through_storage() {
        let p = params(json!({"code": "Spring-1", "coupon": "C", "customer": "cus_1",
            "restrictions": {"minimum_amount": 1000, "minimum_amount_currency": "EUR", "first_time_transaction": true}}));
        let c = build("promo_1", false, 5, &coupon(), &p).unwrap();
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(stored["restrictions"]["currency_options"], json!({}));
        assert_eq!(stored["promotion"], json!({"type": "coupon", "coupon": "C"}));
        let back: PromotionCode = serde_json::from_value(stored).unwrap();
        assert_eq!(back, c);
        assert!(c.tags().contains(&("code".to_owned(), "spring-1".to_owned())));
        assert!(c.reaches_minimum(1000, "eur") && !c.reaches_minimum(999, "eur") && !c.reaches_minimum(5000, "usd"));
        assert_eq!(c.render(&ApiVersion::latest()).get("coupon"), None);
        let off = update(&c, Some(false), &None).unwrap();
        assert_eq!(off.unusable(6), Some("This promotion code is not active."));
        assert!(!off.tags().iter().any(|t| t.0 == "code"));
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let c = build("promo_1", false, 5, &coupon(), &params(json!({"code": "A", "coupon": "C"}))).unwrap();
        let mut v = serde_json::to_value(&c).unwrap();
        v["restrictions"]["surprise"] = json!(1);
        assert!(serde_json::from_value::<PromotionCode>(v).is_err());
    }

    #[test]
    fn validation_errors_name_their_param() {
        for (v, param) in [
            (json!({"code": "A", "coupon": "C", "expires_at": 5}), "expires_at"),
            (json!({"code": "A", "coupon": "C", "expires_at": 101}), "expires_at"),
            (json!({"code": "A", "coupon": "C", "max_redemptions": 6}), "max_redemptions"),
            (
                json!({"code": "A", "coupon": "C", "restrictions": {"minimum_amount": 5}}),
                "restrictions[minimum_amount_currency]",
            ),
            (json!({"code": "A b", "coupon": "C"}), "code"),
            (json!({"coupon": "C"}), "code"),
        ] {
            assert_eq!(build("promo_1", false, 5, &coupon(), &params(v)).unwrap_err().param, param);
        }
        assert_eq!(
            coupon_of(&params(json!({"promotion": {"type": "x", "coupon": "C"}}))).unwrap_err().param,
            "promotion[type]"
        );
    }
}
