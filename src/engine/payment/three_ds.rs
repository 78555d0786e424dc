//! 3-D Secure (seed 003): a provider-agnostic `next_action.three_d_secure`
//! with three flows. `challenge`: the buyer passes a visible page;
//! `method`: a hidden device-fingerprint page runs first, then it continues
//! as `frictionless`: no UI, the intent is `processing` and a worker finishes
//! it. The pages' URLs carry a random key that only this payment knows.

use super::caller::{self, Answer, Answered, Caller, Plain, Run};
use super::charge::charge;
use super::error::{PaymentError, PaymentResult};
use super::method::{self, Chosen};
use super::settle::redirect;
use super::{route, terms};
use crate::domain::document::{Document, Tag};
use crate::domain::event;
use crate::domain::fields::time_tag;
use crate::domain::payment_intent::{self, ErrorMethod, ErrorType, LastPaymentError, NextAction, NextActionThreeDs};
use crate::domain::payment_intent::{NextActionType, PaymentIntent, PaymentIntentStatus as Status, RedirectToUrl};
use crate::domain::payment_intent::{ThreeDSecure, ThreeDsFlow, ThreeDsStatus};
use crate::domain::session::{self, CheckoutSession};
use crate::engine::intent::{self, Intent};
use crate::ids::random_base62;
use crate::processor::test::three_d_secure_flow;
use crate::store::{Change, ChangeSet, Scope, StoreResult};
use crate::AppState;

/// Tag on an intent whose authentication finishes without the buyer.
pub const DUE_TAG: &str = payment_intent::THREE_DS_DUE_TAG;

/// The 3-D Secure flow this card needs on this route, if any. Only the test
/// processor decides this itself; `http` gateways answer for themselves.
pub async fn flow_for(
    run: &Run<'_>,
    session: &CheckoutSession,
    chosen: &Chosen,
) -> PaymentResult<Option<&'static str>> {
    let route = route::route_for(run.state, &run.caller.scope, session).await?;
    if route.first().map(|p| p.name()) != Some("test") {
        return Ok(None);
    }
    Ok(three_d_secure_flow(chosen.card.number.digits()))
}

/// The intent's tags, with the due tag while a frictionless step waits.
/// Only the 3-D Secure steps write it: a new try on an intent whose step
/// was abandoned must not be finished by the worker.
pub fn intent_tags(pi: &PaymentIntent) -> Vec<Tag> {
    let mut t = pi.tags();
    if let Some(at) = pi.three_ds_due() {
        t.push((DUE_TAG.to_owned(), time_tag(at)));
    }
    t
}

/// The intent as a change, with the 3-D Secure due tag.
pub fn intent_change(pi: &PaymentIntent, version: Option<i64>) -> StoreResult<Change> {
    intent::change_tagged(pi, version, intent_tags(pi))
}

/// The intent waiting for authentication: the page it sends the buyer to
/// (none when frictionless).
fn awaiting(
    run: &Run<'_>,
    pi: &mut PaymentIntent,
    session: &CheckoutSession,
    chosen: &Chosen,
    flow: ThreeDsFlow,
) -> Option<String> {
    let key = random_base62(32);
    let base = format!("{}/3ds/{}", run.state.cfg.public_url, pi.id);
    let status_url = format!("{base}/status?client_secret={}", pi.client_secret);
    let return_url = run.terms.return_url.clone().or_else(|| session.return_url.clone());
    let page = match flow {
        ThreeDsFlow::Challenge => Some(format!("{base}/challenge?key={key}")),
        ThreeDsFlow::Method => Some(format!("{base}/method?key={key}")),
        ThreeDsFlow::Frictionless => None,
    };
    pi.payment_method = Some(chosen.id.clone());
    pi.last_payment_error = None;
    pi.three_d_secure = Some(ThreeDSecure {
        flow,
        status: ThreeDsStatus::Pending,
        key: key.clone(),
        due_at: run.now,
        return_url: return_url.clone(),
    });
    if let Some(url) = &page {
        pi.status = Status::RequiresAction;
        let challenge = flow == ThreeDsFlow::Challenge;
        let tds = NextActionThreeDs {
            flow,
            idempotency_key: key,
            status_url,
            return_url: return_url.clone(),
            challenge_url: challenge.then(|| url.clone()),
            method_url: (!challenge).then(|| url.clone()),
        };
        pi.next_action = Some(NextAction {
            kind: NextActionType::ThreeDSecure,
            three_d_secure: Some(tds),
            redirect_to_url: RedirectToUrl { url: url.clone(), return_url },
        });
    } else {
        pi.status = Status::Processing;
        pi.next_action = None;
    }
    page
}

/// Stops before any charge and asks for authentication.
#[tracing::instrument(skip_all, fields(session = %session.id, flow = flow))]
pub async fn require_authentication(
    run: &Run<'_>,
    session: &CheckoutSession,
    version: i64,
    chosen: Chosen,
    ((mut pi, pi_version), flow): ((PaymentIntent, Option<i64>), &'static str),
) -> PaymentResult<Answered> {
    let now = run.now;
    let flow = ThreeDsFlow::parse(flow).ok_or(PaymentError::Internal)?;
    let page = awaiting(run, &mut pi, session, &chosen, flow);
    let pi_id = pi.id.clone();
    let mut s = session.clone();
    s.payment_intent = Some(pi_id.clone());
    payment_intent::mirror_next_action(&mut s, &pi);
    if page.is_none() {
        // Frictionless: held until the worker finishes it.
        s.confirming_until = Some(i64::MAX);
        s.payment_intent_status = Some("processing".into());
    }
    let mut changes = chosen.changes;
    changes.push(intent_change(&pi, pi_version)?);
    changes.push(terms::change(run.state, &run.caller.scope, &pi_id, run.terms, now).await?);
    changes.push(Change::update(&s, version)?);
    let ctx = run.caller.event_ctx(now);
    let mut events = Vec::new();
    let shown = pi.wire();
    if pi_version.is_none() {
        events.push(event::of(&ctx, "payment_intent.created", &pi));
    }
    events.push(event::of(&ctx, "payment_intent.requires_action", &pi));
    if let (true, Some(url)) = (run.terms.redirect, page) {
        // redirect=true: straight to the next action's page.
        return caller::commit(run, changes, events, redirect(url)).await;
    }
    let body = run.view.session(run.state, &s, &|| vec![shown.clone()]).await?;
    caller::commit(run, changes, events, Answer { status: 200, body, location: None }).await
}

/// Finishes an intent waiting on 3-D Secure: charges it if `authenticated`,
/// or returns it to `requires_payment_method`. Safe to race: the charge
/// claims the session and intent with conditional writes first.
#[tracing::instrument(skip_all, fields(payment_intent = %read.pi.id, authenticated))]
pub async fn finish(state: &AppState, scope: &Scope, read: &Intent, authenticated: bool) -> PaymentResult<()> {
    let now = state.now();
    let pi = &read.pi;
    let session =
        super::caller::load_session(state, scope, &pi.checkout_session).await?.ok_or(PaymentError::Internal)?;
    let caller = Caller::background(scope.clone());
    // The buyer authenticated one amount; if the session's total changed
    // meanwhile (a quantity, a code), that authentication does not cover it.
    let changed =
        session.0.amount_total != Some(pi.amount) || session.0.currency.as_deref() != Some(pi.currency.as_str());
    if !authenticated || changed {
        return fail(state, &caller, read, &session, authenticated).await;
    }
    let pm_id = pi.payment_method.clone().unwrap_or_default();
    let chosen = method::saved(state, scope, &pm_id).await?;
    let terms = terms::saved(state, scope, &pi.id).await?;
    let view = Plain { version: caller.version(), now };
    let run = Run { state, caller: &caller, terms: &terms, view: &view, now };
    charge(&run, &session.0, session.1, chosen, true).await.map(|_| ())
}

/// Authentication failed (or no longer covers the amount): the intent goes
/// back to `requires_payment_method` and the session is free again.
async fn fail(
    state: &AppState,
    caller: &Caller,
    read: &Intent,
    (session, version): &(CheckoutSession, i64),
    authenticated: bool,
) -> PaymentResult<()> {
    let message = if authenticated {
        "The amount changed during authentication. Please confirm the payment again."
    } else {
        "The provided payment method has failed authentication. Provide a new payment method to attempt to fulfill this PaymentIntent again."
    };
    let mut doc = read.pi.clone();
    doc.status = Status::RequiresPaymentMethod;
    doc.next_action = None;
    if let Some(tds) = doc.three_d_secure.as_mut() {
        tds.status = ThreeDsStatus::Failed;
    }
    doc.last_payment_error = Some(LastPaymentError {
        kind: ErrorType::CardError,
        code: "payment_intent_authentication_failure".to_owned(),
        decline_code: None,
        message: message.to_owned(),
        doc_url: None,
        payment_method: doc.payment_method.clone().map(ErrorMethod::Id),
        param: None,
        detail: None,
    });
    let mut s = session.clone();
    s.confirming_until = None;
    s.payment_intent_status = None;
    payment_intent::mirror_next_action(&mut s, &doc);
    // A failed authentication counts toward the card-testing limit; an
    // amount the buyer changed meanwhile does not.
    if !authenticated {
        session::record_failure(&mut s, state.now());
    }
    let changes = vec![intent_change(&doc, Some(read.version))?, Change::update(&s, *version)?];
    let events = vec![event::of(&caller.event_ctx(state.now()), "payment_intent.payment_failed", &doc)];
    crate::engine::commit::commit(state, ChangeSet { scope: caller.scope.clone(), changes, events, idempotency: None })
        .await?;
    Ok(())
}
