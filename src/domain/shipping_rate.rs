//! Shipping rates (`shr_…`): a fixed amount for delivery.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::currency::Currency;
use super::document::{Document, Tag};
use super::fields::{max_len, FieldError};
use super::metadata::{self, MetadataUpdate};

pub const KIND: &str = "shipping_rate";

crate::wire_name!(ShippingRateObject, "shipping_rate");

/// How tax applies to the amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxBehavior {
    Exclusive,
    Inclusive,
    Unspecified,
}

/// Kassa's shipping rates are all a fixed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateType {
    FixedAmount,
}

/// A stored shipping rate, exactly as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingRate {
    pub id: String,
    #[schema(value_type = String)]
    pub object: ShippingRateObject,
    pub active: bool,
    pub created: i64,
    pub delivery_estimate: Option<StoredDeliveryEstimate>,
    pub display_name: String,
    pub fixed_amount: StoredFixedAmount,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    pub tax_behavior: TaxBehavior,
    pub tax_code: Option<String>,
    #[serde(rename = "type")]
    pub kind: RateType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredFixedAmount {
    pub amount: i64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StoredDeliveryEstimate {
    pub maximum: Option<Estimate>,
    pub minimum: Option<Estimate>,
}

impl Document for ShippingRate {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "shr";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        vec![("active".to_owned(), self.active.to_string())]
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FixedAmount {
    pub amount: i64,
    pub currency: String,
    pub currency_options: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

fn missing(prefix: &str, name: &str) -> FieldError {
    FieldError {
        param: at(prefix, name),
        code: "parameter_missing",
        message: format!("Missing required param: {name}."),
    }
}

fn bad_enum(prefix: &str, name: &str, message: &str) -> FieldError {
    FieldError { param: at(prefix, name), code: "parameter_invalid_enum", message: message.into() }
}

fn tax_behavior(p: &ShippingRateParams, prefix: &str) -> Result<TaxBehavior, FieldError> {
    match p.tax_behavior.as_deref() {
        None | Some("unspecified") => Ok(TaxBehavior::Unspecified),
        Some("exclusive") => Ok(TaxBehavior::Exclusive),
        Some("inclusive") => Ok(TaxBehavior::Inclusive),
        Some(_) => Err(bad_enum(prefix, "tax_behavior", "Invalid tax_behavior.")),
    }
}

/// Checks and builds the object; `prefix` places params (e.g. `shipping_options[0][shipping_rate_data]`).
pub fn build(
    id: &str,
    livemode: bool,
    now: i64,
    p: &ShippingRateParams,
    prefix: &str,
) -> Result<ShippingRate, FieldError> {
    let name = p.display_name.as_deref().ok_or_else(|| missing(prefix, "display_name"))?;
    max_len(&at(prefix, "display_name"), name, 100)?;
    if p.kind.as_deref().is_some_and(|k| k != "fixed_amount") {
        return Err(bad_enum(prefix, "type", "Invalid type: must be fixed_amount."));
    }
    let fixed = p.fixed_amount.as_ref().ok_or_else(|| missing(prefix, "fixed_amount"))?;
    if fixed.amount < 0 || fixed.amount > 99_999_999 {
        return Err(FieldError::invalid(at(prefix, "fixed_amount[amount]"), "Invalid amount: 0 to 99999999."));
    }
    let currency = Currency::parse(&fixed.currency)
        .ok_or_else(|| FieldError::invalid(at(prefix, "fixed_amount[currency]"), "Invalid currency."))?;
    let tax_behavior = tax_behavior(p, prefix)?;
    let metadata = match &p.metadata {
        None => BTreeMap::new(),
        Some(m) => metadata::apply(&BTreeMap::new(), &MetadataUpdate::Merge(m.clone()))
            .map_err(|e| FieldError::invalid(at(prefix, &e.param()), e.to_string()))?,
    };
    Ok(ShippingRate {
        id: id.to_owned(),
        object: ShippingRateObject,
        active: p.active.unwrap_or(true),
        created: now,
        delivery_estimate: p
            .delivery_estimate
            .as_ref()
            .map(|d| StoredDeliveryEstimate { maximum: d.maximum.clone(), minimum: d.minimum.clone() }),
        display_name: name.to_owned(),
        fixed_amount: StoredFixedAmount { amount: fixed.amount, currency: currency.code().to_owned() },
        livemode,
        metadata,
        tax_behavior,
        tax_code: p.tax_code.clone(),
        kind: RateType::FixedAmount,
    })
}

/// The rate after an update of `active` and `metadata`, the only fields
/// Stripe lets change.
pub fn update(
    current: &ShippingRate,
    active: Option<bool>,
    changes: &Option<BTreeMap<String, Option<String>>>,
) -> Result<ShippingRate, FieldError> {
    let mut out = current.clone();
    if let Some(a) = active {
        out.active = a;
    }
    if let Some(m) = changes {
        out.metadata = metadata::merged(&out.metadata, m)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> ShippingRateParams {
        serde_json::from_value(v).unwrap()
    }

    fn rate() -> ShippingRate {
        let p = params(json!({
            "display_name": "Post", "fixed_amount": {"amount": 500, "currency": "EUR"},
            "delivery_estimate": {"minimum": {"unit": "day", "value": 2}},
            "metadata": {"a": "1"},
        }));
        build("shr_1", false, 7, &p, "").unwrap()
    }

    #[test]
    fn a_rate_round_trips_through_storage_in_stripes_shape() {
        let r = rate();
        let stored = serde_json::to_value(&r).unwrap();
        assert_eq!(stored["type"], "fixed_amount");
        assert_eq!(stored["fixed_amount"], json!({"amount": 500, "currency": "eur"}));
        assert_eq!(stored["delivery_estimate"], json!({"minimum": {"unit": "day", "value": 2}, "maximum": null}));
        assert_eq!(stored["tax_behavior"], "unspecified");
        assert_eq!(serde_json::from_value::<ShippingRate>(stored.clone()).unwrap(), r);
        assert_eq!(r.wire(), stored);
        let mut odd = stored;
        odd["extra"] = json!(1);
        assert!(serde_json::from_value::<ShippingRate>(odd).is_err());
    }

    #[test]
    fn bad_params_name_their_place() {
        let p = params(json!({"display_name": "Post", "fixed_amount": {"amount": -1, "currency": "eur"}}));
        let e = build("shr_1", false, 7, &p, "shipping_options[0][shipping_rate_data]").unwrap_err();
        assert_eq!(e.param, "shipping_options[0][shipping_rate_data][fixed_amount][amount]");
        let p = params(
            json!({"display_name": "Post", "fixed_amount": {"amount": 1, "currency": "eur"}, "tax_behavior": "x"}),
        );
        assert_eq!(build("shr_1", false, 7, &p, "").unwrap_err().param, "tax_behavior");
    }

    #[test]
    fn an_update_changes_only_active_and_metadata() {
        let r = rate();
        let u = update(&r, Some(false), &Some(BTreeMap::from([("a".to_owned(), None)]))).unwrap();
        assert!(!u.active && u.metadata.is_empty());
        assert_eq!((&u.display_name, u.tags()), (&r.display_name, vec![("active".to_owned(), "false".to_owned())]));
    }
}
