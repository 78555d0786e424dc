//! PaymentMethods (`pm_…`) of type card: built from a checked card; the
//! number itself lives only in the vault.

use serde::Deserialize;
use serde_json::{json, Value};

use super::card::{self, Brand, CardError, CardNumber};
use super::customer::Address;

pub const KIND: &str = "payment_method";

#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    pub number: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub cvc: Option<String>,
}

impl std::fmt::Debug for CardInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardInput(…)")
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingDetails {
    pub address: Option<Address>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodData {
    #[serde(rename = "type")]
    pub kind: String,
    pub card: Option<CardInput>,
    pub billing_details: Option<BillingDetails>,
    pub metadata: Option<std::collections::BTreeMap<String, String>>,
    pub allow_redisplay: Option<String>,
}

/// A card that passed every check, ready to vault and charge. `Debug`
/// shows only the last four digits (through `CardNumber`), never the CVC.
#[derive(Clone)]
pub struct CheckedCard {
    pub number: CardNumber,
    pub brand: Brand,
    pub exp_month: i64,
    pub exp_year: i64,
    pub cvc: Option<String>,
}

impl std::fmt::Debug for CheckedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckedCard({:?})", self.number)
    }
}

/// Luhn, brand and length, expiry (against `now`) and CVC.
pub fn check(input: &CardInput, now: i64) -> Result<CheckedCard, CardError> {
    let (number, brand) = CardNumber::parse(&input.number)?;
    let (y, m) = card::year_month(now);
    card::check_expiry(input.exp_month, input.exp_year, y, m)?;
    if let Some(cvc) = &input.cvc {
        card::check_cvc(cvc, brand)?;
    }
    let exp_year = if (0..100).contains(&input.exp_year) { 2000 + input.exp_year } else { input.exp_year };
    Ok(CheckedCard { number, brand, exp_month: input.exp_month, exp_year, cvc: input.cvc.clone() })
}

fn address(a: Option<&Address>) -> Value {
    let a = a.cloned().unwrap_or_default();
    json!({"city": a.city, "country": a.country, "line1": a.line1, "line2": a.line2, "postal_code": a.postal_code, "state": a.state})
}

/// The PaymentMethod object. `fingerprint` is the vault's keyed fingerprint.
pub fn build(
    id: &str,
    livemode: bool,
    now: i64,
    c: &CheckedCard,
    fingerprint: &str,
    billing: Option<&BillingDetails>,
    customer: Option<&str>,
) -> Value {
    let funding = if c.number.digits() == "4000056655665556" { "debit" } else { "credit" };
    let b = billing.cloned().unwrap_or_default();
    json!({
        "id": id, "object": "payment_method", "allow_redisplay": "unspecified",
        "billing_details": {"address": address(b.address.as_ref()), "email": b.email, "name": b.name, "phone": b.phone},
        "card": {
            "brand": c.brand.as_str(), "display_brand": c.brand.as_str(),
            "checks": {"address_line1_check": null, "address_postal_code_check": null, "cvc_check": if c.cvc.is_some() { json!("pass") } else { Value::Null }},
            "country": "US", "exp_month": c.exp_month, "exp_year": c.exp_year, "fingerprint": fingerprint,
            "funding": funding, "generated_from": null, "last4": c.number.last4(),
            "networks": {"available": [c.brand.as_str()], "preferred": null},
            "three_d_secure_usage": {"supported": true}, "wallet": null,
        },
        "created": now, "customer": customer, "livemode": livemode, "metadata": {}, "type": "card",
    })
}

/// The vault record's id for a payment method: never shown by any endpoint.
pub fn vault_id(pm_id: &str) -> String {
    format!("vault_{pm_id}")
}

pub const VAULT_KIND: &str = "vault_card";

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let mut t = vec![("type".to_owned(), "card".to_owned())];
    if let Some(c) = doc["customer"].as_str() {
        t.push(("customer".into(), c.to_owned()));
    }
    t
}
