//! A contract's due charge (`charge_when_due`, seed 001): claimed with a
//! version-conditional write before any processor is called, so two nodes
//! never charge it twice; charged off-session on the session's route by the
//! same route run as every other charge; recorded with
//! `checkout.session.async_payment_succeeded` or `…_failed`.

use serde_json::{json, Value};

use super::caller::{Caller, Plain, Run};
use super::error::{PaymentError, PaymentResult};
use super::method::{self, Chosen};
use super::route;
use super::settle::Writes;
use super::terms::Terms;
use crate::domain::checkout_session::PaymentStatus;
use crate::domain::contract;
use crate::domain::event;
use crate::domain::payment_intent::{self, NewIntent};
use crate::domain::session::{self, CheckoutSession};
use crate::domain::version::ApiVersion;
use crate::engine::charges;
use crate::ids::{new_id, random_base62};
use crate::processor::route::Attempt;
use crate::processor::{Authorize, Outcome};
use crate::store::{Change, ChangeSet, Scope, StoreError, StoredObject};
use crate::AppState;

/// Charges one due contract; returns whether it was this node's to charge.
pub async fn charge_one(state: &AppState, scope: &Scope, ctr: StoredObject, now: i64) -> PaymentResult<bool> {
    // Claim: the schedule entry leaves `pending` (and the due tag) first.
    let mut claimed = ctr.doc.clone();
    claimed["schedule"][0]["status"] = json!("processing");
    let claim = ChangeSet {
        scope: scope.clone(),
        changes: vec![Change::Update {
            id: ctr.id.clone(),
            expected_version: ctr.version,
            tags: contract::tags(&claimed),
            doc: claimed.clone(),
        }],
        events: vec![],
        idempotency: None,
    };
    match crate::engine::commit::commit(state, claim).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    let session_id = ctr.doc["checkout_session"].as_str().unwrap_or_default().to_owned();
    let session = super::caller::load_session(state, scope, &session_id).await?;
    let pm_id = ctr.doc["payment_method"].as_str().unwrap_or_default().to_owned();
    // An unreadable vault record fails this charge, like a missing one:
    // the contract is claimed, and a charge that stops here stays stuck.
    let chosen = match method::open_saved(state, scope, &pm_id).await {
        Err(PaymentError::Internal) => None,
        other => other?,
    };
    let intent = due_intent(scope, &ctr, session.as_ref(), now);
    let caller = Caller::background(scope.clone());
    let (terms, view) = (Terms::default(), Plain { version: caller.version(), now });
    let run = Run { state, caller: &caller, terms: &terms, view: &view, now };
    let (outcome, attempts) = authorize(&run, session.as_ref(), &intent, chosen.as_ref()).await?;
    let pm_doc = chosen.map_or(Value::Null, |c| c.doc);
    let settled = payment_intent::settle(
        &payment_intent::processing(&intent, &pm_id),
        &outcome,
        &attempts,
        &pm_doc,
        &new_id("ch"),
    );
    let claimed = StoredObject { doc: claimed, version: ctr.version + 1, ..ctr };
    record(&run, claimed, session, (settled, &pm_doc), &outcome).await?;
    Ok(true)
}

/// The due charge's PaymentIntent: always captured at once.
fn due_intent(scope: &Scope, ctr: &StoredObject, session: Option<&(CheckoutSession, i64)>, now: i64) -> Value {
    let pi_id = new_id("pi");
    let mut intent = payment_intent::build(NewIntent {
        id: &pi_id,
        livemode: scope.livemode,
        now,
        amount: ctr.doc["amount_total"].as_i64().unwrap_or(0),
        currency: ctr.doc["currency"].as_str().unwrap_or("usd"),
        customer: ctr.doc["customer"].as_str(),
        description: ctr.doc["description"].as_str(),
        session: ctr.doc["checkout_session"].as_str().unwrap_or_default(),
        client_secret: format!("{pi_id}_secret_{}", random_base62(24)),
        metadata: json!({"contract": ctr.id}),
    });
    if let Some((s, _)) = session {
        payment_intent::apply_session_data(&mut intent, s);
        intent["capture_method"] = json!("automatic_async");
    }
    intent
}

/// Tries the due charge on the session's route. A saved card that cannot
/// be read any more, a test card in live mode, or no route that can charge
/// it fails the charge; nobody is there to authenticate an off-session one.
async fn authorize(
    run: &Run<'_>,
    session: Option<&(CheckoutSession, i64)>,
    intent: &Value,
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
    let pi_id = intent["id"].as_str().unwrap_or_default();
    let req = Authorize {
        idempotency_key: format!("{pi_id}-0"),
        amount: intent["amount"].as_i64().unwrap_or(0),
        currency: intent["currency"].as_str().unwrap_or("usd").to_owned(),
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
    ctr: StoredObject,
    session: Option<(CheckoutSession, i64)>,
    (mut settled, pm): (Value, &Value),
    outcome: &Outcome,
) -> PaymentResult<()> {
    let (now, ev) = (run.now, run.caller.event_ctx(run.now));
    let paid = matches!(outcome, Outcome::Approved { .. });
    let unknown = matches!(outcome, Outcome::Unknown { .. });
    let mut ctr_doc = ctr.doc;
    ctr_doc["schedule"][0]["payment_intent"] = settled["id"].clone();
    ctr_doc["schedule"][0]["status"] = json!(if paid {
        "paid"
    } else if unknown {
        "processing"
    } else {
        "failed"
    });
    let mut w = Writes::default();
    charges::record(&mut settled, pm, now, &ev, &mut w.changes, &mut w.events)?;
    let kind = if paid { "payment_intent.succeeded" } else { "payment_intent.payment_failed" };
    w.events.push(event::build(&ev, kind, &settled, None));
    w.changes.extend([
        Change::Insert {
            id: settled["id"].as_str().unwrap_or_default().to_owned(),
            kind: payment_intent::KIND.into(),
            created: now,
            // Not the confirm resolver's to finish: it would complete the
            // session again. An unknown answer here is left for an operator.
            tags: payment_intent::tags(&settled).into_iter().filter(|(k, _)| k != payment_intent::LOOKUP_TAG).collect(),
            doc: settled,
        },
        Change::Update { id: ctr.id, expected_version: ctr.version, tags: contract::tags(&ctr_doc), doc: ctr_doc },
    ]);
    if let (Some((mut doc, version)), false) = (session, unknown) {
        if paid {
            doc.payment_status = PaymentStatus::Paid;
        }
        let kind =
            if paid { "checkout.session.async_payment_succeeded" } else { "checkout.session.async_payment_failed" };
        w.events.push(event::build(&ev, kind, &session::render(&doc, now, &ApiVersion::latest(), false), None));
        w.changes.push(Change::update(&doc, version)?);
    }
    let set = ChangeSet { scope: run.caller.scope.clone(), changes: w.changes, events: w.events, idempotency: None };
    crate::engine::commit::commit(run.state, set).await?;
    Ok(())
}
