//! Layers every response passes through: a `Request-Id`, the idempotency key
//! echoed, and Stripe's error shape for errors that did not come from a
//! handler (unknown methods, timeouts, panics).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorType};
use crate::ids::new_id;

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Gives the request its id, and logs one line when it ends. The line holds
/// the path without its query string and no headers, so neither parameters
/// nor keys reach the log.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = new_id("req");
    let idem = req.headers().get("idempotency-key").cloned();
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path: String = req.uri().path().chars().take(200).collect();
    let start = std::time::Instant::now();
    let mut res = next.run(req).await;
    tracing::info!(
        request_id = %id,
        method = %method,
        path = %path,
        status = res.status().as_u16(),
        ms = start.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("request-id", v);
    }
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
