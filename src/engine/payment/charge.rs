//! The charge step every payment path runs: claim the session and the
//! intent (with everything a finish without the caller needs), run the
//! route, and settle the outcome.
//!
//! A charge is never made twice: before any processor is called, the
//! session is claimed by a version-conditional write that also records the
//! PaymentIntent as `processing`. A racing confirm loses that write (or sees
//! the claim) and gets `InProgress`; nothing can expire the session under it.

use std::collections::BTreeMap;

use super::caller::{Answered, Run};
use super::error::{PaymentError, PaymentResult};
use super::method::Chosen;
use super::settle::{self, outcome_finish};
use super::{redeem, route, terms, three_ds};
use crate::domain::event;
use crate::domain::payment_intent::{self, ConfirmRequest, NewIntent, PaymentIntent, PaymentIntentStatus as Status};
use crate::domain::payment_intent::{PendingAttempt, ThreeDsStatus};
use crate::domain::session::{self, CheckoutSession, SessionStatus};
use crate::engine::intent::{self, Intent as Read};
use crate::ids::{new_id, random_base62};
use crate::processor::Authorize;
use crate::store::{Change, ChangeSet, StoreError};

/// Seconds a claim holds the session beyond the route's lookup time.
const CLAIM_SECS: i64 = 120;

/// An intent and the version its next update expects (`None`: new).
type Intent = (PaymentIntent, Option<i64>);

/// Claims the session, runs the route, and settles with the outcome.
/// `authenticated`: 3-D Secure already passed for this payment.
#[tracing::instrument(skip_all, fields(session = %session.id, authenticated))]
pub async fn charge(
    run: &Run<'_>,
    session: &CheckoutSession,
    version: i64,
    mut chosen: Chosen,
    authenticated: bool,
) -> PaymentResult<Answered> {
    // Only an open session, not already paid, with its intent in a state
    // that allows this charge: a stale read (a second answer on a 3-D
    // Secure page, two workers) must not charge again.
    let now = run.now;
    if session.status != SessionStatus::Open || (session::lapsed(session, now) && !session::confirming(session, now)) {
        return Err(PaymentError::NotOpen(session::NotOpen {
            action: "confirmed",
            status: session::status_at(session, now).as_str().to_owned(),
        }));
    }
    let (intent, intent_version) = intent_for(run, session, authenticated).await?;
    if !authenticated {
        if let Some(flow) = three_ds::flow_for(run, session, &chosen).await? {
            return three_ds::require_authentication(run, session, version, chosen, ((intent, intent_version), flow))
                .await;
        }
    }
    let pi_id = intent.id.clone();
    let mut processing = intent.processing(&chosen.id);
    if let (true, Some(tds)) = (authenticated, processing.three_d_secure.as_mut()) {
        tds.status = ThreeDsStatus::Authenticated;
    }
    let tries = intent.attempts.len();
    let route = route::route_for(run.state, &run.caller.scope, session).await?;
    // Recorded with the claim: if kassa stops mid-charge, the resolver
    // asks the first processor what became of this key.
    let first = route.first().map(|p| p.name().to_owned()).unwrap_or_default();
    let lookup_at = route::lookup_at(&route, now);
    processing.pending_attempt = Some(PendingAttempt {
        processor: first,
        idempotency_key: format!("{pi_id}-{tries}-0"),
        started_at: now,
        lookup_at: Some(lookup_at),
    });
    // Only this try's request: an earlier try's key was answered already.
    processing.confirm_request = run
        .caller
        .idempotency
        .as_ref()
        .filter(|_| run.caller.waiting)
        .map(|k| ConfirmRequest { idempotency_key: k.key.clone(), fingerprint: k.fingerprint.clone() });
    let mut claimed = session.clone();
    claimed.confirming_until = Some(lookup_at.saturating_add(CLAIM_SECS));
    claimed.payment_intent = Some(pi_id.clone());
    claimed.payment_intent_status = Some("processing".into());
    payment_intent::mirror_next_action(&mut claimed, &processing);
    let changes = std::mem::take(&mut chosen.changes);
    claim(run, (session, version, &claimed), (&intent, intent_version, &processing), changes).await?;
    let req = Authorize {
        idempotency_key: format!("{pi_id}-{tries}"),
        amount: session.amount_total.unwrap_or(0),
        currency: session.currency.clone().unwrap_or_else(|| "usd".into()),
        card: chosen.card.clone(),
        capture: !processing.manual_capture(),
    };
    let (outcome, attempts) = route::run(run, route, req, &pi_id).await?;
    let settled = processing.settle(&outcome, &attempts, Some(&chosen.method), &new_id("ch"));
    let intent_version = intent_version.map_or(1, |v| v + 1);
    let finish = outcome_finish(&outcome, chosen, (settled, intent_version));
    settle::finish(run, &claimed, version + 1, finish).await
}

/// The intent this charge settles: the session's, when its state allows
/// this try (charging what the session costs now), or a new one.
async fn intent_for(run: &Run<'_>, session: &CheckoutSession, authenticated: bool) -> PaymentResult<Intent> {
    let amount = session.amount_total.unwrap_or(0);
    let currency = session.currency.clone().unwrap_or_else(|| "usd".into());
    let existing = match session.payment_intent.as_deref() {
        Some(pi) => intent::load(run.state, &run.caller.scope, pi).await?,
        None => None,
    };
    if let Some(Read { pi: mut doc, version }) = existing {
        let tds = doc.three_ds_status();
        let allowed = match (authenticated, doc.status) {
            (false, Status::RequiresPaymentMethod | Status::RequiresAction) => true,
            (true, Status::RequiresAction) => tds == Some(ThreeDsStatus::Pending),
            (true, Status::Processing) => matches!(tds, Some(ThreeDsStatus::Pending | ThreeDsStatus::MethodCompleted)),
            _ => false,
        };
        if !allowed {
            return Err(PaymentError::InProgress);
        }
        if !authenticated {
            doc.amount = amount;
            doc.currency = currency;
        }
        return Ok((doc, Some(version)));
    }
    let pi_id = new_id("pi");
    let mut doc = payment_intent::build(NewIntent {
        id: &pi_id,
        livemode: run.caller.scope.livemode,
        now: run.now,
        amount,
        currency: &currency,
        customer: session.customer.as_deref(),
        description: run.terms.description.as_deref(),
        session: &session.id,
        client_secret: format!("{pi_id}_secret_{}", random_base62(24)),
        metadata: BTreeMap::new(),
    });
    doc.apply_session_data(session).map_err(|e| StoreError::Backend(format!("session data: {e}")))?;
    Ok((doc, None))
}

/// The claim's commit. Everything a finish without the caller needs is
/// durable with it: the payment method and its vault record, the buyer's
/// terms, the discount's redemption.
async fn claim(
    run: &Run<'_>,
    (session, version, claimed): (&CheckoutSession, i64, &CheckoutSession),
    (intent, intent_version, processing): (&PaymentIntent, Option<i64>, &PaymentIntent),
    method_changes: Vec<Change>,
) -> PaymentResult<()> {
    let (st, scope, now) = (run.state, &run.caller.scope, run.now);
    let pi_id = intent.id.as_str();
    let mut changes = method_changes;
    changes.push(Change::update(claimed, version)?);
    changes.push(match intent_version {
        Some(v) => Change::update(processing, v)?,
        None => Change::insert(processing)?,
    });
    changes.push(terms::change(st, scope, pi_id, run.terms, now).await?);
    changes.extend(redeem::redeem(st, scope, session).await?);
    let events = match intent_version {
        None => vec![event::of(&run.caller.event_ctx(now), "payment_intent.created", intent)],
        Some(_) => vec![],
    };
    match crate::engine::commit::commit(st, ChangeSet { scope: scope.clone(), changes, events, idempotency: None })
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => Err(PaymentError::InProgress),
        Err(e) => Err(e.into()),
    }
}
