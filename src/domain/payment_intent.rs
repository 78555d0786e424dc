//! PaymentIntents (`pi_…`): the object, and how a processor's outcome moves
//! it through Stripe's states (reference §3).

use serde_json::{json, Value};

use crate::processor::route::Attempt;
use crate::processor::Outcome;

pub const KIND: &str = "payment_intent";
/// The tag on an intent whose processor answer is unknown and must be asked again.
pub const LOOKUP_TAG: &str = "lookup_due";
/// Seconds after an unknown answer before the processor is asked again.
pub const LOOKUP_AFTER: i64 = 5;

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

fn attempt_json(a: &Attempt) -> Value {
    json!({"processor": a.processor, "idempotency_key": a.idempotency_key, "outcome": a.outcome,
           "detail": a.detail, "started_at": a.started_at, "duration_ms": a.duration_ms})
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

/// The intent after the processors answered.
pub fn settle(pi: &Value, outcome: &Outcome, attempts: &[Attempt], pm: &Value) -> Value {
    let mut out = pi.clone();
    if let Some(list) = out["attempts"].as_array_mut() {
        list.extend(attempts.iter().map(attempt_json));
    }
    match outcome {
        Outcome::Approved { .. } => {
            out["status"] = json!("succeeded");
            out["amount_received"] = out["amount"].clone();
            out["latest_charge"] = json!(crate::domain::ids::new_id("ch"));
        }
        Outcome::Declined { code, decline_code, message } => {
            out["status"] = json!("requires_payment_method");
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
    // An unknown processor answer is asked about again (api::confirm::pending).
    if let Some(last) = doc["attempts"].as_array().and_then(|a| a.last()) {
        let waiting = (doc["status"] == "processing" && last["outcome"] == "unknown")
            || (doc["status"] == "requires_action" && last["outcome"] == "requires_action");
        if waiting {
            let at = last["started_at"].as_i64().unwrap_or(0).saturating_add(LOOKUP_AFTER);
            t.push((LOOKUP_TAG.to_owned(), super::fields::time_tag(at)));
        }
    }
    if let Some(c) = doc["customer"].as_str() {
        t.push(("customer".into(), c.to_owned()));
    }
    t
}
