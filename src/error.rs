//! `ApiError`: the only type that becomes an HTTP error response, always in
//! Stripe's shape `{"error": {"type", "code", "param", "message", …}}`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    InvalidRequest,
    Authentication,
    Card,
    Permission,
    Idempotency,
    RateLimit,
    Api,
}

impl ErrorType {
    pub const ALL: [ErrorType; 7] = [
        ErrorType::InvalidRequest,
        ErrorType::Authentication,
        ErrorType::Card,
        ErrorType::Permission,
        ErrorType::Idempotency,
        ErrorType::RateLimit,
        ErrorType::Api,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            // Stripe answers 401s with invalid_request_error; the SDKs pick the
            // exception class from the status, not from this field.
            ErrorType::InvalidRequest | ErrorType::Authentication => "invalid_request_error",
            ErrorType::Permission => "invalid_request_error",
            ErrorType::Idempotency => "idempotency_error",
            ErrorType::Card => "card_error",
            ErrorType::RateLimit => "rate_limit_error",
            ErrorType::Api => "api_error",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub kind: ErrorType,
    pub code: Option<&'static str>,
    pub param: Option<String>,
    pub message: String,
    /// More fields of the error object (`decline_code`, `payment_intent`, …).
    pub extra: Option<Map<String, Value>>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The code of a lost optimistic-concurrency race; retryable.
pub const CONFLICT_CODE: &str = "lock_timeout";

impl ApiError {
    pub fn new(status: StatusCode, kind: ErrorType, code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self { status, kind, code, param: None, message: message.into(), extra: None }
    }

    /// A 402 `card_error`: the card was refused by a check or a processor.
    pub fn card(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYMENT_REQUIRED, ErrorType::Card, Some(code), message)
    }

    pub fn with_extra(mut self, key: &str, value: Value) -> Self {
        self.extra.get_or_insert_with(Map::new).insert(key.to_owned(), value);
        self
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// A 400 `invalid_request_error` about one parameter.
    pub fn invalid(code: &'static str, param: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorType::InvalidRequest, Some(code), message).with_param(param)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorType::InvalidRequest, Some(code), message)
    }

    pub fn unknown_param(param: &str) -> Self {
        Self::invalid("parameter_unknown", param, format!("Received unknown parameter: {param}"))
    }

    pub fn missing_param(param: &str) -> Self {
        Self::invalid("parameter_missing", param, format!("Missing required param: {param}."))
    }

    /// 404 for an object that does not exist in the caller's account and mode.
    pub fn no_such(what: &str, id: &str, param: Option<&str>) -> Self {
        let mut e = Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::InvalidRequest,
            Some("resource_missing"),
            format!("No such {what}: '{}'", truncate(id, 64)),
        );
        e.param = param.map(str::to_owned).or(Some("id".to_owned()));
        e
    }

    /// Stripe answers an unknown cursor with a 400, not a 404.
    pub fn with_status_400(mut self) -> Self {
        self.status = StatusCode::BAD_REQUEST;
        self
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorType::Authentication, None, message)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::Api,
            None,
            "An unexpected error occurred on our side. Please retry the request.",
        )
    }

    /// Stripe's body, which is also what the idempotency layer stores.
    pub fn body(&self) -> Value {
        let mut e = Map::new();
        e.insert("type".into(), json!(self.kind.as_str()));
        if let Some(code) = self.code {
            e.insert("code".into(), json!(code));
            e.insert(
                "doc_url".into(),
                json!(format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-"))),
            );
        }
        e.insert("message".into(), json!(scrub(&self.message)));
        if let Some(p) = &self.param {
            e.insert("param".into(), json!(p));
        }
        if let Some(extra) = &self.extra {
            for (k, v) in extra {
                e.insert(k.clone(), v.clone());
            }
        }
        json!({ "error": e })
    }
}

/// Error messages echo what the client sent; a run of 12 or more digits
/// (spaces and dashes allowed) could be a card number, so it never is echoed.
pub fn scrub(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let mut j = i;
            let mut digits = 0;
            while j < chars.len()
                && (chars[j].is_ascii_digit()
                    || ((chars[j] == ' ' || chars[j] == '-') && j + 1 < chars.len() && chars[j + 1].is_ascii_digit()))
            {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                }
                j += 1;
            }
            if digits >= 12 {
                out.push_str("[redacted]");
            } else {
                out.extend(&chars[i..j]);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.body().to_string();
        let mut res = (self.status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response();
        // The SDKs retry 409 and 5xx by default; say so explicitly.
        let retry = self.status == StatusCode::CONFLICT || self.status.is_server_error();
        res.headers_mut().insert("stripe-should-retry", HeaderValue::from_static(if retry { "true" } else { "false" }));
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => Self::new(
                StatusCode::CONFLICT,
                ErrorType::InvalidRequest,
                Some(CONFLICT_CODE),
                "This object was changed by a concurrent request. Please retry.",
            ),
            other => {
                tracing::error!(error = %other, "store error");
                Self::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_like_numbers_never_appear_in_messages() {
        assert_eq!(scrub("got 4242424242424242 here"), "got [redacted] here");
        assert_eq!(scrub("No such x: '4242 4242 4242 4242'"), "No such x: '[redacted]'");
        assert_eq!(scrub("Invalid integer: 12345"), "Invalid integer: 12345");
        assert_eq!(scrub("a 2026-11-22 b"), "a 2026-11-22 b");
    }

    #[test]
    fn bodies_have_stripes_shape() {
        let b = ApiError::unknown_param("foo[bar]").body();
        assert_eq!(b["error"]["type"], "invalid_request_error");
        assert_eq!(b["error"]["code"], "parameter_unknown");
        assert_eq!(b["error"]["param"], "foo[bar]");
        assert_eq!(b["error"]["doc_url"], "https://stripe.com/docs/error-codes/parameter-unknown");
        let b = ApiError::internal().body();
        assert_eq!(b["error"]["type"], "api_error");
        assert!(b["error"].get("param").is_none());
    }
}
