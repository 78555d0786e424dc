//! Prices (`price_…`): their terms, validation, wire object, and the pricing
//! scheme a line item computes with.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};

use super::currency::Currency;
use super::fields::{emptyable, max_len, FieldError};
use super::price_amounts::{amount, check_custom, check_tiers};
pub use super::price_amounts::{parse_decimal, scheme};
use super::product::apply_metadata;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Interval {
    fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
            Interval::Year => "year",
        }
    }

    /// The most intervals that fit in three years (Stripe's limit).
    fn max_count(self) -> i64 {
        match self {
            Interval::Day => 1095,
            Interval::Week => 156,
            Interval::Month => 36,
            Interval::Year => 3,
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recurring {
    pub interval: Interval,
    pub interval_count: Option<i64>,
    pub usage_type: Option<UsageType>,
    pub trial_period_days: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageType {
    Licensed,
    Metered,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxBehavior {
    Exclusive,
    Inclusive,
    Unspecified,
}

impl TaxBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            TaxBehavior::Exclusive => "exclusive",
            TaxBehavior::Inclusive => "inclusive",
            TaxBehavior::Unspecified => "unspecified",
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingScheme {
    PerUnit,
    Tiered,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TiersModeParam {
    Graduated,
    Volume,
}

/// `up_to`: an integer, or `inf` for the last tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpTo(pub Option<i64>);

impl<'de> Deserialize<'de> for UpTo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) if s == "inf" => Ok(UpTo(None)),
            Value::String(s) => {
                s.parse().map(|n| UpTo(Some(n))).map_err(|_| serde::de::Error::custom("must be an integer or `inf`"))
            }
            Value::Number(n) => {
                n.as_i64().map(|n| UpTo(Some(n))).ok_or_else(|| serde::de::Error::custom("must be an integer or `inf`"))
            }
            _ => Err(serde::de::Error::custom("must be an integer or `inf`")),
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierParam {
    pub up_to: UpTo,
    pub unit_amount: Option<i64>,
    pub unit_amount_decimal: Option<String>,
    pub flat_amount: Option<i64>,
    pub flat_amount_decimal: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomUnitAmount {
    pub enabled: bool,
    pub maximum: Option<i64>,
    pub minimum: Option<i64>,
    pub preset: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductData {
    pub name: String,
    pub active: Option<bool>,
    pub description: Option<String>,
    pub images: Option<Vec<String>>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
    pub statement_descriptor: Option<String>,
    pub tax_code: Option<String>,
    pub unit_label: Option<String>,
    pub id: Option<String>,
    pub tax_details: Option<Value>,
}

/// The terms shared by `POST /v1/prices` and a line item's `price_data`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceParams {
    pub currency: Option<String>,
    pub active: Option<bool>,
    pub billing_scheme: Option<BillingScheme>,
    pub custom_unit_amount: Option<CustomUnitAmount>,
    pub lookup_key: Option<String>,
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
    pub nickname: Option<String>,
    pub product: Option<String>,
    pub product_data: Option<ProductData>,
    pub recurring: Option<Recurring>,
    pub tax_behavior: Option<TaxBehavior>,
    pub tiers: Option<Vec<TierParam>>,
    pub tiers_mode: Option<TiersModeParam>,
    pub transfer_lookup_key: Option<bool>,
    pub unit_amount: Option<i64>,
    pub unit_amount_decimal: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceUpdateParams {
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "emptyable")]
    pub lookup_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub nickname: Option<Option<String>>,
    pub tax_behavior: Option<TaxBehavior>,
    pub transfer_lookup_key: Option<bool>,
}

/// `param` under `prefix`: `at("line_items[0][price_data]", "recurring[interval]")`
/// is `line_items[0][price_data][recurring][interval]`; with no prefix, `param`.
pub fn at(prefix: &str, param: &str) -> String {
    if prefix.is_empty() {
        return param.to_owned();
    }
    match param.find('[') {
        Some(i) => format!("{prefix}[{}]{}", &param[..i], &param[i..]),
        None => format!("{prefix}[{param}]"),
    }
}

pub fn exclusive(prefix: &str, a: &str, b: &str) -> FieldError {
    FieldError {
        param: at(prefix, b),
        code: "parameters_exclusive",
        message: format!("You may only specify one of these parameters: {a}, {b}."),
    }
}

fn missing(param: String) -> FieldError {
    let message = format!("Missing required param: {param}.");
    FieldError { param, code: "parameter_missing", message }
}

/// Checks the terms and builds the Price object. `p` is the `{prefix}`-relative
/// parameter set (e.g. `line_items[0][price_data]`), and `product` the id of
/// the product it belongs to.
pub fn build(
    id: &str,
    livemode: bool,
    now: i64,
    product: &str,
    p: &PriceParams,
    prefix: &str,
) -> Result<Value, FieldError> {
    let currency_code = p.currency.as_deref().ok_or_else(|| missing(at(prefix, "currency")))?;
    let currency = Currency::parse(currency_code).ok_or_else(|| {
        FieldError::invalid(
            at(prefix, "currency"),
            format!("Invalid currency: {}", currency_code.chars().take(10).collect::<String>()),
        )
    })?;
    if p.unit_amount.is_some() && p.unit_amount_decimal.is_some() {
        return Err(exclusive(prefix, "unit_amount", "unit_amount_decimal"));
    }
    let scheme = p.billing_scheme.unwrap_or(BillingScheme::PerUnit);
    let custom = p.custom_unit_amount.as_ref().filter(|c| c.enabled);
    let mut unit_amount: Option<i64> = None;
    let mut unit_decimal: Option<Decimal> = None;
    let mut tiers_json = Value::Null;
    match scheme {
        BillingScheme::PerUnit => {
            if p.tiers.is_some() || p.tiers_mode.is_some() {
                return Err(FieldError::invalid(at(prefix, "tiers"), "Tiers need billing_scheme=tiered."));
            }
            if let Some(a) = p.unit_amount {
                unit_amount = Some(amount(&at(prefix, "unit_amount"), a)?);
                unit_decimal = Some(Decimal::from(a));
            } else if let Some(s) = &p.unit_amount_decimal {
                let d = parse_decimal(&at(prefix, "unit_amount_decimal"), s)?;
                unit_decimal = Some(d);
                if d.fract().is_zero() {
                    unit_amount = i64::try_from(d.mantissa() / 10i128.pow(d.scale())).ok();
                }
            } else if custom.is_none() {
                return Err(missing(at(prefix, "unit_amount")));
            }
            if custom.is_some() && unit_decimal.is_some() {
                return Err(exclusive(prefix, "unit_amount", "custom_unit_amount"));
            }
        }
        BillingScheme::Tiered => {
            if p.unit_amount.is_some() || p.unit_amount_decimal.is_some() {
                return Err(FieldError::invalid(
                    at(prefix, "unit_amount"),
                    "Tiered prices take their amounts from tiers.",
                ));
            }
            let tiers = p.tiers.as_ref().filter(|t| !t.is_empty()).ok_or_else(|| missing(at(prefix, "tiers")))?;
            p.tiers_mode.ok_or_else(|| missing(at(prefix, "tiers_mode")))?;
            tiers_json = json!(check_tiers(tiers, prefix)?);
        }
    }
    let custom_json = match custom {
        None => Value::Null,
        Some(c) => check_custom(c, prefix)?,
    };
    let recurring = match &p.recurring {
        None => Value::Null,
        Some(r) => {
            let count = r.interval_count.unwrap_or(1);
            if count < 1 || count > r.interval.max_count() {
                return Err(FieldError::invalid(
                    at(prefix, "recurring[interval_count]"),
                    "Invalid interval_count: the interval may be at most three years.",
                ));
            }
            if let Some(t) = r.trial_period_days {
                if !(1..=730).contains(&t) {
                    return Err(FieldError::invalid(
                        at(prefix, "recurring[trial_period_days]"),
                        "Invalid trial_period_days: 1 to 730.",
                    ));
                }
            }
            let usage = if r.usage_type == Some(UsageType::Metered) { "metered" } else { "licensed" };
            json!({"interval": r.interval.as_str(), "interval_count": count, "meter": null, "trial_period_days": r.trial_period_days, "usage_type": usage})
        }
    };
    if let Some(k) = &p.lookup_key {
        max_len(&at(prefix, "lookup_key"), k, 200)?;
    }
    if let Some(n) = &p.nickname {
        max_len(&at(prefix, "nickname"), n, 5000)?;
    }
    let mut doc = json!({
        "id": id, "object": "price", "active": p.active.unwrap_or(true),
        "billing_scheme": if scheme == BillingScheme::Tiered { "tiered" } else { "per_unit" },
        "created": now, "currency": currency.code(), "custom_unit_amount": custom_json,
        "livemode": livemode, "lookup_key": p.lookup_key, "metadata": {}, "nickname": p.nickname,
        "product": product, "recurring": recurring,
        "tax_behavior": p.tax_behavior.unwrap_or(TaxBehavior::Unspecified).as_str(),
        "tiers_mode": match p.tiers_mode { Some(TiersModeParam::Graduated) => json!("graduated"), Some(TiersModeParam::Volume) => json!("volume"), None => Value::Null },
        "transform_quantity": null,
        "type": if p.recurring.is_some() { "recurring" } else { "one_time" },
        "unit_amount": unit_amount,
        "unit_amount_decimal": unit_decimal.map(|d| d.to_string()),
    });
    if let Value::Object(m) = &mut doc {
        if scheme == BillingScheme::Tiered {
            m.insert("tiers".into(), tiers_json);
        }
        apply_metadata(m, &p.metadata, prefix)?;
    }
    Ok(doc)
}

/// Applies an update to a stored price.
pub fn update(current: &Value, p: &PriceUpdateParams) -> Result<Value, FieldError> {
    let mut doc: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    if let Some(a) = p.active {
        doc.insert("active".into(), json!(a));
    }
    if let Some(k) = &p.lookup_key {
        if let Some(k) = k {
            max_len("lookup_key", k, 200)?;
        }
        doc.insert("lookup_key".into(), json!(k));
    }
    if let Some(n) = &p.nickname {
        doc.insert("nickname".into(), json!(n));
    }
    if let Some(t) = p.tax_behavior {
        let current = doc.get("tax_behavior").and_then(Value::as_str).unwrap_or("unspecified");
        if current != "unspecified" && current != t.as_str() {
            return Err(FieldError::invalid(
                "tax_behavior",
                "tax_behavior can be changed only while it is unspecified.",
            ));
        }
        doc.insert("tax_behavior".into(), json!(t.as_str()));
    }
    apply_metadata(&mut doc, &p.metadata, "")?;
    Ok(Value::Object(doc))
}

/// The list filters a price can be found by.
pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let mut t = vec![
        ("active".to_owned(), doc["active"].as_bool().unwrap_or(false).to_string()),
        ("type".to_owned(), doc["type"].as_str().unwrap_or_default().to_owned()),
        ("currency".to_owned(), doc["currency"].as_str().unwrap_or_default().to_owned()),
    ];
    if let Some(p) = doc["product"].as_str() {
        t.push(("product".into(), p.to_owned()));
    }
    if let Some(k) = doc["lookup_key"].as_str() {
        t.push(("lookup_key".into(), k.to_owned()));
    }
    t
}
