//! Charges (`ch_…`): one per processor answer on a card — approved (an
//! authorization, captured or not) or declined — as Stripe records them.
//!
//! A charge is stored once, in the commit that settles its PaymentIntent.
//! What changes afterwards (captured, refunded) lives on the PaymentIntent
//! and its refunds, and `view` lays it over the stored charge on every read,
//! so the two can never disagree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::charge_parts::{
    BillingDetails, CardDetails, ChargeOutcome, FraudDetails, PaymentMethodDetails, RefundList, Shipping,
};
use super::document::{Document, Never, Tag};
use super::payment_intent::{ErrorType, PaymentIntent, PaymentIntentStatus};
use super::payment_method::PaymentMethod;
use super::refund::Refund;

pub const KIND: &str = "charge";
/// Stripe lets an uncaptured authorization live seven days.
pub const CAPTURE_WINDOW_SECS: i64 = 7 * 86_400;

crate::wire_name!(ChargeObject, "charge");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargeStatus {
    Succeeded,
    Pending,
    Failed,
}

/// A stored charge. Nothing in it is private: its stored form is what the
/// API shows, before `view` lays the intent's capture and refunds over it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Charge {
    pub id: String,
    #[schema(value_type = String)]
    pub object: ChargeObject,
    pub amount: i64,
    pub amount_captured: i64,
    pub amount_refunded: i64,
    #[schema(value_type = Option<String>)]
    pub application: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub application_fee: Option<Never>,
    #[schema(value_type = Option<i64>)]
    pub application_fee_amount: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub balance_transaction: Option<Never>,
    /// `null` only for a charge rebuilt from an intent alone (see `from_settled`).
    pub billing_details: Option<BillingDetails>,
    pub calculated_statement_descriptor: Option<String>,
    pub captured: bool,
    pub created: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub disputed: bool,
    /// The processor's decline code (an open set).
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub fraud_details: FraudDetails,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    #[schema(value_type = Option<String>)]
    pub on_behalf_of: Option<Never>,
    pub outcome: ChargeOutcome,
    pub paid: bool,
    pub payment_intent: String,
    pub payment_method: Option<String>,
    pub payment_method_details: PaymentMethodDetails,
    pub receipt_email: Option<String>,
    #[schema(value_type = Option<String>)]
    pub receipt_number: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub receipt_url: Option<Never>,
    pub refunded: bool,
    pub refunds: RefundList,
    #[schema(value_type = Option<String>)]
    pub review: Option<Never>,
    pub shipping: Option<Shipping>,
    #[schema(value_type = Option<Object>)]
    pub source: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub source_transfer: Option<Never>,
    pub statement_descriptor: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
    pub status: ChargeStatus,
    #[schema(value_type = Option<Object>)]
    pub transfer_data: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub transfer_group: Option<Never>,
}

impl Document for Charge {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "ch";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![("payment_intent".to_owned(), self.payment_intent.clone())];
        if let Some(c) = &self.customer {
            t.push(("customer".into(), c.clone()));
        }
        t
    }
}

/// The charge a settled PaymentIntent just made, if it made one: an
/// approval (`succeeded` or `requires_capture`) or a card decline. `pm`
/// is its payment method (`None` for a payment made before charges were
/// stored, or whose saved method could not be opened).
pub fn from_settled(pi: &PaymentIntent, pm: Option<&PaymentMethod>, now: i64) -> Option<Charge> {
    let id = pi.latest_charge.as_ref()?;
    let approved = matches!(pi.status, PaymentIntentStatus::Succeeded | PaymentIntentStatus::RequiresCapture);
    let card_error = pi.last_payment_error.as_ref().filter(|e| e.kind == ErrorType::CardError);
    let declined = pi.status == PaymentIntentStatus::RequiresPaymentMethod && card_error.is_some();
    if !approved && !declined {
        return None;
    }
    let err = card_error.filter(|_| declined);
    let manual = pi.status == PaymentIntentStatus::RequiresCapture;
    let captured = pi.status == PaymentIntentStatus::Succeeded;
    let capture_before = manual.then_some(now + CAPTURE_WINDOW_SECS);
    Some(Charge {
        id: id.clone(),
        object: ChargeObject,
        amount: pi.amount,
        amount_captured: if captured { pi.amount_received } else { 0 },
        amount_refunded: 0,
        application: None,
        application_fee: None,
        application_fee_amount: None,
        balance_transaction: None,
        billing_details: pm.map(|p| p.billing_details.clone()),
        calculated_statement_descriptor: pi.statement_descriptor.clone(),
        captured,
        created: now,
        currency: pi.currency.clone(),
        customer: pi.customer.clone(),
        description: pi.description.clone(),
        disputed: false,
        failure_code: err.map(|e| e.code.clone()),
        failure_message: err.map(|e| e.message.clone()),
        fraud_details: FraudDetails {},
        livemode: pi.livemode,
        metadata: pi.metadata.clone(),
        on_behalf_of: None,
        outcome: match err {
            None => ChargeOutcome::approved(),
            Some(e) => ChargeOutcome::declined(e.decline_code.clone()),
        },
        paid: approved,
        payment_intent: pi.id.clone(),
        payment_method: pi.payment_method.clone(),
        payment_method_details: PaymentMethodDetails::card(CardDetails::from_method(
            pi,
            pm.map(|p| &p.card),
            capture_before,
        )),
        receipt_email: pi.receipt_email.clone(),
        receipt_number: None,
        receipt_url: None,
        refunded: false,
        refunds: RefundList::of(id, Vec::new()),
        review: None,
        shipping: pi.shipping.clone(),
        source: None,
        source_transfer: None,
        statement_descriptor: pi.statement_descriptor.clone(),
        statement_descriptor_suffix: pi.statement_descriptor_suffix.clone(),
        status: if approved { ChargeStatus::Succeeded } else { ChargeStatus::Failed },
        transfer_data: None,
        transfer_group: None,
    })
}

/// The charge as it is now: its PaymentIntent says what was captured and
/// refunded (only for the intent's own latest charge; a declined charge
/// never changes), and `refunds` are the refunds made against it.
pub fn view(charge: &Charge, pi: Option<&PaymentIntent>, refunds: Vec<Refund>) -> Charge {
    let mut out = charge.clone();
    let Some(pi) = pi
        .filter(|p| p.latest_charge.as_deref() == Some(charge.id.as_str()) && charge.status == ChargeStatus::Succeeded)
    else {
        return out;
    };
    let (captured, amount_captured, amount_refunded) = match pi.status {
        PaymentIntentStatus::Succeeded => (true, pi.amount_received, pi.amount_refunded),
        // An authorization released before capture is refunded whole.
        PaymentIntentStatus::Canceled => (false, 0, charge.amount),
        _ => (false, 0, 0),
    };
    out.captured = captured;
    out.amount_captured = amount_captured;
    out.amount_refunded = amount_refunded;
    let base = if captured { amount_captured } else { charge.amount };
    out.refunded = base > 0 && amount_refunded >= base;
    out.refunds = RefundList::of(&charge.id, refunds);
    out
}

impl Charge {
    /// `charge.succeeded` or `charge.failed`.
    pub fn created_event(&self) -> &'static str {
        if self.status == ChargeStatus::Succeeded {
            "charge.succeeded"
        } else {
            "charge.failed"
        }
    }
}

#[cfg(test)]
#[path = "charge_tests.rs"]
mod tests;
