//! The buyer's own update of an open session, before confirming (seed 002):
//! `POST /v1/checkout/sessions/{id}` with a publishable key and the
//! session's `client_secret`. Only what a buyer may choose can change: a
//! discount code, custom-field values, a custom amount, a shipping rate.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use crate::api::checkout_sessions::custom;
use crate::api::checkout_sessions::discounts;
use crate::api::checkout_sessions::shipping;
use crate::api::checkout_sessions::{find, includes, require_changeable};
use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::domain::keys::KeyKind;
use crate::domain::session::CheckoutSession;
use crate::error::{ApiError, ApiResult};
use crate::store::Change;
use crate::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BuyerParams {
    client_secret: Option<String>,
    /// A code to apply; an empty one removes the code entered before.
    #[serde(default, deserialize_with = "crate::domain::fields::emptyable")]
    promotion_code: Option<Option<String>>,
    /// Seed 002's name for `promotion_code`.
    #[serde(default, deserialize_with = "crate::domain::fields::emptyable")]
    discount_code: Option<Option<String>>,
    custom_fields: Option<BTreeMap<String, String>>,
    amount: Option<i64>,
    shipping_rate: Option<String>,
    /// New quantities of lines with `adjustable_quantity`, by line id.
    line_items: Option<Vec<BuyerLine>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BuyerLine {
    id: Option<String>,
    quantity: Option<i64>,
}

/// Sets the quantities the buyer chose; amounts are recomputed after.
fn set_quantities(s: &mut CheckoutSession, lines: &[BuyerLine]) -> ApiResult<()> {
    for (i, l) in lines.iter().enumerate() {
        let id = l.id.as_deref().ok_or_else(|| ApiError::missing_param(&format!("line_items[{i}][id]")))?;
        let param = format!("line_items[{i}][quantity]");
        let q = l.quantity.ok_or_else(|| ApiError::missing_param(&param))?;
        let line = s.line_items.data.iter_mut().find(|x| x.id == id).ok_or_else(|| {
            ApiError::invalid("resource_missing", format!("line_items[{i}][id]"), "No such line item on this session.")
        })?;
        let subtotal = crate::domain::line_quantity::adjust(line, q, &param)?;
        line.quantity = Some(q);
        line.amount_subtotal = subtotal;
    }
    Ok(())
}

/// A publishable key must come with the session's own client secret.
pub fn check_secret(call: &Call, given: Option<&str>, session: &CheckoutSession) -> ApiResult<()> {
    if call.auth.kind != KeyKind::Publishable {
        return Ok(());
    }
    let Some(given) = given else { return Err(ApiError::missing_param("client_secret")) };
    if !crate::domain::ids::secret_eq(session.client_secret.as_deref(), given) {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "client_secret",
            "The client_secret does not match this Checkout Session.",
        ));
    }
    Ok(())
}

/// Applies the buyer's choices and answers with the session.
pub async fn update(state: &AppState, id: &str, mut call: Call) -> ApiResult<Response> {
    let p: BuyerParams = call.parse()?;
    let inc = includes(&call, "");
    expand::validate(&inc.rest)?;
    let code = match (&p.promotion_code, &p.discount_code) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "parameters_exclusive",
                "discount_code",
                "You may only specify one of these parameters: promotion_code, discount_code.",
            ))
        }
        (Some(c), None) => Some((c.as_deref().unwrap_or_default(), "promotion_code")),
        (None, Some(c)) => Some((c.as_deref().unwrap_or_default(), "discount_code")),
        (None, None) => None,
    };
    retry_on_conflict(|| async {
        let (mut doc, version) = find(state, &call, id).await?;
        check_secret(&call, p.client_secret.as_deref(), &doc)?;
        let now = state.now();
        require_changeable(&doc, now)?;
        if let Some(given) = &p.custom_fields {
            doc.custom_fields = crate::domain::custom_fields::draft(&doc.custom_fields, given)?;
        }
        // The amount first: a code's minimum is checked against it.
        if let Some(a) = p.amount {
            custom::set(state, &call, &mut doc, a, now).await?;
        }
        if let Some(lines) = &p.line_items {
            set_quantities(&mut doc, lines)?;
            custom::recompute(state, &call.scope(), &mut doc, now).await?;
        }
        if let Some((code, param)) = code {
            let applied = if code.is_empty() {
                remove_code(state, &call, &mut doc, now).await
            } else {
                discounts::enter_code(state, &call, &mut doc, code, now).await
            };
            applied.map_err(|e| match e.param.as_deref() {
                Some("promotion_code") => e.with_param(param),
                _ => e,
            })?;
        }
        if let Some(rate) = &p.shipping_rate {
            shipping::chosen_at_confirm(state, &call, &mut doc, rate).await?;
        }
        discounts::recheck_minimum(state, &call.scope(), &doc).await?;
        // Stripe's charge limits, blaming the last change sent.
        let code_param = code.map_or("promotion_code", |c| c.1);
        let (amount, lines_sent, rate) = (p.amount.is_some(), p.line_items.is_some(), p.shipping_rate.is_some());
        let changed =
            [("amount", amount), ("line_items", lines_sent), (code_param, code.is_some()), ("shipping_rate", rate)];
        crate::api::checkout_sessions::amounts::check_changed(&doc, &changed)?;
        let body = super::body(state, &call, &doc, &inc).await?;
        let change = Change::update(&doc, version)?;
        answer::commit(state, &call, answer::Writes { changes: vec![change], events: Vec::new() }, StatusCode::OK, body)
            .await
    })
    .await
}

/// Takes off a code the buyer entered. A merchant's discount stays.
async fn remove_code(state: &AppState, call: &Call, doc: &mut CheckoutSession, now: i64) -> ApiResult<()> {
    if doc.allow_promotion_codes != Some(true) {
        return Err(ApiError::invalid(
            "parameter_invalid",
            "promotion_code",
            "This checkout's discount was set by the merchant; it cannot be removed.",
        ));
    }
    doc.discounts = Vec::new();
    Ok(custom::recompute(state, &call.scope(), doc, now).await?)
}
