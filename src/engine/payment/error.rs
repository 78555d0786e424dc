//! Why a payment step stopped without recording an answer. The HTTP layer
//! maps each to Stripe's error (`api::payment_error`).

use crate::domain::fields::FieldError;
use crate::domain::session::NotOpen;
use crate::processor::select::NoRoute;
use crate::store::StoreError;

use super::decline::Decline;

#[derive(Debug)]
pub enum PaymentError {
    /// Another confirm holds the session, or the intent is past this step.
    InProgress,
    NotOpen(NotOpen),
    /// Too many failed payments on this session lately.
    TooManyAttempts,
    /// No route can charge this payment.
    NoRoute(NoRoute),
    /// A parameter is missing or not acceptable.
    Field(FieldError),
    /// The card is refused before any processor sees it.
    Refused(Decline),
    Store(StoreError),
    /// Something kassa itself got wrong (an unreadable vault record, a
    /// stored object gone); details go to the log, never to the caller.
    Internal,
}

pub type PaymentResult<T> = Result<T, PaymentError>;

impl PaymentError {
    pub fn missing(param: &str) -> Self {
        PaymentError::Field(FieldError {
            param: param.to_owned(),
            code: "parameter_missing",
            message: format!("Missing required param: {param}."),
        })
    }

    pub fn invalid(code: &'static str, param: &str, message: impl Into<String>) -> Self {
        PaymentError::Field(FieldError { param: param.to_owned(), code, message: message.into() })
    }
}

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PaymentError::InProgress => f.write_str("a payment for this session is already in progress"),
            PaymentError::NotOpen(e) => write!(f, "{e}"),
            PaymentError::TooManyAttempts => f.write_str("too many failed payment attempts"),
            PaymentError::NoRoute(e) => f.write_str(&e.message()),
            PaymentError::Field(e) => write!(f, "{}: {}", e.param, e.message),
            PaymentError::Refused(d) => f.write_str(d.code),
            PaymentError::Store(e) => write!(f, "{e}"),
            PaymentError::Internal => f.write_str("internal error"),
        }
    }
}

impl From<StoreError> for PaymentError {
    fn from(e: StoreError) -> Self {
        PaymentError::Store(e)
    }
}

impl From<NoRoute> for PaymentError {
    fn from(e: NoRoute) -> Self {
        PaymentError::NoRoute(e)
    }
}

impl From<FieldError> for PaymentError {
    fn from(e: FieldError) -> Self {
        PaymentError::Field(e)
    }
}

impl From<NotOpen> for PaymentError {
    fn from(e: NotOpen) -> Self {
        PaymentError::NotOpen(e)
    }
}
