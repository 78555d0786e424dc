//! Layers every response passes through: the request's id and span (with
//! tower-http's request-id and trace layers), the idempotency key echoed,
//! and Stripe's error shape for errors that did not come from a handler
//! (unknown methods, timeouts, panics).

use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestId, RequestId};
use tracing::Span;

use crate::error::{ApiError, ErrorType};
use crate::ids::new_id;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");

/// Makes each request's `req_…` id (for `SetRequestIdLayer`).
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeReqId;

impl MakeRequestId for MakeReqId {
    fn make_request_id<B>(&mut self, _req: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_str(&new_id("req")).ok().map(RequestId::new)
    }
}

/// The id is kassa's own: one a client sends would otherwise be taken as
/// it is (`SetRequestIdLayer` keeps an id already in the request), into the
/// logs and the events.
pub async fn forget_client_request_id(mut req: Request) -> Request {
    req.headers_mut().remove(REQUEST_ID);
    req
}

/// The request's id, as `SetRequestIdLayer` stored it.
pub fn request_id_of<B>(req: &axum::http::Request<B>) -> &str {
    req.extensions().get::<RequestId>().and_then(|r| r.header_value().to_str().ok()).unwrap_or_default()
}

/// The span every log line of a request inherits. The path has no query
/// string and no headers are recorded, so neither parameters nor keys reach
/// the log.
pub fn request_span<B>(req: &axum::http::Request<B>) -> Span {
    let path: String = req.uri().path().chars().take(200).collect();
    tracing::info_span!("request", request_id = %request_id_of(req), method = %req.method(), path = %path)
}

/// The one line logged when a request ends (inside its span).
pub fn log_response<B>(res: &axum::http::Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(status = res.status().as_u16(), ms = latency.as_secs_f64() * 1000.0, "request");
}

/// Echoes the idempotency key on the response.
pub async fn echo_idempotency_key(req: Request, next: Next) -> Response {
    let idem = req.headers().get("idempotency-key").cloned();
    let mut res = next.run(req).await;
    if let Some(k) = idem.filter(|k| k.len() <= 255) {
        res.headers_mut().insert("idempotency-key", k);
    }
    res
}

/// Errors produced below the handlers (axum's own 405, 413, 415, the
/// timeout layer's 408) come without a JSON body; give them Stripe's shape.
pub async fn stripe_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    // JSON errors, metrics, and buyer-facing pages (which say it in HTML)
    // pass as they are.
    let is_own = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.starts_with("application/json") || v.starts_with("text/plain; version=0.0.4") || v.starts_with("text/html")
    });
    if status.as_u16() < 400 || is_own {
        return res;
    }
    let err = match status {
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            ErrorType::InvalidRequest,
            Some("method_not_allowed"),
            "This URL does not accept that HTTP method.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            ErrorType::InvalidRequest,
            Some("request_too_large"),
            "The request body is too large.",
        ),
        StatusCode::REQUEST_TIMEOUT => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::Api,
            Some("request_timeout"),
            "The request took too long. It is safe to retry with the same Idempotency-Key.",
        ),
        s if s.is_server_error() => ApiError::internal(),
        s => {
            ApiError::new(s, ErrorType::InvalidRequest, None, s.canonical_reason().unwrap_or("Bad request").to_owned())
        }
    };
    let mut out = err.into_response();
    for name in ["request-id", "idempotency-key"] {
        if let Some(v) = res.headers().get(name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// Turns a handler panic into an opaque 500; the panic itself is logged.
pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    tracing::error!("a request handler panicked");
    ApiError::internal().into_response()
}
