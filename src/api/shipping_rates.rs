//! `/v1/shipping_rates`: create, retrieve, update (active, metadata), list.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::api::plumbing::expand;
use crate::api::plumbing::extract::Call;
use crate::api::plumbing::list;
use crate::api::plumbing::resource::{self, Names};
use crate::domain::document::Document;
use crate::domain::shipping_rate::{self, ShippingRate, ShippingRateParams, KIND};
use crate::error::ApiResult;
use crate::ids::new_id;
use crate::AppState;

/// Create a shipping rate.
#[utoipa::path(post, path = "/v1/shipping_rates", operation_id = "PostShippingRates", request_body(content((ShippingRateParams = "application/x-www-form-urlencoded"), (ShippingRateParams = "application/json"))),
    tag = "shipping", responses((status = 200, body = ShippingRate, description = "The new shipping rate")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: ShippingRateParams = call.parse()?;
    expand::validate(&call.expand)?;
    let rate = shipping_rate::build(&new_id(ShippingRate::PREFIX), call.auth.livemode, state.now(), &p, "")?;
    resource::create_typed(&state, &call, &rate, "shipping_rate.created").await
}

/// Retrieve a shipping rate.
#[utoipa::path(get, path = "/v1/shipping_rates/{id}", operation_id = "GetShippingRatesShippingRateToken", tag = "shipping", params(("id" = String, Path, description = "shr_…")),
    responses((status = 200, body = ShippingRate, description = "The shipping rate"), (status = 404, description = "No such shipping_rate")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    let (rate, _) = resource::find_typed::<ShippingRate>(&state, &call, "shipping_rate", &id).await?;
    Ok(Json(rate.wire()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ShippingRateUpdateParams)]
#[serde(deny_unknown_fields)]
struct UpdateParams {
    active: Option<bool>,
    metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Turn a shipping rate on or off, or change its metadata.
#[utoipa::path(post, path = "/v1/shipping_rates/{id}", operation_id = "PostShippingRatesShippingRateToken", request_body(content((UpdateParams = "application/x-www-form-urlencoded"), (UpdateParams = "application/json"))),
    tag = "shipping", params(("id" = String, Path, description = "shr_…")),
    responses((status = 200, body = ShippingRate, description = "The shipping rate"), (status = 404, description = "No such shipping_rate")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: UpdateParams = call.parse()?;
    let names = Names { what: "shipping_rate", event: "shipping_rate.updated" };
    resource::update_typed(&state, &call, &id, names, |rate: &ShippingRate, _| {
        Ok(shipping_rate::update(rate, p.active, &p.metadata)?)
    })
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    active: Option<bool>,
}

/// List shipping rates, newest first.
#[utoipa::path(get, path = "/v1/shipping_rates", operation_id = "GetShippingRates", params(ListFilters), tag = "shipping", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of shipping rates")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let filters = f.active.map(|a| vec![("active".to_owned(), a.to_string())]).unwrap_or_default();
    Ok(Json(list::run(&state, &call, lp, list::Listing::new(KIND, "shipping_rate", filters), list::stored).await?)
        .into_response())
}
