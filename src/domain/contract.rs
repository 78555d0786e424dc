//! Contracts (`ctr_…`, seed 001): what a confirmed session commits the buyer
//! to — a snapshot of the line items and amounts, and when payment is due.

use serde_json::{json, Value};

pub const KIND: &str = "contract";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    ChargeImmediately,
    ChargeWhenDue,
    NoPayment,
}

impl Confirmation {
    pub fn as_str(self) -> &'static str {
        match self {
            Confirmation::ChargeImmediately => "charge_immediately",
            Confirmation::ChargeWhenDue => "charge_when_due",
            Confirmation::NoPayment => "no_payment",
        }
    }
}

pub struct NewContract<'a> {
    pub id: &'a str,
    pub livemode: bool,
    pub now: i64,
    pub session: &'a Value,
    pub customer: Option<&'a str>,
    pub confirmation: Confirmation,
    pub days_until_due: i64,
    pub payment_intent: Option<&'a str>,
    pub payment_method: Option<&'a str>,
    pub description: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// `paid` now, `pending` until `due_at`, or `not_required`.
pub fn build(n: NewContract<'_>) -> Value {
    let amount = n.session["amount_total"].as_i64().unwrap_or(0);
    let (status, due_at, entry_status) = match n.confirmation {
        Confirmation::ChargeImmediately => ("active", n.now, "paid"),
        Confirmation::ChargeWhenDue => {
            ("active", n.now.saturating_add(n.days_until_due.saturating_mul(86_400)), "pending")
        }
        Confirmation::NoPayment => ("active", n.now, "not_required"),
    };
    json!({
        "id": n.id, "object": "contract", "checkout_session": n.session["id"], "created": n.now,
        "currency": n.session["currency"], "customer": n.customer, "livemode": n.livemode,
        "amount_subtotal": n.session["amount_subtotal"], "amount_total": n.session["amount_total"],
        "line_items": n.session["line_items"]["data"], "description": n.description, "notes": n.notes,
        "payment_terms": {"confirmation": n.confirmation.as_str(), "days_until_due": if n.confirmation == Confirmation::ChargeWhenDue { json!(n.days_until_due) } else { Value::Null }},
        "payment_method": n.payment_method,
        "schedule": [{"amount": amount, "due_at": due_at, "status": entry_status, "payment_intent": n.payment_intent}],
        "status": status, "metadata": {},
    })
}

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let mut t = vec![("status".to_owned(), doc["status"].as_str().unwrap_or_default().to_owned())];
    if let Some(c) = doc["customer"].as_str() {
        t.push(("customer".into(), c.to_owned()));
    }
    if let Some(s) = doc["checkout_session"].as_str() {
        t.push(("checkout_session".into(), s.to_owned()));
    }
    // Pending charges are found by the due-charge worker through this tag.
    if doc["schedule"][0]["status"] == "pending" {
        if let Some(at) = doc["schedule"][0]["due_at"].as_i64() {
            t.push((DUE_TAG.to_owned(), super::fields::time_tag(at)));
        }
    }
    t
}

pub const DUE_TAG: &str = "due_at";
