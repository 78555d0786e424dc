//! `/v1/processor_routes`: ordered fallback chains of processors (seed 000).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::Call;
use crate::api::plumbing::list;
use crate::api::plumbing::resource;
use crate::domain::document::Document;
use crate::domain::event;
use crate::domain::outbound::UrlPolicy;
use crate::domain::processor_route::{self, ProcessorRoute, RouteParams, BUILTIN, KIND};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::processor::select::{self, NoRoute};
use crate::store::Change;
use crate::AppState;

/// Create a processor route.
#[utoipa::path(post, path = "/v1/processor_routes", operation_id = "PostProcessorRoutes", request_body(content((RouteParams = "application/x-www-form-urlencoded"), (RouteParams = "application/json"))),
    tag = "processor_routes",
    responses((status = 200, body = ProcessorRoute, description = "The new route"), (status = 400, description = "No processors, or a bad url")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: RouteParams = call.parse()?;
    expand::validate(&call.expand)?;
    let now = state.now();
    let urls = UrlPolicy::for_mode(call.auth.livemode, state.cfg.allow_private_outbound);
    let route = processor_route::build(&new_id(ProcessorRoute::PREFIX), call.auth.livemode, now, &p, urls)?;
    let shown = route.wire();
    let evt = event::build(&call.event_ctx(now), "processor_route.created", &shown, None);
    answer::commit(
        &state,
        &call,
        answer::Writes { changes: vec![Change::insert(&route)?], events: vec![evt] },
        StatusCode::OK,
        shown,
    )
    .await
}

/// Checks that a session (or a cascade tier) may name route `id` under
/// `param`: it exists, and in live mode it is not, and holds no, `test`.
pub async fn check_usable(state: &AppState, call: &Call, id: &str, param: &str) -> ApiResult<()> {
    let refused = |e: NoRoute| ApiError::from(e).with_param(param);
    select::check_named(Some(id), call.auth.livemode).map_err(refused)?;
    if id == BUILTIN {
        return Ok(());
    }
    let found = resource::find_param(state, call, KIND, "processor route", resource::IdParam { id, param }).await?;
    let route =
        found.decode::<ProcessorRoute>()?.ok_or_else(|| ApiError::no_such("processor route", id, Some(param)))?;
    if call.auth.livemode && route.has_test() {
        return Err(refused(NoRoute::LiveRouteHasTest(id.to_owned())));
    }
    Ok(())
}

/// Retrieve a processor route; `test` is the built-in one (test mode only).
#[utoipa::path(get, path = "/v1/processor_routes/{id}", operation_id = "GetProcessorRoutesProcessorRoute", tag = "processor_routes",
    params(("id" = String, Path, description = "prt_… or test")),
    responses((status = 200, body = ProcessorRoute, description = "The route"), (status = 404, description = "No such processor route")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    if id == BUILTIN && !call.auth.livemode {
        return Ok(Json(processor_route::builtin(false).wire()));
    }
    let (route, _) = resource::find_typed::<ProcessorRoute>(&state, &call, "processor route", &id).await?;
    Ok(Json(route.wire()))
}

/// List processor routes, newest first (in test mode the built-in `test`
/// route is implied).
#[utoipa::path(get, path = "/v1/processor_routes", operation_id = "GetProcessorRoutes", tag = "processor_routes", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of routes")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    call.no_params()?;
    let body =
        list::run(&state, &call, lp, list::Listing::new(KIND, "processor route", Vec::new()), list::stored).await?;
    Ok(Json(body).into_response())
}
