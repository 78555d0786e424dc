//! `POST /v1/checkout/sessions/{id}/confirm` (seeds 000, 001, 002): take the
//! payment — now, when due, or not at all — and complete the session.
//!
//! A charge is never made twice: before any processor is called, the session
//! is claimed by a version-conditional write that also records the
//! PaymentIntent as `processing`. A racing confirm loses that write (or sees
//! the claim) and gets a 409; nothing can expire the session under it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{Call, ClientCall};
use super::payment_method_input::{self, Chosen};
use super::sessions::{includes, not_open};
use super::{expand, resource};
use crate::domain::contract::{self, Confirmation};
use crate::domain::customer::Address;
use crate::domain::event;
use crate::domain::keys::KeyKind;
use crate::domain::payment_intent::{self, NewIntent};
use crate::domain::session::{self, KIND};
use crate::domain::session_rules::check_url;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::ids::{new_id, random_base62};
use crate::processor::route::execute;
use crate::processor::{Authorize, Outcome, Processor};
use crate::store::{Change, StoreError};
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

const CLAIM_SECS: i64 = 120;
/// Seconds after a route's longest possible run before a claimed try whose
/// outcome was never recorded is looked up.
/// (Generous: the claim's clock is read before its commit, and nodes'
/// clocks differ a little; a lookup before the try could reach the
/// gateway would read "never received".)
const LOOKUP_MARGIN: i64 = 30;

fn in_progress() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorType::InvalidRequest,
        Some("checkout_session_confirm_in_progress"),
        "A payment for this Checkout Session is already in progress.",
    )
}

fn check(p: &ConfirmParams, call: &Call, session: &Value) -> ApiResult<Confirmation> {
    super::session_buyer::check_secret(call, p.client_secret.as_deref(), session)?;
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

/// The session's `customer_details` once the buyer confirmed.
fn customer_details(session: &Value, d: Option<&Value>, pm: Option<&Value>) -> Value {
    let prev = &session["customer_details"];
    let billing = pm.map(|p| &p["billing_details"]);
    let pick = |field: &str, given: Option<&String>| -> Value {
        given
            .map(|s| json!(s))
            .or_else(|| prev.get(field).filter(|v| !v.is_null()).cloned())
            .or_else(|| billing.and_then(|b| b.get(field)).filter(|v| !v.is_null()).cloned())
            .unwrap_or(Value::Null)
    };
    let address = match d.map(|d| &d["address"]).filter(|a| a.is_object()) {
        Some(a) => a.clone(),
        None => billing.map(|b| b["address"].clone()).unwrap_or(Value::Null),
    };
    json!({
        "address": address, "business_name": null,
        "email": pick("email", d.and_then(|d| d["email"].as_str().map(str::to_owned)).as_ref()).as_str().map(str::to_owned).or_else(|| session["customer_email"].as_str().map(str::to_owned)),
        "individual_name": null, "name": pick("name", d.and_then(|d| d["name"].as_str().map(str::to_owned)).as_ref()),
        "phone": pick("phone", d.and_then(|d| d["phone"].as_str().map(str::to_owned)).as_ref()), "tax_exempt": "none", "tax_ids": [],
    })
}

/// The processors a session's route runs, in order: its `processor_route`,
/// or (test mode only) the built-in `test` route.
async fn route_for(
    state: &AppState,
    scope: &crate::store::Scope,
    session: &Value,
) -> ApiResult<Vec<Arc<dyn Processor>>> {
    Ok(crate::processor::select::processors_for(state, scope, session["processor_route"].as_str()).await??)
}

/// Confirm a Checkout Session with a secret key, or with a publishable key
/// and the session's `client_secret`.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/confirm", operation_id = "PostCheckoutSessionsSessionConfirm",
    request_body(content((ConfirmParams = "application/x-www-form-urlencoded"), (ConfirmParams = "application/json"))),
    tag = "checkout.sessions",
    params(("id" = String, Path, description = "The session id")),
    responses((status = 200, description = "The confirmed session"), (status = 302, description = "With redirect=true"),
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
    let (lines, breakdown, rest) = includes(call, "");
    expand::validate(&rest)?;
    let now = state.now();
    let obj = resource::find(&state, call, KIND, "checkout.session", &id).await?;
    let confirmation = check(&p, call, &obj.doc)?;
    session::require_open(&obj.doc, now, "confirmed").map_err(not_open)?;
    crate::domain::session_refusals::payable(&obj.doc)?;
    // A payment to be charged needs a route that can charge it (in live
    // mode, a real processor): refused before anything is written.
    if obj.doc["mode"] != "setup" && !matches!(confirmation, Confirmation::NoPayment) {
        route_for(&state, &call.scope(), &obj.doc).await?;
    }
    if session::confirming(&obj.doc, now) {
        return Err(in_progress());
    }
    collect::check_attempts(&obj.doc, now)?;
    // The buyer's shipping choice changes what is charged.
    let mut obj = obj;
    collect::apply(
        &mut obj.doc,
        collect::Given {
            shipping: p.shipping_details.as_ref(),
            billing_address: p.customer_details.as_ref().is_some_and(|d| d.address.is_some())
                || p.payment_method_data
                    .as_ref()
                    .is_some_and(|d| d.billing_details.as_ref().is_some_and(|b| b.address.is_some())),
            phone: p
                .customer_details
                .as_ref()
                .is_some_and(|d| d.phone.as_deref().is_some_and(|x| !x.trim().is_empty())),
            saved_method: p.payment_method.is_some(),
        },
    )?;
    // Required custom fields are checked now, not at create.
    obj.doc["custom_fields"] =
        crate::domain::custom_fields::fill(&obj.doc["custom_fields"], &p.custom_fields.clone().unwrap_or_default())?;
    if let Some(a) = p.amount {
        super::session_custom::set(&state, call, &mut obj.doc, a, now).await?;
    }
    if let Some(code) = &p.promotion_code {
        super::session_discounts::enter_code(&state, call, &mut obj.doc, code, now).await?;
    }
    if let Some(rate) = &p.shipping_rate {
        super::session_shipping::chosen_at_confirm(&state, call, &mut obj.doc, rate).await?;
    }
    // Whatever changed the amounts since the code was entered, it must
    // still qualify when the money moves.
    super::session_discounts::recheck_minimum(&state, &call.scope(), &obj.doc).await?;
    // Stripe's charge limits, blaming the last change sent (else the items).
    let (amount, code, rate) = (p.amount.is_some(), p.promotion_code.is_some(), p.shipping_rate.is_some());
    let changed = [("line_items", true), ("amount", amount), ("promotion_code", code), ("shipping_rate", rate)];
    super::session_amounts::check_changed(&obj.doc, &changed)?;
    let setup = obj.doc["mode"] == "setup";
    let customer = obj.doc["customer"].as_str().map(str::to_owned);
    let chosen = payment_method_input::choose(
        &state,
        call,
        p.payment_method.as_deref(),
        p.payment_method_data.as_ref(),
        customer.as_deref(),
        now,
    )
    .await?;
    let terms = Terms {
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
    };
    let ctx = Ctx { state: &state, origin: Origin::api(call), terms, now, lines, breakdown, rest: &rest };
    match (confirmation, setup) {
        (_, true) => {
            let chosen = chosen.ok_or_else(|| ApiError::missing_param("payment_method"))?;
            ctx.finish(&obj.doc, obj.version, Finish::Setup(chosen)).await
        }
        (Confirmation::NoPayment, false) => ctx.finish(&obj.doc, obj.version, Finish::NoPayment(chosen)).await,
        (Confirmation::ChargeWhenDue, false) => {
            let Some(cus) = &customer else {
                return Err(ApiError::invalid(
                    "parameter_invalid",
                    "confirmation",
                    "`charge_when_due` needs a session with a `customer` that has a saved payment method.",
                ));
            };
            let chosen = match chosen {
                Some(c) if c.changes.is_empty() => c,
                Some(_) => {
                    return Err(ApiError::invalid(
                        "parameter_invalid",
                        "payment_method",
                        "`charge_when_due` needs a payment method already saved to the customer.",
                    ))
                }
                None => latest_saved(&state, call, cus, now).await?,
            };
            ctx.finish(&obj.doc, obj.version, Finish::WhenDue(chosen)).await
        }
        (Confirmation::ChargeImmediately, false) => {
            let chosen = chosen.ok_or_else(|| ApiError::missing_param("payment_method"))?;
            ctx.charge(&obj.doc, obj.version, chosen, false).await
        }
    }
}

async fn latest_saved(state: &AppState, call: &Call, customer: &str, now: i64) -> ApiResult<Chosen> {
    let q = crate::store::ListQuery {
        kind: crate::domain::payment_method::KIND.into(),
        filters: vec![("customer".into(), customer.to_owned())],
        created: Default::default(),
        cursor: None,
        limit: 1,
        any_of: Vec::new(),
    };
    let pm = state.store.list_objects(&call.scope(), &q).await?.items.into_iter().next().ok_or_else(|| {
        ApiError::invalid(
            "parameter_invalid",
            "payment_method",
            "`charge_when_due` needs a payment method already saved to the customer.",
        )
    })?;
    payment_method_input::choose(state, call, Some(&pm.id), None, Some(customer), now)
        .await?
        .ok_or_else(ApiError::internal)
}

/// How a confirm ends. Intents carry the version their next update expects.
enum Finish {
    Paid {
        chosen: Chosen,
        intent: (Value, i64),
    },
    /// The processor's answer is not known yet: the session stays held.
    Pending {
        chosen: Chosen,
        intent: (Value, i64),
    },
    Declined {
        chosen: Chosen,
        intent: (Value, i64),
        error: ApiError,
    },
    WhenDue(Chosen),
    NoPayment(Option<Chosen>),
    Setup(Chosen),
}

struct Ctx<'a> {
    state: &'a AppState,
    origin: Origin<'a>,
    terms: Terms,
    now: i64,
    lines: bool,
    breakdown: bool,
    rest: &'a [String],
}

mod collect;
mod complete;
mod origin;
pub mod pending;
pub mod redeem;
mod route_run;
mod save;
mod steps;
pub mod three_ds;

pub use origin::{Origin, Terms};
