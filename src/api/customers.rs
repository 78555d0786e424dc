//! `/v1/customers`: create, retrieve, update, delete, list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::api::plumbing::answer::{self, Body};
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call, FreshCall};
use crate::api::plumbing::list;
use crate::api::plumbing::resource::{self, Names};
use crate::domain::customer::{self, Customer, CustomerParams};
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::fields::FieldError;
use crate::error::{ApiError, ApiResult};
use crate::ids::{new_id, random_base62};
use crate::store::{Change, StoredObject};
use crate::AppState;

const KIND: &str = "customer";

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid(e.code, e.param, e.message)
    }
}

async fn find(state: &AppState, call: &Call, id: &str) -> ApiResult<StoredObject> {
    state
        .store
        .get_object(&call.scope(), id)
        .await?
        .filter(|o| o.kind == KIND)
        .ok_or_else(|| ApiError::no_such("customer", id, None))
}

/// A payment method named by the params must exist in the caller's scope.
async fn check_references(state: &AppState, call: &Call, p: &CustomerParams) -> ApiResult<()> {
    if let Some(Some(pm)) = p.invoice_settings.as_ref().and_then(|s| s.default_payment_method.as_ref()) {
        let found = state.store.get_object(&call.scope(), pm).await?.filter(|o| o.kind == "payment_method");
        if found.is_none() {
            return Err(ApiError::no_such("PaymentMethod", pm, Some("invoice_settings[default_payment_method]"))
                .with_status_400());
        }
    }
    Ok(())
}

async fn respond(state: &AppState, call: &Call, mut obj: Value) -> ApiResult<Value> {
    expand::apply(state, &call.scope(), &mut obj, &call.expand).await?;
    Ok(obj)
}

/// Create a customer.
#[utoipa::path(post, path = "/v1/customers", operation_id = "PostCustomers", request_body(content((CustomerParams = "application/x-www-form-urlencoded"), (CustomerParams = "application/json"))),
    tag = "customers",
    responses((status = 200, body = Customer, description = "The new customer object")))]
pub async fn create(State(state): State<AppState>, call: FreshCall) -> ApiResult<Response> {
    call.run(&state, |call| create_fresh(&state, call)).await
}

/// Reads only, then the commit (`FreshCall`).
async fn create_fresh(state: &AppState, mut call: Call) -> ApiResult<Response> {
    let p: CustomerParams = call.parse()?;
    expand::validate(&call.expand)?;
    check_references(state, &call, &p).await?;
    let prefix = random_base62(8).to_uppercase();
    let customer = Customer::create(&new_id(Customer::PREFIX), call.auth.livemode, state.now(), &prefix, &p)?;
    resource::create_typed(state, &call, &customer, "customer.created").await
}

/// Retrieve a customer. A deleted customer answers `{id, object, deleted: true}`.
#[utoipa::path(get, path = "/v1/customers/{id}", operation_id = "GetCustomersCustomer", tag = "customers",
    params(("id" = String, Path, description = "The customer id")),
    responses((status = 200, description = "The customer object"), (status = 404, description = "No such customer")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Body> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let obj = find(&state, &call, &id).await?;
    // The stored document is the wire form: sent as stored, unless expanded.
    if obj.deleted || call.expand.is_empty() {
        return Body::stored(obj.raw()?.to_owned(), &obj.id);
    }
    Ok(Body::Tree(respond(&state, &call, obj.doc()?).await?))
}

/// Update a customer; parameters not sent are left unchanged.
#[utoipa::path(post, path = "/v1/customers/{id}", operation_id = "PostCustomersCustomer", request_body(content((CustomerParams = "application/x-www-form-urlencoded"), (CustomerParams = "application/json"))),
    tag = "customers",
    params(("id" = String, Path, description = "The customer id")),
    responses((status = 200, body = Customer, description = "The updated customer object"), (status = 404, description = "No such customer")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: CustomerParams = call.parse()?;
    expand::validate(&call.expand)?;
    check_references(&state, &call, &p).await?;
    let names = Names { what: "customer", event: "customer.updated" };
    resource::update_typed(&state, &call, &id, names, |c: &Customer, _| Ok(c.apply(&p)?)).await
}

/// Delete a customer.
#[utoipa::path(delete, path = "/v1/customers/{id}", operation_id = "DeleteCustomersCustomer", tag = "customers",
    params(("id" = String, Path, description = "The customer id")),
    responses((status = 200, body = crate::api::plumbing::schemas::Deleted, description = "`{id, object, deleted: true}`"), (status = 404, description = "No such customer")))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Response> {
    call.no_params()?;
    retry_on_conflict(|| async {
        let obj = find(&state, &call, &id).await?;
        if obj.deleted {
            return Err(ApiError::no_such("customer", &id, None));
        }
        let now = state.now();
        let evt = event::build(&call.event_ctx(now), "customer.deleted", &obj.doc()?, None);
        let stub = customer::deleted(&id);
        let change = Change::Delete { id: id.clone(), expected_version: obj.version, doc: stub.to_string() };
        answer::commit(&state, &call, answer::Writes { changes: vec![change], events: vec![evt] }, StatusCode::OK, stub)
            .await
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    /// Only customers with this exact email.
    email: Option<String>,
}

/// List customers, newest first; `email` filters by exact address.
#[utoipa::path(get, path = "/v1/customers", operation_id = "GetCustomers", params(ListFilters), tag = "customers",
    responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of customers")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let filters = f.email.map(|e| vec![("email".to_owned(), e)]).unwrap_or_default();
    let body =
        list::run_body(&state, &call, lp, list::Listing::new(KIND, "customer", filters), list::stored_text).await?;
    Ok(body.into_response())
}
