//! What a session passes on to the objects its confirm makes:
//! `payment_intent_data` (the PaymentIntent), `setup_intent_data` (the
//! SetupIntent) and `customer_update` (the Customer). Each is checked at
//! create (or update) and kept on the session, out of the rendered object,
//! until the confirm applies it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::customer::Address;
use super::fields::{emptyable, max_len, FieldError};
use super::metadata::{self, MetadataUpdate};
use super::session_params::CreateParams;
use super::session_rules::{missing, one_of};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentIntentData {
    pub capture_method: Option<String>,
    pub setup_future_usage: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
    pub receipt_email: Option<String>,
    pub statement_descriptor: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
    pub shipping: Option<IntentShipping>,
    pub transfer_data: Option<Value>,
    pub transfer_group: Option<String>,
    pub on_behalf_of: Option<String>,
    pub application_fee_amount: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentShipping {
    pub name: Option<String>,
    pub address: Option<Address>,
    pub carrier: Option<String>,
    pub phone: Option<String>,
    pub tracking_number: Option<String>,
}

/// `payment_intent_data` of the update endpoint (`""` unsets a field).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentIntentDataUpdate {
    #[serde(default, deserialize_with = "emptyable")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub metadata: Option<Option<BTreeMap<String, Option<String>>>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub setup_future_usage: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub statement_descriptor: Option<Option<String>>,
    #[serde(default, deserialize_with = "emptyable")]
    pub statement_descriptor_suffix: Option<Option<String>>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupIntentData {
    pub description: Option<String>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
    pub on_behalf_of: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerUpdate {
    pub address: Option<String>,
    pub name: Option<String>,
    pub shipping: Option<String>,
}

const PID: &str = "payment_intent_data";
pub const CAPTURE_METHODS: &[&str] = &["automatic", "automatic_async", "manual"];
pub const FUTURE_USAGES: &[&str] = &["on_session", "off_session"];

fn connect(param: &str) -> FieldError {
    FieldError::invalid(param, format!("`{param}` needs Connect, which kassa does not implement."))
}

/// Metadata as stored, its errors named under `prefix`.
fn metadata_json(prefix: &str, current: &Value, update: &MetadataUpdate) -> Result<Value, FieldError> {
    let current: BTreeMap<String, String> = serde_json::from_value(current.clone()).unwrap_or_default();
    metadata::apply(&current, update).map(|m| json!(m)).map_err(|e| {
        let param = e.param();
        let key = param.strip_prefix("metadata").unwrap_or_default();
        FieldError::invalid(format!("{prefix}[metadata]{key}"), e.to_string())
    })
}

/// Stripe's rules for a statement descriptor (or its suffix): Latin
/// characters, `min` to 22 of them, a letter, none of `< > \ ' " *`.
pub fn check_descriptor(param: &str, v: &str, min: usize) -> Result<(), FieldError> {
    max_len(param, v, 22)?;
    let bad = |m: &str| Err(FieldError::invalid(param, format!("Invalid {param}: {m}")));
    if v.chars().count() < min {
        return bad(&format!("it must be at least {min} characters long."));
    }
    if !v.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return bad("only Latin letters, digits, spaces and punctuation are allowed.");
    }
    if !v.chars().any(|c| c.is_ascii_alphabetic()) {
        return bad("it must contain at least one letter.");
    }
    if v.contains(['<', '>', '\\', '\'', '"', '*']) {
        return bad("it may not contain any of < > \\ ' \" *.");
    }
    Ok(())
}

fn check_email(param: &str, e: &str) -> Result<(), FieldError> {
    max_len(param, e, 512)?;
    let ok = e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
    if !ok || e.chars().any(char::is_whitespace) {
        return Err(FieldError {
            param: param.into(),
            code: "email_invalid",
            message: "Invalid email address.".into(),
        });
    }
    Ok(())
}

fn shipping_json(s: &IntentShipping) -> Result<Value, FieldError> {
    let name = s.name.as_deref().ok_or_else(|| missing("payment_intent_data[shipping][name]"))?;
    max_len("payment_intent_data[shipping][name]", name, 256)?;
    let a = s.address.clone().ok_or_else(|| missing("payment_intent_data[shipping][address]"))?;
    if a.line1.is_none() {
        return Err(missing("payment_intent_data[shipping][address][line1]"));
    }
    for (f, v) in [
        ("line1", &a.line1),
        ("line2", &a.line2),
        ("city", &a.city),
        ("state", &a.state),
        ("postal_code", &a.postal_code),
        ("country", &a.country),
    ] {
        if let Some(v) = v {
            max_len(&format!("payment_intent_data[shipping][address][{f}]"), v, 200)?;
        }
    }
    Ok(json!({
        "address": {"city": a.city, "country": a.country, "line1": a.line1, "line2": a.line2, "postal_code": a.postal_code, "state": a.state},
        "carrier": s.carrier, "name": name, "phone": s.phone, "tracking_number": s.tracking_number,
    }))
}

/// Checks create's `payment_intent_data` and returns it as the session keeps it.
pub fn payment_intent_data(d: &PaymentIntentData) -> Result<Value, FieldError> {
    for (name, given) in [
        ("on_behalf_of", d.on_behalf_of.is_some()),
        ("transfer_data", d.transfer_data.is_some()),
        ("application_fee_amount", d.application_fee_amount.is_some()),
        ("transfer_group", d.transfer_group.is_some()),
    ] {
        if given {
            return Err(connect(&format!("{PID}[{name}]")));
        }
    }
    if let Some(c) = &d.capture_method {
        one_of("payment_intent_data[capture_method]", c, CAPTURE_METHODS)?;
    }
    if let Some(e) = &d.receipt_email {
        check_email("payment_intent_data[receipt_email]", e)?;
    }
    let shipping = d.shipping.as_ref().map(shipping_json).transpose()?;
    let update = PaymentIntentDataUpdate {
        description: d.description.clone().map(Some),
        metadata: d.metadata.clone().map(Some),
        setup_future_usage: d.setup_future_usage.clone().map(Some),
        statement_descriptor: d.statement_descriptor.clone().map(Some),
        statement_descriptor_suffix: d.statement_descriptor_suffix.clone().map(Some),
    };
    let mut doc = update_payment_intent_data(&Value::Null, &update)?;
    doc["capture_method"] = json!(d.capture_method);
    doc["receipt_email"] = json!(d.receipt_email);
    doc["shipping"] = shipping.unwrap_or(Value::Null);
    Ok(doc)
}

/// The session's `payment_intent_data` after an update.
pub fn update_payment_intent_data(current: &Value, u: &PaymentIntentDataUpdate) -> Result<Value, FieldError> {
    let mut doc = match current {
        Value::Object(_) => current.clone(),
        _ => json!({"capture_method": null, "description": null, "metadata": {}, "receipt_email": null,
                    "setup_future_usage": null, "shipping": null, "statement_descriptor": null,
                    "statement_descriptor_suffix": null}),
    };
    if let Some(d) = &u.description {
        if let Some(d) = d {
            max_len("payment_intent_data[description]", d, 1000)?;
        }
        doc["description"] = json!(d);
    }
    if let Some(s) = &u.setup_future_usage {
        if let Some(s) = s {
            one_of("payment_intent_data[setup_future_usage]", s, FUTURE_USAGES)?;
        }
        doc["setup_future_usage"] = json!(s);
    }
    // Stripe refuses a full descriptor for card payments, and kassa takes
    // only cards: the suffix is what a card statement shows.
    if let Some(Some(_)) = &u.statement_descriptor {
        return Err(FieldError::invalid(
            "payment_intent_data[statement_descriptor]",
            "statement_descriptor is not supported for card payments (kassa takes cards only): \
             set statement_descriptor_suffix instead.",
        ));
    }
    for (name, v, min) in [
        ("statement_descriptor", &u.statement_descriptor, 5),
        ("statement_descriptor_suffix", &u.statement_descriptor_suffix, 1),
    ] {
        if let Some(v) = v {
            if let Some(v) = v {
                check_descriptor(&format!("payment_intent_data[{name}]"), v, min)?;
            }
            doc[name] = json!(v);
        }
    }
    if let Some(m) = &u.metadata {
        let update = m.clone().map_or(MetadataUpdate::Clear, MetadataUpdate::Merge);
        doc["metadata"] = metadata_json(PID, &doc["metadata"], &update)?;
    }
    Ok(doc)
}

/// Checks `setup_intent_data` and returns it as the session keeps it.
pub fn setup_intent_data(d: &SetupIntentData) -> Result<Value, FieldError> {
    if d.on_behalf_of.is_some() {
        return Err(connect("setup_intent_data[on_behalf_of]"));
    }
    if let Some(s) = &d.description {
        max_len("setup_intent_data[description]", s, 1000)?;
    }
    let update = MetadataUpdate::Merge(d.metadata.clone().unwrap_or_default());
    let metadata = metadata_json("setup_intent_data", &Value::Null, &update)?;
    Ok(json!({"description": d.description, "metadata": metadata}))
}

/// Checks `customer_update` and returns it as the session keeps it.
pub fn customer_update(c: &CustomerUpdate) -> Result<Value, FieldError> {
    for (name, v) in [("address", &c.address), ("name", &c.name), ("shipping", &c.shipping)] {
        if let Some(v) = v {
            one_of(&format!("customer_update[{name}]"), v, &["auto", "never"])?;
        }
    }
    let or_never = |v: &Option<String>| v.clone().unwrap_or_else(|| "never".into());
    Ok(json!({"address": or_never(&c.address), "name": or_never(&c.name), "shipping": or_never(&c.shipping)}))
}

/// Kept for the confirm, out of the rendered object (see `PRIVATE`): what
/// the PaymentIntent, SetupIntent, Customer and PaymentMethod take from
/// the session.
pub fn keep(p: &CreateParams, doc: &mut Value) -> Result<(), FieldError> {
    if let Some(d) = &p.payment_intent_data {
        doc["payment_intent_data"] = payment_intent_data(d)?;
    }
    if let Some(d) = &p.setup_intent_data {
        doc["setup_intent_data"] = setup_intent_data(d)?;
    }
    if let Some(c) = &p.customer_update {
        doc["customer_update"] = customer_update(c)?;
    }
    if let Some(r) = p.payment_method_data.as_ref().and_then(|d| d.allow_redisplay.as_ref()) {
        doc["payment_method_data"] = json!({"allow_redisplay": r});
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_descriptors_follow_stripes_rules() {
        assert!(check_descriptor("d", "KASSA SHOP", 5).is_ok());
        assert!(check_descriptor("d", "ORDER 42", 1).is_ok());
        assert_eq!(
            check_descriptor("d", "A".repeat(23).as_str(), 5).unwrap_err().code,
            "parameter_invalid_string_length"
        );
        for bad in ["SHOP*1", "ab<cd", "12345", "abc", "Café shop", "it's ok"] {
            assert!(check_descriptor("d", bad, 5).is_err(), "{bad}");
        }
    }

    #[test]
    fn metadata_errors_name_the_nested_param() {
        let long = "k".repeat(41);
        let m = BTreeMap::from([(long.clone(), Some("v".to_owned()))]);
        let e = setup_intent_data(&SetupIntentData { description: None, metadata: Some(m), on_behalf_of: None });
        assert_eq!(e.unwrap_err().param, format!("setup_intent_data[metadata][{long}]"));
    }

    #[test]
    fn updates_set_and_unset_fields() {
        let u = |d: Option<Option<&str>>| PaymentIntentDataUpdate {
            description: d.map(|d| d.map(str::to_owned)),
            metadata: Some(Some(BTreeMap::from([("a".to_owned(), Some("1".to_owned()))]))),
            setup_future_usage: None,
            statement_descriptor: None,
            statement_descriptor_suffix: None,
        };
        let doc = update_payment_intent_data(&Value::Null, &u(Some(Some("x")))).unwrap();
        assert_eq!((doc["description"].as_str(), doc["metadata"]["a"].as_str()), (Some("x"), Some("1")));
        let cleared = update_payment_intent_data(&doc, &u(Some(None))).unwrap();
        assert!(cleared["description"].is_null());
    }
}
