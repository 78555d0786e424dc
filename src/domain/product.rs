//! Products (`prod_…`).

/// The stored kind of products.
pub const KIND_PRODUCT: &str = "product";

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::fields::{emptyable, max_len, FieldError};
use super::metadata::{self, MetadataUpdate};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    pub name: String,
}

/// Parameters of create and update (`name` is required on create only).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductParams {
    pub id: Option<String>,
    pub name: Option<String>,
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "emptyable")]
    pub description: Option<Option<String>>,
    pub images: Option<Vec<String>>,
    pub marketing_features: Option<Vec<Feature>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
    pub shippable: Option<bool>,
    #[serde(default, deserialize_with = "emptyable")]
    pub statement_descriptor: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub tax_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub unit_label: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub url: Option<Option<String>>,
    pub default_price: Option<String>,
}

/// Applies a metadata update to `doc["metadata"]`.
pub fn apply_metadata(
    doc: &mut Map<String, Value>,
    update: &Option<Option<BTreeMap<String, Option<String>>>>,
    prefix: &str,
) -> Result<(), FieldError> {
    let Some(m) = update else { return Ok(()) };
    let update = match m {
        None => MetadataUpdate::Clear,
        Some(m) => MetadataUpdate::Merge(m.clone()),
    };
    let current: BTreeMap<String, String> =
        serde_json::from_value(doc.get("metadata").cloned().unwrap_or(json!({}))).unwrap_or_default();
    let next = metadata::apply(&current, &update)
        .map_err(|e| FieldError::invalid(super::price::at(prefix, &e.param()), e.to_string()))?;
    doc.insert("metadata".into(), json!(next));
    Ok(())
}

fn set_text(doc: &mut Map<String, Value>, key: &str, v: &Option<Option<String>>, max: usize) -> Result<(), FieldError> {
    if let Some(v) = v {
        if let Some(s) = v {
            max_len(key, s, max)?;
        }
        doc.insert(key.into(), json!(v));
    }
    Ok(())
}

pub fn create(id: &str, livemode: bool, now: i64, p: &ProductParams) -> Result<Value, FieldError> {
    let name = p.name.as_deref().ok_or_else(|| FieldError {
        param: "name".into(),
        code: "parameter_missing",
        message: "Missing required param: name.".into(),
    })?;
    if name.trim().is_empty() {
        return Err(FieldError::invalid("name", "Invalid name: must not be empty."));
    }
    let base = json!({
        "id": id, "object": "product", "active": true, "created": now, "default_price": null,
        "description": null, "images": [], "livemode": livemode, "marketing_features": [],
        "metadata": {}, "name": name, "package_dimensions": null, "shippable": null,
        "statement_descriptor": null, "tax_code": null, "type": "service", "unit_label": null,
        "updated": now, "url": null,
    });
    update(&base, p, now)
}

pub fn update(current: &Value, p: &ProductParams, now: i64) -> Result<Value, FieldError> {
    let mut doc = current.as_object().cloned().unwrap_or_default();
    if let Some(name) = &p.name {
        if name.trim().is_empty() {
            return Err(FieldError::invalid("name", "Invalid name: must not be empty."));
        }
        max_len("name", name, 5000)?;
        doc.insert("name".into(), json!(name));
    }
    if let Some(a) = p.active {
        doc.insert("active".into(), json!(a));
    }
    if let Some(s) = p.shippable {
        doc.insert("shippable".into(), json!(s));
    }
    set_text(&mut doc, "description", &p.description, 40000)?;
    set_text(&mut doc, "statement_descriptor", &p.statement_descriptor, 22)?;
    set_text(&mut doc, "tax_code", &p.tax_code, 5000)?;
    set_text(&mut doc, "unit_label", &p.unit_label, 12)?;
    set_text(&mut doc, "url", &p.url, 5000)?;
    if let Some(images) = &p.images {
        if images.len() > 8 {
            return Err(FieldError::invalid("images", "Invalid images: at most 8."));
        }
        for (i, u) in images.iter().enumerate() {
            max_len(&format!("images[{i}]"), u, 2048)?;
        }
        doc.insert("images".into(), json!(images));
    }
    if let Some(f) = &p.marketing_features {
        if f.len() > 15 {
            return Err(FieldError::invalid("marketing_features", "Invalid marketing_features: at most 15."));
        }
        for (i, feat) in f.iter().enumerate() {
            max_len(&format!("marketing_features[{i}][name]"), &feat.name, 80)?;
        }
        doc.insert("marketing_features".into(), json!(f.iter().map(|x| json!({"name": x.name})).collect::<Vec<_>>()));
    }
    if let Some(dp) = &p.default_price {
        doc.insert("default_price".into(), json!(dp));
    }
    apply_metadata(&mut doc, &p.metadata, "")?;
    if Value::Object(doc.clone()) != *current {
        doc.insert("updated".into(), json!(now));
    }
    Ok(Value::Object(doc))
}

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let mut t = vec![("active".to_owned(), doc["active"].as_bool().unwrap_or(false).to_string())];
    if let Some(s) = doc["shippable"].as_bool() {
        t.push(("shippable".into(), s.to_string()));
    }
    if let Some(u) = doc["url"].as_str() {
        t.push(("url".into(), u.to_owned()));
    }
    t
}

/// Custom ids follow Stripe's rule: letters, digits, `_` and `-`, ≤ 255.
pub fn check_custom_id(id: &str) -> Result<(), FieldError> {
    let ok =
        !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FieldError::invalid("id", "Invalid id: use letters, digits, '_' and '-' (at most 255)."))
    }
}
