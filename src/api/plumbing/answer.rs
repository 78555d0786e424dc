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

/// Commits `writes` with `call`'s idempotency record, and answers with `body`.
pub async fn commit(
    state: &AppState,
    call: &Call,
    writes: Writes,
    status: StatusCode,
    body: Value,
) -> ApiResult<Response> {
    let text = body.to_string();
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
