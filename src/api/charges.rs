//! `/v1/charges`: the charge each card payment attempt made (reference §3),
//! recorded in the commit that settles its PaymentIntent.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::api::plumbing::list;
use crate::api::plumbing::resource;
use crate::domain::charge::{self, KIND};
use crate::domain::event;
use crate::domain::fields::max_len;
use crate::engine::charges::current;
use crate::error::ApiResult;
use crate::store::Change;
use crate::AppState;

/// Retrieve a charge.
#[utoipa::path(get, path = "/v1/charges/{id}", operation_id = "GetChargesCharge", tag = "payments", params(("id" = String, Path, description = "ch_…")),
    responses((status = 200, description = "The charge"), (status = 404, description = "No such charge")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let obj = resource::find(&state, &call, KIND, "charge", &id).await?;
    let doc = current(&state, &call.scope(), obj.doc).await?;
    Ok(Json(resource::respond(&state, &call, doc).await?))
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
    let mut body = list::run(&state, &call, lp, KIND, "charge", filters, |d| d).await?;
    if let Some(items) = body["data"].as_array_mut() {
        for item in items.iter_mut() {
            *item = current(&state, &call.scope(), std::mem::take(item)).await?;
        }
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
    responses((status = 200, description = "The updated charge"), (status = 404, description = "No such charge")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: UpdateParams = call.parse()?;
    expand::validate(&call.expand)?;
    if let Some(d) = &p.description {
        max_len("description", d, 1000)?;
    }
    let (state, call) = (&state, &call);
    retry_on_conflict(|| async {
        let obj = resource::find(state, call, KIND, "charge", &id).await?;
        let now = state.now();
        let mut doc = resource::with_active_and_metadata(&obj.doc, None, &p.metadata)?;
        if let Some(d) = &p.description {
            doc["description"] = json!(d);
        }
        let shown = current(state, &call.scope(), doc.clone()).await?;
        let events = if doc == obj.doc {
            Vec::new()
        } else {
            let before = current(state, &call.scope(), obj.doc.clone()).await?;
            vec![event::build(&call.event_ctx(now), "charge.updated", &shown, Some(&before))]
        };
        let body = resource::respond(state, call, shown).await?;
        let change = Change::Update { id: id.clone(), expected_version: obj.version, tags: charge::tags(&doc), doc };
        call.commit(state, vec![change], events, StatusCode::OK, body).await
    })
    .await
}
