//! Read endpoints for what confirming creates: PaymentIntents,
//! PaymentMethods, SetupIntents and Contracts.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::api::plumbing::answer::Body;
use crate::api::plumbing::extract::Call;
use crate::api::plumbing::list;
use crate::api::plumbing::resource;
use crate::domain::contract::Contract;
use crate::domain::document::Document;
use crate::domain::payment_intent::PaymentIntent;
use crate::domain::payment_method::PaymentMethod;
use crate::domain::setup_intent::SetupIntent;
use crate::error::ApiResult;
use crate::store::StoreError;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByCustomer {
    customer: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    checkout_session: Option<String>,
    status: Option<String>,
}

/// The list of `kind` objects, as stored.
async fn list_body(state: &AppState, mut call: Call, kind: &str, what: &str, allowed: &[&str]) -> ApiResult<Value> {
    let lp = list::take(&mut call.params)?;
    let f: ByCustomer = call.parse()?;
    let mut filters = Vec::new();
    for (name, v) in
        [("customer", f.customer), ("type", f.kind), ("checkout_session", f.checkout_session), ("status", f.status)]
    {
        if let Some(v) = v {
            if !allowed.contains(&name) {
                return Err(crate::error::ApiError::unknown_param(name));
            }
            filters.push((name.to_owned(), v));
        }
    }
    list::run(state, &call, lp, list::Listing::new(kind, what, filters), list::stored).await
}

/// `list_kind` for a typed object: each item decodes and shows its wire
/// form before anything in it is expanded.
async fn list_typed<D: Document>(
    state: &AppState,
    mut call: Call,
    what: &str,
    allowed: &[&str],
) -> ApiResult<Response> {
    crate::api::plumbing::expand::validate(&call.expand)?;
    let paths = std::mem::take(&mut call.expand);
    let scope = call.scope();
    let mut body = list_body(state, call, D::KIND, what, allowed).await?;
    if let Some(items) = body["data"].as_array_mut() {
        for item in items.iter_mut() {
            let obj: D = serde_json::from_value(std::mem::take(item))
                .map_err(|e| StoreError::Backend(format!("a stored {} does not decode: {e}", D::KIND)))?;
            *item = obj.wire();
        }
        crate::api::plumbing::expand::apply_to_list(state, &scope, items, &paths).await?;
    }
    Ok(Json(body).into_response())
}

/// Retrieve a PaymentIntent, with its processor attempts.
#[utoipa::path(get, path = "/v1/payment_intents/{id}", operation_id = "GetPaymentIntentsIntent", tag = "payments", params(("id" = String, Path, description = "pi_…")),
    responses((status = 200, body = PaymentIntent, description = "The PaymentIntent"), (status = 404, description = "No such payment_intent")))]
pub async fn retrieve_payment_intent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult<Body> {
    resource::retrieve::<PaymentIntent>(&state, &call, "payment_intent", &id).await
}

/// List PaymentIntents (`customer` filter).
#[utoipa::path(get, path = "/v1/payment_intents", operation_id = "GetPaymentIntents", tag = "payments",
    params(("customer" = Option<String>, Query, description = "Only those of this customer")), responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of PaymentIntents")))]
pub async fn list_payment_intents(State(state): State<AppState>, call: Call) -> ApiResult<Response> {
    list_typed::<PaymentIntent>(&state, call, "payment_intent", &["customer"]).await
}

/// Retrieve a PaymentMethod.
#[utoipa::path(get, path = "/v1/payment_methods/{id}", operation_id = "GetPaymentMethodsPaymentMethod", tag = "payments", params(("id" = String, Path, description = "pm_…")),
    responses((status = 200, body = PaymentMethod, description = "The PaymentMethod"), (status = 404, description = "No such PaymentMethod")))]
pub async fn retrieve_payment_method(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult<Body> {
    resource::retrieve::<PaymentMethod>(&state, &call, "PaymentMethod", &id).await
}

/// List PaymentMethods (`customer`, `type` filters).
#[utoipa::path(get, path = "/v1/payment_methods", operation_id = "GetPaymentMethods", tag = "payments",
    params(("customer" = Option<String>, Query, description = "Only those of this customer"), ("type" = Option<String>, Query, description = "Only this type (`card`)")), responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of PaymentMethods")))]
pub async fn list_payment_methods(State(state): State<AppState>, call: Call) -> ApiResult<Response> {
    list_typed::<PaymentMethod>(&state, call, "PaymentMethod", &["customer", "type"]).await
}

/// Retrieve a SetupIntent.
#[utoipa::path(get, path = "/v1/setup_intents/{id}", operation_id = "GetSetupIntentsIntent", tag = "payments", params(("id" = String, Path, description = "seti_…")),
    responses((status = 200, body = SetupIntent, description = "The SetupIntent"), (status = 404, description = "No such setupintent")))]
pub async fn retrieve_setup_intent(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: Call,
) -> ApiResult<Body> {
    resource::retrieve::<SetupIntent>(&state, &call, "setupintent", &id).await
}

/// List SetupIntents (`customer` filter).
#[utoipa::path(get, path = "/v1/setup_intents", operation_id = "GetSetupIntents", tag = "payments",
    params(("customer" = Option<String>, Query, description = "Only those of this customer")), responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of SetupIntents")))]
pub async fn list_setup_intents(State(state): State<AppState>, call: Call) -> ApiResult<Response> {
    list_typed::<SetupIntent>(&state, call, "setupintent", &["customer"]).await
}

/// Retrieve a Contract.
#[utoipa::path(get, path = "/v1/contracts/{id}", operation_id = "GetContractsContract", tag = "payments", params(("id" = String, Path, description = "ctr_…")),
    responses((status = 200, body = Contract, description = "The Contract"), (status = 404, description = "No such contract")))]
pub async fn retrieve_contract(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Body> {
    resource::retrieve::<Contract>(&state, &call, "contract", &id).await
}

/// List Contracts (`customer`, `checkout_session`, `status` filters).
#[utoipa::path(get, path = "/v1/contracts", operation_id = "GetContracts", tag = "payments",
    params(("customer" = Option<String>, Query, description = "Only those of this customer"), ("checkout_session" = Option<String>, Query, description = "Only the one of this session"), ("status" = Option<String>, Query, description = "Only those with this status")), responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of Contracts")))]
pub async fn list_contracts(State(state): State<AppState>, call: Call) -> ApiResult<Response> {
    list_typed::<Contract>(&state, call, "contract", &["customer", "checkout_session", "status"]).await
}
