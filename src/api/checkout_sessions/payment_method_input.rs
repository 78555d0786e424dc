//! The payment method a confirm names: card details entered now, a Stripe
//! test token (`pm_card_visa`), or a saved `pm_…` of the caller.

use serde_json::json;

use crate::api::plumbing::extract::Call;
use crate::domain::card::{CardError, CardNumber};
use crate::domain::payment_method::{self, CardInput, CheckedCard, NewMethod, PaymentMethodData, VAULT_KIND};
use crate::engine::payment::method::{live_test_card, open_saved};
use crate::engine::payment::Chosen;
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::processor::test::token_card;
use crate::processor::CardDetails;
use crate::store::Change;
use crate::AppState;

/// What a request named: `payment_method` or `payment_method_data`, and the
/// session's customer (a saved method of anyone else is not found).
pub struct Given<'a> {
    pub payment_method: Option<&'a str>,
    pub data: Option<&'a PaymentMethodData>,
    pub customer: Option<&'a str>,
}

fn card_error(e: CardError, prefix: &str) -> ApiError {
    ApiError::card(e.code, e.message).with_param(format!("{prefix}[{}]", e.field))
}

/// Stores a checked card: the PaymentMethod object, and the number sealed in
/// the vault under the payment method's id.
fn new_method(state: &AppState, call: &Call, c: CheckedCard, given: &Given<'_>, now: i64) -> ApiResult<Chosen> {
    let (data, customer) = (given.data, given.customer);
    let id = new_id("pm");
    let fingerprint = state.vault.fingerprint(&c.number);
    let new = NewMethod {
        id: &id,
        livemode: call.auth.livemode,
        now,
        fingerprint: &fingerprint,
        billing: data.and_then(|d| d.billing_details.as_ref()),
        customer,
    };
    let method = payment_method::build(new, &c);
    let sealed = state.vault.seal(&c.number, &id).map_err(|_| ApiError::internal())?;
    let vault_id = payment_method::vault_id(&id);
    let changes = vec![
        Change::insert(&method)?,
        Change::Insert {
            id: vault_id.clone(),
            kind: VAULT_KIND.into(),
            created: now,
            tags: vec![],
            doc: json!({"id": vault_id, "sealed": sealed}).to_string(),
        },
    ];
    let card = CardDetails { number: c.number, exp_month: c.exp_month, exp_year: c.exp_year, cvc: c.cvc };
    Ok(Chosen { id, method, card, changes })
}

/// Stripe declines its published test cards in live mode, before any
/// processor sees them.
fn refuse_test_card_in_live_mode(call: &Call, number: &CardNumber) -> ApiResult<()> {
    match live_test_card(call.auth.livemode, number) {
        Some(d) => Err(d.into()),
        None => Ok(()),
    }
}

/// Resolves `payment_method` / `payment_method_data`.
pub async fn choose(state: &AppState, call: &Call, given: Given<'_>, now: i64) -> ApiResult<Option<Chosen>> {
    let customer = given.customer;
    match (given.payment_method, given.data) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "parameters_exclusive",
            "payment_method_data",
            "You may only specify one of these parameters: payment_method, payment_method_data.",
        )),
        (None, None) => Ok(None),
        (None, Some(d)) => {
            if d.kind != "card" {
                return Err(ApiError::invalid(
                    "parameter_invalid_enum",
                    "payment_method_data[type]",
                    "Invalid type: kassa takes `card`.",
                ));
            }
            let input = d.card.as_ref().ok_or_else(|| ApiError::missing_param("payment_method_data[card]"))?;
            let checked = payment_method::check(input, now).map_err(|e| card_error(e, "payment_method_data[card]"))?;
            refuse_test_card_in_live_mode(call, &checked.number)?;
            new_method(state, call, checked, &given, now).map(Some)
        }
        (Some(token), None) if token_card(token).is_some() && call.auth.livemode => {
            let mut e = ApiError::no_such("PaymentMethod", token, Some("payment_method")).with_status_400();
            e.message
                .push_str("; a similar object exists in test mode, but a live mode key was used to make this request.");
            Err(e)
        }
        (Some(token), None) if token_card(token).is_some() => {
            let (year, _) = crate::domain::card::year_month(now);
            let input = CardInput {
                number: token_card(token).unwrap_or_default().to_owned(),
                exp_month: 12,
                exp_year: year + 3,
                cvc: None,
            };
            let checked = payment_method::check(&input, now).map_err(|e| card_error(e, "payment_method"))?;
            new_method(state, call, checked, &given, now).map(Some)
        }
        (Some(id), None) => {
            let missing = || ApiError::no_such("PaymentMethod", id, Some("payment_method")).with_status_400();
            let chosen = open_saved(state, &call.scope(), id).await?.ok_or_else(missing)?;
            match chosen.method.customer.as_deref() {
                Some(owner) if Some(owner) != customer => return Err(missing()),
                // A buyer (publishable key) may reuse only the session
                // customer's own saved methods, never a loose one by id.
                None if call.auth.kind == crate::domain::keys::KeyKind::Publishable => return Err(missing()),
                _ => {}
            }
            // A card saved in live mode before test cards were refused there.
            refuse_test_card_in_live_mode(call, &chosen.card.number)?;
            Ok(Some(chosen))
        }
    }
}
