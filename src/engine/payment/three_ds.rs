//! 3-D Secure (seed 003): a provider-agnostic `next_action.three_d_secure`
//! with three flows. `challenge`: the buyer passes a visible page;
//! `method`: a hidden device-fingerprint page runs first, then it continues
//! as `frictionless`: no UI, the intent is `processing` and a worker finishes
//! it. The pages' URLs carry a random key that only this payment knows.

use serde_json::{json, Value};

use super::caller::{self, Answer, Answered, Caller, Plain, Run};
use super::charge::{charge, intent_change};
use super::error::{PaymentError, PaymentResult};
use super::method::{self, Chosen};
use super::settle::redirect;
use super::{route, terms};
use crate::domain::event;
use crate::domain::fields::time_tag;
use crate::domain::payment_intent;
use crate::domain::session::{self, CheckoutSession};
use crate::ids::random_base62;
use crate::processor::test::three_d_secure_flow;
use crate::store::{Change, ChangeSet, Scope, StoredObject};
use crate::AppState;

/// Tag on an intent whose authentication finishes without the buyer.
pub const DUE_TAG: &str = "3ds_due";

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
pub fn intent_tags(pi: &Value) -> Vec<(String, String)> {
    let mut t = payment_intent::tags(pi);
    if pi["status"] == "processing"
        && matches!(pi["three_d_secure"]["status"].as_str(), Some("pending") | Some("method_completed"))
    {
        t.push((DUE_TAG.to_owned(), time_tag(pi["three_d_secure"]["due_at"].as_i64().unwrap_or(0))));
    }
    t
}

/// The intent waiting for authentication: the page it sends the buyer to
/// (none when frictionless).
fn awaiting(run: &Run<'_>, pi: &mut Value, session: &CheckoutSession, chosen: &Chosen, flow: &str) -> Option<String> {
    let pi_id = pi["id"].as_str().unwrap_or_default().to_owned();
    let key = random_base62(32);
    let base = format!("{}/3ds/{pi_id}", run.state.cfg.public_url);
    let status_url = format!("{base}/status?client_secret={}", pi["client_secret"].as_str().unwrap_or_default());
    let return_url = run.terms.return_url.clone().or_else(|| session.return_url.clone());
    let page = match flow {
        "challenge" => Some(format!("{base}/challenge?key={key}")),
        "method" => Some(format!("{base}/method?key={key}")),
        _ => None,
    };
    pi["payment_method"] = json!(chosen.id);
    pi["last_payment_error"] = Value::Null;
    pi["three_d_secure"] =
        json!({"flow": flow, "status": "pending", "key": key, "due_at": run.now, "return_url": return_url});
    if let Some(url) = &page {
        pi["status"] = json!("requires_action");
        let mut tds = json!({"flow": flow, "idempotency_key": key, "status_url": status_url, "return_url": return_url});
        tds[if flow == "challenge" { "challenge_url" } else { "method_url" }] = json!(url);
        pi["next_action"] = json!({"type": "three_d_secure", "three_d_secure": tds, "redirect_to_url": {"url": url, "return_url": return_url}});
    } else {
        pi["status"] = json!("processing");
        pi["next_action"] = Value::Null;
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
    ((mut pi, pi_version), flow): ((Value, Option<i64>), &'static str),
) -> PaymentResult<Answered> {
    let now = run.now;
    let page = awaiting(run, &mut pi, session, &chosen, flow);
    let pi_id = pi["id"].as_str().unwrap_or_default().to_owned();
    let mut s = session.clone();
    s.payment_intent = Some(pi_id.clone());
    payment_intent::mirror_next_action(&mut s, &pi);
    if page.is_none() {
        // Frictionless: held until the worker finishes it.
        s.confirming_until = Some(i64::MAX);
        s.payment_intent_status = Some("processing".into());
    }
    let mut changes = chosen.changes;
    changes.push(intent_change(&pi, pi_version, intent_tags(&pi), now));
    changes.push(terms::change(run.state, &run.caller.scope, &pi_id, run.terms, now).await?);
    changes.push(Change::update(&s, version)?);
    let ctx = run.caller.event_ctx(now);
    let mut events = Vec::new();
    if pi_version.is_none() {
        events.push(event::build(&ctx, "payment_intent.created", &pi, None));
    }
    events.push(event::build(&ctx, "payment_intent.requires_action", &pi, None));
    if let (true, Some(url)) = (run.terms.redirect, page) {
        // redirect=true: straight to the next action's page.
        return caller::commit(run, changes, events, redirect(url)).await;
    }
    let body = run.view.session(run.state, &s, &[pi]).await?;
    caller::commit(run, changes, events, Answer { status: 200, body, location: None }).await
}

/// Finishes an intent waiting on 3-D Secure: charges it if `authenticated`,
/// or returns it to `requires_payment_method`. Safe to race: the charge
/// claims the session and intent with conditional writes first.
#[tracing::instrument(skip_all, fields(payment_intent = %pi.id, authenticated))]
pub async fn finish(state: &AppState, scope: &Scope, pi: &StoredObject, authenticated: bool) -> PaymentResult<()> {
    let now = state.now();
    let session_id = pi.doc["checkout_session"].as_str().unwrap_or_default();
    let stored = state.store.get_object(scope, session_id).await?.ok_or(PaymentError::Internal)?;
    let session = (stored.decode::<CheckoutSession>()?.ok_or(PaymentError::Internal)?, stored.version);
    let caller = Caller::background(scope.clone());
    // The buyer authenticated one amount; if the session's total changed
    // meanwhile (a quantity, a code), that authentication does not cover it.
    let changed = pi.doc["amount"] != json!(session.0.amount_total) || pi.doc["currency"] != json!(session.0.currency);
    if !authenticated || changed {
        return fail(state, &caller, pi, &session, authenticated).await;
    }
    let pm_id = pi.doc["payment_method"].as_str().unwrap_or_default().to_owned();
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
    pi: &StoredObject,
    (session, version): &(CheckoutSession, i64),
    authenticated: bool,
) -> PaymentResult<()> {
    let message = if authenticated {
        "The amount changed during authentication. Please confirm the payment again."
    } else {
        "The provided payment method has failed authentication. Provide a new payment method to attempt to fulfill this PaymentIntent again."
    };
    let mut doc = pi.doc.clone();
    doc["status"] = json!("requires_payment_method");
    doc["next_action"] = Value::Null;
    doc["three_d_secure"]["status"] = json!("failed");
    doc["last_payment_error"] = json!({
        "type": "card_error", "code": "payment_intent_authentication_failure", "decline_code": null,
        "message": message,
        "payment_method": doc["payment_method"], "param": null,
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
    let changes = vec![
        Change::Update { id: pi.id.clone(), expected_version: pi.version, tags: intent_tags(&doc), doc: doc.clone() },
        Change::update(&s, *version)?,
    ];
    let events = vec![event::build(&caller.event_ctx(state.now()), "payment_intent.payment_failed", &doc, None)];
    crate::engine::commit::commit(state, ChangeSet { scope: caller.scope.clone(), changes, events, idempotency: None })
        .await?;
    Ok(())
}
