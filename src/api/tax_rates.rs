//! `/v1/tax_rates`: create, retrieve, update, list.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::extract::Call;
use super::resource::{self, Updater};
use super::{expand, list};
use crate::domain::event;
use crate::domain::ids::new_id;
use crate::domain::tax_rate::{self, TaxRateParams, KIND};
use crate::error::{ApiError, ApiResult};
use crate::store::Change;
use crate::AppState;

/// Create a tax rate.
#[utoipa::path(post, path = "/v1/tax_rates", operation_id = "PostTaxRates", request_body(content((TaxRateParams = "application/x-www-form-urlencoded"), (TaxRateParams = "application/json"))),
    tag = "taxes", responses((status = 200, description = "The new tax rate")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: TaxRateParams = call.parse()?;
    expand::validate(&call.expand)?;
    let now = state.now();
    let id = new_id("txr");
    let doc = tax_rate::build(&id, call.auth.livemode, now, &p)?;
    let shown = tax_rate::render(&doc, now);
    let evt = event::build(&call.event_ctx(now), "tax_rate.created", &shown, None);
    let change = Change::Insert { id, kind: KIND.into(), created: now, tags: tax_rate::tags(&doc), doc };
    call.commit(&state, vec![change], vec![evt], StatusCode::OK, shown).await
}

/// Retrieve a tax rate.
#[utoipa::path(get, path = "/v1/tax_rates/{id}", operation_id = "GetTaxRatesTaxRate", tag = "taxes", params(("id" = String, Path, description = "txr_…")),
    responses((status = 200, description = "The tax rate"), (status = 404, description = "No such tax_rate")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    let obj = resource::find(&state, &call, KIND, "tax_rate", &id).await?;
    Ok(Json(tax_rate::render(&obj.doc, state.now())))
}

/// Update a tax rate (its percentage and inclusivity never change).
#[utoipa::path(post, path = "/v1/tax_rates/{id}", operation_id = "PostTaxRatesTaxRate", request_body(content((TaxRateParams = "application/x-www-form-urlencoded"), (TaxRateParams = "application/json"))),
    tag = "taxes", params(("id" = String, Path, description = "txr_…")),
    responses((status = 200, description = "The tax rate"), (status = 404, description = "No such tax_rate")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: TaxRateParams = call.parse()?;
    if p.percentage.is_some() {
        return Err(ApiError::unknown_param("percentage"));
    }
    if p.inclusive.is_some() {
        return Err(ApiError::unknown_param("inclusive"));
    }
    let u = Updater {
        kind: KIND,
        what: "tax_rate",
        event: "tax_rate.updated",
        tags: tax_rate::tags,
        render: Some(tax_rate::render),
    };
    resource::update(&state, &call, &id, u, |doc, _| Ok(tax_rate::update(doc, &p)?)).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    active: Option<bool>,
    inclusive: Option<bool>,
}

/// List tax rates, newest first.
#[utoipa::path(get, path = "/v1/tax_rates", operation_id = "GetTaxRates", params(ListFilters), tag = "taxes", responses((status = 200, body = crate::api::schemas::List, description = "A list of tax rates")))]
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
    Ok(Json(list::run(&state, &call, lp, KIND, "tax_rate", filters, |d| tax_rate::render(&d, now)).await?)
        .into_response())
}
