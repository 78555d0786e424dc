//! PaymentMethods (`pm_…`) of type card: built from a checked card; the
//! number itself lives only in the vault.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::card::{self, Brand, CardError, CardNumber};
use super::charge_parts::{BillingDetails as Billing, CardChecks, CardType, CheckResult};
use super::customer::Address;
use super::document::{Document, Never, Tag};

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

crate::wire_name!(PaymentMethodObject, "payment_method");

/// Whether the buyer may be shown the method again (Stripe's three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AllowRedisplay {
    Always,
    Limited,
    Unspecified,
}

impl AllowRedisplay {
    pub fn parse(s: &str) -> Option<Self> {
        Self::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s)).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Funding {
    Credit,
    Debit,
    Prepaid,
    Unknown,
}

impl Funding {
    pub fn as_str(self) -> &'static str {
        match self {
            Funding::Credit => "credit",
            Funding::Debit => "debit",
            Funding::Prepaid => "prepaid",
            Funding::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Networks {
    pub available: Vec<String>,
    #[schema(value_type = Option<String>)]
    pub preferred: Option<Never>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreeDSecureUsage {
    pub supported: bool,
}

/// What a payment method shows of its card (never the number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub brand: String,
    pub display_brand: String,
    pub checks: CardChecks,
    pub country: String,
    pub exp_month: i64,
    pub exp_year: i64,
    /// The vault's keyed fingerprint.
    pub fingerprint: String,
    pub funding: Funding,
    #[schema(value_type = Option<Object>)]
    pub generated_from: Option<Never>,
    pub last4: String,
    pub networks: Networks,
    pub three_d_secure_usage: ThreeDSecureUsage,
    #[schema(value_type = Option<Object>)]
    pub wallet: Option<Never>,
}

/// A stored PaymentMethod. Nothing in it is private: the card number lives
/// only in the vault, in a record of its own kind that no endpoint shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethod {
    pub id: String,
    #[schema(value_type = String)]
    pub object: PaymentMethodObject,
    pub allow_redisplay: AllowRedisplay,
    pub billing_details: Billing,
    pub card: Card,
    pub created: i64,
    pub customer: Option<String>,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: CardType,
}

impl Document for PaymentMethod {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "pm";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![("type".to_owned(), "card".to_owned())];
        if let Some(c) = &self.customer {
            t.push(("customer".into(), c.clone()));
        }
        t
    }
}

/// What a new PaymentMethod is made of.
pub struct NewMethod<'a> {
    pub id: &'a str,
    pub livemode: bool,
    pub now: i64,
    /// The vault's keyed fingerprint of the number.
    pub fingerprint: &'a str,
    pub billing: Option<&'a BillingDetails>,
    pub customer: Option<&'a str>,
}

/// The PaymentMethod of a checked card.
pub fn build(n: NewMethod<'_>, c: &CheckedCard) -> PaymentMethod {
    let funding = if c.number.digits() == "4000056655665556" { Funding::Debit } else { Funding::Credit };
    let b = n.billing.cloned().unwrap_or_default();
    let brand = c.brand.as_str().to_owned();
    PaymentMethod {
        id: n.id.to_owned(),
        object: PaymentMethodObject,
        allow_redisplay: AllowRedisplay::Unspecified,
        billing_details: Billing {
            address: Some(b.address.unwrap_or_default()),
            email: b.email,
            name: b.name,
            phone: b.phone,
        },
        card: Card {
            brand: brand.clone(),
            display_brand: brand.clone(),
            checks: CardChecks {
                address_line1_check: None,
                address_postal_code_check: None,
                cvc_check: c.cvc.as_ref().map(|_| CheckResult::Pass),
            },
            country: "US".to_owned(),
            exp_month: c.exp_month,
            exp_year: c.exp_year,
            fingerprint: n.fingerprint.to_owned(),
            funding,
            generated_from: None,
            last4: c.number.last4().to_owned(),
            networks: Networks { available: vec![brand], preferred: None },
            three_d_secure_usage: ThreeDSecureUsage { supported: true },
            wallet: None,
        },
        created: n.now,
        customer: n.customer.map(str::to_owned),
        livemode: n.livemode,
        metadata: BTreeMap::new(),
        kind: CardType,
    }
}

/// The vault record's id for a payment method: never shown by any endpoint.
pub fn vault_id(pm_id: &str) -> String {
    format!("vault_{pm_id}")
}

pub const VAULT_KIND: &str = "vault_card";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn card(cvc: Option<&str>) -> CheckedCard {
        let input =
            CardInput { number: "4242424242424242".into(), exp_month: 12, exp_year: 30, cvc: cvc.map(str::to_owned) };
        check(&input, 1_700_000_000).unwrap()
    }

    /// What `build` wrote before the type existed.
    fn today() -> serde_json::Value {
        json!({
            "id": "pm_1", "object": "payment_method", "allow_redisplay": "unspecified",
            "billing_details": {"address": {"city": null, "country": "FR", "line1": null, "line2": null, "postal_code": null, "state": null},
                                "email": "a@b.c", "name": null, "phone": null},
            "card": {
                "brand": "visa", "display_brand": "visa",
                "checks": {"address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass"},
                "country": "US", "exp_month": 12, "exp_year": 2030, "fingerprint": "fp",
                "funding": "credit", "generated_from": null, "last4": "4242",
                "networks": {"available": ["visa"], "preferred": null},
                "three_d_secure_usage": {"supported": true}, "wallet": null,
            },
            "created": 7, "customer": null, "livemode": false, "metadata": {}, "type": "card",
        })
    }

    #[test]
    fn a_payment_method_shows_as_before_in_every_state_the_code_writes() {
        let billing = BillingDetails {
            address: Some(Address { country: Some("FR".into()), ..Address::default() }),
            email: Some("a@b.c".into()),
            ..BillingDetails::default()
        };
        let new =
            |billing| NewMethod { id: "pm_1", livemode: false, now: 7, fingerprint: "fp", billing, customer: None };
        let pm = build(new(Some(&billing)), &card(Some("123")));
        assert_eq!(pm.wire(), today());
        assert_eq!(serde_json::from_value::<PaymentMethod>(today()).unwrap(), pm);
        assert_eq!(pm.tags(), vec![("type".to_owned(), "card".to_owned())]);
        // Saved to a customer, with the session's `allow_redisplay`.
        let mut kept = today();
        kept["customer"] = json!("cus_1");
        kept["allow_redisplay"] = json!("always");
        let saved: PaymentMethod = serde_json::from_value(kept.clone()).unwrap();
        assert_eq!((saved.wire(), saved.tags().len()), (kept, 2));
        // No billing details given and no CVC: every detail is null.
        let bare = build(new(None), &card(None)).wire();
        assert_eq!(bare["card"]["checks"]["cvc_check"], json!(null));
        assert_eq!(bare["billing_details"]["address"]["country"], json!(null));
    }

    #[test]
    fn a_payment_method_of_another_shape_does_not_decode() {
        let mut odd = today();
        odd["vault"] = json!("vault_pm_1");
        assert!(serde_json::from_value::<PaymentMethod>(odd).is_err());
        let mut odd = today();
        odd["card"]["number"] = json!("4242424242424242");
        assert!(serde_json::from_value::<PaymentMethod>(odd).is_err());
    }
}
