//! What every stored resource's handlers share: find by id within the
//! caller's scope, answer with expansions, and the read-modify-commit update.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::api::plumbing::answer::{self, render_failed, Body};
use crate::api::plumbing::expand;
use crate::api::plumbing::extract::{retry_on_conflict, Call};
use crate::api::plumbing::rendered::{Of, ALWAYS};
use crate::domain::document::Document;
use crate::domain::event;
use crate::error::{ApiError, ApiResult};
use crate::store::{Change, StoredObject};
use crate::AppState;

/// The caller's object of `kind`, or a 404 naming `what`.
pub async fn find(state: &AppState, call: &Call, kind: &str, what: &str, id: &str) -> ApiResult<StoredObject> {
    state
        .store
        .get_object(&call.scope(), id)
        .await?
        .filter(|o| o.kind == kind)
        .ok_or_else(|| ApiError::no_such(what, id, None))
}

/// Refuses a merchant-chosen id the caller's scope already holds: 400
/// `resource_already_exists`, Stripe's answer. Ids are unique per account
/// and mode, so only the caller's own objects can refuse one (the
/// account's own id is held by its profile).
pub async fn ensure_new_id(state: &AppState, call: &Call, id: &str, param: &str, message: String) -> ApiResult<()> {
    if id == call.auth.account_id || state.store.get_object(&call.scope(), id).await?.is_some() {
        return Err(ApiError::invalid("resource_already_exists", param, message));
    }
    Ok(())
}

/// An id a request gave in the parameter `param` (`line_items[0][price]`).
#[derive(Debug, Clone, Copy)]
pub struct IdParam<'a> {
    pub id: &'a str,
    pub param: &'a str,
}

/// As `find`, for an id given in a parameter: a 400 naming that param.
pub async fn find_param(
    state: &AppState,
    call: &Call,
    kind: &str,
    what: &str,
    IdParam { id, param }: IdParam<'_>,
) -> ApiResult<StoredObject> {
    state
        .store
        .get_object(&call.scope(), id)
        .await?
        .filter(|o| o.kind == kind && !o.deleted)
        .ok_or_else(|| ApiError::no_such(what, id, Some(param)).with_status_400())
}

/// `find_param` for a typed object: the caller's `D` named in a
/// parameter, or a 400 naming that parameter.
pub async fn find_param_typed<D: Document>(state: &AppState, call: &Call, what: &str, at: IdParam<'_>) -> ApiResult<D> {
    let found = find_param(state, call, D::KIND, what, at).await?;
    found.decode::<D>()?.ok_or_else(|| ApiError::no_such(what, at.id, Some(at.param)).with_status_400())
}

/// `GET /v1/{things}/{id}`: the caller's object of type `D`, shown with the
/// request's expansions.
pub async fn retrieve<D: Document>(state: &AppState, call: &Call, what: &str, id: &str) -> ApiResult<Body> {
    call.no_params()?;
    expand::validate(&call.expand)?;
    let stored = find(state, call, D::KIND, what, id).await?;
    if call.expand.is_empty() && !stored.deleted {
        // A document's wire form depends on neither the time nor the API version.
        let of = Of { seq: stored.seq, version: stored.version, api: "", lines: false };
        let text = state.rendered.get_or_render(&of, state.now(), || {
            let text = typed::<D>(&stored, what, id)?.wire_text().map_err(render_failed)?;
            Ok::<_, ApiError>((text, ALWAYS))
        })?;
        return Ok(Body::Text(text));
    }
    let obj = typed::<D>(&stored, what, id)?;
    Ok(Body::Tree(respond(state, call, obj.wire()).await?))
}

/// The object with the request's `expand[]` applied.
pub async fn respond(state: &AppState, call: &Call, mut obj: Value) -> ApiResult<Value> {
    expand::apply(state, &call.scope(), &mut obj, &call.expand).await?;
    Ok(obj)
}

/// The caller's object of type `D` and its version, or a 404 naming `what`.
pub async fn find_typed<D: Document>(state: &AppState, call: &Call, what: &str, id: &str) -> ApiResult<(D, i64)> {
    let obj = find(state, call, D::KIND, what, id).await?;
    Ok((typed::<D>(&obj, what, id)?, obj.version))
}

/// A found object as its `D`; a deleted one, or another kind, is a 404.
fn typed<D: Document>(obj: &StoredObject, what: &str, id: &str) -> ApiResult<D> {
    if obj.deleted {
        return Err(ApiError::no_such(what, id, None));
    }
    obj.decode::<D>()?.ok_or_else(|| ApiError::no_such(what, id, None))
}

/// How an update of a typed object is named: `what` in a 404, and the
/// event recorded when something changed (`tax_rate.updated`).
pub struct Names<'a> {
    pub what: &'a str,
    pub event: &'a str,
}

/// `update` for a typed object: reads it, applies `apply`, and commits it
/// with an event when it changed; retried when a concurrent write won.
pub async fn update_typed<D, F>(
    state: &AppState,
    call: &Call,
    id: &str,
    names: Names<'_>,
    apply: F,
) -> ApiResult<Response>
where
    D: Document + PartialEq,
    F: Fn(&D, i64) -> ApiResult<D>,
{
    retry_on_conflict(|| async {
        let (current, version) = find_typed::<D>(state, call, names.what, id).await?;
        let now = state.now();
        let next = apply(&current, now)?;
        let events = if next == current {
            Vec::new()
        } else {
            vec![event::build(&call.event_ctx(now), names.event, &next.wire(), Some(&current.wire()))]
        };
        let body = respond(state, call, next.wire()).await?;
        let change = Change::update(&next, version)?;
        answer::commit(state, call, answer::Writes { changes: vec![change], events }, StatusCode::OK, body).await
    })
    .await
}

/// Commits a new typed object with its `created` event, and answers with it.
pub async fn create_typed<D: Document>(
    state: &AppState,
    call: &Call,
    obj: &D,
    event_type: &str,
) -> ApiResult<Response> {
    let now = state.now();
    let evt = event::of(&call.event_ctx(now), event_type, obj);
    // Without expansions the answer is the event's object, already text.
    let body = match call.expand.is_empty() {
        true => answer::Body::Text(evt.data.object.get().to_owned()),
        false => answer::Body::Tree(respond(state, call, obj.wire()).await?),
    };
    answer::commit(
        state,
        call,
        answer::Writes { changes: vec![Change::insert(obj)?], events: vec![evt] },
        StatusCode::OK,
        body,
    )
    .await
}
