//! The page's one script, one style sheet and the embedding script, built
//! into the binary so the page needs nothing from the network.

use axum::http::header;
use axum::response::IntoResponse;

const PAY_JS: &str = include_str!("../../assets/pay.js");
const PAY_CSS: &str = include_str!("../../assets/pay.css");
const EMBED_JS: &str = include_str!("../../assets/embed.js");

fn asset(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
}

pub async fn pay_js() -> impl IntoResponse {
    asset(PAY_JS, "text/javascript; charset=utf-8")
}

pub async fn pay_css() -> impl IntoResponse {
    asset(PAY_CSS, "text/css; charset=utf-8")
}

/// Served to any origin: merchants' pages load it to embed checkout.
pub async fn embed_js() -> impl IntoResponse {
    (
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::HeaderName::from_static("cross-origin-resource-policy"), "cross-origin"),
        ],
        asset(EMBED_JS, "text/javascript; charset=utf-8"),
    )
}
