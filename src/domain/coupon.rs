//! Coupons (any id): a percent or an amount off, for a while, a number of times.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::adjust::Discount;
use super::currency::Currency;
use super::document::{Document, Tag};
use super::fields::{decimal, max_len, FieldError};
use super::product::merge_metadata;

pub const KIND: &str = "coupon";

crate::wire_name!(CouponObject, "coupon");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliesTo {
    pub products: Vec<String>,
}

/// How long a coupon's discount lasts on a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Duration {
    Once,
    Repeating,
    Forever,
}

/// Stripe's per-currency amounts; kassa never sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CurrencyOption {
    pub amount_off: i64,
}

/// A stored coupon. `percent_off_decimal` is kassa's exact copy of
/// `percent_off`, the one the amount rules use; it is never shown. `valid`
/// is computed at every read (`Coupon::at`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Coupon {
    pub id: String,
    #[schema(value_type = String)]
    pub object: CouponObject,
    pub amount_off: Option<i64>,
    pub applies_to: Option<AppliesTo>,
    pub created: i64,
    pub currency: Option<String>,
    pub currency_options: Option<BTreeMap<String, CurrencyOption>>,
    pub duration: Duration,
    pub duration_in_months: Option<i64>,
    pub livemode: bool,
    pub max_redemptions: Option<i64>,
    pub metadata: BTreeMap<String, String>,
    pub name: Option<String>,
    #[serde(default, with = "percent_number")]
    #[schema(value_type = Option<f64>)]
    pub percent_off: Option<Decimal>,
    #[schema(ignore)]
    pub percent_off_decimal: Option<Decimal>,
    pub redeem_by: Option<i64>,
    pub times_redeemed: i64,
    pub valid: bool,
}

impl Document for Coupon {
    const KIND: &'static str = KIND;
    /// Coupon ids carry no prefix.
    const PREFIX: &'static str = "";
    const PRIVATE: &'static [&'static str] = &["percent_off_decimal"];

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        Vec::new()
    }
}

/// `percent_off`: an exact decimal shown as a JSON number or null.
mod percent_number {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::super::fields::decimal_number::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        match Option::<serde_json::Number>::deserialize(d)? {
            Some(n) => n.to_string().parse().map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
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

fn missing(param: &str, message: &str) -> FieldError {
    FieldError { param: param.into(), code: "parameter_missing", message: message.into() }
}

/// The percent or amount off, checked; and the currency an amount is in.
fn check_amount(p: &CouponParams) -> Result<Option<String>, FieldError> {
    match (p.percent_off, p.amount_off) {
        (Some(_), Some(_)) => {
            return Err(FieldError {
                param: "amount_off".into(),
                code: "parameters_exclusive",
                message: "You may only specify one of these parameters: percent_off, amount_off.".into(),
            })
        }
        (None, None) => return Err(missing("percent_off", "Provide percent_off or amount_off.")),
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
    match (&p.currency, p.amount_off) {
        (None, Some(_)) => Err(missing("currency", "Missing required param: currency.")),
        (Some(c), _) => {
            Ok(Some(Currency::parse(c).ok_or_else(|| invalid("currency", "Invalid currency."))?.code().to_owned()))
        }
        (None, None) => Ok(None),
    }
}

fn check_duration(p: &CouponParams) -> Result<Duration, FieldError> {
    let duration = match p.duration.as_deref().unwrap_or("once") {
        "once" => Duration::Once,
        "repeating" => Duration::Repeating,
        "forever" => Duration::Forever,
        _ => {
            return Err(FieldError {
                param: "duration".into(),
                code: "parameter_invalid_enum",
                message: "Invalid duration: must be one of once, repeating, forever.".into(),
            })
        }
    };
    match (duration, p.duration_in_months) {
        (Duration::Repeating, None) => {
            Err(missing("duration_in_months", "Missing required param: duration_in_months."))
        }
        (Duration::Repeating, Some(m)) if !(1..=120).contains(&m) => {
            Err(invalid("duration_in_months", "Invalid duration_in_months: 1 to 120."))
        }
        (d, Some(_)) if d != Duration::Repeating => {
            Err(invalid("duration_in_months", "duration_in_months needs duration=repeating."))
        }
        _ => Ok(duration),
    }
}

/// A new coupon from the create parameters.
pub fn build(id: &str, livemode: bool, now: i64, p: &CouponParams) -> Result<Coupon, FieldError> {
    let currency = check_amount(p)?;
    let duration = check_duration(p)?;
    if p.max_redemptions.is_some_and(|m| m < 1) {
        return Err(invalid("max_redemptions", "Invalid max_redemptions: must be at least 1."));
    }
    if let Some(r) = p.redeem_by {
        if r <= now || r > now + 5 * 366 * 86_400 {
            return Err(invalid("redeem_by", "Invalid redeem_by: must be in the future, within five years."));
        }
    }
    let base = Coupon {
        id: id.to_owned(),
        object: CouponObject,
        amount_off: p.amount_off,
        applies_to: p.applies_to.clone(),
        created: now,
        currency,
        currency_options: None,
        duration,
        duration_in_months: p.duration_in_months,
        livemode,
        max_redemptions: p.max_redemptions,
        metadata: BTreeMap::new(),
        name: None,
        percent_off: p.percent_off.map(|d| d.normalize()),
        percent_off_decimal: p.percent_off.map(|d| d.normalize()),
        redeem_by: p.redeem_by,
        times_redeemed: 0,
        valid: true,
    };
    update(&base, &p.name, &p.metadata)
}

/// Applies a new name or metadata (a coupon's terms never change).
pub fn update(
    current: &Coupon,
    name: &Option<String>,
    metadata: &Option<BTreeMap<String, Option<String>>>,
) -> Result<Coupon, FieldError> {
    let mut out = current.clone();
    if let Some(n) = name {
        max_len("name", n, 40)?;
        out.name = Some(n.clone());
    }
    if let Some(m) = metadata {
        out.metadata = merge_metadata(&out.metadata, &Some(Some(m.clone())), "")?;
    }
    Ok(out)
}

impl Coupon {
    /// Whether it can still be redeemed at `now`.
    pub fn is_valid(&self, now: i64) -> bool {
        let redeemable = self.max_redemptions.is_none_or(|m| self.times_redeemed < m);
        redeemable && self.redeem_by.is_none_or(|r| now < r)
    }

    /// The coupon as it reads at `now` (`valid` is computed, never stored stale).
    pub fn at(&self, now: i64) -> Coupon {
        Coupon { valid: self.is_valid(now), ..self.clone() }
    }

    /// The discount it gives. `None` if it does not fit the currency.
    pub fn discount(&self, currency: &str) -> Option<Discount> {
        if let Some(p) = self.percent_off_decimal {
            return Some(Discount::Percent(p));
        }
        (self.currency.as_deref() == Some(currency)).then_some(self.amount_off.map(Discount::Amount)).flatten()
    }

    /// Whether it applies to a line of `product`.
    pub fn applies_to(&self, product: &str) -> bool {
        self.applies_to.as_ref().is_none_or(|a| a.products.iter().any(|p| p == product))
    }
}

/// A stored document as a coupon; `None` for anything else (a deleted stub).
pub fn decode(doc: &Value) -> Option<Coupon> {
    serde_json::from_value(doc.clone()).ok()
}

/// A stored document as the API shows it at `now`.
pub fn render(doc: &Value, now: i64) -> Value {
    decode(doc).map_or_else(|| doc.clone(), |c| c.at(now).wire())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> CouponParams {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_coupon_keeps_its_exact_percent_through_storage() {
        let p = params(json!({"percent_off": "12.75", "duration": "forever", "applies_to": {"products": ["prod_1"]}}));
        let c = build("SAVE", false, 5, &p).unwrap();
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(
            (stored["percent_off"].clone(), stored["percent_off_decimal"].clone()),
            (json!(12.75), json!("12.75"))
        );
        assert_eq!(stored["currency_options"], Value::Null);
        let back: Coupon = serde_json::from_value(stored).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.discount("eur"), Some(Discount::Percent(Decimal::new(1275, 2))));
        assert!(back.applies_to("prod_1") && !back.applies_to("prod_2"));
        assert!(c.wire().get("percent_off_decimal").is_none());
        assert_eq!(c.wire()["object"], "coupon");
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let mut v = serde_json::to_value(build("C", false, 5, &params(json!({"percent_off": 10}))).unwrap()).unwrap();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<Coupon>(v.clone()).is_err());
        assert!(decode(&json!({"id": "C", "object": "coupon", "deleted": true})).is_none());
    }

    #[test]
    fn validity_follows_redemptions_and_time() {
        let p = params(json!({"amount_off": 500, "currency": "EUR", "max_redemptions": 1, "redeem_by": 100}));
        let mut c = build("C", false, 5, &p).unwrap();
        assert_eq!(
            (c.currency.as_deref(), c.discount("eur"), c.discount("usd")),
            (Some("eur"), Some(Discount::Amount(500)), None)
        );
        assert!(c.is_valid(5) && !c.is_valid(100));
        c.times_redeemed = 1;
        assert!(!c.at(5).valid);
    }

    #[test]
    fn validation_errors_name_their_param() {
        for (v, param) in [
            (json!({"percent_off": 10, "amount_off": 5}), "amount_off"),
            (json!({}), "percent_off"),
            (json!({"percent_off": "10.125"}), "percent_off"),
            (json!({"amount_off": 5}), "currency"),
            (json!({"percent_off": 10, "duration": "weekly"}), "duration"),
            (json!({"percent_off": 10, "duration": "repeating"}), "duration_in_months"),
            (json!({"percent_off": 10, "max_redemptions": 0}), "max_redemptions"),
            (json!({"percent_off": 10, "redeem_by": 5}), "redeem_by"),
            (json!({"percent_off": 10, "name": "x".repeat(41)}), "name"),
        ] {
            assert_eq!(build("C", false, 5, &params(v)).unwrap_err().param, param);
        }
        let c = build("C", false, 5, &params(json!({"percent_off": 10}))).unwrap();
        let e = update(&c, &None, &Some(BTreeMap::from([("[x]".to_owned(), Some("1".to_owned()))]))).unwrap_err();
        assert_eq!(e.param, "metadata[[x]]");
    }
}
