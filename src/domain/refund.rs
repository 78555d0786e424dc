//! Refunds (`re_…`): money given back on a PaymentIntent's charge. A refund
//! is stored `pending` in the commit that reserves its amount on the intent,
//! before the processor is asked, and settles to `succeeded` or `failed`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::document::{Document, Never, Tag};
use super::payment_intent::PaymentIntent;

pub const KIND: &str = "refund";

crate::wire_name!(RefundObject, "refund");

/// Why the merchant refunds (Stripe's three).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
}

impl RefundReason {
    /// The reason a request named, if it is one of Stripe's.
    pub fn parse(s: &str) -> Option<Self> {
        Self::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s)).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

/// Why a refund failed (Stripe's set; kassa says `unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundFailureReason {
    LostOrStolenCard,
    ExpiredOrCanceledCard,
    ChargeForPendingRefundDisputed,
    InsufficientFunds,
    Declined,
    MerchantRequest,
    Unknown,
}

/// A stored refund, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Refund {
    pub id: String,
    #[schema(value_type = String)]
    pub object: RefundObject,
    pub amount: i64,
    #[schema(value_type = Option<String>)]
    pub balance_transaction: Option<Never>,
    /// The charge refunded: the intent's latest charge.
    pub charge: Option<String>,
    pub created: i64,
    pub currency: String,
    pub failure_reason: Option<RefundFailureReason>,
    pub metadata: BTreeMap<String, String>,
    pub payment_intent: String,
    pub reason: Option<RefundReason>,
    #[schema(value_type = Option<String>)]
    pub receipt_number: Option<Never>,
    pub status: RefundStatus,
}

impl Document for Refund {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "re";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        vec![("payment_intent".to_owned(), self.payment_intent.clone())]
    }
}

/// What a refund request asks for.
pub struct Request {
    pub amount: i64,
    pub reason: Option<RefundReason>,
    pub metadata: BTreeMap<String, String>,
}

/// A new refund of `pi`, pending until the processor answers.
pub fn pending(id: &str, pi: &PaymentIntent, r: Request, now: i64) -> Refund {
    Refund {
        id: id.to_owned(),
        object: RefundObject,
        amount: r.amount,
        balance_transaction: None,
        charge: pi.latest_charge.clone(),
        created: now,
        currency: pi.currency.clone(),
        failure_reason: None,
        metadata: r.metadata,
        payment_intent: pi.id.clone(),
        reason: r.reason,
        receipt_number: None,
        status: RefundStatus::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refund() -> Refund {
        let mut pi = crate::domain::payment_intent::tests::sample("pi_1");
        pi.latest_charge = Some("ch_1".into());
        let metadata = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        let r = Request { amount: 300, reason: RefundReason::parse("requested_by_customer"), metadata };
        pending("re_1", &pi, r, 5)
    }

    #[test]
    fn a_refund_round_trips_through_the_store_and_shows_as_stored() {
        let r = refund();
        let doc = serde_json::to_value(&r).unwrap();
        assert_eq!(r.tags(), vec![("payment_intent".to_owned(), "pi_1".to_owned())]);
        assert_eq!(doc["reason"], "requested_by_customer");
        assert_eq!((doc["status"].as_str(), doc["failure_reason"].is_null()), (Some("pending"), true));
        assert_eq!(serde_json::from_value::<Refund>(doc.clone()).unwrap(), r);
        assert_eq!(r.wire(), doc);
    }

    #[test]
    fn an_unknown_field_or_reason_does_not_decode() {
        let mut v = serde_json::to_value(refund()).unwrap();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<Refund>(v).is_err());
        let mut v = serde_json::to_value(refund()).unwrap();
        v["reason"] = json!("bored");
        assert!(serde_json::from_value::<Refund>(v).is_err());
        assert_eq!(RefundReason::parse("bored"), None);
    }
}
