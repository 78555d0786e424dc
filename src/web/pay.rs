//! `GET /pay/{id}`: the hosted (and embedded) payment page. It renders
//! from the stored session; the buyer's browser then talks to the public
//! API with the account's publishable key and the session's client secret,
//! like any client.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use super::labels::{self, Labels};
use super::security::{harden, Framing};
use super::view::{self, FieldView, ShipView, Summary};
use crate::domain::locale::{self, Lang};
use crate::domain::session::{self, KIND};
use crate::domain::session_page::{embedded_return, success_redirect};
use crate::store::{Scope, StoredObject};
use crate::AppState;

#[derive(Deserialize)]
pub struct PayQuery {
    /// `3ds` when the buyer comes back from an authentication page.
    from: Option<String>,
}

#[derive(Template)]
#[template(path = "pay.html")]
struct PayPage<'a> {
    lang: &'static str,
    title: String,
    merchant: String,
    test_mode: bool,
    l: &'static Labels,
    s: Summary,
    session_id: &'a str,
    publishable_key: String,
    client_secret: &'a str,
    embedded: bool,
    embed_origin: &'a str,
    email: &'a str,
    cancel_url: Option<&'a str>,
    collect_phone: bool,
    collect_billing: bool,
    ship_countries: Vec<String>,
    shipping: Vec<ShipView>,
    fields: Vec<FieldView>,
    allow_codes: bool,
    summary_code: String,
    form_error: Option<String>,
    card_error: Option<String>,
    /// `custom_text`: shown beside the shipping address, above and below the button.
    text_shipping: Option<&'a str>,
    text_submit: Option<&'a str>,
    text_after_submit: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "summary.html")]
struct SummaryFragment {
    s: Summary,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct Message<'a> {
    pub lang: &'static str,
    pub title: &'a str,
    pub state: &'a str,
    pub merchant: Option<String>,
    pub heading: &'a str,
    pub body: &'a str,
    pub back: Option<&'a str>,
    pub back_label: &'a str,
    pub embed_origin: Option<&'a str>,
    pub session_id: &'a str,
    pub return_to: Option<String>,
}

impl<'a> Message<'a> {
    /// A message page in `lang`: a heading and a line, nothing else yet.
    pub fn new(lang: Lang, state: &'a str, heading: &'a str, body: &'a str) -> Self {
        Message {
            lang: lang.tag(),
            title: heading,
            state,
            merchant: None,
            heading,
            body,
            back: None,
            back_label: labels::for_lang(lang).back,
            embed_origin: None,
            session_id: "",
            return_to: None,
        }
    }
}

/// Renders a template as a hardened page.
pub fn respond(status: StatusCode, html: Result<String, askama::Error>, framing: Framing<'_>) -> Response {
    let mut res = match html {
        Ok(h) => (status, Html(h)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<!doctype html><title>Error</title><p>Something went wrong.</p>"))
                .into_response()
        }
    };
    harden(&mut res, framing);
    res
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

/// The friendly 404 for a made-up or unusable session id.
pub fn not_found(lang: Lang) -> Response {
    let l = labels::for_lang(lang);
    let page = Message::new(lang, "not_found", l.not_found_title, l.not_found_body);
    respond(StatusCode::NOT_FOUND, page.render(), Framing::Deny)
}

/// A 503 page for when the database cannot be reached.
fn unavailable(lang: Lang) -> Response {
    let page = Message::new(
        lang,
        "unavailable",
        "Temporarily unavailable",
        "This page cannot be shown right now. Nothing was charged; please try again in a moment.",
    );
    let mut res = respond(StatusCode::SERVICE_UNAVAILABLE, page.render(), Framing::Deny);
    res.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
    res
}

/// The session a page URL names, if it has a page.
async fn find(state: &AppState, id: &str) -> Option<(Scope, StoredObject)> {
    let (scope, obj) = state.store.locate(KIND, id).await.ok().flatten()?;
    let has_page = matches!(obj.doc["ui_mode"].as_str(), Some("hosted_page" | "embedded_page"));
    (obj.kind == KIND && has_page).then_some((scope, obj))
}

fn framing(doc: &Value) -> Framing<'_> {
    match (doc["ui_mode"].as_str(), doc["embed_origin"].as_str()) {
        (Some("embedded_page"), Some(o)) => Framing::Origin(o),
        _ => Framing::Deny,
    }
}

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PayQuery>,
    headers: HeaderMap,
) -> Response {
    let Some((scope, obj)) = find(&state, &id).await else {
        return not_found(locale::resolve(None, accept_language(&headers)));
    };
    let doc = &obj.doc;
    let lang = locale::resolve(doc["locale"].as_str(), accept_language(&headers));
    let l = labels::for_lang(lang);
    // The session's `branding_settings[display_name]` names the business here.
    let merchant = match doc["branding_settings"]["display_name"].as_str() {
        Some(name) => name.to_owned(),
        None => super::merchant_name(&state, &scope).await,
    };
    let embedded = doc["ui_mode"] == "embedded_page";
    match session::status_at(doc, state.now()) {
        "open" => {}
        "complete" => {
            if !embedded {
                if let Some(url) = success_redirect(doc) {
                    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response();
                    harden(&mut res, Framing::Deny);
                    return res;
                }
            }
            let custom = doc["after_completion"]["hosted_confirmation"]["custom_message"].as_str();
            let mut page = Message::new(lang, "complete", l.complete_title, custom.unwrap_or(l.complete_body));
            page.merchant = Some(merchant);
            page.session_id = &obj.id;
            if embedded {
                page.embed_origin = doc["embed_origin"].as_str();
                page.return_to = embedded_return(doc);
            }
            return respond(StatusCode::OK, page.render(), framing(doc));
        }
        _ => {
            let mut page = Message::new(lang, "expired", l.expired_title, l.expired_body);
            page.merchant = Some(merchant);
            page.back = doc["cancel_url"].as_str();
            return respond(StatusCode::OK, page.render(), framing(doc));
        }
    }
    let card_error = match q.from.as_deref() {
        Some("3ds") => last_error(&state, &scope, doc).await,
        _ => None,
    };
    let s = view::summary(&state, &scope, doc, lang).await;
    let summary_code = s.totals.discount_code.clone().unwrap_or_default();
    let Ok(publishable_key) = super::publishable_key(&state, &scope).await else {
        return unavailable(lang);
    };
    let page = PayPage {
        lang: lang.tag(),
        title: format!("{} · {}", merchant, s.totals.total),
        merchant,
        test_mode: !scope.livemode,
        l,
        session_id: &obj.id,
        publishable_key,
        client_secret: doc["client_secret"].as_str().unwrap_or_default(),
        embedded,
        embed_origin: if embedded { doc["embed_origin"].as_str().unwrap_or_default() } else { "" },
        email: doc["customer_email"].as_str().or_else(|| doc["customer_details"]["email"].as_str()).unwrap_or_default(),
        cancel_url: if embedded { None } else { doc["cancel_url"].as_str() },
        collect_phone: doc["phone_number_collection"]["enabled"] == true,
        collect_billing: doc["billing_address_collection"] == "required",
        ship_countries: doc["shipping_address_collection"]["allowed_countries"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
        shipping: view::shipping(&state, &scope, doc, lang).await,
        fields: view::fields(doc),
        allow_codes: doc["allow_promotion_codes"] == true,
        summary_code,
        form_error: None,
        card_error,
        text_shipping: doc["custom_text"]["shipping_address"]["message"].as_str(),
        text_submit: doc["custom_text"]["submit"]["message"].as_str(),
        text_after_submit: doc["custom_text"]["after_submit"]["message"].as_str(),
        s,
    };
    respond(StatusCode::OK, page.render(), framing(doc))
}

/// Why the session's last payment failed, when the buyer returns from a
/// failed authentication.
async fn last_error(state: &AppState, scope: &Scope, doc: &Value) -> Option<String> {
    let pi = doc["payment_intent"].as_str()?;
    let obj = state.store.get_object(scope, pi).await.ok().flatten()?;
    (obj.doc["status"] == "requires_payment_method")
        .then(|| obj.doc["last_payment_error"]["message"].as_str().map(str::to_owned))
        .flatten()
}

/// `GET /pay/{id}/summary`: the order summary alone, re-rendered after the
/// buyer changes a code, a quantity or a shipping rate.
pub async fn summary(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let Some((scope, obj)) = find(&state, &id).await else {
        return not_found(locale::resolve(None, accept_language(&headers)));
    };
    let lang = locale::resolve(obj.doc["locale"].as_str(), accept_language(&headers));
    let s = view::summary(&state, &scope, &obj.doc, lang).await;
    respond(StatusCode::OK, SummaryFragment { s }.render(), framing(&obj.doc))
}
