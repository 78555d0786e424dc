//! Who is driving a payment step: an API request (with its idempotency key and
//! expansions), or kassa itself (a 3-D Secure page, a worker).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::extract::Call;
use crate::domain::event::EventContext;
use crate::domain::version::{self, ApiVersion};
use crate::error::ApiResult;
use crate::store::{Change, ChangeSet, IdempotencyRecord, Scope, StoreError};
use crate::AppState;

pub struct Origin<'a> {
    pub call: Option<&'a Call>,
    pub scope: Scope,
    pub account_version: String,
    /// Kassa finishing a request's payment after the request was gone: the
    /// request's idempotency key and fingerprint, so its answer is recorded
    /// for a retry to replay.
    pub idempotency: Option<(String, String)>,
}

impl<'a> Origin<'a> {
    pub fn api(call: &'a Call) -> Self {
        Self {
            call: Some(call),
            scope: call.scope(),
            account_version: call.auth.account_version.clone(),
            idempotency: None,
        }
    }

    pub fn background(scope: Scope) -> Self {
        Self { call: None, scope, account_version: version::LATEST.to_owned(), idempotency: None }
    }

    /// Whether a commit of this origin writes an idempotency record.
    pub fn records_answer(&self) -> bool {
        self.idempotency.is_some() || self.call.is_some_and(|c| c.idem.is_some())
    }

    pub fn scope(&self) -> Scope {
        self.scope.clone()
    }

    pub fn livemode(&self) -> bool {
        self.scope.livemode
    }

    pub fn version(&self) -> ApiVersion {
        ApiVersion::parse(&self.account_version).unwrap_or_else(|_| ApiVersion::latest())
    }

    pub fn event_ctx(&self, now: i64) -> EventContext<'_> {
        match self.call {
            Some(c) => c.event_ctx(now),
            None => EventContext {
                api_version: &self.account_version,
                livemode: self.scope.livemode,
                now,
                request_id: None,
                idempotency_key: None,
                ids: &crate::ids::RandomIds,
            },
        }
    }

    /// Commits; a request's idempotency record goes into the same commit.
    pub async fn commit(
        &self,
        state: &AppState,
        changes: Vec<Change>,
        events: Vec<Value>,
        status: StatusCode,
        body: Value,
    ) -> ApiResult<Response> {
        match self.call {
            Some(c) => c.commit(state, changes, events, status, body).await,
            None => {
                let idempotency = self.idempotency.as_ref().map(|(key, fingerprint)| IdempotencyRecord {
                    key: key.clone(),
                    fingerprint: fingerprint.clone(),
                    status: status.as_u16(),
                    body: body.to_string(),
                    created: state.now(),
                });
                let set = ChangeSet { scope: self.scope(), changes, events, idempotency };
                match state.store.commit(set.clone()).await {
                    // The key was answered meanwhile: the outcome still counts.
                    Err(StoreError::DuplicateIdempotencyKey) => {
                        state.store.commit(ChangeSet { idempotency: None, ..set }).await?
                    }
                    other => other?,
                }
                Ok((status, axum::Json(body)).into_response())
            }
        }
    }
}

/// What the buyer asked for at confirm, kept for a payment finished later.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Terms {
    pub customer_details: Option<Value>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub days_until_due: Option<i64>,
    pub redirect: bool,
    pub return_url: Option<String>,
}
