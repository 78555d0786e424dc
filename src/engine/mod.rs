//! The payment engine: what happens to payments, apart from how a request
//! asked for it (HTTP handlers, workers and pages all call it).

pub mod capture;
pub mod charges;
