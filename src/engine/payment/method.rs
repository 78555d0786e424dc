//! The payment method a charge uses, with its card: chosen at confirm, or a
//! saved one opened from the vault (the one place a sealed card is opened).

use serde_json::json;

use super::decline::Decline;
use super::error::{PaymentError, PaymentResult};
use crate::domain::card::CardNumber;
use crate::domain::payment_method::{self, PaymentMethod};
use crate::domain::test_cards;
use crate::processor::CardDetails;
use crate::store::{Change, Scope};
use crate::AppState;

/// A payment method ready to charge, and what must be stored with the payment.
pub struct Chosen {
    pub id: String,
    pub method: PaymentMethod,
    pub card: CardDetails,
    /// A new payment method (and its vault record) to commit.
    pub changes: Vec<Change>,
}

/// A saved payment method with its card out of the vault; `None` when the
/// method or its vault record is gone. An unreadable record is logged
/// (by id, never its content) and is kassa's error.
pub async fn open_saved(state: &AppState, scope: &Scope, pm_id: &str) -> PaymentResult<Option<Chosen>> {
    let Some(pm) = state.store.get_object(scope, pm_id).await? else { return Ok(None) };
    let Some(pm) = pm.decode::<PaymentMethod>()? else { return Ok(None) };
    let Some(vault) = state.store.get_object(scope, &payment_method::vault_id(pm_id)).await? else {
        return Ok(None);
    };
    let number = state.vault.open(vault.doc()?["sealed"].as_str().unwrap_or_default(), pm_id).map_err(|e| {
        tracing::error!(error = %e, payment_method = %pm_id, "vault record unreadable");
        PaymentError::Internal
    })?;
    let card = CardDetails { number, exp_month: pm.card.exp_month, exp_year: pm.card.exp_year, cvc: None };
    Ok(Some(Chosen { id: pm_id.to_owned(), method: pm, card, changes: Vec::new() }))
}

/// A saved method that must exist (the claim made it durable).
pub async fn saved(state: &AppState, scope: &Scope, pm_id: &str) -> PaymentResult<Chosen> {
    open_saved(state, scope, pm_id).await?.ok_or(PaymentError::Internal)
}

/// Stripe declines its published test cards in live mode, before any
/// processor sees them.
pub fn live_test_card(livemode: bool, number: &CardNumber) -> Option<Decline> {
    (livemode && test_cards::is_published(number.digits())).then(|| {
        Decline::card("card_declined", test_cards::LIVE_MODE_MESSAGE).with("decline_code", json!("test_mode_live_card"))
    })
}
