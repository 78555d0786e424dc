//! Payment processors. A processor authorizes (and captures) a card payment
//! and can be asked later what became of a request it may have received.
//! `route` runs an ordered list of them as a fallback chain.

pub mod http;
pub mod route;
pub mod select;
pub mod test;

use async_trait::async_trait;

use crate::domain::card::CardNumber;

/// The card as a processor needs it. Never logged: `Debug` hides it.
#[derive(Clone)]
pub struct CardDetails {
    pub number: CardNumber,
    pub exp_month: i64,
    pub exp_year: i64,
    /// Only for a card entered in this request; never stored.
    pub cvc: Option<String>,
}

impl std::fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardDetails(…{})", self.number.last4())
    }
}

#[derive(Debug, Clone)]
pub struct Authorize {
    /// Unique per attempt: the processor's own idempotency key.
    pub idempotency_key: String,
    pub amount: i64,
    pub currency: String,
    pub card: CardDetails,
    /// `false` for `capture_method=manual`: authorize only; `capture` or
    /// `void` follows.
    pub capture: bool,
}

/// What a processor said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Approved {
        reference: String,
    },
    /// A hard decline: the chain stops here. `message` is kassa's own;
    /// `processor_message` is what the processor said, scrubbed
    /// (`domain::processor_text`), kept only on the attempt.
    Declined {
        code: String,
        decline_code: String,
        message: String,
        processor_message: Option<String>,
    },
    /// The processor could not take the request (refused, 5xx before
    /// acceptance, rate limited): the next processor may be tried.
    Unavailable {
        reason: String,
    },
    /// The request may have been received (a timeout after sending): ask
    /// `lookup` before trying anyone else.
    Unknown {
        reason: String,
    },
    /// The gateway needs the buyer (3-D Secure at its own page); its answer
    /// comes later, through `lookup`.
    RequiresAction {
        reference: String,
        action_url: String,
    },
}

impl Outcome {
    /// A decline with kassa's own message and no processor text.
    pub fn declined(code: &str, decline_code: &str, message: &str) -> Self {
        Outcome::Declined {
            code: code.into(),
            decline_code: decline_code.into(),
            message: message.into(),
            processor_message: None,
        }
    }

    /// A decline's processor text (scrubbed), for its attempt.
    pub fn processor_message(&self) -> Option<String> {
        match self {
            Outcome::Declined { processor_message, .. } => processor_message.clone(),
            _ => None,
        }
    }
}

/// What `lookup` found out about an earlier request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The processor never saw it: safe to try another.
    NotFound,
    Found(Outcome),
    /// Still cannot tell.
    Unknown,
}

/// The result of a request about an earlier payment: a refund, a capture
/// or a void.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded {
        reference: String,
    },
    /// A definite refusal: nothing was refunded.
    Failed {
        reason: String,
    },
    /// It may have been refunded (a timeout, a 5xx): never send it again
    /// under a new key; it stays pending.
    Unknown {
        reason: String,
    },
}

#[async_trait]
pub trait Processor: Send + Sync {
    /// `test`, `http`, … and the configured name, for attempts.
    fn name(&self) -> &str;
    /// The longest an authorize, with its lookup, can take.
    fn budget(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
    async fn authorize(&self, req: &Authorize) -> Outcome;
    async fn lookup(&self, idempotency_key: &str) -> Lookup;
    /// Refunds `amount` of the payment the processor knows as `reference`.
    async fn refund(&self, reference: &str, amount: i64, idempotency_key: &str) -> RefundOutcome;
    /// Captures `amount` (at most what was authorized) of an authorization.
    async fn capture(&self, reference: &str, amount: i64, idempotency_key: &str) -> RefundOutcome;
    /// Releases an authorization that will not be captured.
    async fn void(&self, reference: &str, idempotency_key: &str) -> RefundOutcome;
}
