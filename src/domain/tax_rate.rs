//! Tax rates (`txr_…`): a percentage, inclusive or exclusive.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::adjust::Rate;
use super::fields::{decimal, decimal_json, emptyable, max_len, FieldError};
use super::product::apply_metadata;

pub const KIND: &str = "tax_rate";

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

pub fn build(id: &str, livemode: bool, now: i64, p: &TaxRateParams) -> Result<Value, FieldError> {
    p.display_name.as_ref().ok_or_else(|| missing("display_name"))?;
    p.inclusive.ok_or_else(|| missing("inclusive"))?;
    let pct = p.percentage.ok_or_else(|| missing("percentage"))?;
    if pct.normalize().scale() > 4 {
        return Err(FieldError::invalid("percentage", "Invalid percentage: at most four decimal places."));
    }
    if pct < Decimal::ZERO || pct > Decimal::ONE_HUNDRED {
        return Err(FieldError::invalid("percentage", "Invalid percentage: must be between 0 and 100."));
    }
    let base = json!({
        "id": id, "object": "tax_rate", "active": true, "country": null, "created": now, "description": null,
        "display_name": "", "effective_percentage": decimal_json(pct), "flat_amount": null,
        "inclusive": p.inclusive, "jurisdiction": null, "jurisdiction_level": null, "livemode": livemode,
        "metadata": {}, "percentage": decimal_json(pct), "percentage_decimal": pct.normalize().to_string(),
        "rate_type": "percentage", "state": null, "tax_type": null,
    });
    update(&base, p)
}

/// Applies the changeable fields (the percentage and inclusivity never change).
pub fn update(current: &Value, p: &TaxRateParams) -> Result<Value, FieldError> {
    let mut doc: Map<String, Value> = current.as_object().cloned().unwrap_or_default();
    if let Some(n) = &p.display_name {
        if n.trim().is_empty() {
            return Err(FieldError::invalid("display_name", "Invalid display_name: must not be empty."));
        }
        max_len("display_name", n, 50)?;
        doc.insert("display_name".into(), json!(n));
    }
    if let Some(a) = p.active {
        doc.insert("active".into(), json!(a));
    }
    for (key, v, max) in [
        ("country", &p.country, 2usize),
        ("description", &p.description, 500),
        ("jurisdiction", &p.jurisdiction, 50),
        ("state", &p.state, 10),
    ] {
        if let Some(v) = v {
            if let Some(s) = v {
                max_len(key, s, max)?;
            }
            doc.insert(key.into(), json!(v));
        }
    }
    if let Some(t) = &p.tax_type {
        if let Some(t) = t {
            if !TAX_TYPES.contains(&t.as_str()) {
                return Err(FieldError {
                    param: "tax_type".into(),
                    code: "parameter_invalid_enum",
                    message: "Invalid tax_type.".into(),
                });
            }
        }
        doc.insert("tax_type".into(), json!(t));
    }
    if let Some(m) = &p.metadata {
        apply_metadata(&mut doc, &Some(Some(m.clone())), "")?;
    }
    Ok(Value::Object(doc))
}

pub fn render(doc: &Value, _now: i64) -> Value {
    let mut out = doc.clone();
    if let Some(m) = out.as_object_mut() {
        m.remove("percentage_decimal");
    }
    out
}

/// The rate for the amount rules.
pub fn rate(doc: &Value) -> Option<Rate> {
    Some(Rate {
        id: doc["id"].as_str()?.to_owned(),
        percentage: doc["percentage_decimal"].as_str()?.parse().ok()?,
        inclusive: doc["inclusive"].as_bool()?,
    })
}

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    vec![
        ("active".to_owned(), doc["active"].as_bool().unwrap_or(false).to_string()),
        ("inclusive".to_owned(), doc["inclusive"].as_bool().unwrap_or(false).to_string()),
    ]
}
