//! Payment processors. A processor authorizes (and captures) a card payment
//! and can be asked later what became of a request it may have received.
//! `route` runs an ordered list of them as a fallback chain.

pub mod http;
pub mod route;
pub mod select;
pub mod test;

use async_trait::async_trait;

use crate::domain::card::CardNumber;
pub use crate::domain::outcome::{Lookup, Outcome, RefundOutcome};

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
