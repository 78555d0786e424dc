//! `/demo`: a merchant's page in miniature. Its server side creates an
//! embedded Checkout Session through kassa's public API, with a test secret
//! key the developer gives, and the page mounts it with `/embed.js`.
//!
//! The key is used for one request and never stored or logged. The form is
//! protected by a double-submit token: a random cookie, and a hidden field
//! that is the cookie's HMAC.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::pay::respond;
use super::security::{cross_site, token, verify, Framing};
use crate::ids::random_base62;
use crate::AppState;

const COOKIE: &str = "kassa_demo_csrf";

#[derive(Template)]
#[template(path = "demo.html")]
struct DemoPage<'a> {
    lang: &'static str,
    title: &'static str,
    client_secret: Option<&'a str>,
    csrf: String,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub struct DemoForm {
    secret_key: String,
    csrf: String,
}

fn cookie(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get(header::COOKIE)?.to_str().ok()?;
    raw.split(';').find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}=")).map(str::to_owned))
}

fn render(state: &AppState, status: StatusCode, secret: Option<&str>, error: Option<&str>, nonce: &str) -> Response {
    let page = DemoPage {
        lang: "en",
        title: "kassa demo shop",
        client_secret: secret,
        csrf: token(&state.page_key, &format!("demo|{nonce}")),
        error,
    };
    let mut res = respond(status, page.render(), Framing::Deny);
    // The demo frames kassa's own page.
    let csp =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; frame-src 'self'; \
               form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    let set = format!("{COOKIE}={nonce}; Path=/demo; HttpOnly; SameSite=Strict");
    if let Ok(v) = HeaderValue::from_str(&set) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let nonce = cookie(&headers).filter(|c| c.len() == 32).unwrap_or_else(|| random_base62(32));
    render(&state, StatusCode::OK, None, None, &nonce)
}

/// Creates the session the way a merchant's backend would: over HTTP.
pub async fn create(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<DemoForm>) -> Response {
    let nonce = cookie(&headers).unwrap_or_default();
    if nonce.is_empty()
        || !verify(&state.page_key, &format!("demo|{nonce}"), &f.csrf)
        || cross_site(&headers, &super::public_origin(&state))
    {
        let fresh = random_base62(32);
        return render(&state, StatusCode::FORBIDDEN, None, Some("This form expired; please try again."), &fresh);
    }
    if !f.secret_key.starts_with("sk_test_") {
        return render(
            &state,
            StatusCode::BAD_REQUEST,
            None,
            Some("The demo takes a test secret key (sk_test_…)."),
            &nonce,
        );
    }
    let base = &state.cfg.public_url;
    let return_url = format!("{base}/demo/return?session_id={{CHECKOUT_SESSION_ID}}");
    let params = [
        ("mode", "payment"),
        ("ui_mode", "embedded_page"),
        ("return_url", return_url.as_str()),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "2500"),
        ("line_items[0][price_data][product_data][name]", "Kassa T-shirt"),
    ];
    let sent = state
        .http
        .post(format!("{base}/v1/checkout/sessions"))
        .bearer_auth(&f.secret_key)
        .form(&params)
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await;
    let body: Option<serde_json::Value> = match sent {
        Ok(r) => r.json().await.ok(),
        Err(e) => {
            tracing::warn!(error = %e.without_url(), "demo could not reach the API");
            None
        }
    };
    match body.as_ref().and_then(|b| b["client_secret"].as_str()) {
        Some(secret) => render(&state, StatusCode::OK, Some(secret), None, &nonce),
        None => {
            let msg = body
                .as_ref()
                .and_then(|b| b["error"]["message"].as_str())
                .unwrap_or("The session could not be created.")
                .to_owned();
            render(&state, StatusCode::BAD_REQUEST, None, Some(&msg), &nonce)
        }
    }
}

/// The merchant's return page: it shows what became of the session.
pub async fn returned(
    State(state): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let id = q.get("session_id").cloned().unwrap_or_default();
    let found = state.store.locate(crate::domain::session::KIND, &id).await.ok().flatten();
    let status = match found.and_then(|(_, o)| o.decode::<crate::domain::session::CheckoutSession>().ok().flatten()) {
        Some(s) => crate::domain::session::status_at(&s, state.now()).as_str().to_owned(),
        None => "unknown".to_owned(),
    };
    let heading = if status == "complete" { "Thank you for your order!" } else { "Your order is not paid yet" };
    let body = format!("Checkout Session {id}: {status}.");
    let mut msg = super::pay::Message::new(crate::domain::locale::Lang::En, &status, heading, &body);
    msg.title = "Order status";
    msg.merchant = Some("Kassa T-shirt shop".into());
    msg.back = Some("/demo");
    msg.back_label = "Back to the shop";
    respond(StatusCode::OK, msg.render(), Framing::Deny)
}
