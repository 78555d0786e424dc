//! Charges contracts whose payment is due (`charge_when_due`, seed 001) and
//! tells the merchant with `checkout.session.async_payment_succeeded` or
//! `…_failed`. Each due charge is claimed with a version-conditional write
//! before any processor is called, so two nodes never charge it twice.

use std::time::Duration;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::domain::contract::{self, DUE_TAG};
use crate::domain::event::{self, EventContext};
use crate::domain::fields::time_tag;
use crate::domain::payment_intent::{self, NewIntent};
use crate::domain::payment_method;
use crate::domain::session;
use crate::domain::test_cards;
use crate::domain::version::{self, ApiVersion};
use crate::engine::charges;
use crate::ids::{new_id, random_base62};
use crate::processor::route::{execute, Attempt};
use crate::processor::select;
use crate::processor::{Authorize, CardDetails, Outcome};
use crate::store::{Change, ChangeSet, Scope, StoreError, StoreResult, StoredObject};
use crate::AppState;

const BATCH: usize = 50;
const EVERY: Duration = Duration::from_secs(10);

fn ctx(scope: &Scope, now: i64) -> EventContext<'static> {
    EventContext {
        api_version: version::LATEST,
        livemode: scope.livemode,
        now,
        request_id: None,
        idempotency_key: None,
        ids: &crate::ids::RandomIds,
    }
}

/// One batch of due charges; returns how many were settled.
pub async fn charge_due(state: &AppState) -> StoreResult<usize> {
    let now = state.now();
    let due = state.store.due(contract::KIND, DUE_TAG, &time_tag(now), None, BATCH).await?;
    let mut done = 0;
    for (scope, ctr) in due {
        match charge_one(state, &scope, ctr, now).await {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "a due charge failed"),
        }
    }
    Ok(done)
}

async fn charge_one(state: &AppState, scope: &Scope, ctr: StoredObject, now: i64) -> StoreResult<bool> {
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
    match state.store.commit(claim).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(false),
        Err(e) => return Err(e),
    }
    let session_id = ctr.doc["checkout_session"].as_str().unwrap_or_default().to_owned();
    let session = state.store.get_object(scope, &session_id).await?;
    let pm_id = ctr.doc["payment_method"].as_str().unwrap_or_default().to_owned();
    let pm = state.store.get_object(scope, &pm_id).await?;
    let vault = state.store.get_object(scope, &payment_method::vault_id(&pm_id)).await?;
    let card = match (&pm, &vault) {
        (Some(pm), Some(v)) => {
            state.vault.open(v.doc["sealed"].as_str().unwrap_or_default(), &pm_id).ok().map(|number| CardDetails {
                number,
                exp_month: pm.doc["card"]["exp_month"].as_i64().unwrap_or(0),
                exp_year: pm.doc["card"]["exp_year"].as_i64().unwrap_or(0),
                cvc: None,
            })
        }
        _ => None,
    };
    let pi_id = new_id("pi");
    let amount = ctr.doc["amount_total"].as_i64().unwrap_or(0);
    let currency = ctr.doc["currency"].as_str().unwrap_or("usd").to_owned();
    let mut intent = payment_intent::build(NewIntent {
        id: &pi_id,
        livemode: scope.livemode,
        now,
        amount,
        currency: &currency,
        customer: ctr.doc["customer"].as_str(),
        description: ctr.doc["description"].as_str(),
        session: &session_id,
        client_secret: format!("{pi_id}_secret_{}", random_base62(24)),
        metadata: json!({"contract": ctr.id}),
    });
    if let Some(s) = &session {
        payment_intent::apply_session_data(&mut intent, &s.doc);
        // A due charge is always captured at once (`capture: true` below).
        intent["capture_method"] = json!("automatic_async");
    }
    let route_id = session.as_ref().and_then(|s| s.doc["processor_route"].as_str());
    let req =
        card.map(|card| Authorize { idempotency_key: format!("{pi_id}-0"), amount, currency, card, capture: true });
    let (outcome, attempts) = authorize(state, scope, route_id, req, now).await?;
    let settled = payment_intent::settle(
        &payment_intent::processing(&intent, &pm_id),
        &outcome,
        &attempts,
        pm.as_ref().map_or(&Value::Null, |p| &p.doc),
        &new_id("ch"),
    );
    let paid = matches!(outcome, Outcome::Approved { .. });
    let unknown = matches!(outcome, Outcome::Unknown { .. });
    let mut ctr_doc = claimed;
    ctr_doc["schedule"][0]["payment_intent"] = json!(pi_id);
    ctr_doc["schedule"][0]["status"] = json!(if paid {
        "paid"
    } else if unknown {
        "processing"
    } else {
        "failed"
    });
    let ev = ctx(scope, now);
    let mut settled = settled;
    let (mut changes, mut events) = (Vec::new(), Vec::new());
    charges::record(&mut settled, pm.as_ref().map_or(&Value::Null, |p| &p.doc), now, &ev, &mut changes, &mut events);
    events.push(event::build(
        &ev,
        if paid { "payment_intent.succeeded" } else { "payment_intent.payment_failed" },
        &settled,
        None,
    ));
    changes.extend([
        Change::Insert {
            id: pi_id.clone(),
            kind: payment_intent::KIND.into(),
            created: now,
            // Not the confirm resolver's to finish: it would complete the
            // session again. An unknown answer here is left for an operator.
            tags: payment_intent::tags(&settled).into_iter().filter(|(k, _)| k != payment_intent::LOOKUP_TAG).collect(),
            doc: settled,
        },
        Change::Update {
            id: ctr.id.clone(),
            expected_version: ctr.version + 1,
            tags: contract::tags(&ctr_doc),
            doc: ctr_doc,
        },
    ]);
    if let (Some(s), false) = (session, unknown) {
        let mut doc = s.doc.clone();
        if paid {
            doc["payment_status"] = json!("paid");
        }
        let kind =
            if paid { "checkout.session.async_payment_succeeded" } else { "checkout.session.async_payment_failed" };
        events.push(event::build(&ev, kind, &session::render(&doc, now, &ApiVersion::latest(), false), None));
        changes.push(Change::Update { id: s.id.clone(), expected_version: s.version, tags: session::tags(&doc), doc });
    }
    state.store.commit(ChangeSet { scope: scope.clone(), changes, events, idempotency: None }).await?;
    Ok(true)
}

/// Tries the due charge on the session's route: `req` is `None` when the
/// saved card cannot be read any more.
async fn authorize(
    state: &AppState,
    scope: &Scope,
    route_id: Option<&str>,
    req: Option<Authorize>,
    now: i64,
) -> StoreResult<(Outcome, Vec<Attempt>)> {
    let Some(req) = req else {
        return Ok((
            Outcome::declined(
                "card_declined",
                "payment_method_unavailable",
                "The saved payment method is no longer available.",
            ),
            Vec::new(),
        ));
    };
    // A card saved in live mode before test cards were refused there.
    if scope.livemode && test_cards::is_published(req.card.number.digits()) {
        return Ok((
            Outcome::declined("card_declined", "test_mode_live_card", test_cards::LIVE_MODE_MESSAGE),
            Vec::new(),
        ));
    }
    let (outcome, attempts) = match select::processors_for(state, scope, route_id).await? {
        Ok(route) => execute(&route, &req, now).await,
        // Live mode with nothing that can really charge: it fails, it is
        // never charged through the test processor.
        Err(no_route) => (Outcome::Unavailable { reason: no_route.message() }, Vec::new()),
    };
    // Nobody is there to authenticate an off-session charge.
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

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        match charge_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(charged = n, "settled due charges"),
            Err(e) => tracing::warn!(error = %e, "due charges failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
