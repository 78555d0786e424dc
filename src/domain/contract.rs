//! Contracts (`ctr_…`, seed 001): what a confirmed session commits the buyer
//! to — a snapshot of the line items and amounts, and when payment is due.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::checkout_session::CheckoutSession;
use super::document::{Document, Tag};
use super::line_item::LineItem;

pub const KIND: &str = "contract";
/// Pending charges are found by the due-charge worker through this tag.
pub const DUE_TAG: &str = "due_at";

crate::wire_name!(ContractObject, "contract");

/// How the buyer's confirmation settles payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
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

/// Every contract kassa writes is `active`; Stripe's others are not reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    Active,
}

impl ContractStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Active => "active",
        }
    }
}

/// Where one scheduled payment stands. A `pending` one is due; the worker
/// moves it to `processing` (its claim) before it charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    Pending,
    Processing,
    Paid,
    Failed,
    NotRequired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentTerms {
    pub confirmation: Confirmation,
    /// Only for `charge_when_due`.
    pub days_until_due: Option<i64>,
}

/// One scheduled payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    pub amount: i64,
    pub due_at: i64,
    pub status: EntryStatus,
    /// The intent that paid (or tried to pay) it.
    pub payment_intent: Option<String>,
}

/// A stored contract, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    pub id: String,
    #[schema(value_type = String)]
    pub object: ContractObject,
    pub amount_subtotal: i64,
    pub amount_total: i64,
    pub checkout_session: String,
    pub created: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    /// The session's line items as they were when it was confirmed.
    pub line_items: Vec<LineItem>,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    pub notes: Option<String>,
    pub payment_method: Option<String>,
    pub payment_terms: PaymentTerms,
    pub schedule: Vec<ScheduleEntry>,
    pub status: ContractStatus,
}

impl Document for Contract {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "ctr";

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![("status".to_owned(), self.status.as_str().to_owned())];
        if let Some(c) = &self.customer {
            t.push(("customer".into(), c.clone()));
        }
        t.push(("checkout_session".into(), self.checkout_session.clone()));
        if let Some(e) = self.schedule.first().filter(|e| e.status == EntryStatus::Pending) {
            t.push((DUE_TAG.to_owned(), super::fields::time_tag(e.due_at)));
        }
        t
    }
}

pub struct NewContract<'a> {
    pub id: &'a str,
    pub livemode: bool,
    pub now: i64,
    pub session: &'a CheckoutSession,
    pub customer: Option<&'a str>,
    pub confirmation: Confirmation,
    pub days_until_due: i64,
    pub payment_intent: Option<&'a str>,
    pub payment_method: Option<&'a str>,
    pub description: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// What a session without a total cannot commit a buyer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoTotal;

/// `paid` now, `pending` until `due_at`, or `not_required`. The session
/// must have its amounts and currency (every payment-mode session has).
pub fn build(n: NewContract<'_>) -> Result<Contract, NoTotal> {
    let s = n.session;
    let (Some(amount_subtotal), Some(amount_total), Some(currency)) =
        (s.amount_subtotal, s.amount_total, s.currency.clone())
    else {
        return Err(NoTotal);
    };
    let (due_at, entry_status, days_until_due) = match n.confirmation {
        Confirmation::ChargeImmediately => (n.now, EntryStatus::Paid, None),
        Confirmation::ChargeWhenDue => (
            n.now.saturating_add(n.days_until_due.saturating_mul(86_400)),
            EntryStatus::Pending,
            Some(n.days_until_due),
        ),
        Confirmation::NoPayment => (n.now, EntryStatus::NotRequired, None),
    };
    let owned = |o: Option<&str>| o.map(str::to_owned);
    Ok(Contract {
        id: n.id.to_owned(),
        object: ContractObject,
        amount_subtotal,
        amount_total,
        checkout_session: s.id.clone(),
        created: n.now,
        currency,
        customer: owned(n.customer),
        description: owned(n.description),
        line_items: s.line_items.data.clone(),
        livemode: n.livemode,
        metadata: BTreeMap::new(),
        notes: owned(n.notes),
        payment_method: owned(n.payment_method),
        payment_terms: PaymentTerms { confirmation: n.confirmation, days_until_due },
        schedule: vec![ScheduleEntry {
            amount: amount_total,
            due_at,
            status: entry_status,
            payment_intent: owned(n.payment_intent),
        }],
        status: ContractStatus::Active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A stored session (the session tests' fixture with its eleventh
    /// session's line item) as `cs_1`, 900 + 100 in eur.
    fn stored_session() -> Value {
        let all: Vec<Value> =
            serde_json::from_str(include_str!("testdata/checkout_sessions.json")).expect("the fixture parses");
        let mut doc = all[11].clone();
        doc["id"] = json!("cs_1");
        doc["amount_subtotal"] = json!(900);
        doc["amount_total"] = json!(1000);
        doc
    }

    fn session() -> CheckoutSession {
        serde_json::from_value(stored_session()).expect("a session")
    }

    fn contract(confirmation: Confirmation) -> Contract {
        let s = session();
        build(NewContract {
            id: "ctr_1",
            livemode: false,
            now: 100,
            session: &s,
            customer: Some("cus_1"),
            confirmation,
            days_until_due: 2,
            payment_intent: None,
            payment_method: Some("pm_1"),
            description: None,
            notes: Some("n"),
        })
        .unwrap()
    }

    /// The document `build` wrote before the contract was typed.
    fn wire_before(confirmation: &str, days: Value, due_at: i64, status: &str) -> Value {
        json!({
            "id": "ctr_1", "object": "contract", "checkout_session": "cs_1", "created": 100,
            "currency": "eur", "customer": "cus_1", "livemode": false,
            "amount_subtotal": 900, "amount_total": 1000,
            "line_items": stored_session()["line_items"]["data"], "description": null, "notes": "n",
            "payment_terms": {"confirmation": confirmation, "days_until_due": days},
            "payment_method": "pm_1",
            "schedule": [{"amount": 1000, "due_at": due_at, "status": status, "payment_intent": null}],
            "status": "active", "metadata": {},
        })
    }

    #[test]
    fn each_confirmation_writes_todays_document_and_round_trips() {
        let cases = [
            (Confirmation::ChargeImmediately, wire_before("charge_immediately", Value::Null, 100, "paid")),
            (Confirmation::ChargeWhenDue, wire_before("charge_when_due", json!(2), 100 + 2 * 86_400, "pending")),
            (Confirmation::NoPayment, wire_before("no_payment", Value::Null, 100, "not_required")),
        ];
        for (confirmation, want) in cases {
            let c = contract(confirmation);
            assert_eq!(c.wire(), want);
            assert_eq!(serde_json::from_value::<Contract>(want).unwrap(), c);
        }
    }

    #[test]
    fn every_schedule_state_decodes_and_only_a_pending_one_is_due() {
        for (status, due) in [("pending", true), ("processing", false), ("paid", false), ("failed", false)] {
            let mut doc = wire_before("charge_when_due", json!(2), 5, status);
            doc["schedule"][0]["payment_intent"] = json!("pi_1");
            let c: Contract = serde_json::from_value(doc.clone()).unwrap();
            assert_eq!(c.wire(), doc);
            let tags = c.tags();
            assert_eq!(tags.contains(&(DUE_TAG.to_owned(), super::super::fields::time_tag(5))), due, "{status}");
            assert!(tags.contains(&("status".to_owned(), "active".to_owned())));
            assert!(tags.contains(&("checkout_session".to_owned(), "cs_1".to_owned())));
            assert!(tags.contains(&("customer".to_owned(), "cus_1".to_owned())));
        }
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let mut v = contract(Confirmation::NoPayment).wire();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<Contract>(v).is_err());
        let mut v = contract(Confirmation::NoPayment).wire();
        v["schedule"][0]["status"] = json!("lost");
        assert!(serde_json::from_value::<Contract>(v).is_err());
    }
}
