//! What a session passes on to the objects its confirm makes:
//! `payment_intent_data` (the PaymentIntent), `setup_intent_data` (the
//! SetupIntent) and `customer_update` (the Customer). Each is checked at
//! create (or update) and kept on the session, out of the rendered object,
//! until the confirm applies it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::checkout_session::{
    AutoOrNever, CheckoutSession, KeptCustomerUpdate, KeptIntentData, KeptMethodData, KeptSetupData, KeptShipping,
};
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
fn metadata_kept(
    prefix: &str,
    current: &BTreeMap<String, String>,
    update: &MetadataUpdate,
) -> Result<BTreeMap<String, String>, FieldError> {
    metadata::apply(current, update).map_err(|e| {
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

fn shipping_kept(s: &IntentShipping) -> Result<KeptShipping, FieldError> {
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
    Ok(KeptShipping {
        address: a,
        carrier: s.carrier.clone(),
        name: name.to_owned(),
        phone: s.phone.clone(),
        tracking_number: s.tracking_number.clone(),
    })
}

/// Checks create's `payment_intent_data` and returns it as the session keeps it.
pub fn payment_intent_data(d: &PaymentIntentData) -> Result<KeptIntentData, FieldError> {
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
    let shipping = d.shipping.as_ref().map(shipping_kept).transpose()?;
    let update = PaymentIntentDataUpdate {
        description: d.description.clone().map(Some),
        metadata: d.metadata.clone().map(Some),
        setup_future_usage: d.setup_future_usage.clone().map(Some),
        statement_descriptor: d.statement_descriptor.clone().map(Some),
        statement_descriptor_suffix: d.statement_descriptor_suffix.clone().map(Some),
    };
    let mut kept = update_payment_intent_data(None, &update)?;
    kept.capture_method = d.capture_method.clone();
    kept.receipt_email = d.receipt_email.clone();
    kept.shipping = shipping;
    Ok(kept)
}

/// The session's `payment_intent_data` after an update.
pub fn update_payment_intent_data(
    current: Option<&KeptIntentData>,
    u: &PaymentIntentDataUpdate,
) -> Result<KeptIntentData, FieldError> {
    let mut kept = current.cloned().unwrap_or(KeptIntentData {
        capture_method: None,
        description: None,
        metadata: BTreeMap::new(),
        receipt_email: None,
        setup_future_usage: None,
        shipping: None,
        statement_descriptor: None,
        statement_descriptor_suffix: None,
    });
    if let Some(d) = &u.description {
        if let Some(d) = d {
            max_len("payment_intent_data[description]", d, 1000)?;
        }
        kept.description = d.clone();
    }
    if let Some(s) = &u.setup_future_usage {
        if let Some(s) = s {
            one_of("payment_intent_data[setup_future_usage]", s, FUTURE_USAGES)?;
        }
        kept.setup_future_usage = s.clone();
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
    if let Some(v) = &u.statement_descriptor {
        kept.statement_descriptor = v.clone();
    }
    if let Some(v) = &u.statement_descriptor_suffix {
        if let Some(v) = v {
            check_descriptor("payment_intent_data[statement_descriptor_suffix]", v, 1)?;
        }
        kept.statement_descriptor_suffix = v.clone();
    }
    if let Some(m) = &u.metadata {
        let update = m.clone().map_or(MetadataUpdate::Clear, MetadataUpdate::Merge);
        kept.metadata = metadata_kept(PID, &kept.metadata, &update)?;
    }
    Ok(kept)
}

/// Checks `setup_intent_data` and returns it as the session keeps it.
pub fn setup_intent_data(d: &SetupIntentData) -> Result<KeptSetupData, FieldError> {
    if d.on_behalf_of.is_some() {
        return Err(connect("setup_intent_data[on_behalf_of]"));
    }
    if let Some(s) = &d.description {
        max_len("setup_intent_data[description]", s, 1000)?;
    }
    let update = MetadataUpdate::Merge(d.metadata.clone().unwrap_or_default());
    let metadata = metadata_kept("setup_intent_data", &BTreeMap::new(), &update)?;
    Ok(KeptSetupData { description: d.description.clone(), metadata })
}

/// Checks `customer_update` and returns it as the session keeps it.
pub fn customer_update(c: &CustomerUpdate) -> Result<KeptCustomerUpdate, FieldError> {
    let value = |name: &str, v: &Option<String>| -> Result<AutoOrNever, FieldError> {
        let param = format!("customer_update[{name}]");
        one_of(&param, v.as_deref().unwrap_or("never"), &["auto", "never"])?;
        super::session::closed(&param, v.as_deref().unwrap_or("never"))
    };
    Ok(KeptCustomerUpdate {
        address: value("address", &c.address)?,
        name: value("name", &c.name)?,
        shipping: value("shipping", &c.shipping)?,
    })
}

/// Kept for the confirm, out of the rendered object (see `PRIVATE`): what
/// the PaymentIntent, SetupIntent, Customer and PaymentMethod take from
/// the session.
pub fn keep(p: &CreateParams, s: &mut CheckoutSession) -> Result<(), FieldError> {
    if let Some(d) = &p.payment_intent_data {
        s.payment_intent_data = Some(payment_intent_data(d)?);
    }
    if let Some(d) = &p.setup_intent_data {
        s.setup_intent_data = Some(setup_intent_data(d)?);
    }
    if let Some(c) = &p.customer_update {
        s.customer_update = Some(customer_update(c)?);
    }
    if let Some(r) = p.payment_method_data.as_ref().and_then(|d| d.allow_redisplay.as_ref()) {
        s.payment_method_data = Some(KeptMethodData { allow_redisplay: r.clone() });
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
        let kept = update_payment_intent_data(None, &u(Some(Some("x")))).unwrap();
        assert_eq!((kept.description.as_deref(), kept.metadata.get("a").map(String::as_str)), (Some("x"), Some("1")));
        let cleared = update_payment_intent_data(Some(&kept), &u(Some(None))).unwrap();
        assert!(cleared.description.is_none());
    }
}
