//! PaymentIntents (`pi_…`): the object, and how a processor's outcome moves
//! it through Stripe's states (reference §3).

use serde_json::{json, Value};

use super::checkout_session::CheckoutSession;
use super::outcome::{Attempt, Outcome};

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
    pub metadata: Value,
}

pub fn build(n: NewIntent<'_>) -> Value {
    json!({
        "id": n.id, "object": "payment_intent", "amount": n.amount, "amount_capturable": 0,
        "amount_details": {"tip": {}}, "amount_received": 0, "amount_refunded": 0, "application": null,
        "application_fee_amount": null, "automatic_payment_methods": null, "canceled_at": null,
        "cancellation_reason": null, "capture_method": "automatic_async", "client_secret": n.client_secret,
        "confirmation_method": "automatic", "created": n.now, "currency": n.currency, "customer": n.customer,
        "description": n.description, "last_payment_error": null, "latest_charge": null, "livemode": n.livemode,
        "metadata": n.metadata, "next_action": null, "on_behalf_of": null, "payment_method": null,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"], "processing": null, "receipt_email": null, "review": null,
        "setup_future_usage": null, "shipping": null, "statement_descriptor": null,
        "statement_descriptor_suffix": null, "status": "requires_payment_method", "transfer_data": null,
        "transfer_group": null,
        // kassa: which session this pays, and every processor try.
        "checkout_session": n.session, "attempts": [],
    })
}

/// What a Checkout Session passes on to the PaymentIntent it makes
/// (`payment_intent_data`, and the shipping address the buyer gave). A
/// description the confirm itself gave is kept; metadata keys the intent
/// already has win.
pub fn apply_session_data(intent: &mut Value, session: &CheckoutSession) {
    let d = json!(session.payment_intent_data);
    if d.is_object() {
        for k in ["capture_method", "receipt_email", "setup_future_usage", "shipping"] {
            if !d[k].is_null() {
                intent[k] = d[k].clone();
            }
        }
        for k in ["statement_descriptor", "statement_descriptor_suffix"] {
            intent[k] = d[k].clone();
        }
        if intent["description"].is_null() {
            intent["description"] = d["description"].clone();
        }
        if let (Some(from), Value::Object(own)) = (d["metadata"].as_object(), &intent["metadata"]) {
            let mut merged = from.clone();
            merged.extend(own.clone());
            intent["metadata"] = Value::Object(merged);
        }
    }
    if let Some(c) = session.collected_information.as_ref().map(|c| &c.shipping_details) {
        intent["shipping"] = json!({"address": c.address, "carrier": null, "name": c.name,
                                    "phone": null, "tracking_number": null});
    }
}

/// An update of the session's `payment_intent_data` (the fields the update
/// endpoint takes), carried to an intent already made by a failed try.
pub fn apply_session_update(intent: &mut Value, session: &CheckoutSession) {
    let d = json!(session.payment_intent_data);
    for k in ["description", "metadata", "setup_future_usage", "statement_descriptor", "statement_descriptor_suffix"] {
        intent[k] = d[k].clone();
    }
    if !intent["metadata"].is_object() {
        intent["metadata"] = json!({});
    }
}

fn attempt_json(a: &Attempt) -> Value {
    json!({"processor": a.processor, "idempotency_key": a.idempotency_key, "outcome": a.outcome,
           "detail": a.detail, "processor_message": a.processor_message, "started_at": a.started_at,
           "duration_ms": a.duration_ms})
}

/// The intent while its payment is being tried (recorded before the call).
pub fn processing(pi: &Value, pm: &str) -> Value {
    let mut out = pi.clone();
    out["status"] = json!("processing");
    out["payment_method"] = json!(pm);
    out["last_payment_error"] = Value::Null;
    out["next_action"] = Value::Null;
    out
}

/// Seed 003: a session shows its PaymentIntent's `next_action` while the
/// buyer must act, and `null` otherwise; set wherever both are written.
pub fn mirror_next_action(session: &mut CheckoutSession, pi: &Value) {
    session.next_action =
        if pi["status"] == "requires_action" { serde_json::from_value(pi["next_action"].clone()).ok() } else { None };
}

/// kassa's own bookkeeping on an intent, never shown: a try's claim and
/// its lookups, the request that claimed it, a capture under way and when
/// the authorization lapses (Stripe shows that on the charge).
pub const PRIVATE: &[&str] =
    &["pending_attempt", "lookup_after", "lookup_asks", "confirm_request", "pending_capture", "capture_before"];

/// The intent as the API and events show it.
pub fn render(doc: &Value) -> Value {
    let mut out = doc.clone();
    for k in PRIVATE {
        strip(&mut out, k);
    }
    out
}

/// Removes a kassa-private field.
pub fn strip(doc: &mut Value, key: &str) {
    if let Some(m) = doc.as_object_mut() {
        m.remove(key);
    }
}

/// Whether the intent authorizes only (`capture_method=manual`).
pub fn manual_capture(pi: &Value) -> bool {
    pi["capture_method"] == "manual"
}

/// The intent after the processors answered. An approval or a card decline
/// makes a charge (`latest_charge`, stored by the caller's commit through
/// `charge::from_settled`).
pub fn settle(pi: &Value, outcome: &Outcome, attempts: &[Attempt], pm: &Value, charge_id: &str) -> Value {
    let mut out = pi.clone();
    if let Some(m) = out.as_object_mut() {
        m.remove("pending_attempt");
        m.remove("lookup_after");
    }
    if let Some(list) = out["attempts"].as_array_mut() {
        list.extend(attempts.iter().map(attempt_json));
    }
    match outcome {
        Outcome::Approved { .. } if manual_capture(pi) => {
            out["status"] = json!("requires_capture");
            out["amount_capturable"] = out["amount"].clone();
            out["latest_charge"] = json!(charge_id);
        }
        Outcome::Approved { .. } => {
            out["status"] = json!("succeeded");
            out["amount_received"] = out["amount"].clone();
            out["latest_charge"] = json!(charge_id);
        }
        Outcome::Declined { code, decline_code, message, .. } => {
            out["status"] = json!("requires_payment_method");
            out["latest_charge"] = json!(charge_id);
            out["last_payment_error"] = json!({
                "type": "card_error", "code": code, "decline_code": decline_code, "message": message,
                "doc_url": format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")),
                "payment_method": pm, "param": null,
            });
        }
        Outcome::Unavailable { reason } => {
            out["status"] = json!("requires_payment_method");
            out["last_payment_error"] = json!({
                "type": "api_error", "code": "processor_unavailable", "decline_code": null,
                "message": "No payment processor could take the payment. Please try again.",
                "payment_method": pm, "param": null, "detail": reason,
            });
        }
        // Still processing: a worker settles it once the processor knows.
        Outcome::Unknown { .. } => out["status"] = json!("processing"),
        Outcome::RequiresAction { action_url, .. } => {
            out["status"] = json!("requires_action");
            out["next_action"] =
                json!({"type": "redirect_to_url", "redirect_to_url": {"url": action_url, "return_url": null}});
        }
    }
    out
}

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let mut t = vec![("status".to_owned(), doc["status"].as_str().unwrap_or_default().to_owned())];
    // A payment whose processor answer is not known is asked about again
    // (engine::payment::pending): after an unknown answer, while the buyer is at
    // a gateway's page, or when a claimed try never recorded its outcome (a
    // crash mid-charge). `lookup_after` backs off between asks.
    let last = doc["attempts"].as_array().and_then(|a| a.last());
    let waiting = doc["status"] == "processing" && last.is_some_and(|l| l["outcome"] == "unknown")
        || doc["status"] == "requires_action" && last.is_some_and(|l| l["outcome"] == "requires_action")
        || doc["status"] == "processing" && doc["pending_attempt"].is_object();
    if waiting {
        let first = match &doc["pending_attempt"] {
            // Claims record when their route must have ended; older ones
            // get the fixed grace.
            Value::Object(p) => p.get("lookup_at").and_then(Value::as_i64).unwrap_or_else(|| {
                p.get("started_at").and_then(Value::as_i64).unwrap_or(0).saturating_add(CLAIM_GRACE)
            }),
            _ => last.and_then(|l| l["started_at"].as_i64()).unwrap_or(0).saturating_add(LOOKUP_AFTER),
        };
        let at = doc["lookup_after"].as_i64().unwrap_or(first);
        t.push((LOOKUP_TAG.to_owned(), super::fields::time_tag(at)));
    }
    if let Some(c) = doc["customer"].as_str() {
        t.push(("customer".into(), c.to_owned()));
    }
    // An uncaptured authorization lapses (worker::capture_lapse).
    if doc["status"] == "requires_capture" {
        let at = doc["capture_before"].as_i64().unwrap_or(0);
        t.push((CAPTURE_DUE_TAG.to_owned(), super::fields::time_tag(at)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_try_is_asked_about_after_the_grace_period() {
        let pi = json!({"status": "processing", "attempts": [], "pending_attempt": {"processor": "gw", "idempotency_key": "k", "started_at": 100}});
        assert!(tags(&pi).contains(&(LOOKUP_TAG.to_owned(), crate::domain::fields::time_tag(100 + CLAIM_GRACE))));
        let mut backed = pi.clone();
        backed["lookup_after"] = json!(5000);
        assert!(tags(&backed).contains(&(LOOKUP_TAG.to_owned(), crate::domain::fields::time_tag(5000))));
        let done = json!({"status": "succeeded", "attempts": [{"outcome": "approved", "started_at": 1}]});
        assert!(!tags(&done).iter().any(|(k, _)| k == LOOKUP_TAG));
    }
}
