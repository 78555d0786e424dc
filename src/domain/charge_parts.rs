//! The parts of a charge (`charge.rs`): its outcome, card details, billing
//! and shipping, and the list of its refunds.

use serde::{Deserialize, Serialize};

use super::customer_params::Address;
use super::payment_intent::PaymentIntent;
use super::payment_method::Card;
use super::refund::Refund;

crate::wire_name!(CardType, "card");
crate::wire_name!(ListObject, "list");

/// Stripe's `fraud_details`: always empty in kassa.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FraudDetails {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NetworkStatus {
    ApprovedByNetwork,
    DeclinedByNetwork,
    NotSentToNetwork,
    ReversedAfterApproval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    Normal,
    Elevated,
    Highest,
    NotAssessed,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeType {
    Authorized,
    ManualReview,
    IssuerDeclined,
    Blocked,
    Invalid,
}

/// What the network said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeOutcome {
    pub network_status: NetworkStatus,
    /// The issuer's decline code.
    pub reason: Option<String>,
    pub risk_level: RiskLevel,
    pub seller_message: String,
    #[serde(rename = "type")]
    pub kind: OutcomeType,
}

impl ChargeOutcome {
    pub fn approved() -> Self {
        ChargeOutcome {
            network_status: NetworkStatus::ApprovedByNetwork,
            reason: None,
            risk_level: RiskLevel::Normal,
            seller_message: "Payment complete.".into(),
            kind: OutcomeType::Authorized,
        }
    }

    pub fn declined(decline_code: Option<String>) -> Self {
        ChargeOutcome {
            network_status: NetworkStatus::DeclinedByNetwork,
            reason: decline_code,
            risk_level: RiskLevel::Normal,
            seller_message: "The bank did not return any further details with this decline.".into(),
            kind: OutcomeType::IssuerDeclined,
        }
    }
}

/// The buyer's details, as the payment method holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingDetails {
    pub address: Option<Address>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// Where the order ships, as the intent holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipping {
    pub address: Option<Address>,
    pub carrier: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub tracking_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    Pass,
    Fail,
    Unavailable,
    Unchecked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardChecks {
    pub address_line1_check: Option<CheckResult>,
    pub address_postal_code_check: Option<CheckResult>,
    pub cvc_check: Option<CheckResult>,
}

/// The 3-D Secure result, as the intent's `three_d_secure.status` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreeDSecure {
    pub result: String,
}

/// The card charged: what the payment method shows of it (never the
/// number). Every field is `null` for a charge rebuilt from an intent alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardDetails {
    pub brand: Option<String>,
    pub capture_before: Option<i64>,
    pub checks: Option<CardChecks>,
    pub country: Option<String>,
    pub exp_month: Option<i64>,
    pub exp_year: Option<i64>,
    pub fingerprint: Option<String>,
    pub funding: Option<String>,
    pub last4: Option<String>,
    pub network: Option<String>,
    pub three_d_secure: Option<ThreeDSecure>,
}

impl CardDetails {
    /// From the intent and its payment method's `card` (`None`: every
    /// field of the card is `null`).
    pub fn from_method(pi: &PaymentIntent, card: Option<&Card>, capture_before: Option<i64>) -> Self {
        CardDetails {
            brand: card.map(|c| c.brand.clone()),
            capture_before,
            checks: card.map(|c| c.checks.clone()),
            country: card.map(|c| c.country.clone()),
            exp_month: card.map(|c| c.exp_month),
            exp_year: card.map(|c| c.exp_year),
            fingerprint: card.map(|c| c.fingerprint.clone()),
            funding: card.map(|c| c.funding.as_str().to_owned()),
            last4: card.map(|c| c.last4.clone()),
            network: card.map(|c| c.brand.clone()),
            three_d_secure: pi.three_ds_status().map(|r| ThreeDSecure { result: r.as_str().to_owned() }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodDetails {
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: CardType,
    pub card: CardDetails,
}

impl PaymentMethodDetails {
    pub fn card(card: CardDetails) -> Self {
        PaymentMethodDetails { kind: CardType, card }
    }
}

/// The refunds made against a charge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundList {
    #[schema(value_type = String)]
    pub object: ListObject,
    pub data: Vec<Refund>,
    pub has_more: bool,
    pub total_count: i64,
    pub url: String,
}

impl RefundList {
    pub fn of(charge_id: &str, data: Vec<Refund>) -> Self {
        let total_count = i64::try_from(data.len()).unwrap_or(i64::MAX);
        RefundList {
            object: ListObject,
            data,
            has_more: false,
            total_count,
            url: format!("/v1/charges/{charge_id}/refunds"),
        }
    }
}
