//! The Checkout Session object (`checkout.session`): how it is built, how it
//! reads at a given time and API version, and its state transitions.
//!
//! Stored sessions keep their line items inside the document (under
//! `line_items`, as the list object) so a session and its items change in one
//! write; `render` removes them unless the caller expanded `line_items`.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub use super::checkout_session::{CheckoutSession, SessionStatus, OPEN_UNTIL};
use super::checkout_session::{
    ConsentCollection, CustomerDetails, Discount, PaymentStatus, ShippingAddressCollection, TaxIdCollection,
    TaxIdRequired, TotalDetails,
};
use super::custom_fields;
use super::document::Document;
use super::fields::FieldError;
use super::line_item::{LineItem, LineItemList};
use super::pricing::Totals;
use super::session_params::{CreateParams, Enabled, Mode, UiMode};
use super::version::{ApiVersion, DAHLIA};
use super::wire::{self, Edits};

pub const KIND: &str = CheckoutSession::KIND;

/// What create decided beyond the raw parameters.
pub struct Built<'a> {
    pub id: &'a str,
    pub livemode: bool,
    pub now: i64,
    pub mode: Mode,
    pub ui: UiMode,
    pub public_url: &'a str,
    pub client_secret: Option<String>,
    pub currency: Option<String>,
    pub totals: Option<Totals>,
    pub line_items: Vec<LineItem>,
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// A closed set's value, already checked against its param's rules.
pub fn closed<T: DeserializeOwned>(param: &str, v: &str) -> Result<T, FieldError> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(v))
        .map_err(|_| FieldError::invalid(param, format!("Invalid {param}: {v}")))
}

fn closed_opt<T: DeserializeOwned>(param: &str, v: &Option<String>) -> Result<Option<T>, FieldError> {
    v.as_deref().map(|v| closed(param, v)).transpose()
}

impl CheckoutSession {
    /// The amounts of `t`: subtotal, total and `total_details`.
    pub fn set_totals(&mut self, t: &Totals) {
        self.amount_subtotal = Some(t.subtotal);
        self.amount_total = Some(t.total);
        self.total_details =
            Some(TotalDetails { amount_discount: t.discount, amount_shipping: t.shipping, amount_tax: t.tax });
    }

    /// The shipping the total holds now.
    pub fn amount_shipping(&self) -> i64 {
        self.total_details.map_or(0, |t| t.amount_shipping)
    }

    /// The coupon of the session's discount, if any.
    pub fn coupon(&self) -> Option<&str> {
        self.discounts.first().and_then(|d| d.coupon.as_deref())
    }

    /// The promotion code that brought the discount, if any.
    pub fn promotion_code(&self) -> Option<&str> {
        self.discounts.first().and_then(|d| d.promotion_code.as_deref())
    }
}

/// A new open session with every field of reference §2.1.
pub fn build(p: &CreateParams, b: Built<'_>) -> Result<CheckoutSession, FieldError> {
    let pm_types = p
        .allowed_payment_method_types
        .clone()
        .or_else(|| p.payment_method_types.clone())
        .unwrap_or_else(|| vec!["card".into()]);
    let mut s = CheckoutSession {
        id: b.id.to_owned(),
        after_completion: p
            .after_completion
            .as_ref()
            .map(|a| super::session_page::after_completion(a, b.ui))
            .transpose()?,
        allow_promotion_codes: p.allow_promotion_codes,
        allowed_payment_method_types: p.allowed_payment_method_types.clone(),
        cancel_url: p.cancel_url.clone(),
        client_reference_id: p.client_reference_id.clone(),
        client_secret: b.client_secret,
        consent_collection: p.consent_collection.as_ref().map(|c| ConsentCollection {
            payment_method_reuse_agreement: c.payment_method_reuse_agreement.clone(),
            promotions: c.promotions.clone(),
            terms_of_service: c.terms_of_service.clone(),
        }),
        created: b.now,
        currency: b.currency,
        custom_fields: custom_fields::check(p.custom_fields.as_deref().unwrap_or_default())?,
        customer: p.customer.clone(),
        customer_account: p.customer_account.clone(),
        customer_details: p
            .customer_email
            .as_ref()
            .map(|e| CustomerDetails { email: Some(e.clone()), ..Default::default() }),
        customer_email: p.customer_email.clone(),
        discounts: p
            .discounts
            .iter()
            .flatten()
            .map(|d| Discount { coupon: d.coupon.clone(), promotion_code: d.promotion_code.clone() })
            .collect(),
        embed_origin: super::session_page::embed_origin(p.embed_origin.as_deref(), p.return_url.as_deref(), b.ui)?,
        excluded_payment_method_types: p.excluded_payment_method_types.clone().unwrap_or_default(),
        expires_at: p.expires_at.unwrap_or(b.now + super::session_params::MAX_EXPIRY),
        integration_identifier: p.integration_identifier.clone(),
        livemode: b.livemode,
        locale: p.locale.clone(),
        metadata: b.metadata,
        mode: b.mode,
        payment_method_options: p.payment_method_options.clone().unwrap_or_default(),
        payment_method_types: pm_types.into_iter().filter(|t| t == "card").collect(),
        payment_status: if b.mode == Mode::Setup { PaymentStatus::NoPaymentRequired } else { PaymentStatus::Unpaid },
        phone_number_collection: Enabled { enabled: p.phone_number_collection.as_ref().is_some_and(|x| x.enabled) },
        processor_route: p.processor_route.clone(),
        return_url: p.return_url.clone(),
        shipping_address_collection: p
            .shipping_address_collection
            .as_ref()
            .map(|s| ShippingAddressCollection { allowed_countries: s.allowed_countries.clone() }),
        success_url: p.success_url.clone(),
        ui_mode: b.ui,
        url: (b.ui == UiMode::HostedPage).then(|| format!("{}/pay/{}", b.public_url, b.id)),
        line_items: LineItemList::of(b.id, b.line_items),
        ..CheckoutSession::default()
    };
    if let Some(t) = &b.totals {
        s.set_totals(t);
    }
    closed_sets(p, &mut s)?;
    super::session_options::echo(p, &mut s);
    super::intent_data::keep(p, &mut s)?;
    Ok(s)
}

/// The params of closed sets (checked by `session_rules`), with the
/// defaults of the session's mode and UI.
fn closed_sets(p: &CreateParams, s: &mut CheckoutSession) -> Result<(), FieldError> {
    let creation = p.customer_creation.clone().or_else(|| (s.mode != Mode::Subscription).then(|| "if_required".into()));
    let collection =
        p.payment_method_collection.clone().or_else(|| (s.mode == Mode::Subscription).then(|| "always".into()));
    let redirect = (s.ui_mode == UiMode::EmbeddedPage)
        .then(|| p.redirect_on_completion.clone().unwrap_or_else(|| "always".into()));
    s.billing_address_collection =
        closed("billing_address_collection", p.billing_address_collection.as_deref().unwrap_or("auto"))?;
    s.card_tokenization_mode =
        closed("card_tokenization_mode", p.card_tokenization_mode.as_deref().unwrap_or("direct"))?;
    s.customer_creation = closed_opt("customer_creation", &creation)?;
    s.origin_context = closed_opt("origin_context", &p.origin_context)?;
    s.payment_method_collection = closed_opt("payment_method_collection", &collection)?;
    s.redirect_on_completion = closed_opt("redirect_on_completion", &redirect)?;
    s.submit_type = closed_opt("submit_type", &p.submit_type)?;
    s.tax_id_collection = TaxIdCollection {
        enabled: p.tax_id_collection.as_ref().is_some_and(|t| t.enabled),
        required: match p.tax_id_collection.as_ref().and_then(|t| t.required.as_deref()) {
            Some(r) => closed("tax_id_collection[required]", r)?,
            None => TaxIdRequired::Never,
        },
    };
    Ok(())
}

/// Failed payments a session takes in an hour before confirms are refused
/// (429): a page must not serve as a card-testing oracle.
pub const MAX_FAILURES: usize = 10;
const FAILURE_WINDOW: i64 = 3600;

/// Records one failed payment (a decline or a failed authentication).
pub fn record_failure(s: &mut CheckoutSession, now: i64) {
    s.failed_payments.retain(|t| now - t < FAILURE_WINDOW);
    s.failed_payments.push(now);
    let skip = s.failed_payments.len().saturating_sub(MAX_FAILURES);
    s.failed_payments.drain(..skip);
}

/// Failed payments within the last hour.
pub fn recent_failures(s: &CheckoutSession, now: i64) -> usize {
    s.failed_payments.iter().filter(|t| now - **t < FAILURE_WINDOW).count()
}

/// Open, but past `expires_at`: it reads as expired before any sweeper runs.
pub fn lapsed(s: &CheckoutSession, now: i64) -> bool {
    s.status == SessionStatus::Open && now >= s.expires_at
}

/// The times `t` for which the session renders as it does at `now`
/// (`render(s, t, ..)` is `render(s, now, ..)` for `from <= t < until`):
/// only an open session changes with the clock, when it lapses.
pub fn rendering_span(s: &CheckoutSession, now: i64) -> (i64, i64) {
    match s.status {
        SessionStatus::Open if now < s.expires_at => (i64::MIN, s.expires_at),
        SessionStatus::Open => (s.expires_at, i64::MAX),
        _ => (i64::MIN, i64::MAX),
    }
}

/// The status a session has at `now`.
pub fn status_at(s: &CheckoutSession, now: i64) -> SessionStatus {
    if lapsed(s, now) {
        SessionStatus::Expired
    } else {
        s.status
    }
}

/// The session as a client sees it at `now`, in `version`'s spelling (the
/// wire edge: older versions differ in their JSON), as a tree for
/// expansions to work on.
pub fn render(s: &CheckoutSession, now: i64, version: &ApiVersion, include_lines: bool) -> Value {
    let skip = shown_skip(include_lines);
    let mut wire = serde_json::to_value(s).unwrap_or_default();
    wire::edit_tree(&mut wire, &edits(s, now, version, &skip));
    wire
}

/// `render` as JSON text, written straight from the session.
pub fn render_text(
    s: &CheckoutSession,
    now: i64,
    version: &ApiVersion,
    include_lines: bool,
) -> Result<String, serde_json::Error> {
    let skip = shown_skip(include_lines);
    wire::to_string(s, &edits(s, now, version, &skip))
}

/// `render_text` as raw JSON: a session event's object.
pub fn render_raw(
    s: &CheckoutSession,
    now: i64,
    version: &ApiVersion,
) -> Result<Box<serde_json::value::RawValue>, serde_json::Error> {
    let skip = shown_skip(false);
    wire::to_raw(s, &edits(s, now, version, &skip))
}

/// The private fields, less `line_items` when they are included.
fn shown_skip(include_lines: bool) -> Vec<&'static str> {
    CheckoutSession::PRIVATE.iter().copied().filter(|k| !include_lines || *k != "line_items").collect()
}

/// What the wire shows beyond the stored session: the derived flags, and
/// the fields that depend on the time and the API version.
fn edits<'a>(s: &CheckoutSession, now: i64, version: &ApiVersion, skip: &'a [&'a str]) -> Edits<'a> {
    let mut e = Edits::skipping(skip);
    for (k, v) in flags(s) {
        e.set(k, Value::Bool(v));
    }
    if s.ui_mode == UiMode::HostedPage {
        e.set("client_secret", Value::Null);
    }
    if lapsed(s, now) {
        e.set("status", json!("expired"));
        e.set("url", Value::Null);
    }
    if status_at(s, now) != SessionStatus::Open {
        e.set("next_action", Value::Null);
    }
    if let Some(old) = old_ui_mode(s.ui_mode).filter(|_| !version.at_least(DAHLIA)) {
        e.set("ui_mode", json!(old));
    }
    e
}

/// `ui_mode` under the names of API versions before dahlia.
fn old_ui_mode(ui: UiMode) -> Option<&'static str> {
    match ui {
        UiMode::HostedPage => Some("hosted"),
        UiMode::EmbeddedPage => Some("embedded"),
        UiMode::Elements => Some("custom"),
        UiMode::Form => None,
    }
}

/// Seed 002's derived flags: what the buyer's form must ask for.
/// - `is_free`: the items cost nothing, before any discount;
/// - `is_discount_applicable`: some line has a fixed, non-zero price (custom
///   and free prices are not discounted);
/// - `is_payment_required`: something is due now;
/// - `is_payment_setup_required`: a card must be saved though nothing is due
///   now (setup mode, or a subscription whose first period is free);
/// - `is_payment_form_required`: either of the two.
pub fn flags(s: &CheckoutSession) -> [(&'static str, bool); 5] {
    let subtotal = s.amount_subtotal.unwrap_or(0);
    let total = s.amount_total.unwrap_or(0);
    let is_free = s.mode != Mode::Setup && subtotal == 0;
    let discountable = s.line_items.data.iter().any(|i| i.price.custom_unit_amount.is_none() && i.amount_subtotal > 0);
    let payment = s.mode != Mode::Setup && total > 0;
    let setup = s.mode == Mode::Setup || (s.mode == Mode::Subscription && total == 0);
    [
        ("is_discount_applicable", discountable),
        ("is_free", is_free),
        ("is_payment_required", payment),
        ("is_payment_setup_required", setup),
        ("is_payment_form_required", payment || setup),
    ]
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("Only Checkout Sessions with a status in [\"open\"] can be {action}. This Checkout Session has a status of `{status}`.")]
pub struct NotOpen {
    pub action: &'static str,
    pub status: String,
}

/// A confirm holds the session while its payment is tried.
pub fn confirming(s: &CheckoutSession, now: i64) -> bool {
    s.confirming_until.is_some_and(|t| t > now) || s.payment_intent_status.as_deref() == Some("processing")
}

/// `open` → `expired`. Terminal states stay terminal, and a session whose
/// payment is being tried is not expired under it.
pub fn expire(s: &CheckoutSession, now: i64) -> Result<CheckoutSession, NotOpen> {
    if confirming(s, now) {
        return Err(NotOpen { action: "expired", status: "open (a payment is in progress)".into() });
    }
    if s.status != SessionStatus::Open {
        return Err(NotOpen { action: "expired", status: s.status.as_str().to_owned() });
    }
    let mut out = s.clone();
    out.status = SessionStatus::Expired;
    out.url = None;
    Ok(out)
}

/// Only open sessions (in the reading at `now`) may change.
pub fn require_open(s: &CheckoutSession, now: i64, action: &'static str) -> Result<(), NotOpen> {
    match status_at(s, now) {
        SessionStatus::Open => Ok(()),
        other => Err(NotOpen { action, status: other.as_str().to_owned() }),
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
