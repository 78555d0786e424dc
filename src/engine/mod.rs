//! The payment engine: what happens to payments, apart from how a request
//! asked for it (HTTP handlers, workers and pages all call it). It names no
//! HTTP type and nothing of `crate::api`.

pub mod capture;
pub mod charges;
pub mod commit;
pub mod intent;
pub mod payment;
pub mod pricing;
