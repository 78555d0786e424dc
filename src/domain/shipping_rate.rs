//! Shipping rates (`shr_…`): a fixed amount for delivery.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::currency::Currency;
use super::fields::{max_len, FieldError};
use super::product::apply_metadata;

pub const KIND: &str = "shipping_rate";

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixedAmount {
    pub amount: i64,
    pub currency: String,
    pub currency_options: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Estimate {
    pub unit: String,
    pub value: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryEstimate {
    pub minimum: Option<Estimate>,
    pub maximum: Option<Estimate>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingRateParams {
    pub display_name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub fixed_amount: Option<FixedAmount>,
    pub delivery_estimate: Option<DeliveryEstimate>,
    pub tax_behavior: Option<String>,
    pub tax_code: Option<String>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
    pub active: Option<bool>,
}

fn at(prefix: &str, name: &str) -> String {
    super::price::at(prefix, name)
}

/// Checks and builds the object; `prefix` places params (e.g. `shipping_options[0][shipping_rate_data]`).
pub fn build(id: &str, livemode: bool, now: i64, p: &ShippingRateParams, prefix: &str) -> Result<Value, FieldError> {
    let name = p.display_name.as_deref().ok_or_else(|| FieldError {
        param: at(prefix, "display_name"),
        code: "parameter_missing",
        message: "Missing required param: display_name.".into(),
    })?;
    max_len(&at(prefix, "display_name"), name, 100)?;
    if p.kind.as_deref().is_some_and(|k| k != "fixed_amount") {
        return Err(FieldError {
            param: at(prefix, "type"),
            code: "parameter_invalid_enum",
            message: "Invalid type: must be fixed_amount.".into(),
        });
    }
    let fixed = p.fixed_amount.as_ref().ok_or_else(|| FieldError {
        param: at(prefix, "fixed_amount"),
        code: "parameter_missing",
        message: "Missing required param: fixed_amount.".into(),
    })?;
    if fixed.amount < 0 || fixed.amount > 99_999_999 {
        return Err(FieldError::invalid(at(prefix, "fixed_amount[amount]"), "Invalid amount: 0 to 99999999."));
    }
    let currency = Currency::parse(&fixed.currency)
        .ok_or_else(|| FieldError::invalid(at(prefix, "fixed_amount[currency]"), "Invalid currency."))?;
    let tax_behavior = p.tax_behavior.clone().unwrap_or_else(|| "unspecified".into());
    if !["exclusive", "inclusive", "unspecified"].contains(&tax_behavior.as_str()) {
        return Err(FieldError {
            param: at(prefix, "tax_behavior"),
            code: "parameter_invalid_enum",
            message: "Invalid tax_behavior.".into(),
        });
    }
    let est = |e: &Option<Estimate>| e.as_ref().map(|e| json!({"unit": e.unit, "value": e.value}));
    let mut doc = json!({
        "id": id, "object": "shipping_rate", "active": p.active.unwrap_or(true), "created": now,
        "delivery_estimate": p.delivery_estimate.as_ref().map(|d| json!({"minimum": est(&d.minimum), "maximum": est(&d.maximum)})),
        "display_name": name, "fixed_amount": {"amount": fixed.amount, "currency": currency.code()},
        "livemode": livemode, "metadata": {}, "tax_behavior": tax_behavior, "tax_code": p.tax_code, "type": "fixed_amount",
    });
    if let (Some(m), Value::Object(o)) = (&p.metadata, &mut doc) {
        apply_metadata(o, &Some(Some(m.clone())), prefix)?;
    }
    Ok(doc)
}

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    vec![("active".to_owned(), doc["active"].as_bool().unwrap_or(false).to_string())]
}
