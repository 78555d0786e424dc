//! Confirming a Checkout Session (seeds 000, 001, 002): take the payment
//! now, when due, or not at all, and complete the session. The caller has
//! parsed and checked the request and applied the buyer's changes to the
//! session; this decides what happens to the money.

use super::caller::{Answered, Caller, Run, View};
use super::charge::charge;
use super::error::{PaymentError, PaymentResult};
use super::method::{self, Chosen};
use super::route::route_for;
use super::settle::{finish, Finish};
use super::terms::Terms;
use crate::domain::contract::Confirmation;
use crate::domain::payment_method;
use crate::domain::session::{self, CheckoutSession};
use crate::domain::session_params::Mode;
use crate::store::{ListQuery, Scope};
use crate::AppState;

/// What a confirm asks for.
pub struct ConfirmRequest {
    /// The session as the buyer's changes left it, and the version read.
    pub session: (CheckoutSession, i64),
    pub confirmation: Confirmation,
    /// The payment method the request named, if any.
    pub chosen: Option<Chosen>,
    pub terms: Terms,
}

/// The checks that come before anything the request changes: a payment
/// to be charged needs a route that can charge it (in live mode, a real
/// processor), the session must not be held by another confirm, and the
/// card-testing limit must not have been reached.
pub async fn precheck(
    state: &AppState,
    scope: &Scope,
    session: &CheckoutSession,
    confirmation: Confirmation,
    now: i64,
) -> PaymentResult<()> {
    if session.mode != Mode::Setup && !matches!(confirmation, Confirmation::NoPayment) {
        route_for(state, scope, session).await?;
    }
    if session::confirming(session, now) {
        return Err(PaymentError::InProgress);
    }
    if session::recent_failures(session, now) >= session::MAX_FAILURES {
        return Err(PaymentError::TooManyAttempts);
    }
    Ok(())
}

fn needs_saved() -> PaymentError {
    PaymentError::invalid(
        "parameter_invalid",
        "payment_method",
        "`charge_when_due` needs a payment method already saved to the customer.",
    )
}

/// Runs the confirm: charges now, completes the session with a payment
/// due later, or completes it with nothing to pay.
#[tracing::instrument(skip_all, fields(session = %req.session.0.id))]
pub async fn confirm(
    state: &AppState,
    caller: &Caller,
    view: &dyn View,
    req: ConfirmRequest,
    now: i64,
) -> PaymentResult<Answered> {
    let ConfirmRequest { session, confirmation, chosen, terms } = req;
    let run = Run { state, caller, terms: &terms, view, now };
    let (doc, version) = (&session.0, session.1);
    if doc.mode == Mode::Setup {
        let chosen = chosen.ok_or_else(|| PaymentError::missing("payment_method"))?;
        return finish(&run, doc, version, Finish::Setup(chosen)).await;
    }
    match confirmation {
        Confirmation::NoPayment => finish(&run, doc, version, Finish::NoPayment(chosen)).await,
        Confirmation::ChargeWhenDue => {
            let Some(cus) = doc.customer.as_deref() else {
                return Err(PaymentError::invalid(
                    "parameter_invalid",
                    "confirmation",
                    "`charge_when_due` needs a session with a `customer` that has a saved payment method.",
                ));
            };
            let chosen = match chosen {
                Some(c) if c.changes.is_empty() => c,
                Some(_) => return Err(needs_saved()),
                None => latest_saved(state, &caller.scope, cus).await?,
            };
            finish(&run, doc, version, Finish::WhenDue(chosen)).await
        }
        Confirmation::ChargeImmediately => {
            let chosen = chosen.ok_or_else(|| PaymentError::missing("payment_method"))?;
            charge(&run, doc, version, chosen, false).await
        }
    }
}

/// The customer's most recently saved payment method.
async fn latest_saved(state: &AppState, scope: &Scope, customer: &str) -> PaymentResult<Chosen> {
    let q = ListQuery {
        kind: payment_method::KIND.into(),
        filters: vec![("customer".into(), customer.to_owned())],
        created: Default::default(),
        cursor: None,
        limit: 1,
        any_of: Vec::new(),
    };
    let pm = state.store.list_objects(scope, &q).await?.items.into_iter().next().ok_or_else(needs_saved)?;
    let chosen = method::saved(state, scope, &pm.id).await?;
    // A card saved in live mode before test cards were refused there.
    match method::live_test_card(scope.livemode, &chosen.card.number) {
        Some(d) => Err(PaymentError::Refused(d)),
        None => Ok(chosen),
    }
}
