//! Committing a request's writes and answering it. The idempotency record
//! is built here and committed in the same transaction as the writes, so a
//! replay always finds the answer the write was committed with.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::extract::Call;
use super::idempotency;
use crate::domain::event::Event;
use crate::error::{ApiError, ApiResult};
use crate::store::{Change, ChangeSet, IdempotencyRecord, StoreError};
use crate::AppState;

/// What a request writes: object changes and the events that describe them.
#[derive(Debug, Default)]
pub struct Writes {
    pub changes: Vec<Change>,
    pub events: Vec<Event>,
}

/// A response body: a tree that expansions worked on, or JSON text written
/// straight from the object (`domain::wire`) when there was nothing to expand.
#[derive(Debug)]
pub enum Body {
    Tree(Value),
    Text(String),
}

impl From<Value> for Body {
    fn from(v: Value) -> Self {
        Body::Tree(v)
    }
}

impl Body {
    /// Text rendered straight from an object; failing to render is kassa's fault.
    pub fn rendered(text: Result<String, serde_json::Error>) -> ApiResult<Self> {
        text.map(Body::Text).map_err(render_failed)
    }

    /// A stored document sent as it is, once it is known to be one JSON
    /// value (checked without building a tree); a logged 500 if it is not,
    /// so a corrupt row fails its request.
    pub fn stored(text: String, id: &str) -> ApiResult<Self> {
        match serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            Ok(_) => Ok(Body::Text(text)),
            Err(e) => {
                tracing::error!(error = %e, id, "a stored document is not JSON");
                Err(ApiError::internal())
            }
        }
    }

    /// The tree, parsed from the text if need be (for expansions).
    pub fn into_tree(self) -> ApiResult<Value> {
        match self {
            Body::Tree(v) => Ok(v),
            Body::Text(t) => serde_json::from_str(&t).map_err(|e| {
                tracing::error!(error = %e, "a rendered object did not parse");
                ApiError::internal()
            }),
        }
    }

    pub fn into_text(self) -> String {
        match self {
            Body::Tree(v) => crate::domain::wire::tree_text(&v),
            Body::Text(t) => t,
        }
    }
}

/// An object that did not render: kassa's fault, logged, and a 500.
pub fn render_failed(e: serde_json::Error) -> ApiError {
    tracing::error!(error = %e, "an object did not render");
    ApiError::internal()
}

impl IntoResponse for Body {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.into_text()).into_response()
    }
}

/// Commits `writes` with `call`'s idempotency record, and answers with `body`.
pub async fn commit(
    state: &AppState,
    call: &Call,
    writes: Writes,
    status: StatusCode,
    body: impl Into<Body>,
) -> ApiResult<Response> {
    let text = body.into().into_text();
    let idempotency = call.idem.as_ref().map(|g| IdempotencyRecord {
        key: g.key.clone(),
        fingerprint: g.fingerprint.clone(),
        status: status.as_u16(),
        body: text.clone(),
        created: state.now(),
    });
    let set = ChangeSet { scope: call.scope(), changes: writes.changes, events: writes.events, idempotency };
    match crate::engine::commit::commit(state, set).await {
        Ok(()) => Ok((status, [(header::CONTENT_TYPE, "application/json")], text).into_response()),
        Err(StoreError::DuplicateIdempotencyKey) => {
            // Another node recorded this key first; our write rolled back.
            let Some(g) = &call.idem else {
                return Err(ApiError::internal());
            };
            match state.store.find_idempotency(&call.scope(), &g.key).await? {
                Some(rec) if rec.fingerprint == g.fingerprint => Ok(idempotency::replay(&rec)),
                Some(_) => Err(idempotency::mismatch(&g.key)),
                None => Err(ApiError::internal()),
            }
        }
        Err(e) => Err(e.into()),
    }
}
