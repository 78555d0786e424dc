//! `GET /pay/{id}`: the hosted (and embedded) payment page. It renders
//! from the stored session; the buyer's browser then talks to the public
//! API with the account's publishable key and the session's client secret,
//! like any client.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::labels::{self, Labels};
use super::security::{harden, Framing};
use super::view::{self, FieldView, ShipView, Summary};
use crate::domain::checkout_session::{BillingAddressCollection, SessionStatus};
use crate::domain::locale::{self, Lang};
use crate::domain::session::{self, CheckoutSession, KIND};
use crate::domain::session_options::TextMessage;
use crate::domain::session_page::{embedded_return, success_redirect};
use crate::domain::session_params::UiMode;
use crate::store::Scope;
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
    text_shipping: Option<String>,
    text_submit: Option<String>,
    text_after_submit: Option<String>,
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

/// The session a page URL names, or the page to answer instead: 404 when
/// there is no such session with a page, 503 when the store cannot be
/// reached, and 500 (logged) when the stored session does not decode, so
/// neither failure is passed off as a missing session.
async fn find(state: &AppState, id: &str, lang: Lang) -> Result<(Scope, CheckoutSession), Response> {
    let found = state.store.locate(KIND, id).await.map_err(|e| {
        tracing::warn!(error = %e, "the session page could not read the store");
        unavailable(lang)
    })?;
    let Some((scope, obj)) = found else { return Err(not_found(lang)) };
    let s = obj.decode::<CheckoutSession>().map_err(|e| {
        tracing::error!(checkout_session = %obj.id, error = %e, "the stored session does not decode");
        let page = Message::new(
            lang,
            "unavailable",
            "Something went wrong",
            "This page cannot be shown. Nothing was charged.",
        );
        respond(StatusCode::INTERNAL_SERVER_ERROR, page.render(), Framing::Deny)
    })?;
    match s.filter(|s| matches!(s.ui_mode, UiMode::HostedPage | UiMode::EmbeddedPage)) {
        Some(s) => Ok((scope, s)),
        None => Err(not_found(lang)),
    }
}

fn framing(s: &CheckoutSession) -> Framing<'_> {
    match (s.ui_mode, s.embed_origin.as_deref()) {
        (UiMode::EmbeddedPage, Some(o)) => Framing::Origin(o),
        _ => Framing::Deny,
    }
}

/// What the page says once the session is no longer open: the buyer goes on
/// to the success URL, or reads that it completed or expired.
fn closed(s: &CheckoutSession, status: SessionStatus, lang: Lang, merchant: String) -> Response {
    let l = labels::for_lang(lang);
    let embedded = s.ui_mode == UiMode::EmbeddedPage;
    if status != SessionStatus::Complete {
        let mut page = Message::new(lang, "expired", l.expired_title, l.expired_body);
        page.merchant = Some(merchant);
        page.back = s.cancel_url.as_deref();
        return respond(StatusCode::OK, page.render(), framing(s));
    }
    if !embedded {
        if let Some(url) = success_redirect(s) {
            let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response();
            harden(&mut res, Framing::Deny);
            return res;
        }
    }
    let custom = s.after_completion.as_ref().and_then(|a| a.hosted_confirmation.as_ref());
    let custom = custom.and_then(|h| h.custom_message.as_deref());
    let mut page = Message::new(lang, "complete", l.complete_title, custom.unwrap_or(l.complete_body));
    page.merchant = Some(merchant);
    page.session_id = &s.id;
    if embedded {
        page.embed_origin = s.embed_origin.as_deref();
        page.return_to = embedded_return(s);
    }
    respond(StatusCode::OK, page.render(), framing(s))
}

pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<PayQuery>,
    headers: HeaderMap,
) -> Response {
    let (scope, doc) = match find(&state, &id, locale::resolve(None, accept_language(&headers))).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = locale::resolve(doc.locale.as_deref(), accept_language(&headers));
    // The session's `branding_settings[display_name]` names the business here.
    let merchant = match doc.branding_settings.as_ref().and_then(|b| b.display_name.clone()) {
        Some(name) => name,
        None => super::merchant_name(&state, &scope).await,
    };
    let status = session::status_at(&doc, state.now());
    if status != SessionStatus::Open {
        return closed(&doc, status, lang, merchant);
    }
    let card_error = match q.from.as_deref() {
        Some("3ds") => last_error(&state, &scope, &doc).await,
        _ => None,
    };
    let s = view::summary(&state, &scope, &doc, lang).await;
    let Ok(publishable_key) = super::publishable_key(&state, &scope).await else {
        return unavailable(lang);
    };
    let embedded = doc.ui_mode == UiMode::EmbeddedPage;
    let email =
        doc.customer_email.as_deref().or_else(|| doc.customer_details.as_ref().and_then(|d| d.email.as_deref()));
    let text = &doc.custom_text;
    let message = |m: &Option<TextMessage>| m.as_ref().map(|m| m.message.clone());
    let page = PayPage {
        lang: lang.tag(),
        title: format!("{} · {}", merchant, s.totals.total),
        merchant,
        test_mode: !scope.livemode,
        l: labels::for_lang(lang),
        session_id: &doc.id,
        publishable_key,
        client_secret: doc.client_secret.as_deref().unwrap_or_default(),
        embedded,
        embed_origin: if embedded { doc.embed_origin.as_deref().unwrap_or_default() } else { "" },
        email: email.unwrap_or_default(),
        cancel_url: if embedded { None } else { doc.cancel_url.as_deref() },
        collect_phone: doc.phone_number_collection.enabled,
        collect_billing: doc.billing_address_collection == BillingAddressCollection::Required,
        ship_countries: doc
            .shipping_address_collection
            .as_ref()
            .map(|c| c.allowed_countries.clone())
            .unwrap_or_default(),
        shipping: view::shipping(&state, &scope, &doc, lang).await,
        fields: view::fields(&doc),
        allow_codes: doc.allow_promotion_codes == Some(true),
        summary_code: s.totals.discount_code.clone().unwrap_or_default(),
        form_error: None,
        card_error,
        text_shipping: message(&text.shipping_address),
        text_submit: message(&text.submit),
        text_after_submit: message(&text.after_submit),
        s,
    };
    respond(StatusCode::OK, page.render(), framing(&doc))
}

/// Why the session's last payment failed, when the buyer returns from a
/// failed authentication.
async fn last_error(state: &AppState, scope: &Scope, doc: &CheckoutSession) -> Option<String> {
    let pi = doc.payment_intent.as_deref()?;
    let obj = state.store.get_object(scope, pi).await.ok().flatten()?;
    let doc = obj.doc().ok()?;
    (doc["status"] == "requires_payment_method")
        .then(|| doc["last_payment_error"]["message"].as_str().map(str::to_owned))
        .flatten()
}

/// `GET /pay/{id}/summary`: the order summary alone, re-rendered after the
/// buyer changes a code, a quantity or a shipping rate.
pub async fn summary(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let (scope, doc) = match find(&state, &id, locale::resolve(None, accept_language(&headers))).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let lang = locale::resolve(doc.locale.as_deref(), accept_language(&headers));
    let s = view::summary(&state, &scope, &doc, lang).await;
    respond(StatusCode::OK, SummaryFragment { s }.render(), framing(&doc))
}
