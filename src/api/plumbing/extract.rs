//! `Call`: the one extractor for API requests. It authenticates, reads the
//! API version, parses form / JSON / query parameters into one tree, pulls
//! out `expand`, and claims the idempotency key of a POST (or answers with
//! the stored replay).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::api::plumbing::auth::{authenticate, Auth};
use crate::api::plumbing::form;
use crate::api::plumbing::idempotency::{self, IdemGuard};
use crate::api::plumbing::params;
use crate::domain::event::EventContext;
use crate::domain::version::ApiVersion;
use crate::error::{ApiError, ApiResult, ErrorType};
use crate::store::Scope;
use crate::AppState;

/// Request bodies larger than this are refused with a 413.
pub const MAX_BODY: usize = 1024 * 1024;

pub struct Call {
    pub auth: Auth,
    pub version: ApiVersion,
    pub request_id: String,
    pub path: String,
    /// The parameters not yet taken by the handler.
    pub params: Value,
    pub expand: Vec<String>,
    pub idem: Option<IdemGuard>,
}

impl Call {
    pub fn scope(&self) -> Scope {
        self.auth.scope()
    }

    /// Takes the remaining parameters as `T`.
    pub fn parse<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        params::from_value(std::mem::take(&mut self.params))
    }

    /// Fails unless every parameter has been taken.
    pub fn no_params(&self) -> ApiResult<()> {
        match self.params.as_object().and_then(|m| m.keys().next()) {
            Some(k) => Err(ApiError::unknown_param(k)),
            None => Ok(()),
        }
    }

    pub fn event_ctx(&self, now: i64) -> EventContext<'_> {
        EventContext {
            api_version: &self.auth.account_version,
            livemode: self.auth.livemode,
            now,
            request_id: Some(&self.request_id),
            idempotency_key: self.idem.as_ref().map(|g| g.key.as_str()),
            ids: &crate::ids::RandomIds,
        }
    }

    /// The answer recorded for this request's idempotency key since it
    /// began (by another node, or by kassa finishing it after a first try
    /// died), if there is one.
    pub async fn recorded_answer(&self, state: &AppState) -> ApiResult<Option<Response>> {
        let Some(g) = &self.idem else { return Ok(None) };
        Ok(match state.store.find_idempotency(&self.scope(), &g.key).await? {
            Some(rec) if rec.fingerprint == g.fingerprint => Some(idempotency::replay(&rec)),
            Some(_) => return Err(idempotency::mismatch(&g.key)),
            None => None,
        })
    }
}

/// Runs a read-modify-commit `attempt` again when it lost an optimistic
/// concurrency race (another request changed the object in between).
pub async fn retry_on_conflict<F, Fut>(mut attempt: F) -> ApiResult<Response>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ApiResult<Response>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e) if e.code == Some(crate::error::CONFLICT_CODE) && tries < 5 => tries += 1,
            other => return other,
        }
    }
}

fn bad_body(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("parameter_invalid", message)
}

fn parse_version(req: &Request, auth: &Auth) -> ApiResult<ApiVersion> {
    match req.headers().get("stripe-version") {
        None => Ok(ApiVersion::parse(&auth.account_version).unwrap_or_else(|_| ApiVersion::latest())),
        Some(v) => {
            let text = v.to_str().unwrap_or("");
            ApiVersion::parse(text.trim()).map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorType::InvalidRequest,
                    Some("api_version_invalid"),
                    format!("Invalid Stripe API version: {}", text.chars().take(64).collect::<String>()),
                )
            })
        }
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn parse_body(content_type: &str, bytes: &[u8]) -> ApiResult<Value> {
    if content_type.starts_with("application/json") {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Map::new()));
        }
        let v: Value = serde_json::from_slice(bytes).map_err(|e| bad_body(format!("Invalid JSON body: {e}")))?;
        if !v.is_object() {
            return Err(bad_body("Invalid JSON body: expected an object of parameters."));
        }
        if depth(&v) > form::MAX_DEPTH {
            return Err(bad_body(format!(
                "Invalid JSON body: parameters nest at most {} levels deep.",
                form::MAX_DEPTH
            )));
        }
        return Ok(v);
    }
    form::parse(bytes).map_err(|e| {
        let mut err = bad_body(e.to_string());
        err.param = e.param().map(str::to_owned);
        err
    })
}

/// Whether any key or string in `v` holds a NUL: the common answer, no,
/// costs no path building.
fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Object(m) => m.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Array(items) => items.iter().any(has_nul),
        _ => false,
    }
}

/// PostgreSQL cannot store NUL in text, and no parameter needs one.
fn reject_nul(v: &Value, path: &str) -> ApiResult<()> {
    if !has_nul(v) {
        return Ok(());
    }
    let bad =
        |p: &str| ApiError::invalid("parameter_invalid", p, "Invalid parameter: text may not contain NUL characters.");
    match v {
        Value::String(s) if s.contains('\0') => Err(bad(path)),
        Value::Object(m) => {
            for (k, v) in m {
                let p = if path.is_empty() { k.clone() } else { format!("{path}[{k}]") };
                if k.contains('\0') {
                    return Err(bad(path));
                }
                reject_nul(v, &p)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, v)| reject_nul(v, &format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}

/// `expand[]` as a list of strings, removed from the parameters. Accepts
/// `expand[]=a`, `expand[0]=a` (any integer keys, in order) and `expand=a`.
fn take_expand(params: &mut Value) -> ApiResult<Vec<String>> {
    let Some(raw) = params.as_object_mut().and_then(|m| m.remove("expand")) else {
        return Ok(Vec::new());
    };
    let invalid = || ApiError::invalid("parameter_invalid", "expand", "Invalid expand: must be a list of strings.");
    let items: Vec<Value> = match raw {
        Value::String(s) => vec![Value::String(s)],
        Value::Array(items) => items,
        Value::Object(m) => {
            let mut indexed = Vec::with_capacity(m.len());
            for (k, v) in m {
                indexed.push((k.parse::<u32>().map_err(|_| invalid())?, v));
            }
            indexed.sort_by_key(|(i, _)| *i);
            indexed.into_iter().map(|(_, v)| v).collect()
        }
        _ => return Err(invalid()),
    };
    items
        .into_iter()
        .filter(|v| v.as_str() != Some(""))
        .map(|v| match v {
            Value::String(s) => Ok(s),
            _ => Err(invalid()),
        })
        .collect()
}

impl Call {
    async fn extract(req: Request, state: &AppState, secret_only: bool, deferred: bool) -> Result<Self, Response> {
        let auth = authenticate(state, req.headers(), secret_only).await.map_err(IntoResponse::into_response)?;
        let version = parse_version(&req, &auth).map_err(IntoResponse::into_response)?;
        let request_id = crate::api::plumbing::middleware::request_id_of(&req).to_owned();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        let content_type =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
        // Keys are compared as text: refuse bytes that are not visible ASCII
        // rather than let two different keys decode to the same string.
        let idem_key = match req.headers().get("idempotency-key") {
            None => None,
            Some(v) if v.as_bytes().iter().all(|b| (0x20..0x7f).contains(b)) => {
                Some(String::from_utf8_lossy(v.as_bytes()).into_owned())
            }
            Some(_) => {
                return Err(ApiError::bad_request(
                    "idempotency_key_invalid",
                    "Invalid Idempotency-Key: use visible ASCII characters only.",
                )
                .into_response())
            }
        };

        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorType::InvalidRequest,
                Some("request_too_large"),
                format!("The request body is larger than the maximum of {MAX_BODY} bytes."),
            )
            .into_response()
        })?;
        let mut params = if method == Method::POST && !bytes.is_empty() {
            parse_body(&content_type, &bytes)
        } else {
            parse_body("", query.as_bytes())
        }
        .map_err(IntoResponse::into_response)?;
        reject_nul(&params, "").map_err(IntoResponse::into_response)?;
        let expand = take_expand(&mut params).map_err(IntoResponse::into_response)?;

        let idem = match (method == Method::POST, idem_key) {
            (true, Some(key)) => {
                let fp = idempotency::fingerprint(&state.pepper, method.as_str(), &path, &params, &expand);
                Some(idempotency::begin(state, auth.scope(), &key, fp, deferred).await?)
            }
            _ => None,
        };
        Ok(Self { auth, version, request_id, path, params, expand, idem })
    }
}

/// A call that a publishable key may also make (client-side endpoints); the
/// handler must then check the session's client secret.
pub struct ClientCall(pub Call);

impl FromRequest<AppState> for ClientCall {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Call::extract(req, state, false, false).await.map(ClientCall)
    }
}

/// A call to a create whose only effect is its commit: it answers a success
/// only through `answer::commit`, with its idempotency record, and nothing
/// it does before that commit reaches outside kassa. Its key is claimed
/// without the record being read first (`idempotency::Deferred`), so the
/// call is handled only through `run`, which settles the answer.
pub struct FreshCall(Call);

impl FreshCall {
    /// The answer of `create` for this call, or the key's replay (or the
    /// mismatch error) when it fails and the key is recorded.
    pub async fn run<F, Fut>(self, state: &AppState, create: F) -> ApiResult<Response>
    where
        F: FnOnce(Call) -> Fut,
        Fut: std::future::Future<Output = ApiResult<Response>>,
    {
        let deferred = idempotency::Deferred::of(&self.0);
        idempotency::Deferred::settle(deferred, state, create(self.0).await).await
    }
}

impl FromRequest<AppState> for FreshCall {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Call::extract(req, state, true, true).await.map(FreshCall)
    }
}

impl FromRequest<AppState> for Call {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        Call::extract(req, state, true, false).await
    }
}
