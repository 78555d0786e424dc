//! Pages for buyers' browsers (no API key): the 3-D Secure pages of the test
//! processor. The hosted checkout page comes with its own issue.

pub mod three_ds;

use axum::routing::get;
use axum::Router;

use crate::AppState;

/// The same strict policy on every page: nothing from outside, no scripts.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors *";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/3ds/{pi}/challenge", get(three_ds::challenge_page).post(three_ds::challenge_answer))
        .route("/3ds/{pi}/method", get(three_ds::method))
        .route("/3ds/{pi}/status", get(three_ds::status))
}
