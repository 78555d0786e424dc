//! `/v1/events`: list (by `type` with a `*` wildcard, `types[]`, `created`,
//! `delivery_success`), retrieve, and resend to one or every endpoint.

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
use crate::domain::document::Document;
use crate::domain::event::Event;
use crate::domain::webhook_delivery::{self as delivery, WebhookDelivery};
use crate::domain::{webhook, webhook_endpoint};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::fanout;
use crate::store::{Change, Tag};
use crate::AppState;

/// Retrieve an event.
#[utoipa::path(get, path = "/v1/events/{id}", operation_id = "GetEventsId", tag = "events", params(("id" = String, Path, description = "The event id")),
    responses((status = 200, body = Event, description = "The event"), (status = 404, description = "No such event")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let (evt, _) = resource::find_typed::<Event>(&state, &call, "event", &id).await?;
    Ok(Json(resource::respond(&state, &call, evt.wire()).await?))
}

fn text(v: Value, param: &str) -> ApiResult<String> {
    match v {
        Value::String(s) if !s.is_empty() && s.len() <= 100 => Ok(s),
        _ => Err(ApiError::invalid("parameter_invalid_string", param, format!("Invalid {param}: an event type."))),
    }
}

/// `checkout.session.*` is a group; `*` is everything; else one type.
fn type_tag(t: &str) -> Option<Tag> {
    match t {
        "*" => None,
        g if g.ends_with(".*") => Some(("type_group".into(), g.to_owned())),
        t => Some(("type".into(), t.to_owned())),
    }
}

/// List events, newest first.
#[utoipa::path(get, path = "/v1/events", operation_id = "GetEvents", tag = "events", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of events")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let mut filters = Vec::new();
    let mut any = Vec::new();
    let map =
        call.params.as_object_mut().ok_or_else(|| ApiError::bad_request("parameter_invalid", "Invalid parameters."))?;
    let one = map.remove("type").map(|v| text(v, "type")).transpose()?;
    let many = match map.remove("types") {
        None => None,
        Some(Value::Array(a)) => Some(a),
        Some(Value::Object(o)) => Some(o.into_iter().map(|(_, v)| v).collect()),
        Some(_) => {
            return Err(ApiError::invalid("parameter_invalid", "types", "Invalid types: an array of event types."))
        }
    };
    let delivery = map.remove("delivery_success");
    match (one, many) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "parameters_exclusive",
                "types",
                "You may only specify one of these parameters: type, types.",
            ))
        }
        (Some(t), None) => filters.extend(type_tag(&t)),
        (None, Some(ts)) => {
            if ts.is_empty() || ts.len() > 20 {
                return Err(ApiError::invalid("parameter_invalid", "types", "Give 1 to 20 event types."));
            }
            for (i, t) in ts.into_iter().enumerate() {
                let t = text(t, &format!("types[{i}]"))?;
                match type_tag(&t) {
                    Some(tag) => any.push(tag),
                    // `*` among others matches everything.
                    None => {
                        any.clear();
                        break;
                    }
                }
            }
        }
        (None, None) => {}
    }
    if let Some(d) = delivery {
        let ok = match d {
            Value::Bool(b) => b,
            Value::String(s) if s == "true" || s == "false" => s == "true",
            _ => return Err(ApiError::invalid("parameter_invalid_boolean", "delivery_success", "Invalid boolean.")),
        };
        filters.push(("delivery_success".into(), ok.to_string()));
    }
    call.no_params()?;
    let body = list::run_body(
        &state,
        &call,
        lp,
        list::Listing::new(Event::KIND, "event", filters).any_of(any),
        list::stored_text,
    )
    .await?;
    Ok(body.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ResendParams {
    webhook_endpoint: Option<String>,
}

/// Send an event again now: to `webhook_endpoint`, or to every enabled
/// endpoint that takes its type. Answers with the event.
#[utoipa::path(post, path = "/v1/events/{id}/resend", operation_id = "PostEventsIdResend", request_body(content((ResendParams = "application/x-www-form-urlencoded"), (ResendParams = "application/json"))),
    tag = "events", params(("id" = String, Path, description = "The event id")),
    responses((status = 200, body = Event, description = "The event, with its deliveries queued")))]
pub async fn resend(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: ResendParams = call.parse()?;
    expand::validate(&call.expand)?;
    retry_on_conflict(|| async {
        let (mut evt, version) = resource::find_typed::<Event>(&state, &call, "event", &id).await?;
        let kind = evt.kind.clone();
        let targets: Vec<String> = match &p.webhook_endpoint {
            Some(we) => {
                let at = resource::IdParam { id: we, param: "webhook_endpoint" };
                let ep = resource::find_param(&state, &call, webhook_endpoint::KIND, "webhook endpoint", at).await?;
                if ep.deleted || ep.doc()?["status"] != "enabled" {
                    return Err(ApiError::invalid(
                        "parameter_invalid",
                        "webhook_endpoint",
                        "This webhook endpoint is disabled.",
                    ));
                }
                vec![ep.id]
            }
            None => {
                let found = state.store.list_objects(&call.scope(), &fanout::enabled_endpoints()).await?.items;
                let endpoints = fanout::decode(&found)?;
                endpoints.into_iter().filter(|ep| webhook::wants(&ep.enabled_events, &kind)).map(|ep| ep.id).collect()
            }
        };
        if targets.is_empty() {
            return Err(ApiError::bad_request(
                "no_webhook_endpoint",
                "No enabled webhook endpoint takes this event's type.",
            ));
        }
        let now = state.now();
        let mut changes: Vec<Change> = targets
            .iter()
            .map(|we| Change::insert(&delivery::build(&new_id(WebhookDelivery::PREFIX), now, we, &id, &kind)))
            .collect::<Result<_, _>>()?;
        evt.pending_webhooks = evt.pending_webhooks.saturating_add(i64::try_from(targets.len()).unwrap_or(0));
        changes.push(Change::update(&evt, version)?);
        answer::commit(&state, &call, answer::Writes { changes, events: vec![] }, StatusCode::OK, evt.wire()).await
    })
    .await
}
