//! The payment engine's errors and answers as HTTP: each engine error is
//! one Stripe error, and a recorded answer is the response it records.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::checkout_sessions::not_open;
use crate::engine::payment::{Answer, Decline, PaymentError};
use crate::error::{ApiError, ErrorType};

pub fn in_progress() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorType::InvalidRequest,
        Some("checkout_session_confirm_in_progress"),
        "A payment for this Checkout Session is already in progress.",
    )
}

impl From<Decline> for ApiError {
    fn from(d: Decline) -> Self {
        let status = StatusCode::from_u16(d.status).unwrap_or(StatusCode::PAYMENT_REQUIRED);
        let kind = if d.card { ErrorType::Card } else { ErrorType::Api };
        let mut e = ApiError::new(status, kind, Some(d.code), d.message);
        for (k, v) in d.extra {
            e = e.with_extra(&k, v);
        }
        e
    }
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::InProgress => in_progress(),
            PaymentError::NotOpen(e) => not_open(e),
            PaymentError::TooManyAttempts => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorType::RateLimit,
                Some("rate_limit"),
                "Too many failed payment attempts for this Checkout Session. Try again later.",
            ),
            PaymentError::NoRoute(e) => e.into(),
            PaymentError::Field(e) => e.into(),
            PaymentError::Refused(d) => d.into(),
            PaymentError::Store(e) => e.into(),
            PaymentError::Internal => ApiError::internal(),
        }
    }
}

/// The response an answer recorded for the request is.
pub fn respond(a: Answer) -> Response {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::OK);
    let mut res = (status, [(header::CONTENT_TYPE, "application/json")], a.body).into_response();
    if let Some(v) = a.location.as_deref().and_then(|l| HeaderValue::from_str(l).ok()) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}
