//! Completing a confirmed session: customer details, a guest's customer, the
//! saved card, the SetupIntent or the contract, and
//! `checkout.session.completed` (what is saved where: `save.rs`).

use serde_json::Value;

use super::caller::Run;
use super::error::PaymentResult;
use super::save;
use super::settle::Writes;
use crate::domain::checkout_session::{AlwaysOrIfRequired, CustomerDetails, PaymentStatus, SessionStatus};
use crate::domain::contract::{self, Confirmation, Contract};
use crate::domain::customer::TaxExempt;
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::payment_method::PaymentMethod;
use crate::domain::session::CheckoutSession;
use crate::domain::session_params::Mode;
use crate::ids::new_id;
use crate::store::{Change, StoreError};

/// How the session completes.
pub struct Completion {
    pub payment_status: PaymentStatus,
    pub pm: Option<PaymentMethod>,
    pub confirmation: Confirmation,
    /// The intent that paid it.
    pub intent: Option<String>,
}

/// The session's `customer_details` once the buyer confirmed.
fn customer_details(session: &CheckoutSession, d: Option<&Value>, pm: Option<&PaymentMethod>) -> CustomerDetails {
    let prev = session.customer_details.as_ref();
    let billing = pm.map(|p| &p.billing_details);
    let pick = |field: &str, before: Option<&String>| -> Option<String> {
        let given = billing.and_then(|b| match field {
            "email" => b.email.clone(),
            "name" => b.name.clone(),
            "phone" => b.phone.clone(),
            _ => None,
        });
        d.and_then(|d| d[field].as_str()).map(str::to_owned).or_else(|| before.cloned()).or(given)
    };
    let address = match d.map(|d| &d["address"]).filter(|a| a.is_object()) {
        Some(a) => serde_json::from_value(a.clone()).ok(),
        None => billing.and_then(|b| b.address.clone()),
    };
    CustomerDetails {
        address,
        business_name: None,
        email: pick("email", prev.and_then(|p| p.email.as_ref())).or_else(|| session.customer_email.clone()),
        individual_name: None,
        name: pick("name", prev.and_then(|p| p.name.as_ref())),
        phone: pick("phone", prev.and_then(|p| p.phone.as_ref())),
        tax_exempt: Some(TaxExempt::None),
        tax_ids: Some(Vec::new()),
    }
}

/// Marks the session complete: customer details, a guest's customer,
/// the saved card, `customer_update`, the SetupIntent (setup mode) or the
/// contract, and `checkout.session.completed`.
#[tracing::instrument(skip_all, fields(session = %s.id, payment_status = ?c.payment_status))]
pub async fn complete(run: &Run<'_>, s: &mut CheckoutSession, c: Completion, w: &mut Writes) -> PaymentResult<()> {
    let now = run.now;
    let setup = s.mode == Mode::Setup;
    s.customer_details = Some(customer_details(s, run.terms.customer_details.as_ref(), c.pm.as_ref()));
    let pm_id = c.pm.as_ref().map(|p| p.id.clone());
    // Saving the card (`setup_future_usage`) needs a customer to save it to.
    let save_card = pm_id.is_some() && s.payment_intent_data.as_ref().is_some_and(|d| d.setup_future_usage.is_some());
    let wants_customer = s.customer_creation == Some(AlwaysOrIfRequired::Always) || setup || save_card;
    if s.customer.is_none() && wants_customer {
        let cus_id = save::guest_customer(run, s, w)?;
        s.customer = Some(cus_id.clone());
        if let Some(pi) = &c.intent {
            save::intent_customer(pi, &cus_id, w)?;
        }
    }
    if let Some(pm_id) = &pm_id {
        save::keep_method(run, s, pm_id, setup || save_card, w).await?;
    }
    save::update_customer(run, s, w).await?;
    if setup {
        if let (Some(pm_id), Some(cus)) = (&pm_id, s.customer.clone()) {
            let seti = save::setup_intent(run, s, pm_id, &cus, w)?;
            s.setup_intent = Some(seti);
        }
    } else {
        let ctr_id = contract(run, s, &c, pm_id.as_deref(), w)?;
        s.contract = Some(ctr_id);
    }
    s.status = SessionStatus::Complete;
    s.payment_status = c.payment_status;
    s.url = None;
    let completed =
        event::of_session(&run.caller.event_ctx(now), "checkout.session.completed", s, now, &run.caller.version());
    w.events.push(completed);
    Ok(())
}

/// The session's contract: what was paid or is due; returns its id.
fn contract(
    run: &Run<'_>,
    s: &CheckoutSession,
    c: &Completion,
    pm_id: Option<&str>,
    w: &mut Writes,
) -> PaymentResult<String> {
    let ctr_id = new_id(Contract::PREFIX);
    let made = contract::build(contract::NewContract {
        id: &ctr_id,
        livemode: run.caller.scope.livemode,
        now: run.now,
        session: s,
        customer: s.customer.as_deref(),
        confirmation: c.confirmation,
        days_until_due: run.terms.days_until_due.unwrap_or(30),
        payment_intent: c.intent.as_deref(),
        payment_method: pm_id,
        description: run.terms.description.as_deref(),
        notes: run.terms.notes.as_deref(),
    })
    .map_err(|contract::NoTotal| StoreError::Backend(format!("session {} has no total to contract", s.id)))?;
    w.events.push(event::of(&run.caller.event_ctx(run.now), "contract.created", &made));
    w.changes.push(Change::insert(&made)?);
    Ok(ctr_id)
}
