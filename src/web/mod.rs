//! Pages for buyers' browsers (no API key): the hosted and embedded payment
//! page, its script and style, the embedding script, a demo merchant, and
//! the test processor's 3-D Secure pages.

pub mod assets;
pub mod demo;
pub mod labels;
pub mod pay;
pub mod security;
pub mod three_ds;
pub mod view;

use axum::routing::get;
use axum::Router;

use crate::error::ApiResult;
use crate::store::Scope;
use crate::AppState;

/// The 3-D Secure pages' policy: nothing from outside, no scripts. They may
/// be framed by any page, since a merchant's own integration shows them.
pub const CSP: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors *";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pay/{id}", get(pay::page))
        .route("/pay/{id}/summary", get(pay::summary))
        .route("/assets/pay.js", get(assets::pay_js))
        .route("/assets/pay.css", get(assets::pay_css))
        .route("/embed.js", get(assets::embed_js))
        .route("/demo", get(demo::page).post(demo::create))
        .route("/demo/return", get(demo::returned))
        .route("/3ds/{pi}/challenge", get(three_ds::challenge_page).post(three_ds::challenge_answer))
        .route("/3ds/{pi}/method", get(three_ds::method))
        .route("/3ds/{pi}/status", get(three_ds::status))
}

/// The origin of `KASSA_PUBLIC_URL`, which kassa's own forms post from.
pub fn public_origin(state: &AppState) -> String {
    crate::domain::session_page::origin_of(&state.cfg.public_url).unwrap_or_default()
}

/// The name the buyer sees: the account's display name.
pub async fn merchant_name(state: &AppState, scope: &Scope) -> String {
    crate::accounts::display_name(state, &scope.account_id).await.ok().flatten().unwrap_or_else(|| "kassa".to_owned())
}

/// The publishable key the page's script calls the API with.
pub async fn publishable_key(state: &AppState, scope: &Scope) -> ApiResult<String> {
    crate::accounts::page_publishable_key(state, scope).await
}
