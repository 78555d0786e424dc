//! Customers (`cus_…`): the object, and how create and update parameters
//! shape it. Stripe's fields are all present, `null` when not set.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::fields::{emptyable, max_len, FieldError};
use super::metadata::{self, MetadataUpdate};

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub city: Option<String>,
    pub country: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipping {
    pub address: Address,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomField {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderingOptions {
    #[serde(default, deserialize_with = "emptyable")]
    pub amount_tax_display: Option<Option<TaxDisplay>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub template: Option<Option<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxDisplay {
    ExcludeTax,
    IncludeInclusiveTax,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettings {
    #[serde(default, deserialize_with = "emptyable")]
    pub custom_fields: Option<Option<Vec<CustomField>>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub default_payment_method: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub footer: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub rendering_options: Option<Option<RenderingOptions>>,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaxExempt {
    None,
    Exempt,
    Reverse,
}

/// Parameters of `POST /v1/customers` and `POST /v1/customers/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerParams {
    #[serde(default, deserialize_with = "emptyable")]
    pub address: Option<Option<Address>>,
    pub balance: Option<i64>,
    #[serde(default, deserialize_with = "emptyable")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub email: Option<Option<String>>,
    pub invoice_prefix: Option<String>,
    pub invoice_settings: Option<InvoiceSettings>,
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub name: Option<Option<String>>,
    pub next_invoice_sequence: Option<i64>,
    #[serde(default, deserialize_with = "emptyable")]
    pub phone: Option<Option<String>>,
    pub preferred_locales: Option<Vec<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub shipping: Option<Option<Shipping>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub tax_exempt: Option<Option<TaxExempt>>,
}

fn address_json(a: &Address, param: &str) -> Result<Value, FieldError> {
    for (name, v) in [
        ("city", &a.city),
        ("country", &a.country),
        ("line1", &a.line1),
        ("line2", &a.line2),
        ("postal_code", &a.postal_code),
        ("state", &a.state),
    ] {
        if let Some(v) = v {
            max_len(&format!("{param}[{name}]"), v, 200)?;
        }
    }
    Ok(json!({
        "city": a.city, "country": a.country, "line1": a.line1,
        "line2": a.line2, "postal_code": a.postal_code, "state": a.state,
    }))
}

fn check_email(email: &str) -> Result<(), FieldError> {
    max_len("email", email, 512)?;
    let ok = match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    if !ok || email.chars().any(char::is_whitespace) {
        return Err(FieldError {
            param: "email".into(),
            code: "email_invalid",
            message: format!("Invalid email address: {}", email.chars().take(100).collect::<String>()),
        });
    }
    Ok(())
}

fn set_text(doc: &mut Map<String, Value>, key: &str, v: &Option<Option<String>>, max: usize) -> Result<(), FieldError> {
    match v {
        None => {}
        Some(None) => {
            doc.insert(key.into(), Value::Null);
        }
        Some(Some(s)) => {
            max_len(key, s, max)?;
            doc.insert(key.into(), json!(s));
        }
    }
    Ok(())
}

/// A new customer object with every field present.
pub fn create(
    id: &str,
    livemode: bool,
    now: i64,
    invoice_prefix: &str,
    p: &CustomerParams,
) -> Result<Value, FieldError> {
    let base = json!({
        "id": id, "object": "customer", "address": null, "balance": 0, "created": now,
        "currency": null, "default_source": null, "delinquent": false, "description": null,
        "discount": null, "email": null, "invoice_prefix": invoice_prefix,
        "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null, "rendering_options": null},
        "livemode": livemode, "metadata": {}, "name": null, "next_invoice_sequence": 1,
        "phone": null, "preferred_locales": [], "shipping": null, "tax_exempt": "none", "test_clock": null,
    });
    update(&base, p)
}

/// The object after applying `p`; fields not named are left alone.
pub fn update(current: &Value, p: &CustomerParams) -> Result<Value, FieldError> {
    let mut doc = current.as_object().cloned().unwrap_or_default();
    if let Some(a) = &p.address {
        let v = a.as_ref().map(|a| address_json(a, "address")).transpose()?;
        doc.insert("address".into(), v.unwrap_or(Value::Null));
    }
    if let Some(b) = p.balance {
        doc.insert("balance".into(), json!(b));
    }
    set_text(&mut doc, "description", &p.description, 350)?;
    if let Some(Some(e)) = &p.email {
        check_email(e)?;
    }
    set_text(&mut doc, "email", &p.email, 512)?;
    set_text(&mut doc, "name", &p.name, 256)?;
    set_text(&mut doc, "phone", &p.phone, 20)?;
    if let Some(prefix) = &p.invoice_prefix {
        check_invoice_prefix(prefix)?;
        doc.insert("invoice_prefix".into(), json!(prefix));
    }
    if let Some(n) = p.next_invoice_sequence {
        if n < 1 {
            return Err(FieldError::invalid(
                "next_invoice_sequence",
                "Invalid next_invoice_sequence: must be at least 1.",
            ));
        }
        doc.insert("next_invoice_sequence".into(), json!(n));
    }
    if let Some(locales) = &p.preferred_locales {
        if locales.len() > 10 {
            return Err(FieldError::invalid("preferred_locales", "Invalid preferred_locales: at most 10 locales."));
        }
        for (i, l) in locales.iter().enumerate() {
            max_len(&format!("preferred_locales[{i}]"), l, 20)?;
        }
        doc.insert("preferred_locales".into(), json!(locales));
    }
    if let Some(s) = &p.shipping {
        let v = match s {
            None => Value::Null,
            Some(s) => {
                max_len("shipping[name]", &s.name, 256)?;
                if let Some(ph) = &s.phone {
                    max_len("shipping[phone]", ph, 20)?;
                }
                json!({"address": address_json(&s.address, "shipping[address]")?, "name": s.name, "phone": s.phone})
            }
        };
        doc.insert("shipping".into(), v);
    }
    if let Some(t) = &p.tax_exempt {
        let v = match t {
            None | Some(TaxExempt::None) => "none",
            Some(TaxExempt::Exempt) => "exempt",
            Some(TaxExempt::Reverse) => "reverse",
        };
        doc.insert("tax_exempt".into(), json!(v));
    }
    if let Some(s) = &p.invoice_settings {
        let current = doc.get("invoice_settings").cloned().unwrap_or(json!({}));
        doc.insert("invoice_settings".into(), invoice_settings(&current, s)?);
    }
    if let Some(m) = &p.metadata {
        let update = match m {
            None => MetadataUpdate::Clear,
            Some(m) => MetadataUpdate::Merge(m.clone()),
        };
        let current: BTreeMap<String, String> =
            serde_json::from_value(doc.get("metadata").cloned().unwrap_or(json!({}))).unwrap_or_default();
        let next = metadata::apply(&current, &update).map_err(|e| FieldError::invalid(e.param(), e.to_string()))?;
        doc.insert("metadata".into(), json!(next));
    }
    Ok(Value::Object(doc))
}

fn check_invoice_prefix(prefix: &str) -> Result<(), FieldError> {
    let ok = (3..=12).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(FieldError::invalid("invoice_prefix", "Invalid invoice_prefix: use 3 to 12 uppercase letters or numbers."))
    }
}

fn invoice_settings(current: &Value, s: &InvoiceSettings) -> Result<Value, FieldError> {
    let mut out = current.as_object().cloned().unwrap_or_default();
    if let Some(cf) = &s.custom_fields {
        let v = match cf {
            None => Value::Null,
            Some(fields) => {
                if fields.len() > 4 {
                    return Err(FieldError::invalid(
                        "invoice_settings[custom_fields]",
                        "Invalid custom_fields: at most 4.",
                    ));
                }
                for (i, f) in fields.iter().enumerate() {
                    max_len(&format!("invoice_settings[custom_fields][{i}][name]"), &f.name, 40)?;
                    max_len(&format!("invoice_settings[custom_fields][{i}][value]"), &f.value, 140)?;
                }
                json!(fields.iter().map(|f| json!({"name": f.name, "value": f.value})).collect::<Vec<_>>())
            }
        };
        out.insert("custom_fields".into(), v);
    }
    if let Some(pm) = &s.default_payment_method {
        out.insert("default_payment_method".into(), json!(pm));
    }
    if let Some(f) = &s.footer {
        if let Some(f) = f {
            max_len("invoice_settings[footer]", f, 5000)?;
        }
        out.insert("footer".into(), json!(f));
    }
    if let Some(r) = &s.rendering_options {
        let v = match r {
            None => Value::Null,
            Some(r) => {
                let display = match r.amount_tax_display.flatten() {
                    Some(TaxDisplay::ExcludeTax) => json!("exclude_tax"),
                    Some(TaxDisplay::IncludeInclusiveTax) => json!("include_inclusive_tax"),
                    None => Value::Null,
                };
                json!({"amount_tax_display": display, "template": r.template.clone().flatten()})
            }
        };
        out.insert("rendering_options".into(), v);
    }
    Ok(Value::Object(out))
}

/// What a deleted customer answers with.
pub fn deleted(id: &str) -> Value {
    json!({"id": id, "object": "customer", "deleted": true})
}

/// The list filters a customer can be found by.
pub fn tags(doc: &Value) -> Vec<(String, String)> {
    match doc["email"].as_str() {
        Some(e) => vec![("email".to_owned(), e.to_owned())],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> CustomerParams {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_new_customer_has_every_field() {
        let c = create("cus_1", false, 10, "ABCD1234", &params(json!({"email": "a@b.c"}))).unwrap();
        for f in [
            "address",
            "balance",
            "created",
            "currency",
            "default_source",
            "delinquent",
            "description",
            "discount",
            "email",
            "invoice_prefix",
            "invoice_settings",
            "livemode",
            "metadata",
            "name",
            "next_invoice_sequence",
            "phone",
            "preferred_locales",
            "shipping",
            "tax_exempt",
            "test_clock",
        ] {
            assert!(c.get(f).is_some(), "{f}");
        }
        assert_eq!(c["email"], "a@b.c");
    }

    #[test]
    fn updates_touch_only_named_fields_and_empty_unsets() {
        let c =
            create("cus_1", false, 10, "ABC", &params(json!({"email": "a@b.c", "name": "N", "metadata": {"a": "1"}})))
                .unwrap();
        let u = update(&c, &params(json!({"name": null, "metadata": {"b": "2"}}))).unwrap();
        assert_eq!(u["email"], "a@b.c");
        assert_eq!(u["name"], Value::Null);
        assert_eq!(u["metadata"], json!({"a": "1", "b": "2"}));
    }

    #[test]
    fn bad_fields_name_their_param() {
        let e = create("cus_1", false, 10, "ABC", &params(json!({"email": "not-an-email"}))).unwrap_err();
        assert_eq!((e.param.as_str(), e.code), ("email", "email_invalid"));
        let e = create("cus_1", false, 10, "ABC", &params(json!({"invoice_prefix": "ab"}))).unwrap_err();
        assert_eq!(e.param, "invoice_prefix");
        let e = create("cus_1", false, 10, "ABC", &params(json!({"name": "x".repeat(257)}))).unwrap_err();
        assert_eq!(e.param, "name");
    }
}
