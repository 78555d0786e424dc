//! A contract's due charge (`charge_when_due`, seed 001): claimed with a
//! version-conditional write before any processor is called, so two nodes
//! never charge it twice; charged off-session on the session's route by the
//! same route run as every other charge; recorded with
//! `checkout.session.async_payment_succeeded` or `…_failed`.

use std::collections::BTreeMap;

use super::caller::{Caller, Plain, Run};
use super::error::{PaymentError, PaymentResult};
use super::method::{self, Chosen};
use super::route;
use super::settle::Writes;
use super::terms::Terms;
use crate::domain::checkout_session::PaymentStatus;
use crate::domain::contract::{Contract, EntryStatus};
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::payment_intent::{self, CaptureMethod, NewIntent, PaymentIntent};
use crate::domain::payment_method::PaymentMethod;
use crate::domain::session::CheckoutSession;
use crate::domain::version::ApiVersion;
use crate::engine::charges;
use crate::engine::intent;
use crate::ids::{new_id, random_base62};
use crate::processor::route::Attempt;
use crate::processor::{Authorize, Outcome};
use crate::store::{Change, ChangeSet, Scope, StoreError, StoredObject};
use crate::AppState;

/// Charges one due contract; returns whether it was this node's to charge.
pub async fn charge_one(state: &AppState, scope: &Scope, ctr: StoredObject, now: i64) -> PaymentResult<bool> {
    let Some(current) = ctr.decode::<Contract>()? else {
        return Ok(false);
    };
    // What can fail on stored data is read before the claim, so a contract
    // is never left claimed and uncharged by a session that does not decode.
    let session = super::caller::load_session(state, scope, &current.checkout_session).await?;
    let intent = due_intent(scope, &current, session.as_ref(), now)?;
    // Claim: the schedule entry leaves `pending` (and the due tag) first.
    let claimed = with_entry(&current, EntryStatus::Processing, None);
    let claim = ChangeSet {
        scope: scope.clone(),
        changes: vec![Change::update(&claimed, ctr.version)?],
        events: vec![],
        idempotency: None,
    };
    match crate::engine::commit::commit(state, claim).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let pm_id = claimed.payment_method.clone().unwrap_or_default();
    // An unreadable vault record fails this charge, like a missing one:
    // the contract is claimed, and a charge that stops here stays stuck.
    let chosen = match method::open_saved(state, scope, &pm_id).await {
        Err(PaymentError::Internal) => None,
        other => other?,
    };
    let caller = Caller::background(scope.clone());
    let (terms, view) = (Terms::default(), Plain { version: caller.version(), now });
    let run = Run { state, caller: &caller, terms: &terms, view: &view, now };
    let (outcome, attempts) = authorize(&run, session.as_ref(), &intent, chosen.as_ref()).await?;
    let pm = chosen.map(|c| c.method);
    let settled = intent.processing(&pm_id).settle(&outcome, &attempts, pm.as_ref(), &new_id("ch"));
    record(&run, (claimed, ctr.version + 1), session, (settled, pm.as_ref()), &outcome).await?;
    Ok(true)
}

/// The contract with its (one) schedule entry moved to `status`, paid by
/// `intent` when given.
fn with_entry(ctr: &Contract, status: EntryStatus, intent: Option<&str>) -> Contract {
    let mut next = ctr.clone();
    if let Some(e) = next.schedule.first_mut() {
        e.status = status;
        if let Some(pi) = intent {
            e.payment_intent = Some(pi.to_owned());
        }
    }
    next
}

/// The due charge's PaymentIntent: always captured at once.
fn due_intent(
    scope: &Scope,
    ctr: &Contract,
    session: Option<&(CheckoutSession, i64)>,
    now: i64,
) -> PaymentResult<PaymentIntent> {
    let pi_id = new_id(PaymentIntent::PREFIX);
    let mut intent = payment_intent::build(NewIntent {
        id: &pi_id,
        livemode: scope.livemode,
        now,
        amount: ctr.amount_total,
        currency: &ctr.currency,
        customer: ctr.customer.as_deref(),
        description: ctr.description.as_deref(),
        session: &ctr.checkout_session,
        client_secret: format!("{pi_id}_secret_{}", random_base62(24)),
        metadata: BTreeMap::from([("contract".to_owned(), ctr.id.clone())]),
    });
    if let Some((s, _)) = session {
        intent.apply_session_data(s).map_err(|e| StoreError::Backend(format!("session data: {e}")))?;
        intent.capture_method = CaptureMethod::AutomaticAsync;
    }
    Ok(intent)
}

/// Tries the due charge on the session's route. A saved card that cannot
/// be read any more, a test card in live mode, or no route that can charge
/// it fails the charge; nobody is there to authenticate an off-session one.
async fn authorize(
    run: &Run<'_>,
    session: Option<&(CheckoutSession, i64)>,
    intent: &PaymentIntent,
    chosen: Option<&Chosen>,
) -> PaymentResult<(Outcome, Vec<Attempt>)> {
    let Some(chosen) = chosen else {
        let message = "The saved payment method is no longer available.";
        return Ok((Outcome::declined("card_declined", "payment_method_unavailable", message), Vec::new()));
    };
    // A card saved in live mode before test cards were refused there.
    if let Some(d) = method::live_test_card(run.caller.scope.livemode, &chosen.card.number) {
        return Ok((Outcome::declined("card_declined", "test_mode_live_card", &d.message), Vec::new()));
    }
    let pi_id = intent.id.as_str();
    let req = Authorize {
        idempotency_key: format!("{pi_id}-0"),
        amount: intent.amount,
        currency: intent.currency.clone(),
        card: chosen.card.clone(),
        capture: true,
    };
    let named = session.and_then(|(s, _)| s.processor_route.as_deref());
    let (outcome, attempts) = match route::route_named(run.state, &run.caller.scope, named).await {
        Ok(r) => route::run(run, r, req, pi_id).await?,
        // Live mode with nothing that can really charge: it fails, it is
        // never charged through the test processor.
        Err(PaymentError::NoRoute(no_route)) => (Outcome::Unavailable { reason: no_route.message() }, Vec::new()),
        Err(e) => return Err(e),
    };
    let outcome = match outcome {
        Outcome::RequiresAction { .. } => Outcome::declined(
            "authentication_required",
            "authentication_required",
            "This payment needs the cardholder to authenticate.",
        ),
        other => other,
    };
    Ok((outcome, attempts))
}

/// One commit: the intent and its charge, the contract's schedule entry,
/// and (unless the answer is unknown) the session's payment status.
async fn record(
    run: &Run<'_>,
    (ctr, version): (Contract, i64),
    session: Option<(CheckoutSession, i64)>,
    (mut settled, pm): (PaymentIntent, Option<&PaymentMethod>),
    outcome: &Outcome,
) -> PaymentResult<()> {
    let (now, ev) = (run.now, run.caller.event_ctx(run.now));
    let paid = matches!(outcome, Outcome::Approved { .. });
    let unknown = matches!(outcome, Outcome::Unknown { .. });
    let entry = if paid {
        EntryStatus::Paid
    } else if unknown {
        EntryStatus::Processing
    } else {
        EntryStatus::Failed
    };
    let ctr = with_entry(&ctr, entry, Some(&settled.id));
    let mut w = Writes::default();
    charges::record(&mut settled, pm, &ev, &mut w)?;
    let kind = if paid { "payment_intent.succeeded" } else { "payment_intent.payment_failed" };
    w.events.push(event::of(&ev, kind, &settled));
    // Not the confirm resolver's to finish: it would complete the
    // session again. An unknown answer here is left for an operator.
    let tags = settled.tags().into_iter().filter(|(k, _)| k != payment_intent::LOOKUP_TAG).collect();
    w.changes.extend([intent::change_tagged(&settled, None, tags)?, Change::update(&ctr, version)?]);
    if let (Some((mut doc, version)), false) = (session, unknown) {
        if paid {
            doc.payment_status = PaymentStatus::Paid;
        }
        let kind =
            if paid { "checkout.session.async_payment_succeeded" } else { "checkout.session.async_payment_failed" };
        w.events.push(event::of_session(&ev, kind, &doc, now, &ApiVersion::latest()));
        w.changes.push(Change::update(&doc, version)?);
    }
    let set = ChangeSet { scope: run.caller.scope.clone(), changes: w.changes, events: w.events, idempotency: None };
    crate::engine::commit::commit(run.state, set).await?;
    Ok(())
}
