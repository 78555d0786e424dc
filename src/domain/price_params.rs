//! The parameters of prices (`POST /v1/prices`, a line item's
//! `price_data`) and the closed sets a price is made of.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::fields::{emptyable, FieldError};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Interval {
    /// The most intervals that fit in three years (Stripe's limit).
    pub fn max_count(self) -> i64 {
        match self {
            Interval::Day => 1095,
            Interval::Week => 156,
            Interval::Month => 36,
            Interval::Year => 3,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageType {
    Licensed,
    Metered,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxBehavior {
    Exclusive,
    Inclusive,
    Unspecified,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingScheme {
    PerUnit,
    Tiered,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TiersMode {
    Graduated,
    Volume,
}

/// `type`: recurring prices have `recurring` terms.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriceType {
    OneTime,
    Recurring,
}

impl PriceType {
    /// The wire name, which is also the list tag.
    pub fn as_str(self) -> &'static str {
        match self {
            PriceType::OneTime => "one_time",
            PriceType::Recurring => "recurring",
        }
    }
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
pub struct Recurring {
    pub interval: Interval,
    pub interval_count: Option<i64>,
    pub usage_type: Option<UsageType>,
    pub trial_period_days: Option<i64>,
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
    pub tiers_mode: Option<TiersMode>,
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

pub fn missing(param: String) -> FieldError {
    let message = format!("Missing required param: {param}.");
    FieldError { param, code: "parameter_missing", message }
}
