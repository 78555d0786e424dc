//! Tax rates (`txr_…`): a percentage, inclusive or exclusive.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::adjust::Rate;
use super::document::{Document, Tag};
use super::fields::{decimal, decimal_number, emptyable, max_len, FieldError};
use super::metadata;

pub const KIND: &str = "tax_rate";

crate::wire_name!(TaxRateObject, "tax_rate");

/// How the rate is given; kassa's rates are all percentages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateType {
    Percentage,
}

/// A stored tax rate. `percentage_decimal` is kassa's exact copy of the
/// percentage, the one the amount rules use; it is never shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxRate {
    pub id: String,
    #[schema(value_type = String)]
    pub object: TaxRateObject,
    pub active: bool,
    pub country: Option<String>,
    pub created: i64,
    pub description: Option<String>,
    pub display_name: String,
    #[serde(with = "decimal_number")]
    pub effective_percentage: Decimal,
    /// Stripe's fixed-amount rates; never set by kassa.
    pub flat_amount: Option<FlatAmount>,
    pub inclusive: bool,
    pub jurisdiction: Option<String>,
    pub jurisdiction_level: Option<String>,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    #[serde(with = "decimal_number")]
    pub percentage: Decimal,
    #[schema(ignore)]
    pub percentage_decimal: Decimal,
    pub rate_type: RateType,
    pub state: Option<String>,
    pub tax_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlatAmount {
    pub amount: i64,
    pub currency: String,
}

impl Document for TaxRate {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "txr";
    const PRIVATE: &'static [&'static str] = &["percentage_decimal"];

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        vec![("active".to_owned(), self.active.to_string()), ("inclusive".to_owned(), self.inclusive.to_string())]
    }
}

const TAX_TYPES: &[&str] = &[
    "amusement_tax",
    "communications_tax",
    "gst",
    "hst",
    "igst",
    "jct",
    "lease_tax",
    "pst",
    "qst",
    "retail_delivery_fee",
    "rst",
    "sales_tax",
    "service_tax",
    "vat",
];

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxRateParams {
    pub display_name: Option<String>,
    pub inclusive: Option<bool>,
    #[serde(default, deserialize_with = "decimal")]
    pub percentage: Option<Decimal>,
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "emptyable")]
    pub country: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub jurisdiction: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub state: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub tax_type: Option<Option<String>>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
}

fn missing(p: &str) -> FieldError {
    FieldError { param: p.into(), code: "parameter_missing", message: format!("Missing required param: {p}.") }
}

/// A new tax rate from the create parameters.
pub fn build(id: &str, livemode: bool, now: i64, p: &TaxRateParams) -> Result<TaxRate, FieldError> {
    p.display_name.as_ref().ok_or_else(|| missing("display_name"))?;
    let inclusive = p.inclusive.ok_or_else(|| missing("inclusive"))?;
    let pct = p.percentage.ok_or_else(|| missing("percentage"))?.normalize();
    if pct.scale() > 4 {
        return Err(FieldError::invalid("percentage", "Invalid percentage: at most four decimal places."));
    }
    if pct < Decimal::ZERO || pct > Decimal::ONE_HUNDRED {
        return Err(FieldError::invalid("percentage", "Invalid percentage: must be between 0 and 100."));
    }
    let base = TaxRate {
        id: id.to_owned(),
        object: TaxRateObject,
        active: true,
        country: None,
        created: now,
        description: None,
        display_name: String::new(),
        effective_percentage: pct,
        flat_amount: None,
        inclusive,
        jurisdiction: None,
        jurisdiction_level: None,
        livemode,
        metadata: BTreeMap::new(),
        percentage: pct,
        percentage_decimal: pct,
        rate_type: RateType::Percentage,
        state: None,
        tax_type: None,
    };
    update(&base, p)
}

/// Applies the changeable fields (the percentage and inclusivity never change).
pub fn update(current: &TaxRate, p: &TaxRateParams) -> Result<TaxRate, FieldError> {
    let mut out = current.clone();
    if let Some(n) = &p.display_name {
        if n.trim().is_empty() {
            return Err(FieldError::invalid("display_name", "Invalid display_name: must not be empty."));
        }
        max_len("display_name", n, 50)?;
        out.display_name = n.clone();
    }
    if let Some(a) = p.active {
        out.active = a;
    }
    for (field, v, name, max) in [
        (&mut out.country, &p.country, "country", 2usize),
        (&mut out.description, &p.description, "description", 500),
        (&mut out.jurisdiction, &p.jurisdiction, "jurisdiction", 50),
        (&mut out.state, &p.state, "state", 10),
    ] {
        if let Some(v) = v {
            if let Some(s) = v {
                max_len(name, s, max)?;
            }
            *field = v.clone();
        }
    }
    if let Some(t) = &p.tax_type {
        if t.as_ref().is_some_and(|t| !TAX_TYPES.contains(&t.as_str())) {
            return Err(FieldError {
                param: "tax_type".into(),
                code: "parameter_invalid_enum",
                message: "Invalid tax_type.".into(),
            });
        }
        out.tax_type = t.clone();
    }
    if let Some(m) = &p.metadata {
        out.metadata = metadata::merged(&out.metadata, m)?;
    }
    Ok(out)
}

impl TaxRate {
    /// The rate for the amount rules.
    pub fn rate(&self) -> Rate {
        Rate { id: self.id.clone(), percentage: self.percentage_decimal, inclusive: self.inclusive }
    }
}

/// A stored document as the API shows it (the list renders stored documents).
pub fn render(doc: &serde_json::Value, _now: i64) -> serde_json::Value {
    let mut out = doc.clone();
    if let Some(m) = out.as_object_mut() {
        for k in TaxRate::PRIVATE {
            m.remove(*k);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: serde_json::Value) -> TaxRateParams {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_rate_keeps_its_exact_percentage_through_storage() {
        let p = params(json!({"display_name": "VAT", "inclusive": false, "percentage": "8.25"}));
        let t = build("txr_1", false, 5, &p).unwrap();
        let stored = serde_json::to_value(&t).unwrap();
        assert_eq!(stored["percentage"], json!(8.25));
        assert_eq!(stored["percentage_decimal"], json!("8.25"));
        let back: TaxRate = serde_json::from_value(stored).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.rate().percentage, Decimal::new(825, 2));
        assert!(t.wire().get("percentage_decimal").is_none());
        assert_eq!(t.wire()["object"], "tax_rate");
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let mut v = serde_json::to_value(
            build("txr_1", false, 5, &params(json!({"display_name": "VAT", "inclusive": true, "percentage": 7})))
                .unwrap(),
        )
        .unwrap();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<TaxRate>(v).is_err());
    }

    #[test]
    fn updates_validate_and_leave_the_rest() {
        let t = build("txr_1", false, 5, &params(json!({"display_name": "VAT", "inclusive": true, "percentage": 7})))
            .unwrap();
        let u = update(&t, &params(json!({"country": "DE", "metadata": {"a": "1"}}))).unwrap();
        assert_eq!((u.country.as_deref(), u.display_name.as_str()), (Some("DE"), "VAT"));
        assert_eq!(u.tags(), t.tags());
        let e = update(&t, &params(json!({"tax_type": "nope"}))).unwrap_err();
        assert_eq!(e.param, "tax_type");
    }
}
