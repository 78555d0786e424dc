//! `/v1/webhook_endpoints`: create (the only answer with the `secret`),
//! retrieve, update, delete, list, `roll_secret`, and the delivery history.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

use crate::api::plumbing::answer;
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::api::plumbing::list;
use crate::api::plumbing::resource;
use crate::domain::document::Document;
use crate::domain::outbound::UrlPolicy;
use crate::domain::webhook::MAX_ENDPOINTS;
use crate::domain::webhook_delivery::{response_excerpt, WebhookDelivery};
use crate::domain::webhook_endpoint::{self as endpoint, EndpointParams, WebhookEndpoint, KIND};
use crate::error::{ApiError, ApiResult};
use crate::ids::new_id;
use crate::store::{Change, StoredObject};
use crate::AppState;

const WHAT: &str = "webhook endpoint";

/// The answer to a create or a roll: the endpoint with the secret just
/// made, the only answers that ever show one (`shown_with_secret`). A
/// schema only, written by hand: the endpoint's own schema admits no
/// other property, so an `allOf` with it could never hold `secret`.
pub struct WebhookEndpointWithSecret;

impl utoipa::PartialSchema for WebhookEndpointWithSecret {
    fn schema() -> RefOr<Schema> {
        let mut s = <WebhookEndpoint as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(o)) = &mut s {
            let secret =
                ObjectBuilder::new().schema_type(Type::String).description(Some("`whsec_…`: shown this once."));
            o.properties.insert("secret".into(), secret.into());
            o.required.push("secret".into());
            o.description = Some("A webhook endpoint with the signing secret just made.".into());
        }
        s
    }
}

impl utoipa::ToSchema for WebhookEndpointWithSecret {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <WebhookEndpoint as utoipa::ToSchema>::schemas(schemas);
    }
}

/// Live mode: public https only, unless the server allows private outbound.
fn url_policy(state: &AppState, call: &Call) -> UrlPolicy {
    UrlPolicy::for_mode(call.auth.livemode, state.cfg.allow_private_outbound)
}

fn seal(state: &AppState, secret: &str, id: &str) -> ApiResult<String> {
    state.secrets.seal(secret, id).map_err(|_| ApiError::internal())
}

/// Create a webhook endpoint; its `secret` is shown only in this answer.
#[utoipa::path(post, path = "/v1/webhook_endpoints", operation_id = "PostWebhookEndpoints", request_body(content((EndpointParams = "application/x-www-form-urlencoded"), (EndpointParams = "application/json"))),
    tag = "webhooks", responses((status = 200, body = WebhookEndpointWithSecret, description = "The new endpoint, with its secret")))]
pub async fn create(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let p: EndpointParams = call.parse()?;
    expand::validate(&call.expand)?;
    if p.disabled.is_some() {
        return Err(ApiError::unknown_param("disabled"));
    }
    let now = state.now();
    let id = new_id(WebhookEndpoint::PREFIX);
    let mut ep = endpoint::build(&id, call.auth.livemode, now, &p, url_policy(&state, &call))?;
    let q = crate::store::ListQuery {
        kind: KIND.into(),
        filters: vec![],
        any_of: vec![],
        created: Default::default(),
        cursor: None,
        limit: MAX_ENDPOINTS,
    };
    if state.store.list_objects(&call.scope(), &q).await?.has_more {
        return Err(ApiError::bad_request(
            "webhook_endpoints_limit",
            format!("An account may have at most {MAX_ENDPOINTS} webhook endpoints."),
        ));
    }
    let secret = crate::ids::new_webhook_secret();
    ep.roll(seal(&state, &secret, &id)?, now, 0);
    let shown = ep.shown_with_secret(&secret);
    answer::commit(
        &state,
        &call,
        answer::Writes { changes: vec![Change::insert(&ep)?], events: vec![] },
        StatusCode::OK,
        shown,
    )
    .await
}

/// Retrieve a webhook endpoint (never its secret).
#[utoipa::path(get, path = "/v1/webhook_endpoints/{id}", operation_id = "GetWebhookEndpointsWebhookEndpoint", tag = "webhooks", params(("id" = String, Path, description = "The endpoint id")),
    responses((status = 200, body = WebhookEndpoint, description = "The endpoint"), (status = 404, description = "No such webhook endpoint")))]
pub async fn retrieve(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Json<Value>> {
    call.no_params()?;
    let (ep, _) = resource::find_typed::<WebhookEndpoint>(&state, &call, WHAT, &id).await?;
    Ok(Json(ep.wire()))
}

/// Update an endpoint's `url`, `enabled_events`, `description`, `metadata`,
/// or `disabled` (re-enabling clears its failure streak).
#[utoipa::path(post, path = "/v1/webhook_endpoints/{id}", operation_id = "PostWebhookEndpointsWebhookEndpoint", request_body(content((EndpointParams = "application/x-www-form-urlencoded"), (EndpointParams = "application/json"))),
    tag = "webhooks", params(("id" = String, Path, description = "The endpoint id")),
    responses((status = 200, body = WebhookEndpoint, description = "The endpoint"), (status = 404, description = "No such webhook endpoint")))]
pub async fn update(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: EndpointParams = call.parse()?;
    expand::validate(&call.expand)?;
    endpoint::check_update(&p, url_policy(&state, &call))?;
    retry_on_conflict(|| async {
        let (current, version) = resource::find_typed::<WebhookEndpoint>(&state, &call, WHAT, &id).await?;
        let next = endpoint::update(&current, &p)?;
        let shown = next.wire();
        answer::commit(
            &state,
            &call,
            answer::Writes { changes: vec![Change::update(&next, version)?], events: vec![] },
            StatusCode::OK,
            shown,
        )
        .await
    })
    .await
}

/// Delete an endpoint: nothing more is delivered to it.
#[utoipa::path(delete, path = "/v1/webhook_endpoints/{id}", operation_id = "DeleteWebhookEndpointsWebhookEndpoint", tag = "webhooks", params(("id" = String, Path, description = "The endpoint id")),
    responses((status = 200, body = crate::api::plumbing::schemas::Deleted, description = "`{id, object, deleted: true}`"), (status = 404, description = "No such webhook endpoint")))]
pub async fn delete(State(state): State<AppState>, Path(id): Path<String>, call: Call) -> ApiResult<Response> {
    call.no_params()?;
    retry_on_conflict(|| async {
        let (_, version) = resource::find_typed::<WebhookEndpoint>(&state, &call, WHAT, &id).await?;
        // The deleted object keeps only this stub (its sealed secrets go).
        let stub = json!({"id": id, "object": KIND, "deleted": true});
        let change = Change::Delete { id: id.clone(), expected_version: version, doc: stub.to_string() };
        answer::commit(&state, &call, answer::Writes { changes: vec![change], events: vec![] }, StatusCode::OK, stub)
            .await
    })
    .await
}

/// List webhook endpoints, newest first.
#[utoipa::path(get, path = "/v1/webhook_endpoints", operation_id = "GetWebhookEndpoints", tag = "webhooks", responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of endpoints")))]
pub async fn list(State(state): State<AppState>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    call.no_params()?;
    let render = |o: &StoredObject| Ok(without_private::<WebhookEndpoint>(o.doc()?));
    Ok(Json(list::run(&state, &call, lp, list::Listing::new(KIND, WHAT, Vec::new()), render).await?).into_response())
}

/// A listed document as the API shows it: lists hand their documents over
/// as JSON, so the private fields are taken out by name.
fn without_private<D: Document>(mut doc: Value) -> Value {
    if let Some(m) = doc.as_object_mut() {
        for k in D::PRIVATE {
            m.remove(*k);
        }
    }
    doc
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RollParams {
    /// Seconds the old secret keeps signing (default 24 h, at most 7 days).
    expires_in: Option<i64>,
    metadata: Option<BTreeMap<String, Option<String>>>,
}

/// Roll an endpoint's secret: the new one is returned once; the old one
/// keeps signing for `expires_in` seconds, so deliveries carry two `v1=`.
#[utoipa::path(post, path = "/v1/webhook_endpoints/{id}/roll_secret", operation_id = "PostWebhookEndpointsWebhookEndpointRollSecret", request_body(content((RollParams = "application/x-www-form-urlencoded"), (RollParams = "application/json"))),
    tag = "webhooks", params(("id" = String, Path, description = "The endpoint id")),
    responses((status = 200, body = WebhookEndpointWithSecret, description = "The endpoint, with its new secret")))]
pub async fn roll_secret(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let p: RollParams = call.parse()?;
    expand::validate(&call.expand)?;
    let grace = p.expires_in.unwrap_or(endpoint::DEFAULT_ROLL_GRACE_SECS);
    if !(0..=endpoint::MAX_ROLL_GRACE_SECS).contains(&grace) {
        return Err(ApiError::invalid(
            "parameter_invalid_integer",
            "expires_in",
            format!("Invalid expires_in: 0 to {} seconds.", endpoint::MAX_ROLL_GRACE_SECS),
        ));
    }
    let secret = crate::ids::new_webhook_secret();
    let sealed = seal(&state, &secret, &id)?;
    retry_on_conflict(|| async {
        let (mut ep, version) = resource::find_typed::<WebhookEndpoint>(&state, &call, WHAT, &id).await?;
        ep.roll(sealed.clone(), state.now(), grace);
        if let Some(m) = &p.metadata {
            ep.metadata = crate::domain::metadata::merged(&ep.metadata, m)?;
        }
        let shown = ep.shown_with_secret(&secret);
        answer::commit(
            &state,
            &call,
            answer::Writes { changes: vec![Change::update(&ep, version)?], events: vec![] },
            StatusCode::OK,
            shown,
        )
        .await
    })
    .await
}

/// An endpoint's deliveries, newest first: each with its attempts (status,
/// response code, duration, error, a short sanitized excerpt of the
/// response body) and next retry. Only the endpoint's owner (its account
/// and mode) finds the endpoint, and the list is of that scope only.
#[utoipa::path(get, path = "/v1/webhook_endpoints/{id}/deliveries", operation_id = "GetWebhookEndpointsWebhookEndpointDeliveries", tag = "webhooks", params(("id" = String, Path, description = "The endpoint id")),
    responses((status = 200, body = crate::api::plumbing::schemas::List, description = "A list of deliveries")))]
pub async fn deliveries(State(state): State<AppState>, Path(id): Path<String>, mut call: Call) -> ApiResult<Response> {
    let lp = list::take(&mut call.params)?;
    let event = match call.params.as_object_mut().and_then(|m| m.remove("event")) {
        None => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(ApiError::invalid("parameter_invalid_string", "event", "Invalid event: an event id.")),
    };
    call.no_params()?;
    resource::find(&state, &call, KIND, WHAT, &id).await?;
    let mut filters = vec![("webhook_endpoint".to_owned(), id.clone())];
    if let Some(e) = event {
        filters.push(("event".to_owned(), e));
    }
    let render = |o: &StoredObject| Ok(excerpts(without_private::<WebhookDelivery>(o.doc()?)));
    let kind = WebhookDelivery::KIND;
    let body = list::run(&state, &call, lp, list::Listing::new(kind, "webhook delivery", filters), render).await?;
    // A receiver's text is data: never sniffed as a page.
    Ok(([(axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff")], Json(body)).into_response())
}

/// Each attempt's `response_body` as an excerpt (deliveries recorded
/// before excerpts kept up to 4 KiB).
fn excerpts(mut delivery: Value) -> Value {
    for a in delivery["attempts"].as_array_mut().into_iter().flatten() {
        if let Some(b) = a["response_body"].as_str() {
            a["response_body"] = json!(response_excerpt(b));
        }
    }
    delivery
}
