//! The payment use case: confirming a Checkout Session and every charge
//! that follows from it, whoever drives it (an API request, a 3-D Secure
//! page, a worker). It takes typed inputs and returns the answer it
//! recorded or a [`PaymentError`]; it knows nothing of HTTP.
//!
//! The steps, each in its own file: `confirm` (what was asked: charge now,
//! when due, or nothing), `charge` (claim the session and intent, run the
//! route, settle), `three_ds` (stop for authentication, finish it later),
//! `settle` (one commit of the outcome, the session's new state and its
//! events, with the request's idempotency record), `complete` and `save`
//! (what a completed session writes), `pending` (the resolver for unknown
//! outcomes) and `due` (a contract's due charge).

pub mod caller;
pub mod cascade;
pub mod charge;
pub mod complete;
pub mod confirm;
pub mod decline;
pub mod due;
pub mod error;
pub mod method;
pub mod pending;
pub mod redeem;
pub mod route;
pub mod save;
pub mod settle;
pub mod terms;
pub mod three_ds;

pub use caller::{Answer, Answered, Caller, IdempotencyKey, Pending, Plain, Run, View};
pub use decline::Decline;
pub use error::{PaymentError, PaymentResult};
pub use method::Chosen;
pub use terms::Terms;
