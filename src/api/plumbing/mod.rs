//! What every resource's handlers share and no resource owns: the request
//! extractor, parameter parsing, pagination, expansion, idempotency, the
//! layers, metrics, and the OpenAPI conventions and shared schemas.

pub(crate) mod answer;
pub(crate) mod auth;
pub(crate) mod expand;
pub(crate) mod extract;
pub(crate) mod form;
pub(crate) mod idempotency;
pub(crate) mod list;
pub(crate) mod metrics;
pub(crate) mod middleware;
pub(crate) mod openapi_conventions;
mod param_de;
pub(crate) mod params;
pub(crate) mod payment_error;
pub(crate) mod rate_limit;
pub(crate) mod rendered;
pub(crate) mod resource;
pub(crate) mod schemas;
