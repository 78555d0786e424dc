//! `/v1/tax_rates`: create, retrieve, update, list.

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
use crate::domain::tax_rate::{self, TaxRate, TaxRateParams, KIND};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::AppState;

/// Create a tax rate.
#[utoipa::path(post, path = "/v1/tax_rates", operation_id = "PostTaxRates", request_body(content((TaxRateParams = "application/x-www-form-urlencoded"), (TaxRateParams = "application/json"))),
    tag = "taxes", responses((status = 200, body = TaxRate, description = "The new tax rate")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: TaxRateParams = call.parse()?;
    expand::validate(&call.expand)?;
    let rate = tax_rate::build(&new_id(TaxRate::PREFIX), call.auth.livemode, state.now(), &p)?;
    resource::create_typed(&state, &call, &rate, "tax_rate.created").await
}

/// Retrieve a tax rate.
#[utoipa::path(get, path = "/v1/tax_rates/{id}", operation_id = "GetTaxRatesTaxRate", tag = "taxes", params(("id" = String, Path, description = "txr_…")),
    responses((status = 200, body = TaxRate, description = "The tax rate"), (status = 404, description = "No such tax_rate")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    let (rate, _) = resource::find_typed::<TaxRate>(&state, &call, "tax_rate", &id).await?;
    Ok(Json(rate.wire()))
}

/// Update a tax rate (its percentage and inclusivity never change).
#[utoipa::path(post, path = "/v1/tax_rates/{id}", operation_id = "PostTaxRatesTaxRate", request_body(content((TaxRateParams = "application/x-www-form-urlencoded"), (TaxRateParams = "application/json"))),
    tag = "taxes", params(("id" = String, Path, description = "txr_…")),
    responses((status = 200, body = TaxRate, description = "The tax rate"), (status = 404, description = "No such tax_rate")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: TaxRateParams = call.parse()?;
    if p.percentage.is_some() {
        return Err(ApiError::unknown_param("percentage"));
    }
    if p.inclusive.is_some() {
        return Err(ApiError::unknown_param("inclusive"));
    }
    let names = Names { what: "tax_rate", event: "tax_rate.updated" };
    resource::update_typed(&state, &call, &id, names, |rate: &TaxRate, _| Ok(tax_rate::update(rate, &p)?)).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    active: Option<bool>,
    inclusive: Option<bool>,
}

/// List tax rates, newest first.
#[utoipa::path(get, path = "/v1/tax_rates", operation_id = "GetTaxRates", params(ListFilters), tag = "taxes", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of tax rates")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let mut filters = Vec::new();
    if let Some(a) = f.active {
        filters.push(("active".to_owned(), a.to_string()));
    }
    if let Some(i) = f.inclusive {
        filters.push(("inclusive".to_owned(), i.to_string()));
    }
    let now = state.now();
    Ok(Json(
        list::run(&state, &call, lp, list::Listing::new(KIND, "tax_rate", filters), |o| {
            Ok(tax_rate::render(&o.doc()?, now))
        })
        .await?,
    )
    .into_response())
}
