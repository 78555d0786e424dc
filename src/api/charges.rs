//! `/v1/charges`: the charge each card payment attempt made (reference §3),
//! recorded in the commit that settles its PaymentIntent.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::api::plumbing::list;
use crate::api::plumbing::resource;
use crate::domain::charge::{Charge, KIND};
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::fields::max_len;
use crate::domain::product::merge_metadata;
use crate::engine::charges::current;
use crate::error::ApiResult;
use crate::store::{Change, StoreError};
use crate::AppState;

/// Retrieve a charge.
#[utoipa::path(get, path = "/v1/charges/{id}", operation_id = "GetChargesCharge", tag = "payments", params(("id" = String, Path, description = "ch_…")),
    responses((status = 200, body = Charge, description = "The charge"), (status = 404, description = "No such charge")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let (ch, _) = resource::find_typed::<Charge>(&state, &call, "charge", &id).await?;
    let ch = current(&state, &call.scope(), ch).await?;
    Ok(Json(resource::respond(&state, &call, ch.wire()).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListFilters {
    customer: Option<String>,
    payment_intent: Option<String>,
}

/// List charges, newest first (`customer`, `payment_intent`, `created`).
#[utoipa::path(get, path = "/v1/charges", operation_id = "GetCharges", params(ListFilters), tag = "payments", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of charges")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let f: ListFilters = call.parse()?;
    let filters: Vec<(String, String)> = [("customer", f.customer), ("payment_intent", f.payment_intent)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect();
    // Each charge reads as it is now before anything in it is expanded.
    expand::validate(&call.expand)?;
    let paths = std::mem::take(&mut call.expand);
    let mut body = list::run(&state, &call, lp, list::Listing::new(KIND, "charge", filters), list::stored).await?;
    let scope = call.scope();
    if let Some(items) = body["data"].as_array_mut() {
        for item in items.iter_mut() {
            let ch: Charge = serde_json::from_value(std::mem::take(item))
                .map_err(|e| StoreError::Backend(format!("a stored charge does not decode: {e}")))?;
            *item = current(&state, &scope, ch).await?.wire();
        }
        expand::apply_to_list(&state, &scope, items, &paths).await?;
    }
    Ok(Json(body).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ChargeUpdateParams)]
#[serde(deny_unknown_fields)]
struct UpdateParams {
    description: Option<String>,
    metadata: Option<std::collections::BTreeMap<String, Option<String>>>,
}

/// Update a charge's `description` and `metadata`.
#[utoipa::path(post, path = "/v1/charges/{id}", operation_id = "PostChargesCharge", request_body(content((UpdateParams = "application/x-www-form-urlencoded"), (UpdateParams = "application/json"))),
    tag = "payments", params(("id" = String, Path, description = "ch_…")),
    responses((status = 200, body = Charge, description = "The updated charge"), (status = 404, description = "No such charge")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: UpdateParams = call.parse()?;
    expand::validate(&call.expand)?;
    if let Some(d) = &p.description {
        max_len("description", d, 1000)?;
    }
    let (state, call) = (&state, &call);
    retry_on_conflict(|| async {
        let (stored, version) = resource::find_typed::<Charge>(state, call, "charge", &id).await?;
        let now = state.now();
        let mut next = stored.clone();
        next.metadata = merge_metadata(&stored.metadata, &p.metadata.clone().map(Some), "")?;
        if let Some(d) = &p.description {
            next.description = Some(d.clone());
        }
        let shown = current(state, &call.scope(), next.clone()).await?.wire();
        let events = if next == stored {
            Vec::new()
        } else {
            let before = current(state, &call.scope(), stored).await?.wire();
            vec![event::build(&call.event_ctx(now), "charge.updated", &shown, Some(&before))]
        };
        let body = resource::respond(state, call, shown).await?;
        answer::commit(
            state,
            call,
            answer::Writes { changes: vec![Change::update(&next, version)?], events },
            StatusCode::OK,
            body,
        )
        .await
    })
    .await
}
