//! The test processor's 3-D Secure pages. Each URL carries the payment's
//! random key; `status` answers a holder of the intent's client secret.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::json;

use crate::domain::payment_intent::{self, PaymentIntent, PaymentIntentStatus, ThreeDsFlow, ThreeDsStatus};
use crate::domain::session::{self, SessionStatus};
use crate::engine::intent::Intent;
use crate::engine::payment::caller::load_session;
use crate::engine::payment::three_ds::{finish, intent_change};
use crate::error::ApiError;
use crate::store::{Change, ChangeSet, Scope, StoreError};
use crate::AppState;

#[derive(Deserialize)]
pub struct KeyQuery {
    key: Option<String>,
    client_secret: Option<String>,
}

#[derive(Deserialize)]
pub struct Answer {
    outcome: String,
    csrf: Option<String>,
}

fn csrf_context(pi: &str, key: &str) -> String {
    format!("3ds-challenge|{pi}|{key}")
}

/// A store that failed or a stored intent that does not decode: logged, and
/// never passed off as a missing payment.
fn broken(e: StoreError) -> Response {
    tracing::error!(error = %e, "a 3-D Secure page could not read its payment");
    page(StatusCode::INTERNAL_SERVER_ERROR, "3-D Secure", "<p>Something went wrong. Please try again later.</p>")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
         <link rel=\"stylesheet\" href=\"/assets/pay.css\"></head><body><main class=\"message tds\">{body}</main></body></html>"
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, super::CSP)], html)
        .into_response()
}

fn not_found() -> Response {
    page(StatusCode::NOT_FOUND, "Not found", "<h1>This authentication is not available.</h1>")
}

/// The intent the URL names, if the key is its pending 3-D Secure key.
async fn pending(
    state: &AppState,
    pi: &str,
    key: Option<&str>,
    flow: ThreeDsFlow,
) -> Result<(Scope, Intent), Response> {
    let Some((scope, obj)) = state.store.locate(payment_intent::KIND, pi).await.map_err(broken)? else {
        return Err(not_found());
    };
    let read = Intent::of(&obj).map_err(broken)?;
    let ok = read.pi.three_d_secure.as_ref().is_some_and(|tds| {
        key.is_some_and(|k| tds.key == k) && tds.flow == flow && tds.status == ThreeDsStatus::Pending
    }) && read.pi.status == PaymentIntentStatus::RequiresAction;
    if ok {
        Ok((scope, read))
    } else {
        Err(not_found())
    }
}

fn money(pi: &PaymentIntent) -> String {
    let cur = pi.currency.as_str();
    let amount = pi.amount;
    match crate::domain::currency::Currency::parse(cur) {
        Some(c) => format!("{} {}", c.format(amount), cur.to_uppercase()),
        None => amount.to_string(),
    }
}

/// The challenge: two buttons that post the outcome back to this URL.
pub async fn challenge_page(
    State(state): State<AppState>,
    Path(pi): Path<String>,
    Query(q): Query<KeyQuery>,
) -> Response {
    let (_, read) = match pending(&state, &pi, q.key.as_deref(), ThreeDsFlow::Challenge).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    // Ids and amounts are [A-Za-z0-9._ ] only: nothing here needs escaping.
    let body = format!(
        "<h1>Authenticate your payment</h1><p>Test 3-D Secure challenge for <strong>{}</strong>.</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button name=\"outcome\" value=\"succeed\" id=\"succeed\">Complete authentication</button>\
         <button name=\"outcome\" value=\"fail\" id=\"fail\">Fail authentication</button></form>",
        money(&read.pi),
        super::security::token(&state.page_key, &csrf_context(&pi, q.key.as_deref().unwrap_or_default())),
    );
    page(StatusCode::OK, "3-D Secure", &body)
}

pub async fn challenge_answer(
    State(state): State<AppState>,
    Path(pi): Path<String>,
    Query(q): Query<KeyQuery>,
    headers: axum::http::HeaderMap,
    Form(a): Form<Answer>,
) -> Response {
    let (scope, read) = match pending(&state, &pi, q.key.as_deref(), ThreeDsFlow::Challenge).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let context = csrf_context(&pi, q.key.as_deref().unwrap_or_default());
    let token_ok = a.csrf.as_deref().is_some_and(|t| super::security::verify(&state.page_key, &context, t));
    if !token_ok || super::security::cross_site(&headers, &super::public_origin(&state)) {
        return page(StatusCode::FORBIDDEN, "3-D Secure", "<h1>This form has expired. Go back and try again.</h1>");
    }
    let authenticated = match a.outcome.as_str() {
        "succeed" => true,
        "fail" => false,
        _ => return page(StatusCode::BAD_REQUEST, "3-D Secure", "<h1>Unknown answer.</h1>"),
    };
    let return_url = read.pi.three_d_secure.as_ref().and_then(|t| t.return_url.clone());
    if let Err(e) = finish(&state, &scope, &read, authenticated).await {
        tracing::warn!(payment_intent = %pi, error = %e, "3-D Secure finish failed");
        return page(
            StatusCode::CONFLICT,
            "3-D Secure",
            "<h1>This payment changed meanwhile. Please check its status.</h1>",
        );
    }
    match return_url {
        Some(url) => (StatusCode::FOUND, [(header::LOCATION, url)]).into_response(),
        None => {
            page(StatusCode::OK, "3-D Secure", "<h1>Authentication finished.</h1><p>You can close this window.</p>")
        }
    }
}

/// The hidden device-fingerprint step: loading it completes the method step,
/// and the payment continues without the buyer (frictionless).
pub async fn method(State(state): State<AppState>, Path(pi): Path<String>, Query(q): Query<KeyQuery>) -> Response {
    let (scope, read) = match pending(&state, &pi, q.key.as_deref(), ThreeDsFlow::Method).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let now = state.now();
    let mut doc = read.pi.clone();
    doc.status = PaymentIntentStatus::Processing;
    doc.next_action = None;
    if let Some(tds) = doc.three_d_secure.as_mut() {
        tds.status = ThreeDsStatus::MethodCompleted;
        tds.due_at = now;
    }
    let Ok(Some((mut sdoc, version))) = load_session(&state, &scope, &doc.checkout_session).await else {
        return not_found();
    };
    if session::status_at(&sdoc, now) != SessionStatus::Open {
        return page(StatusCode::CONFLICT, "3-D Secure", "<p>This checkout has ended.</p>");
    }
    payment_intent::mirror_next_action(&mut sdoc, &doc);
    sdoc.confirming_until = Some(i64::MAX);
    sdoc.payment_intent_status = Some("processing".into());
    let changes = intent_change(&doc, Some(read.version)).and_then(|i| Ok(vec![i, Change::update(&sdoc, version)?]));
    let changes = match changes {
        Ok(c) => c,
        Err(e) => return broken(e),
    };
    let set = ChangeSet { scope, changes, events: vec![], idempotency: None };
    match crate::engine::commit::commit(&state, set).await {
        Ok(()) => page(StatusCode::OK, "3-D Secure", "<p>Device check complete.</p>"),
        Err(_) => page(StatusCode::CONFLICT, "3-D Secure", "<p>This payment changed meanwhile.</p>"),
    }
}

/// The intent's status, for whoever holds its client secret.
pub async fn status(State(state): State<AppState>, Path(pi): Path<String>, Query(q): Query<KeyQuery>) -> Response {
    let missing = || ApiError::no_such("payment_intent", &pi, None).into_response();
    let found = match state.store.locate(payment_intent::KIND, &pi).await {
        Ok(f) => f,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some((_, obj)) = found else { return missing() };
    let d = match Intent::of(&obj) {
        Ok(read) => read.pi,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if q.client_secret.as_deref().is_none_or(|c| !crate::domain::ids::secret_eq(Some(d.client_secret.as_str()), c)) {
        return missing();
    }
    Json(json!({"id": d.id, "object": "payment_intent", "status": d.status, "next_action": d.next_action,
                "last_payment_error": d.last_payment_error, "checkout_session": d.checkout_session}))
    .into_response()
}
