//! `payment_method_options` of a Checkout Session. kassa takes cards only,
//! so only `card` options exist; the values it cannot honour (installments,
//! extended or partial authorizations, forced 3-D Secure, blocked brands)
//! are refused, and the rest echo typed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields::FieldError;
use super::session_params::Enabled;
use super::session_rules::one_of;

#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<CardOptions>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installments: Option<Enabled>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_extended_authorization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_incremental_authorization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_multicapture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_overcapture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_three_d_secure: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_future_usage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_descriptor_suffix_kana: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_descriptor_suffix_kanji: Option<String>,
}

const P: &str = "payment_method_options[card]";

fn refused(field: &str, instead: &str) -> FieldError {
    FieldError::invalid(format!("{P}[{field}]"), format!("`{P}[{field}]` is not available: {instead}"))
}

pub fn check(o: &PaymentMethodOptions) -> Result<(), FieldError> {
    let Some(c) = &o.card else { return Ok(()) };
    if c.capture_method.is_some() {
        return Err(refused("capture_method", "set `payment_intent_data[capture_method]` instead."));
    }
    if c.setup_future_usage.is_some() {
        return Err(refused("setup_future_usage", "set `payment_intent_data[setup_future_usage]` instead."));
    }
    if c.installments.as_ref().is_some_and(|i| i.enabled) {
        return Err(refused("installments][enabled", "kassa takes card payments in full."));
    }
    for (name, v) in [
        ("request_extended_authorization", &c.request_extended_authorization),
        ("request_incremental_authorization", &c.request_incremental_authorization),
        ("request_multicapture", &c.request_multicapture),
        ("request_overcapture", &c.request_overcapture),
    ] {
        if let Some(v) = v {
            one_of(&format!("{P}[{name}]"), v, &["if_available", "never"])?;
            if v == "if_available" {
                return Err(refused(name, "kassa's processors make plain authorizations only; use `never`."));
            }
        }
    }
    if let Some(v) = &c.request_three_d_secure {
        one_of(&format!("{P}[request_three_d_secure]"), v, &["any", "automatic", "challenge"])?;
        if v != "automatic" {
            return Err(refused(
                "request_three_d_secure",
                "kassa asks for 3-D Secure when the card needs it (`automatic`).",
            ));
        }
    }
    if c.restrictions.is_some() {
        return Err(refused("restrictions", "kassa takes every card brand it recognises."));
    }
    for (name, v) in [
        ("statement_descriptor_suffix_kana", &c.statement_descriptor_suffix_kana),
        ("statement_descriptor_suffix_kanji", &c.statement_descriptor_suffix_kanji),
    ] {
        if v.is_some() {
            return Err(refused(name, "use `payment_intent_data[statement_descriptor_suffix]`."));
        }
    }
    Ok(())
}
