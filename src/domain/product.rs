//! Products (`prod_…`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::document::{Document, Tag};
use super::fields::{emptyable, max_len, FieldError};
use super::metadata::{self, MetadataUpdate};

/// The stored kind of products.
pub const KIND_PRODUCT: &str = "product";

crate::wire_name!(ProductObject, "product");

/// Stripe's product types; kassa's products are all services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductType {
    Good,
    Service,
}

/// A stored product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    #[schema(value_type = String, pattern = "^product$")]
    pub object: ProductObject,
    pub active: bool,
    pub created: i64,
    /// The id of the price shown by default.
    pub default_price: Option<String>,
    pub description: Option<String>,
    pub images: Vec<String>,
    pub livemode: bool,
    pub marketing_features: Vec<MarketingFeature>,
    pub metadata: BTreeMap<String, String>,
    pub name: String,
    /// Stripe's shipping dimensions; never set by kassa.
    pub package_dimensions: Option<PackageDimensions>,
    pub shippable: Option<bool>,
    pub statement_descriptor: Option<String>,
    pub tax_code: Option<String>,
    #[serde(rename = "type")]
    pub kind: ProductType,
    pub unit_label: Option<String>,
    /// When a field last changed (an update that changes nothing keeps it).
    pub updated: i64,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarketingFeature {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageDimensions {
    pub height: f64,
    pub length: f64,
    pub weight: f64,
    pub width: f64,
}

impl Document for Product {
    const KIND: &'static str = KIND_PRODUCT;
    const PREFIX: &'static str = "prod";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![("active".to_owned(), self.active.to_string())];
        if let Some(s) = self.shippable {
            t.push(("shippable".into(), s.to_string()));
        }
        if let Some(u) = &self.url {
            t.push(("url".into(), u.clone()));
        }
        t
    }
}

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

/// Applies a metadata update (`Some(None)` clears it) to a metadata map;
/// errors name the param under `prefix`.
pub fn merge_metadata(
    current: &BTreeMap<String, String>,
    update: &Option<Option<BTreeMap<String, Option<String>>>>,
    prefix: &str,
) -> Result<BTreeMap<String, String>, FieldError> {
    let Some(m) = update else { return Ok(current.clone()) };
    let update = match m {
        None => MetadataUpdate::Clear,
        Some(m) => MetadataUpdate::Merge(m.clone()),
    };
    metadata::apply(current, &update)
        .map_err(|e| FieldError::invalid(super::price::at(prefix, &e.param()), e.to_string()))
}

/// Applies a metadata update to `doc["metadata"]`, for the objects still
/// held as JSON (coupons, promotion codes, shipping rates, endpoints).
pub fn apply_metadata(
    doc: &mut Map<String, Value>,
    update: &Option<Option<BTreeMap<String, Option<String>>>>,
    prefix: &str,
) -> Result<(), FieldError> {
    if update.is_none() {
        return Ok(());
    }
    let current: BTreeMap<String, String> =
        serde_json::from_value(doc.get("metadata").cloned().unwrap_or(json!({}))).unwrap_or_default();
    doc.insert("metadata".into(), json!(merge_metadata(&current, update, prefix)?));
    Ok(())
}

fn set_text(field: &mut Option<String>, key: &str, v: &Option<Option<String>>, max: usize) -> Result<(), FieldError> {
    if let Some(v) = v {
        if let Some(s) = v {
            max_len(key, s, max)?;
        }
        field.clone_from(v);
    }
    Ok(())
}

/// A new product from the create parameters.
pub fn create(id: &str, livemode: bool, now: i64, p: &ProductParams) -> Result<Product, FieldError> {
    let name = p.name.as_deref().ok_or_else(|| FieldError {
        param: "name".into(),
        code: "parameter_missing",
        message: "Missing required param: name.".into(),
    })?;
    if name.trim().is_empty() {
        return Err(FieldError::invalid("name", "Invalid name: must not be empty."));
    }
    let base = Product {
        id: id.to_owned(),
        object: ProductObject,
        active: true,
        created: now,
        default_price: None,
        description: None,
        images: Vec::new(),
        livemode,
        marketing_features: Vec::new(),
        metadata: BTreeMap::new(),
        name: name.to_owned(),
        package_dimensions: None,
        shippable: None,
        statement_descriptor: None,
        tax_code: None,
        kind: ProductType::Service,
        unit_label: None,
        updated: now,
        url: None,
    };
    update(&base, p, now)
}

/// Applies the changed fields; `updated` moves only when something changed.
pub fn update(current: &Product, p: &ProductParams, now: i64) -> Result<Product, FieldError> {
    let mut out = current.clone();
    if let Some(name) = &p.name {
        if name.trim().is_empty() {
            return Err(FieldError::invalid("name", "Invalid name: must not be empty."));
        }
        max_len("name", name, 5000)?;
        out.name.clone_from(name);
    }
    if let Some(a) = p.active {
        out.active = a;
    }
    if let Some(s) = p.shippable {
        out.shippable = Some(s);
    }
    set_text(&mut out.description, "description", &p.description, 40000)?;
    set_text(&mut out.statement_descriptor, "statement_descriptor", &p.statement_descriptor, 22)?;
    set_text(&mut out.tax_code, "tax_code", &p.tax_code, 5000)?;
    set_text(&mut out.unit_label, "unit_label", &p.unit_label, 12)?;
    set_text(&mut out.url, "url", &p.url, 5000)?;
    if let Some(images) = &p.images {
        if images.len() > 8 {
            return Err(FieldError::invalid("images", "Invalid images: at most 8."));
        }
        for (i, u) in images.iter().enumerate() {
            max_len(&format!("images[{i}]"), u, 2048)?;
        }
        out.images.clone_from(images);
    }
    if let Some(f) = &p.marketing_features {
        if f.len() > 15 {
            return Err(FieldError::invalid("marketing_features", "Invalid marketing_features: at most 15."));
        }
        for (i, feat) in f.iter().enumerate() {
            max_len(&format!("marketing_features[{i}][name]"), &feat.name, 80)?;
        }
        out.marketing_features = f.iter().map(|x| MarketingFeature { name: x.name.clone() }).collect();
    }
    if let Some(dp) = &p.default_price {
        out.default_price = Some(dp.clone());
    }
    out.metadata = merge_metadata(&out.metadata, &p.metadata, "")?;
    if out != *current {
        out.updated = now;
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> ProductParams {
        serde_json::from_value(v).unwrap()
    }

    fn sample() -> Product {
        let p =
            params(json!({"name": "Tee", "shippable": true, "url": "https://x.test", "images": ["https://i.test/1"],
            "marketing_features": [{"name": "Soft"}], "metadata": {"k": "v"}, "unit_label": "tee"}));
        create("prod_1", false, 5, &p).unwrap()
    }

    #[test]
    fn a_product_survives_storage_and_shows_every_field() {
        let p = sample();
        let stored = serde_json::to_value(&p).unwrap();
        let back: Product = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(back, p);
        // No private fields: the wire form is the stored form.
        assert!(Product::PRIVATE.is_empty());
        assert_eq!(p.wire(), stored);
        assert_eq!(stored["object"], "product");
        assert_eq!(stored["type"], "service");
        assert_eq!(stored["package_dimensions"], Value::Null);
        assert_eq!(stored["marketing_features"], json!([{"name": "Soft"}]));
        assert_eq!(stored.as_object().unwrap().len(), 19);
        let tags = p.tags();
        assert!(tags.contains(&("shippable".into(), "true".into())));
        assert!(tags.contains(&("url".into(), "https://x.test".into())));
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let mut v = serde_json::to_value(sample()).unwrap();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<Product>(v).is_err());
        let mut v = serde_json::to_value(sample()).unwrap();
        v["type"] = json!("gadget");
        assert!(serde_json::from_value::<Product>(v).is_err());
    }

    #[test]
    fn updates_validate_name_their_param_and_move_updated_only_on_change() {
        let p = sample();
        assert_eq!(update(&p, &params(json!({"name": "Tee"})), 9).unwrap().updated, 5);
        let u = update(&p, &params(json!({"description": "Cotton", "metadata": null})), 9).unwrap();
        assert_eq!((u.description.as_deref(), u.metadata.len(), u.updated), (Some("Cotton"), 0, 9));
        assert_eq!(create("prod_2", false, 5, &params(json!({}))).unwrap_err().param, "name");
        assert_eq!(update(&p, &params(json!({"name": " "})), 9).unwrap_err().param, "name");
        assert_eq!(update(&p, &params(json!({"unit_label": "x".repeat(13)})), 9).unwrap_err().param, "unit_label");
        let nine: Vec<String> = (0..9).map(|i| i.to_string()).collect();
        assert_eq!(update(&p, &params(json!({"images": nine})), 9).unwrap_err().param, "images");
        let e = update(&p, &params(json!({"marketing_features": [{"name": "x".repeat(81)}]})), 9).unwrap_err();
        assert_eq!(e.param, "marketing_features[0][name]");
        assert_eq!(update(&p, &params(json!({"metadata": {"[": "v"}})), 9).unwrap_err().param, "metadata[[]");
        assert_eq!(check_custom_id("a b").unwrap_err().param, "id");
    }
}
