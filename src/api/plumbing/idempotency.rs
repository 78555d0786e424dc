//! Idempotency keys, with Stripe's semantics (reference §5):
//! - a replay returns the stored status and body with `Idempotent-Replayed`;
//! - the same key with other parameters or another endpoint is a 400;
//! - a concurrent duplicate on this node is a 409 `idempotency_key_in_use`;
//! - the record commits in the same transaction as the request's write, so a
//!   crash leaves both or neither. A request that wrote nothing stores nothing
//!   and can simply be retried.
//!
//! Two nodes racing on one key (PostgreSQL) both run; the loser's commit hits
//! the unique key, rolls back whole, and it answers with the winner's replay.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::{ApiError, ApiResult, ErrorType};
use crate::store::{IdempotencyRecord, Scope};
use crate::AppState;

pub const MAX_KEY_LEN: usize = 255;

#[derive(Default)]
pub struct InFlight(Mutex<HashSet<(Scope, String)>>);

/// A claimed key; the claim is released when this is dropped, which is after
/// the handler's commit.
pub struct IdemGuard {
    in_flight: Arc<InFlight>,
    slot: (Scope, String),
    pub key: String,
    pub fingerprint: String,
    /// Claimed without its record read first (`Deferred`).
    pub deferred: bool,
}

impl Drop for IdemGuard {
    fn drop(&mut self) {
        if let Ok(mut set) = self.in_flight.0.lock() {
            set.remove(&self.slot);
        }
    }
}

/// Keyed hash of what makes two requests "the same": method, path and
/// parameters. Keyed, because parameters may hold a card number: an unkeyed
/// hash of a card could be found by trying every number. `serde_json::Map`
/// is ordered, so equal parameters serialize equally.
pub fn fingerprint(key: &[u8; 32], method: &str, path: &str, params: &Value, expand: &[String]) -> String {
    let (params, expand) = (crate::domain::wire::tree_text(params), expand.join(","));
    let parts: [&[u8]; 7] =
        [method.as_bytes(), b" ", path.as_bytes(), b"\n", params.as_bytes(), b"\n", expand.as_bytes()];
    hex::encode(crate::domain::mac::hmac_sha256(key, &parts))
}

fn shown(key: &str) -> String {
    key.chars().take(MAX_KEY_LEN).collect()
}

pub fn mismatch(key: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorType::Idempotency,
        None,
        format!(
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{}' if you meant to execute a different request.",
            shown(key)
        ),
    )
}

fn in_use(key: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorType::InvalidRequest,
        Some("idempotency_key_in_use"),
        format!(
            "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {}. Please try again later.",
            shown(key)
        ),
    )
}

/// The stored response, marked as a replay.
pub fn replay(rec: &IdempotencyRecord) -> Response {
    let status = StatusCode::from_u16(rec.status).unwrap_or(StatusCode::OK);
    let mut res = (status, [(axum::http::header::CONTENT_TYPE, "application/json")], rec.body.clone()).into_response();
    res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    // A stored redirect (confirm with redirect=true) keeps its destination.
    if status.is_redirection() {
        let url = serde_json::from_str::<Value>(&rec.body).ok().and_then(|b| b["url"].as_str().map(str::to_owned));
        if let Some(v) = url.and_then(|u| HeaderValue::from_str(&u).ok()) {
            res.headers_mut().insert(axum::http::header::LOCATION, v);
        }
    }
    res
}

/// Either the stored answer (or an error) for this key, or a claim to run.
/// `deferred`: claim the key without reading its record (`Deferred`).
pub async fn begin(
    state: &AppState,
    scope: Scope,
    key: &str,
    fingerprint: String,
    deferred: bool,
) -> Result<IdemGuard, Response> {
    if key.is_empty() || key.chars().count() > MAX_KEY_LEN {
        return Err(ApiError::bad_request(
            "idempotency_key_invalid",
            format!("Invalid Idempotency-Key: it must be 1 to {MAX_KEY_LEN} characters long."),
        )
        .into_response());
    }
    let slot = (scope.clone(), key.to_owned());
    {
        let Ok(mut set) = state.in_flight.0.lock() else {
            return Err(ApiError::internal().into_response());
        };
        if !set.insert(slot.clone()) {
            return Err(in_use(key).into_response());
        }
    }
    let guard = IdemGuard { in_flight: state.in_flight.clone(), slot, key: key.to_owned(), fingerprint, deferred };
    if deferred {
        return Ok(guard);
    }
    match state.store.find_idempotency(&scope, key).await {
        Ok(None) => Ok(guard),
        Ok(Some(rec)) if rec.fingerprint == guard.fingerprint => Err(replay(&rec)),
        Ok(Some(_)) => Err(mismatch(key).into_response()),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// A key claimed without reading its record first, for a create whose only
/// effect is its commit (`extract::FreshCall`). Most keys are new, and the
/// read was a point read on every create (on PostgreSQL, a round trip as
/// well). The record is read only when the answer needs it:
/// - the commit carries the record, so a key recorded already fails the
///   commit (`StoreError::DuplicateIdempotencyKey`) before the set writes
///   anything (its record goes first), and the answer is the replay or the
///   mismatch error (`answer::commit`);
/// - a handler that fails before its commit (the request is no longer valid,
///   say a price archived since) may be a replay all the same: `settle`
///   reads the record then.
///
/// A success never needs it: it committed the record, so there was none.
/// This holds only for a handler that answers a success through
/// `answer::commit` with the key's record, which is what `FreshCall` asks.
pub struct Deferred {
    scope: Scope,
    key: String,
    fingerprint: String,
}

impl Deferred {
    /// The deferred claim of `call`, if it has one.
    pub fn of(call: &crate::api::plumbing::extract::Call) -> Option<Deferred> {
        let g = call.idem.as_ref().filter(|g| g.deferred)?;
        Some(Deferred { scope: call.scope(), key: g.key.clone(), fingerprint: g.fingerprint.clone() })
    }

    /// The handler's answer `out`, unless it failed and the key is
    /// recorded: then the record's replay, or the mismatch error.
    pub async fn settle(this: Option<Deferred>, state: &AppState, out: ApiResult<Response>) -> ApiResult<Response> {
        let (Some(d), Err(failed)) = (this, &out) else { return out };
        if failed.kind == ErrorType::Idempotency {
            // The commit found the key taken and read the record already.
            return out;
        }
        match state.store.find_idempotency(&d.scope, &d.key).await {
            Ok(None) => out,
            Ok(Some(rec)) if rec.fingerprint == d.fingerprint => Ok(replay(&rec)),
            Ok(Some(_)) => Err(mismatch(&d.key)),
            // Whether it was a replay is unknown: the lookup's error, not the handler's.
            Err(e) => {
                tracing::warn!(status = %failed.status, code = ?failed.code, "a failed create's idempotency lookup failed too");
                Err(e.into())
            }
        }
    }
}
