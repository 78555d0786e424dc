//! The settling commit: the outcome, the session's new state, the contract
//! or SetupIntent of a completed session, every event, and the caller's
//! idempotency record, all at once.

use serde_json::json;

use super::caller::{self, Answer, Answered, Run};
use super::complete::{self, Completion};
use super::decline::Decline;
use super::error::PaymentResult;
use super::method::Chosen;
use super::{cascade, redeem, terms};
use crate::domain::cascade as tiers;
use crate::domain::checkout_session::{PaymentStatus, SessionStatus};
use crate::domain::contract::Confirmation;
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::payment_intent::{self, NextAction, NextActionThreeDs, NextActionType, PaymentIntent};
use crate::domain::payment_intent::{PaymentIntentStatus as Status, RedirectToUrl, ThreeDsFlow};
use crate::domain::payment_method::PaymentMethod;
use crate::domain::session;
use crate::domain::session::CheckoutSession;
use crate::processor::Outcome;
use crate::store::Change;

/// A charge tried: its payment method, and its intent with the version
/// the intent's next update expects.
pub struct Tried {
    pub chosen: Chosen,
    pub intent: (PaymentIntent, i64),
}

/// How a payment ends.
pub enum Finish {
    Paid(Tried),
    /// The processor's answer is not known yet: the session stays held.
    Pending(Tried),
    Declined(Tried, Decline),
    WhenDue(Chosen),
    NoPayment(Option<Chosen>),
    Setup(Chosen),
}

/// What one commit writes.
#[derive(Default)]
pub struct Writes {
    pub changes: Vec<Change>,
    pub events: Vec<event::Event>,
}

/// What the settled payment answers besides the session.
#[derive(Default)]
struct Ending {
    completion: Option<Completion>,
    action_url: Option<String>,
    error: Option<Decline>,
}

/// How a processor's outcome ends the payment.
pub fn outcome_finish(outcome: &Outcome, chosen: Chosen, intent: (PaymentIntent, i64)) -> Finish {
    let tried = Tried { chosen, intent };
    match outcome {
        Outcome::Approved { .. } => Finish::Paid(tried),
        Outcome::Declined { code, decline_code, message, .. } => {
            let code: &'static str = match code.as_str() {
                "expired_card" => "expired_card",
                "incorrect_cvc" => "incorrect_cvc",
                "processing_error" => "processing_error",
                _ => "card_declined",
            };
            let error = Decline::card(code, message.clone()).with("decline_code", json!(decline_code));
            Finish::Declined(tried, error)
        }
        Outcome::Unavailable { .. } => Finish::Declined(tried, Decline::unavailable()),
        Outcome::Unknown { .. } | Outcome::RequiresAction { .. } => Finish::Pending(tried),
    }
}

/// One commit: the session's new state, the payment, the contract, a
/// guest's new customer, and every event.
#[tracing::instrument(skip_all, fields(session = %session.id))]
pub async fn finish(run: &Run<'_>, session: &CheckoutSession, version: i64, f: Finish) -> PaymentResult<Answered> {
    let mut s = session.clone();
    s.confirming_until = None;
    s.payment_intent_status = None;
    let mut w = Writes::default();
    let (st, scope) = (run.state, &run.caller.scope);
    let ending = match f {
        Finish::Paid(tried) | Finish::Pending(tried) => charged(run, &mut s, tried, &mut w).await?,
        Finish::Declined(tried, error) => declined(run, &mut s, tried, error, &mut w).await?,
        Finish::WhenDue(chosen) => {
            w.changes.extend(redeem::redeem(st, scope, &s).await?);
            completes(Some(chosen.method), PaymentStatus::Unpaid, Confirmation::ChargeWhenDue)
        }
        Finish::NoPayment(chosen) => {
            w.changes.extend(redeem::redeem(st, scope, &s).await?);
            let doc = chosen.map(|c| {
                w.changes.extend(c.changes);
                c.method
            });
            completes(doc, PaymentStatus::NoPaymentRequired, Confirmation::NoPayment)
        }
        Finish::Setup(chosen) => {
            w.changes.extend(chosen.changes);
            completes(Some(chosen.method), PaymentStatus::NoPaymentRequired, Confirmation::NoPayment)
        }
    };
    answer(run, session, (s, version), w, ending).await
}

fn completes(pm: Option<PaymentMethod>, payment_status: PaymentStatus, confirmation: Confirmation) -> Ending {
    Ending { completion: Some(Completion { payment_status, pm, confirmation, intent: None }), ..Ending::default() }
}

/// An approved or still pending charge.
async fn charged(run: &Run<'_>, s: &mut CheckoutSession, tried: Tried, w: &mut Writes) -> PaymentResult<Ending> {
    let Tried { chosen, intent: (mut pi, pi_version) } = tried;
    let ctx = run.caller.event_ctx(run.now);
    let action = pi.status == Status::RequiresAction;
    let pending = pi.status == Status::Processing || action;
    let mut action_url = None;
    if action {
        gateway_action(run, &mut pi, s);
        action_url = pi.next_action.as_ref().map(|a| a.redirect_to_url.url.clone());
    }
    payment_intent::mirror_next_action(s, &pi);
    w.changes.extend(chosen.changes);
    if !pending {
        tiers::count_attempt(s);
    }
    let authorized_only = pi.status == Status::RequiresCapture;
    crate::engine::charges::record(&mut pi, Some(&chosen.method), &ctx, w)?;
    let kind = match (pending, action) {
        (_, true) => "payment_intent.requires_action",
        (true, false) => "payment_intent.processing",
        _ if authorized_only => "payment_intent.amount_capturable_updated",
        _ => "payment_intent.succeeded",
    };
    w.events.push(event::of(&ctx, kind, &pi));
    let id = pi.id.clone();
    answered(run, &mut pi);
    w.changes.push(Change::update(&pi, pi_version)?);
    if pending {
        // Held until the processor's answer is known; the resolver needs
        // the buyer's terms to finish it.
        s.confirming_until = Some(i64::MAX);
        s.payment_intent_status = Some("processing".into());
        w.changes.push(terms::change(run.state, &run.caller.scope, &id, run.terms, run.now).await?);
        return Ok(Ending { action_url, ..Ending::default() });
    }
    // An authorization completes the session, unpaid until captured.
    let payment_status = if authorized_only { PaymentStatus::Unpaid } else { PaymentStatus::Paid };
    let completion = Completion {
        payment_status,
        pm: Some(chosen.method),
        confirmation: Confirmation::ChargeImmediately,
        intent: Some(id),
    };
    Ok(Ending { completion: Some(completion), action_url, error: None })
}

/// A declined charge, or one no processor could take.
async fn declined(
    run: &Run<'_>,
    s: &mut CheckoutSession,
    tried: Tried,
    error: Decline,
    w: &mut Writes,
) -> PaymentResult<Ending> {
    let Tried { chosen, intent: (mut pi, pi_version) } = tried;
    let (ctx, now) = (run.caller.event_ctx(run.now), run.now);
    // Declines count toward the card-testing limit; outages do not.
    if error.card {
        session::record_failure(s, now);
    }
    w.changes.extend(chosen.changes);
    crate::engine::charges::record(&mut pi, Some(&chosen.method), &ctx, w)?;
    payment_intent::mirror_next_action(s, &pi);
    w.events.push(event::of(&ctx, "payment_intent.payment_failed", &pi));
    let shown = pi.wire();
    answered(run, &mut pi);
    w.changes.push(Change::update(&pi, pi_version)?);
    let mut e = error.with("payment_intent", shown).with("payment_method", chosen.method.wire());
    if e.card && tiers::configured(s) {
        tiers::count_attempt(s);
        cascade::after_decline(run.state, &run.caller.scope, s, now).await?;
        e = e.with("cascade_status", json!(s.cascade_status));
    }
    Ok(Ending { error: Some(e), ..Ending::default() })
}

/// Completes the session if the payment did, commits, and answers.
async fn answer(
    run: &Run<'_>,
    claimed: &CheckoutSession,
    (mut s, version): (CheckoutSession, i64),
    mut w: Writes,
    ending: Ending,
) -> PaymentResult<Answered> {
    if let Some(c) = ending.completion {
        complete::complete(run, &mut s, c, &mut w).await?;
    }
    w.changes.push(Change::update(&s, version)?);
    if let Some(e) = ending.error {
        let answer = Answer { status: e.status, body: e.body().to_string(), location: None };
        let res = caller::commit(run, w.changes, w.events, answer).await?;
        // The charge failed: the claim's redemption goes back.
        // (The discount claimed, not a cascade's next tier's.)
        redeem::release(run.state, &run.caller.scope, claimed).await?;
        return Ok(res);
    }
    if let (true, Some(url)) = (run.terms.redirect, ending.action_url) {
        return caller::commit(run, w.changes, w.events, redirect(url)).await;
    }
    if run.terms.redirect && s.status == SessionStatus::Complete {
        let base = s.success_url.as_deref().or(s.return_url.as_deref()).or(run.terms.return_url.as_deref());
        let url = base.unwrap_or("/").replace("{CHECKOUT_SESSION_ID}", &s.id);
        return caller::commit(run, w.changes, w.events, redirect(url)).await;
    }
    let changes = &w.changes;
    let body = run.view.session(run.state, &s, &|| caller::written(changes)).await?;
    caller::commit(run, w.changes, w.events, Answer { status: 200, body, location: None }).await
}

/// `redirect=true`: the answer sends the buyer on.
pub fn redirect(url: String) -> Answer {
    Answer { status: 302, body: json!({"object": "redirect", "url": url}).to_string(), location: Some(url) }
}

/// This commit records the claiming request's answer (its own, or
/// kassa's for it): nothing may record another for that key.
fn answered(run: &Run<'_>, pi: &mut PaymentIntent) {
    if run.caller.idempotency.is_some() {
        pi.confirm_request = None;
    }
}

/// A gateway's own authentication page, as `next_action.three_d_secure`.
fn gateway_action(run: &Run<'_>, pi: &mut PaymentIntent, session: &CheckoutSession) {
    let Some(url) = pi.next_action.as_ref().map(|a| a.redirect_to_url.url.clone()) else { return };
    let return_url = run.terms.return_url.clone().or_else(|| session.return_url.clone());
    let key = pi.attempts.last().map(|a| a.idempotency_key.clone()).unwrap_or_default();
    let status_url = format!("{}/3ds/{}/status?client_secret={}", run.state.cfg.public_url, pi.id, pi.client_secret);
    pi.next_action = Some(NextAction {
        kind: NextActionType::ThreeDSecure,
        three_d_secure: Some(NextActionThreeDs {
            flow: ThreeDsFlow::Challenge,
            idempotency_key: key,
            status_url,
            return_url: return_url.clone(),
            challenge_url: Some(url.clone()),
            method_url: None,
        }),
        redirect_to_url: RedirectToUrl { url, return_url },
    });
}
