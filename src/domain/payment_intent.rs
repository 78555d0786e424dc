//! PaymentIntents (`pi_…`): the object, and how a processor's outcome moves
//! it through Stripe's states (reference §3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::charge_parts::Shipping;
use super::checkout_session::CheckoutSession;
use super::document::{Document, Never, Tag};
use super::outcome::{Attempt, AttemptOutcome, Outcome};
use super::payment_method::PaymentMethod;

pub use super::payment_intent_parts::*;

pub const KIND: &str = "payment_intent";
/// The tag on an intent whose processor answer is unknown and must be asked again.
pub const LOOKUP_TAG: &str = "lookup_due";
/// Seconds after an unknown answer before the processor is asked again.
pub const LOOKUP_AFTER: i64 = 5;
/// How long a claimed try may run before a lookup asks what became of it
/// (longer than any route's timeouts: 10 processors × 60 s at most).
pub const CLAIM_GRACE: i64 = 15 * 60;
/// The tag on an uncaptured authorization: when it lapses.
pub const CAPTURE_DUE_TAG: &str = "capture_due";
/// The tag on an intent whose 3-D Secure step finishes without the buyer
/// (`engine::payment::three_ds`).
pub const THREE_DS_DUE_TAG: &str = "3ds_due";

/// kassa's own bookkeeping on an intent, never shown: a try's claim and
/// its lookups, the request that claimed it, a capture under way and when
/// the authorization lapses (Stripe shows that on the charge).
pub const PRIVATE: &[&str] =
    &["pending_attempt", "lookup_after", "lookup_asks", "confirm_request", "pending_capture", "capture_before"];

crate::wire_name!(PaymentIntentObject, "payment_intent");

/// A stored PaymentIntent. Its wire form is the stored one without the
/// private bookkeeping (`PRIVATE`); `checkout_session`, `attempts` and
/// `three_d_secure` are kassa's own and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentIntent {
    pub id: String,
    #[schema(value_type = String)]
    pub object: PaymentIntentObject,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_details: AmountDetails,
    pub amount_received: i64,
    pub amount_refunded: i64,
    #[schema(value_type = Option<String>)]
    pub application: Option<Never>,
    #[schema(value_type = Option<i64>)]
    pub application_fee_amount: Option<Never>,
    #[schema(value_type = Option<Object>)]
    pub automatic_payment_methods: Option<Never>,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<CancellationReason>,
    pub capture_method: CaptureMethod,
    pub client_secret: String,
    pub confirmation_method: ConfirmationMethod,
    pub created: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub last_payment_error: Option<LastPaymentError>,
    pub latest_charge: Option<String>,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    pub next_action: Option<NextAction>,
    #[schema(value_type = Option<String>)]
    pub on_behalf_of: Option<Never>,
    pub payment_method: Option<String>,
    pub payment_method_options: IntentMethodOptions,
    pub payment_method_types: Vec<String>,
    #[schema(value_type = Option<Object>)]
    pub processing: Option<Never>,
    pub receipt_email: Option<String>,
    #[schema(value_type = Option<String>)]
    pub review: Option<Never>,
    pub setup_future_usage: Option<SetupFutureUsage>,
    pub shipping: Option<Shipping>,
    pub statement_descriptor: Option<String>,
    pub statement_descriptor_suffix: Option<String>,
    pub status: PaymentIntentStatus,
    #[schema(value_type = Option<Object>)]
    pub transfer_data: Option<Never>,
    #[schema(value_type = Option<String>)]
    pub transfer_group: Option<Never>,
    /// The Checkout Session this pays.
    pub checkout_session: String,
    /// Every processor try.
    pub attempts: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub three_d_secure: Option<ThreeDSecure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub pending_attempt: Option<PendingAttempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub lookup_after: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub lookup_asks: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub confirm_request: Option<ConfirmRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub pending_capture: Option<PendingCapture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub capture_before: Option<i64>,
}

impl Document for PaymentIntent {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "pi";
    const PRIVATE: &'static [&'static str] = PRIVATE;

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![("status".to_owned(), self.status.as_str().to_owned())];
        if let Some(at) = self.lookup_due() {
            t.push((LOOKUP_TAG.to_owned(), super::fields::time_tag(at)));
        }
        if let Some(c) = &self.customer {
            t.push(("customer".into(), c.clone()));
        }
        // An uncaptured authorization lapses (worker::capture_lapse).
        if self.status == PaymentIntentStatus::RequiresCapture {
            t.push((CAPTURE_DUE_TAG.to_owned(), super::fields::time_tag(self.capture_before.unwrap_or(0))));
        }
        t
    }
}

pub struct NewIntent<'a> {
    pub id: &'a str,
    pub livemode: bool,
    pub now: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub customer: Option<&'a str>,
    pub description: Option<&'a str>,
    pub session: &'a str,
    pub client_secret: String,
    pub metadata: BTreeMap<String, String>,
}

/// A new intent, waiting for its payment method.
pub fn build(n: NewIntent<'_>) -> PaymentIntent {
    PaymentIntent {
        id: n.id.to_owned(),
        object: PaymentIntentObject,
        amount: n.amount,
        amount_capturable: 0,
        amount_details: AmountDetails::default(),
        amount_received: 0,
        amount_refunded: 0,
        application: None,
        application_fee_amount: None,
        automatic_payment_methods: None,
        canceled_at: None,
        cancellation_reason: None,
        capture_method: CaptureMethod::AutomaticAsync,
        client_secret: n.client_secret,
        confirmation_method: ConfirmationMethod::Automatic,
        created: n.now,
        currency: n.currency.to_owned(),
        customer: n.customer.map(str::to_owned),
        description: n.description.map(str::to_owned),
        last_payment_error: None,
        latest_charge: None,
        livemode: n.livemode,
        metadata: n.metadata,
        next_action: None,
        on_behalf_of: None,
        payment_method: None,
        payment_method_options: IntentMethodOptions {
            card: CardMethodOptions { request_three_d_secure: RequestThreeDSecure::Automatic },
        },
        payment_method_types: vec!["card".to_owned()],
        processing: None,
        receipt_email: None,
        review: None,
        setup_future_usage: None,
        shipping: None,
        statement_descriptor: None,
        statement_descriptor_suffix: None,
        status: PaymentIntentStatus::RequiresPaymentMethod,
        transfer_data: None,
        transfer_group: None,
        checkout_session: n.session.to_owned(),
        attempts: Vec::new(),
        three_d_secure: None,
        pending_attempt: None,
        lookup_after: None,
        lookup_asks: None,
        confirm_request: None,
        pending_capture: None,
        capture_before: None,
    }
}

/// A closed set named by a stored string (a session keeps the
/// `payment_intent_data` it was given as text).
fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, serde_json::Error> {
    T::deserialize(serde::de::value::StrDeserializer::<serde_json::Error>::new(s))
}

impl PaymentIntent {
    /// What a Checkout Session passes on to the PaymentIntent it makes
    /// (`payment_intent_data`, and the shipping address the buyer gave). A
    /// description the confirm itself gave is kept; metadata keys the
    /// intent already has win. A kept value outside its set is an error.
    pub fn apply_session_data(&mut self, session: &CheckoutSession) -> Result<(), serde_json::Error> {
        if let Some(d) = &session.payment_intent_data {
            if let Some(c) = &d.capture_method {
                self.capture_method = parse(c)?;
            }
            if let Some(e) = &d.receipt_email {
                self.receipt_email = Some(e.clone());
            }
            if let Some(s) = &d.setup_future_usage {
                self.setup_future_usage = Some(parse(s)?);
            }
            if let Some(s) = &d.shipping {
                self.shipping = Some(Shipping {
                    address: Some(s.address.clone()),
                    carrier: s.carrier.clone(),
                    name: Some(s.name.clone()),
                    phone: s.phone.clone(),
                    tracking_number: s.tracking_number.clone(),
                });
            }
            self.statement_descriptor = d.statement_descriptor.clone();
            self.statement_descriptor_suffix = d.statement_descriptor_suffix.clone();
            if self.description.is_none() {
                self.description = d.description.clone();
            }
            let mut merged = d.metadata.clone();
            merged.extend(std::mem::take(&mut self.metadata));
            self.metadata = merged;
        }
        if let Some(c) = &session.collected_information {
            let d = &c.shipping_details;
            self.shipping = Some(Shipping {
                address: Some(d.address.clone()),
                carrier: None,
                name: d.name.clone(),
                phone: None,
                tracking_number: None,
            });
        }
        Ok(())
    }

    /// An update of the session's `payment_intent_data` (the fields the
    /// update endpoint takes), carried to an intent already made by a
    /// failed try.
    pub fn apply_session_update(&mut self, session: &CheckoutSession) -> Result<(), serde_json::Error> {
        let d = session.payment_intent_data.as_ref();
        self.description = d.and_then(|d| d.description.clone());
        self.metadata = d.map(|d| d.metadata.clone()).unwrap_or_default();
        self.setup_future_usage = d.and_then(|d| d.setup_future_usage.as_deref()).map(parse).transpose()?;
        self.statement_descriptor = d.and_then(|d| d.statement_descriptor.clone());
        self.statement_descriptor_suffix = d.and_then(|d| d.statement_descriptor_suffix.clone());
        Ok(())
    }

    /// The intent while its payment is being tried (recorded before the call).
    pub fn processing(&self, pm: &str) -> Self {
        let mut out = self.clone();
        out.status = PaymentIntentStatus::Processing;
        out.payment_method = Some(pm.to_owned());
        out.last_payment_error = None;
        out.next_action = None;
        out
    }

    /// Whether the intent authorizes only (`capture_method=manual`).
    pub fn manual_capture(&self) -> bool {
        self.capture_method == CaptureMethod::Manual
    }

    /// The intent after the processors answered. An approval or a card
    /// decline makes a charge (`latest_charge`, stored by the caller's
    /// commit through `charge::from_settled`). `pm` is the payment method
    /// tried (`None`: a saved one that could not be opened).
    pub fn settle(&self, outcome: &Outcome, attempts: &[Attempt], pm: Option<&PaymentMethod>, charge_id: &str) -> Self {
        let mut out = self.clone();
        out.pending_attempt = None;
        out.lookup_after = None;
        out.attempts.extend_from_slice(attempts);
        let method = || pm.map(|p| ErrorMethod::Object(Box::new(p.clone())));
        match outcome {
            Outcome::Approved { .. } if self.manual_capture() => {
                out.status = PaymentIntentStatus::RequiresCapture;
                out.amount_capturable = out.amount;
                out.latest_charge = Some(charge_id.to_owned());
            }
            Outcome::Approved { .. } => {
                out.status = PaymentIntentStatus::Succeeded;
                out.amount_received = out.amount;
                out.latest_charge = Some(charge_id.to_owned());
            }
            Outcome::Declined { code, decline_code, message, .. } => {
                out.status = PaymentIntentStatus::RequiresPaymentMethod;
                out.latest_charge = Some(charge_id.to_owned());
                out.last_payment_error = Some(LastPaymentError {
                    kind: ErrorType::CardError,
                    code: code.clone(),
                    decline_code: Some(decline_code.clone()),
                    message: message.clone(),
                    doc_url: Some(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-"))),
                    payment_method: method(),
                    param: None,
                    detail: None,
                });
            }
            Outcome::Unavailable { reason } => {
                out.status = PaymentIntentStatus::RequiresPaymentMethod;
                out.last_payment_error = Some(LastPaymentError {
                    kind: ErrorType::ApiError,
                    code: "processor_unavailable".to_owned(),
                    decline_code: None,
                    message: "No payment processor could take the payment. Please try again.".to_owned(),
                    doc_url: None,
                    payment_method: method(),
                    param: None,
                    detail: Some(reason.clone()),
                });
            }
            // Still processing: a worker settles it once the processor knows.
            Outcome::Unknown { .. } => out.status = PaymentIntentStatus::Processing,
            Outcome::RequiresAction { action_url, .. } => {
                out.status = PaymentIntentStatus::RequiresAction;
                out.next_action = Some(NextAction {
                    kind: NextActionType::RedirectToUrl,
                    redirect_to_url: RedirectToUrl { url: action_url.clone(), return_url: None },
                    three_d_secure: None,
                });
            }
        }
        out
    }

    /// When the processor must be asked again about this payment, if it
    /// must (engine::payment::pending): after an unknown answer, while the
    /// buyer is at a gateway's page, or when a claimed try never recorded
    /// its outcome (a crash mid-charge). `lookup_after` backs off between asks.
    pub fn lookup_due(&self) -> Option<i64> {
        let last = self.attempts.last();
        let last_was = |o: AttemptOutcome| last.is_some_and(|l| l.outcome == o);
        let waiting = match self.status {
            PaymentIntentStatus::Processing => last_was(AttemptOutcome::Unknown) || self.pending_attempt.is_some(),
            PaymentIntentStatus::RequiresAction => last_was(AttemptOutcome::RequiresAction),
            _ => false,
        };
        if !waiting {
            return None;
        }
        let first = match &self.pending_attempt {
            // Claims record when their route must have ended; older ones
            // get the fixed grace.
            Some(p) => p.lookup_at.unwrap_or_else(|| p.started_at.saturating_add(CLAIM_GRACE)),
            None => last.map_or(0, |l| l.started_at).saturating_add(LOOKUP_AFTER),
        };
        Some(self.lookup_after.unwrap_or(first))
    }

    /// When a 3-D Secure step without the buyer is due, if one waits.
    pub fn three_ds_due(&self) -> Option<i64> {
        let tds = self.three_d_secure.as_ref()?;
        let waiting = matches!(tds.status, ThreeDsStatus::Pending | ThreeDsStatus::MethodCompleted);
        (self.status == PaymentIntentStatus::Processing && waiting).then_some(tds.due_at)
    }

    /// The status of its 3-D Secure step, if it has one.
    pub fn three_ds_status(&self) -> Option<ThreeDsStatus> {
        self.three_d_secure.as_ref().map(|t| t.status)
    }
}

/// Seed 003: a session shows its PaymentIntent's `next_action` while the
/// buyer must act, and `null` otherwise; set wherever both are written.
pub fn mirror_next_action(session: &mut CheckoutSession, pi: &PaymentIntent) {
    session.next_action = match pi.status {
        PaymentIntentStatus::RequiresAction => pi.next_action.clone(),
        _ => None,
    };
}

#[cfg(test)]
#[path = "payment_intent_tests.rs"]
pub(crate) mod tests;
