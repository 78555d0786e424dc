//! `POST /v1/checkout/sessions/{id}/confirm` (seeds 000, 001, 002): parse
//! and check the request, apply the buyer's changes to the session, and let
//! the payment engine (`engine::payment::confirm`) take the payment; its
//! answer or error is rendered here.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use crate::api::checkout_sessions::payment_method_input;
use crate::api::checkout_sessions::{find, includes, not_open, Includes};
use crate::api::plumbing::answer::Body;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{Call, ClientCall};
use crate::api::plumbing::payment_error::respond;
use crate::domain::contract::Confirmation;
use crate::domain::customer::Address;
use crate::domain::keys::KeyKind;
use crate::domain::session::{self, CheckoutSession};
use crate::domain::session_rules::check_url;
use crate::engine::payment::confirm::{self as engine, ConfirmRequest};
use crate::engine::payment::{Answered, Caller, IdempotencyKey, PaymentResult, Pending, Terms, View};
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::AppState;

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum ConfirmationParam {
    ChargeImmediately,
    ChargeWhenDue,
    NoPayment,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CustomerDetails {
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    address: Option<Address>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ConfirmParams {
    confirmation: Option<ConfirmationParam>,
    payment_method: Option<String>,
    payment_method_data: Option<crate::domain::payment_method::PaymentMethodData>,
    payment_method_type: Option<String>,
    customer_details: Option<CustomerDetails>,
    description: Option<String>,
    notes: Option<String>,
    return_url: Option<String>,
    redirect: Option<bool>,
    client_secret: Option<String>,
    days_until_due: Option<i64>,
    /// One of the session's shipping options (the first is the default).
    shipping_rate: Option<String>,
    /// The buyer's amount for a price with a custom amount (seed 002).
    amount: Option<i64>,
    /// Values of the session's custom fields, by key.
    custom_fields: Option<std::collections::BTreeMap<String, String>>,
    /// A code the buyer entered (when the session allows promotion codes).
    promotion_code: Option<String>,
    /// Where to ship, when the session collects a shipping address.
    shipping_details: Option<collect::ShippingDetails>,
}

fn check(p: &ConfirmParams, call: &Call, session: &CheckoutSession) -> ApiResult<Confirmation> {
    crate::api::checkout_sessions::buyer::check_secret(call, p.client_secret.as_deref(), session)?;
    let confirmation = match p.confirmation.unwrap_or(ConfirmationParam::ChargeImmediately) {
        ConfirmationParam::ChargeImmediately => Confirmation::ChargeImmediately,
        ConfirmationParam::ChargeWhenDue => Confirmation::ChargeWhenDue,
        ConfirmationParam::NoPayment => Confirmation::NoPayment,
    };
    // Only the merchant may decide that nothing is charged now.
    if matches!(confirmation, Confirmation::NoPayment | Confirmation::ChargeWhenDue)
        && call.auth.kind != KeyKind::Secret
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorType::Permission,
            Some("secret_key_required"),
            format!("`confirmation={}` needs a secret key.", confirmation.as_str()),
        ));
    }
    if let Some(d) = &p.customer_details {
        if let Some(e) = &d.email {
            crate::domain::fields::max_len("customer_details[email]", e, 512)?;
            if !e.contains('@') || e.starts_with('@') || e.ends_with('@') || e.contains(char::is_whitespace) {
                return Err(ApiError::invalid("email_invalid", "customer_details[email]", "Invalid email address."));
            }
        }
        if let Some(n) = &d.name {
            crate::domain::fields::max_len("customer_details[name]", n, 256)?;
        }
        if let Some(ph) = &d.phone {
            crate::domain::fields::max_len("customer_details[phone]", ph, 20)?;
        }
    }
    if let Some(d) = &p.description {
        crate::domain::fields::max_len("description", d, 255)?;
    }
    if let Some(n) = &p.notes {
        crate::domain::fields::max_len("notes", n, 1000)?;
    }
    if let Some(u) = &p.return_url {
        check_url("return_url", u)?;
    }
    if p.payment_method_type.as_deref().is_some_and(|t| t != "card") {
        return Err(ApiError::invalid(
            "parameter_invalid_enum",
            "payment_method_type",
            "Invalid payment_method_type: kassa takes `card`.",
        ));
    }
    if p.days_until_due.is_some_and(|d| !(1..=365).contains(&d)) {
        return Err(ApiError::invalid("parameter_invalid", "days_until_due", "Invalid days_until_due: 1 to 365."));
    }
    Ok(confirmation)
}

/// Confirm a Checkout Session with a secret key, or with a publishable key
/// and the session's `client_secret`.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/confirm", operation_id = "PostCheckoutSessionsSessionConfirm",
    request_body(content((ConfirmParams = "application/x-www-form-urlencoded"), (ConfirmParams = "application/json"))),
    tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, body = CheckoutSession, description = "The confirmed session"), (status = 302, description = "With redirect=true"),
              (status = 402, description = "The card was declined"), (status = 409, description = "A confirm is already in progress")))]
pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ClientCall(mut call): ClientCall,
) -> ApiResult<Response> {
    match confirm_call(state.clone(), id, &mut call).await {
        // This very request (its idempotency key) may have been finished
        // meanwhile by another node or, after its first try died, by kassa:
        // its recorded answer wins over "not open" or "in progress".
        Err(e) if matches!(e.code, Some("checkout_session_not_open" | "checkout_session_confirm_in_progress")) => {
            match call.recorded_answer(&state).await? {
                Some(answer) => Ok(answer),
                None => Err(e),
            }
        }
        other => other,
    }
}

#[tracing::instrument(skip_all, fields(session = %id))]
async fn confirm_call(state: AppState, id: String, call: &mut Call) -> ApiResult<Response> {
    let p: ConfirmParams = call.parse()?;
    let call = &*call;
    let inc = includes(call, "");
    expand::validate(&inc.rest)?;
    let now = state.now();
    let (s, version) = find(&state, call, &id).await?;
    let confirmation = check(&p, call, &s)?;
    session::require_open(&s, now, "confirmed").map_err(not_open)?;
    crate::domain::session_refusals::payable(&s)?;
    // Refused before anything is written.
    engine::precheck(&state, &call.scope(), &s, confirmation, now).await?;
    let s = apply_changes(&state, call, &p, s, now).await?;
    let given = payment_method_input::Given {
        payment_method: p.payment_method.as_deref(),
        data: p.payment_method_data.as_ref(),
        customer: s.customer.as_deref(),
    };
    let chosen = payment_method_input::choose(&state, call, given, now).await?;
    let req = ConfirmRequest { session: (s, version), confirmation, chosen, terms: terms(&p) };
    let view = ApiView { call, inc: &inc };
    match engine::confirm(&state, &caller(call), &view, req, now).await? {
        Answered::Recorded(answer) => Ok(respond(answer)),
        // Another node answered this very request first.
        Answered::Elsewhere => call.recorded_answer(&state).await?.ok_or_else(ApiError::internal),
    }
}

/// The buyer's changes at confirm: what the session collects, custom
/// fields, a custom amount, a promotion code, a shipping rate; then the
/// charge limits on what it costs now.
async fn apply_changes(
    state: &AppState,
    call: &Call,
    p: &ConfirmParams,
    mut s: CheckoutSession,
    now: i64,
) -> ApiResult<CheckoutSession> {
    let billing_address = p.customer_details.as_ref().is_some_and(|d| d.address.is_some())
        || p.payment_method_data
            .as_ref()
            .is_some_and(|d| d.billing_details.as_ref().is_some_and(|b| b.address.is_some()));
    let phone = p.customer_details.as_ref().is_some_and(|d| d.phone.as_deref().is_some_and(|x| !x.trim().is_empty()));
    let given = collect::Given {
        shipping: p.shipping_details.as_ref(),
        billing_address,
        phone,
        saved_method: p.payment_method.is_some(),
    };
    collect::apply(&mut s, given)?;
    // Required custom fields are checked now, not at create.
    s.custom_fields =
        crate::domain::custom_fields::fill(&s.custom_fields, &p.custom_fields.clone().unwrap_or_default())?;
    if let Some(a) = p.amount {
        crate::api::checkout_sessions::custom::set(state, call, &mut s, a, now).await?;
    }
    if let Some(code) = &p.promotion_code {
        crate::api::checkout_sessions::discounts::enter_code(state, call, &mut s, code, now).await?;
    }
    if let Some(rate) = &p.shipping_rate {
        crate::api::checkout_sessions::shipping::chosen_at_confirm(state, call, &mut s, rate).await?;
    }
    // Whatever changed the amounts since the code was entered, it must
    // still qualify when the money moves.
    crate::api::checkout_sessions::discounts::recheck_minimum(state, &call.scope(), &s).await?;
    // Stripe's charge limits, blaming the last change sent (else the items).
    let (amount, code, rate) = (p.amount.is_some(), p.promotion_code.is_some(), p.shipping_rate.is_some());
    let changed = [("line_items", true), ("amount", amount), ("promotion_code", code), ("shipping_rate", rate)];
    crate::api::checkout_sessions::amounts::check_changed(&s, &changed)?;
    Ok(s)
}

/// What the buyer asked for, kept for a payment finished later.
fn terms(p: &ConfirmParams) -> Terms {
    Terms {
        customer_details: p.customer_details.as_ref().map(|d| {
            let a = d.address.clone().unwrap_or_default();
            json!({"email": d.email, "name": d.name, "phone": d.phone,
                   "address": d.address.as_ref().map(|_| json!({"city": a.city, "country": a.country, "line1": a.line1, "line2": a.line2, "postal_code": a.postal_code, "state": a.state}))})
        }),
        description: p.description.clone(),
        notes: p.notes.clone(),
        days_until_due: p.days_until_due,
        redirect: p.redirect == Some(true),
        return_url: p.return_url.clone(),
    }
}

/// The request as the engine's caller.
fn caller(call: &Call) -> Caller {
    Caller {
        scope: call.scope(),
        account_version: call.auth.account_version.clone(),
        request_id: Some(call.request_id.clone()),
        idempotency: call
            .idem
            .as_ref()
            .map(|g| IdempotencyKey { key: g.key.clone(), fingerprint: g.fingerprint.clone() }),
        waiting: true,
    }
}

/// The session in the answer as the request asked for it: its API
/// version, `include`s and expansions.
struct ApiView<'a> {
    call: &'a Call,
    inc: &'a Includes,
}

#[async_trait::async_trait]
impl View for ApiView<'_> {
    async fn session(&self, state: &AppState, s: &CheckoutSession, pending: &Pending<'_>) -> PaymentResult<String> {
        let body = crate::api::checkout_sessions::body_with(state, self.call, s, self.inc, pending).await;
        body.map(Body::into_text).map_err(|e| {
            // The expansions were validated before anything was written:
            // what fails here is the store.
            tracing::error!(error = %e.message, "confirm answer not rendered");
            crate::engine::payment::PaymentError::Internal
        })
    }
}

mod collect;
