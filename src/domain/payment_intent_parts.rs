//! The parts of a PaymentIntent: its closed sets, what it shows of an error
//! or a next step, and kassa's private bookkeeping on it.

use serde::{Deserialize, Serialize};

use super::payment_method::PaymentMethod;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

impl PaymentIntentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequiresPaymentMethod => "requires_payment_method",
            Self::RequiresConfirmation => "requires_confirmation",
            Self::RequiresAction => "requires_action",
            Self::Processing => "processing",
            Self::RequiresCapture => "requires_capture",
            Self::Canceled => "canceled",
            Self::Succeeded => "succeeded",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMethod {
    Automatic,
    AutomaticAsync,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationMethod {
    Automatic,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetupFutureUsage {
    OnSession,
    OffSession,
}

/// Why an intent was canceled (Stripe's set; kassa writes the merchant's
/// reason on a cancel and `automatic` on a lapse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancellationReason {
    Abandoned,
    Automatic,
    Duplicate,
    Expired,
    FailedInvoice,
    Fraudulent,
    RequestedByCustomer,
    VoidInvoice,
}

impl CancellationReason {
    /// The reasons a merchant may give when canceling.
    pub const MERCHANT: &'static [&'static str] = &["duplicate", "fraudulent", "requested_by_customer", "abandoned"];

    /// A reason a merchant may give, if `s` names one.
    pub fn merchant(s: &str) -> Option<Self> {
        if !Self::MERCHANT.contains(&s) {
            return None;
        }
        Self::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s)).ok()
    }
}

/// Stripe's `amount_details`: kassa takes no tips, so always `{"tip": {}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmountDetails {
    pub tip: Tip,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Tip {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntentMethodOptions {
    pub card: CardMethodOptions,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardMethodOptions {
    pub request_three_d_secure: RequestThreeDSecure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestThreeDSecure {
    Any,
    Automatic,
    Challenge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    CardError,
    ApiError,
}

/// The payment method an error names: the object itself (a processor's
/// answer), or only its id (a failed authentication), as kassa has always
/// written it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ErrorMethod {
    Object(Box<PaymentMethod>),
    Id(String),
}

/// Why the last try failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LastPaymentError {
    #[serde(rename = "type")]
    pub kind: ErrorType,
    pub code: String,
    pub decline_code: Option<String>,
    pub message: String,
    /// Only on a processor's decline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_url: Option<String>,
    pub payment_method: Option<ErrorMethod>,
    #[schema(value_type = Option<String>)]
    pub param: Option<super::document::Never>,
    /// Only when no processor could take it: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NextActionType {
    RedirectToUrl,
    ThreeDSecure,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedirectToUrl {
    pub url: String,
    pub return_url: Option<String>,
}

/// What the buyer must do next: a gateway's page (`redirect_to_url`), or
/// kassa's provider-agnostic 3-D Secure step (seed 003), which also
/// carries `redirect_to_url` for clients that know only that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextAction {
    #[serde(rename = "type")]
    pub kind: NextActionType,
    pub redirect_to_url: RedirectToUrl,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub three_d_secure: Option<NextActionThreeDs>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NextActionThreeDs {
    pub flow: ThreeDsFlow,
    pub idempotency_key: String,
    pub status_url: String,
    pub return_url: Option<String>,
    /// The visible page (`flow=challenge`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge_url: Option<String>,
    /// The hidden device-fingerprint page (`flow=method`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThreeDsFlow {
    Challenge,
    Method,
    Frictionless,
}

impl ThreeDsFlow {
    pub fn parse(s: &str) -> Option<Self> {
        Self::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s)).ok()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThreeDsStatus {
    Pending,
    MethodCompleted,
    Authenticated,
    Failed,
}

impl ThreeDsStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::MethodCompleted => "method_completed",
            Self::Authenticated => "authenticated",
            Self::Failed => "failed",
        }
    }
}

/// The intent's 3-D Secure step (kassa's; shown as stored): the pages'
/// key, and when a step without the buyer is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PaymentIntentThreeDSecure)]
#[serde(deny_unknown_fields)]
pub struct ThreeDSecure {
    pub flow: ThreeDsFlow,
    pub status: ThreeDsStatus,
    pub key: String,
    pub due_at: i64,
    pub return_url: Option<String>,
}

/// A try claimed before any processor is called (private): whom to ask,
/// under which key, if kassa stops before recording it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingAttempt {
    pub processor: String,
    pub idempotency_key: String,
    pub started_at: i64,
    /// When the route must have ended; claims written before it was
    /// recorded get a fixed grace instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup_at: Option<i64>,
}

/// The request that claimed the try (private): its answer is recorded
/// under this idempotency key even when the request is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    pub idempotency_key: String,
    pub fingerprint: String,
}

/// A capture under way (private): only this amount, under this key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingCapture {
    pub amount: i64,
    pub idempotency_key: String,
}
