//! The Checkout Session object (`checkout.session`): how it is built, how it
//! reads at a given time and API version, and its state transitions.
//!
//! Stored sessions keep their line items inside the document (under
//! `line_items`, as the list object) so a session and its items change in one
//! write; `render` removes them unless the caller expanded `line_items`.

use serde_json::{json, Map, Value};

use super::custom_fields;
use super::fields::{time_tag, FieldError};
use super::pricing::Totals;
use super::session_params::{CreateParams, Mode, UiMode};
use super::version::{ApiVersion, DAHLIA};

pub const KIND: &str = "checkout.session";

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
    pub line_items: Vec<Value>,
    pub metadata: Value,
}

fn or_null<T: serde::Serialize>(v: &Option<T>) -> Value {
    v.as_ref().map(|x| json!(x)).unwrap_or(Value::Null)
}

pub fn totals_json(t: &Totals) -> (Value, Value, Value) {
    (
        json!(t.subtotal),
        json!(t.total),
        json!({"amount_discount": t.discount, "amount_shipping": t.shipping, "amount_tax": t.tax}),
    )
}

/// A new open session with every field of reference §2.1.
pub fn build(p: &CreateParams, b: Built<'_>) -> Result<Value, FieldError> {
    let expires_at = p.expires_at.unwrap_or(b.now + super::session_params::MAX_EXPIRY);
    let (subtotal, total, details) = match &b.totals {
        Some(t) => totals_json(t),
        None => (Value::Null, Value::Null, Value::Null),
    };
    let pm_types = p
        .allowed_payment_method_types
        .clone()
        .or_else(|| p.payment_method_types.clone())
        .unwrap_or_else(|| vec!["card".into()]);
    let pm_types: Vec<String> = pm_types.into_iter().filter(|t| t == "card").collect();
    let custom_fields = custom_fields::check(p.custom_fields.as_deref().unwrap_or_default())?;
    let payment_status = if b.mode == Mode::Setup { "no_payment_required" } else { "unpaid" };
    let url = if b.ui == UiMode::HostedPage { json!(format!("{}/pay/{}", b.public_url, b.id)) } else { Value::Null };
    let discounts = match &p.discounts {
        Some(d) => {
            json!(d.iter().map(|d| json!({"coupon": d.coupon, "promotion_code": d.promotion_code})).collect::<Vec<_>>())
        }
        None => json!([]),
    };
    let after_completion = match &p.after_completion {
        Some(a) => super::session_page::after_completion(a, b.ui)?,
        None => Value::Null,
    };
    let embed_origin = super::session_page::embed_origin(p.embed_origin.as_deref(), p.return_url.as_deref(), b.ui)?;
    let mut doc = json!({
        "id": b.id, "object": "checkout.session", "after_completion": after_completion, "embed_origin": embed_origin,
        "allow_promotion_codes": p.allow_promotion_codes,
        "allowed_payment_method_types": p.allowed_payment_method_types,
        "amount_subtotal": subtotal, "amount_total": total,
        "automatic_tax": {"enabled": false, "liability": null, "provider": null, "status": null},
        "billing_address_collection": p.billing_address_collection.clone().unwrap_or_else(|| "auto".into()),
        "cancel_url": p.cancel_url, "client_reference_id": p.client_reference_id,
        "client_secret": b.client_secret, "collected_information": null, "consent": null,
        "consent_collection": or_null(&p.consent_collection.as_ref().map(|c| json!({
            "payment_method_reuse_agreement": c.payment_method_reuse_agreement.as_ref().map(|a| json!({"position": a.position})),
            "promotions": c.promotions, "terms_of_service": c.terms_of_service,
        }))),
        "created": b.now, "currency": b.currency, "currency_conversion": null,
        "custom_fields": custom_fields,
        "customer": p.customer, "customer_account": p.customer_account,
        "customer_creation": p.customer_creation.clone().or_else(|| (b.mode != Mode::Subscription).then(|| "if_required".into())),
        "customer_details": p.customer_email.as_ref().map(|e| json!({
            "address": null, "business_name": null, "email": e, "individual_name": null, "name": null,
            "phone": null, "tax_exempt": null, "tax_ids": null,
        })),
        "customer_email": p.customer_email, "discounts": discounts,
        "excluded_payment_method_types": p.excluded_payment_method_types.clone().unwrap_or_default(),
        "expires_at": expires_at, "integration_identifier": p.integration_identifier, "invoice": null,
        "livemode": b.livemode, "locale": p.locale,
        "metadata": b.metadata, "mode": b.mode.as_str(), "origin_context": p.origin_context,
        "payment_intent": null, "payment_link": null,
        "payment_method_collection": p.payment_method_collection.clone().or_else(|| (b.mode == Mode::Subscription).then(|| "always".into())),
        "payment_method_configuration_details": null,
        "payment_method_options": super::payment_method_options::echo(&p.payment_method_options),
        "payment_method_types": pm_types, "payment_status": payment_status,
        "phone_number_collection": {"enabled": p.phone_number_collection.as_ref().is_some_and(|x| x.enabled)},
        "processor_route": p.processor_route, "recovered_from": null, "contract": null,
        "cascade_tiers": null, "cascade_status": null,
        "card_tokenization_mode": p.card_tokenization_mode.clone().unwrap_or_else(|| "direct".into()),
        "redirect_on_completion": if b.ui == UiMode::EmbeddedPage { json!(p.redirect_on_completion.clone().unwrap_or_else(|| "always".into())) } else { Value::Null },
        "return_url": p.return_url,
        "setup_intent": null,
        "shipping_address_collection": or_null(&p.shipping_address_collection.as_ref().map(|s| json!({"allowed_countries": s.allowed_countries}))),
        "shipping_cost": null, "shipping_options": [], "status": "open", "submit_type": p.submit_type,
        "subscription": null, "success_url": p.success_url,
        "tax_id_collection": {"enabled": p.tax_id_collection.as_ref().is_some_and(|t| t.enabled), "required": p.tax_id_collection.as_ref().and_then(|t| t.required.clone()).unwrap_or_else(|| "never".into())},
        "total_details": details, "ui_mode": b.ui.as_str(), "url": url,
    });
    if let Value::Object(m) = &mut doc {
        m.insert("line_items".into(), lines_list(b.id, b.line_items));
        for (k, v) in super::session_options::echo(p) {
            m.insert(k.into(), v);
        }
    }
    super::intent_data::keep(p, &mut doc)?;
    Ok(doc)
}

/// The line items as Stripe's list object.
pub fn lines_list(session_id: &str, items: Vec<Value>) -> Value {
    json!({"object": "list", "data": items, "has_more": false, "url": format!("/v1/checkout/sessions/{session_id}/line_items")})
}

/// `collected_information` holding a shipping name and address, as both
/// the merchant's update and the buyer's confirm record it.
pub fn collected_shipping(name: &Option<String>, a: &super::customer::Address) -> Value {
    json!({"business_name": null, "individual_name": null, "shipping_details": {
        "name": name,
        "address": {"city": a.city, "country": a.country, "line1": a.line1, "line2": a.line2, "postal_code": a.postal_code, "state": a.state},
    }})
}

/// Fields kassa keeps in the stored document that are not Stripe's.
const PRIVATE: &[&str] = &[
    "line_items",
    "payment_intent_data",
    "subscription_data",
    "setup_intent_data",
    "customer_update",
    "payment_method_data",
    "confirming_until",
    "payment_intent_status",
    "total_details_breakdown",
    "failed_payments",
    "applied_coupon",
];

/// Failed payments a session takes in an hour before confirms are refused
/// (429): a page must not serve as a card-testing oracle.
pub const MAX_FAILURES: usize = 10;
const FAILURE_WINDOW: i64 = 3600;

/// Records one failed payment (a decline or a failed authentication).
pub fn record_failure(doc: &mut Value, now: i64) {
    let mut times: Vec<i64> = doc["failed_payments"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).filter(|t| now - t < FAILURE_WINDOW).collect())
        .unwrap_or_default();
    times.push(now);
    let skip = times.len().saturating_sub(MAX_FAILURES);
    doc["failed_payments"] = json!(times[skip..]);
}

/// Failed payments within the last hour.
pub fn recent_failures(doc: &Value, now: i64) -> usize {
    doc["failed_payments"]
        .as_array()
        .map_or(0, |a| a.iter().filter_map(Value::as_i64).filter(|t| now - t < FAILURE_WINDOW).count())
}

/// Open, but past `expires_at`: it reads as expired before any sweeper runs.
pub fn lapsed(doc: &Value, now: i64) -> bool {
    doc["status"] == "open" && doc["expires_at"].as_i64().is_some_and(|t| now >= t)
}

/// The status a session has at `now`.
pub fn status_at(doc: &Value, now: i64) -> &str {
    if lapsed(doc, now) {
        "expired"
    } else {
        doc["status"].as_str().unwrap_or("open")
    }
}

/// The session as a client sees it at `now`, in `version`'s spelling.
pub fn render(doc: &Value, now: i64, version: &ApiVersion, include_lines: bool) -> Value {
    let mut out: Map<String, Value> = doc.as_object().cloned().unwrap_or_default();
    let lines = out.get("line_items").cloned();
    for k in PRIVATE {
        out.remove(*k);
    }
    if include_lines {
        if let Some(l) = lines {
            out.insert("line_items".into(), l);
        }
    }
    // Sessions stored before cascades (or seed 003's next_action) existed
    // have none of these fields.
    for k in ["cascade_tiers", "cascade_status", "next_action"] {
        out.entry(k).or_insert(Value::Null);
    }
    for (k, v) in flags(doc) {
        out.insert(k.into(), json!(v));
    }
    if out.get("ui_mode").and_then(Value::as_str) == Some("hosted_page") {
        out.insert("client_secret".into(), Value::Null);
    }
    if lapsed(doc, now) {
        out.insert("status".into(), json!("expired"));
        out.insert("url".into(), Value::Null);
    }
    if out.get("status").and_then(Value::as_str) != Some("open") {
        out.insert("next_action".into(), Value::Null);
    }
    if !version.at_least(DAHLIA) {
        let old = match out.get("ui_mode").and_then(Value::as_str) {
            Some("hosted_page") => Some("hosted"),
            Some("embedded_page") => Some("embedded"),
            Some("elements") => Some("custom"),
            _ => None,
        };
        if let Some(old) = old {
            out.insert("ui_mode".into(), json!(old));
        }
    }
    Value::Object(out)
}

/// Seed 002's derived flags: what the buyer's form must ask for.
/// - `is_free`: the items cost nothing, before any discount;
/// - `is_discount_applicable`: some line has a fixed, non-zero price (custom
///   and free prices are not discounted);
/// - `is_payment_required`: something is due now;
/// - `is_payment_setup_required`: a card must be saved though nothing is due
///   now (setup mode, or a subscription whose first period is free);
/// - `is_payment_form_required`: either of the two.
pub fn flags(doc: &Value) -> [(&'static str, bool); 5] {
    let items = doc["line_items"]["data"].as_array().cloned().unwrap_or_default();
    let subtotal = doc["amount_subtotal"].as_i64().unwrap_or(0);
    let total = doc["amount_total"].as_i64().unwrap_or(0);
    let mode = doc["mode"].as_str().unwrap_or("payment");
    let is_free = mode != "setup" && subtotal == 0;
    let discountable = items
        .iter()
        .any(|i| i["price"]["custom_unit_amount"].is_null() && i["amount_subtotal"].as_i64().unwrap_or(0) > 0);
    let payment = mode != "setup" && total > 0;
    let setup = mode == "setup" || (mode == "subscription" && total == 0);
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
pub fn confirming(doc: &Value, now: i64) -> bool {
    doc["confirming_until"].as_i64().is_some_and(|t| t > now) || doc["payment_intent_status"] == "processing"
}

/// `open` → `expired`. Terminal states stay terminal, and a session whose
/// payment is being tried is not expired under it.
pub fn expire(doc: &Value, now: i64) -> Result<Value, NotOpen> {
    if confirming(doc, now) {
        return Err(NotOpen { action: "expired", status: "open (a payment is in progress)".into() });
    }
    if doc["status"] != "open" {
        return Err(NotOpen { action: "expired", status: doc["status"].as_str().unwrap_or("unknown").to_owned() });
    }
    let mut out = doc.clone();
    out["status"] = json!("expired");
    out["url"] = Value::Null;
    let _ = now;
    Ok(out)
}

/// Only open sessions (in the reading at `now`) may change.
pub fn require_open(doc: &Value, now: i64, action: &'static str) -> Result<(), NotOpen> {
    match status_at(doc, now) {
        "open" => Ok(()),
        s => Err(NotOpen { action, status: s.to_owned() }),
    }
}

/// The list filters a session is found by, and its expiry schedule.
pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let mut t = vec![("status".to_owned(), doc["status"].as_str().unwrap_or_default().to_owned())];
    for (name, v) in [
        ("customer", &doc["customer"]),
        ("payment_intent", &doc["payment_intent"]),
        ("payment_link", &doc["payment_link"]),
        ("customer_details.email", &doc["customer_details"]["email"]),
    ] {
        if let Some(s) = v.as_str() {
            t.push((name.to_owned(), s.to_owned()));
        }
    }
    if doc["status"] == "open" {
        if let Some(at) = doc["expires_at"].as_i64() {
            t.push((OPEN_UNTIL.to_owned(), time_tag(at)));
        }
    }
    t
}

/// The tag the expiry sweeper looks for.
pub const OPEN_UNTIL: &str = "open_until";

#[cfg(test)]
mod tests {
    use super::*;

    fn open(expires_at: i64) -> Value {
        json!({"id": "cs_1", "status": "open", "expires_at": expires_at, "url": "http://x/pay/cs_1", "ui_mode": "embedded_page", "line_items": {"data": []}})
    }

    #[test]
    fn a_session_past_its_expiry_reads_as_expired() {
        let v = ApiVersion::latest();
        assert_eq!(render(&open(100), 99, &v, false)["status"], "open");
        let r = render(&open(100), 100, &v, false);
        assert_eq!(r["status"], "expired");
        assert_eq!(r["url"], Value::Null);
        assert!(r.get("line_items").is_none());
        assert!(render(&open(100), 1, &v, true).get("line_items").is_some());
    }

    #[test]
    fn derived_flags_follow_the_amounts_and_the_mode() {
        let paid = json!({"mode": "payment", "amount_subtotal": 500, "amount_total": 500,
                          "line_items": {"data": [{"amount_subtotal": 500, "price": {"custom_unit_amount": null}}]}});
        let f: std::collections::HashMap<_, _> = flags(&paid).into_iter().collect();
        assert!(f["is_payment_required"] && f["is_payment_form_required"] && f["is_discount_applicable"]);
        assert!(!f["is_free"] && !f["is_payment_setup_required"]);
        let free = json!({"mode": "payment", "amount_subtotal": 0, "amount_total": 0, "line_items": {"data": []}});
        let f: std::collections::HashMap<_, _> = flags(&free).into_iter().collect();
        assert!(f["is_free"] && !f["is_payment_required"] && !f["is_payment_form_required"]);
        let setup = json!({"mode": "setup", "amount_subtotal": null, "amount_total": null});
        let f: std::collections::HashMap<_, _> = flags(&setup).into_iter().collect();
        assert!(f["is_payment_setup_required"] && f["is_payment_form_required"] && !f["is_free"]);
        let custom = json!({"mode": "payment", "amount_subtotal": 900, "amount_total": 900,
                            "line_items": {"data": [{"amount_subtotal": 900, "price": {"custom_unit_amount": {"minimum": 50}}}]}});
        let f: std::collections::HashMap<_, _> = flags(&custom).into_iter().collect();
        assert!(!f["is_discount_applicable"]);
    }

    #[test]
    fn failures_count_for_an_hour_and_keep_at_most_the_limit() {
        let mut d = json!({"status": "open"});
        for t in 0..15 {
            record_failure(&mut d, 100 + t);
        }
        assert_eq!(recent_failures(&d, 120), MAX_FAILURES);
        assert_eq!(d["failed_payments"].as_array().map(Vec::len), Some(MAX_FAILURES));
        assert_eq!(recent_failures(&d, 100 + 3600 + 10), 4);
        assert!(render(&d, 0, &ApiVersion::parse(crate::domain::version::LATEST).unwrap(), false)
            .get("failed_payments")
            .is_none());
    }

    #[test]
    fn ui_mode_is_spelled_by_api_version() {
        let old = ApiVersion::parse("2025-03-31.basil").unwrap();
        assert_eq!(render(&open(100), 1, &old, false)["ui_mode"], "embedded");
        assert_eq!(render(&open(100), 1, &ApiVersion::latest(), false)["ui_mode"], "embedded_page");
    }

    #[test]
    fn only_open_sessions_expire_and_terminal_states_stay() {
        let e = expire(&open(100), 5).unwrap();
        assert_eq!(e["status"], "expired");
        assert_eq!(expire(&e, 6).unwrap_err().status, "expired");
        let done = json!({"status": "complete"});
        assert!(expire(&done, 1).is_err());
        assert!(require_open(&done, 1, "updated").is_err());
        assert!(require_open(&open(100), 100, "updated").is_err());
    }

    #[test]
    fn open_sessions_carry_their_expiry_tag_and_closed_ones_do_not() {
        assert!(tags(&open(100)).contains(&(OPEN_UNTIL.to_owned(), time_tag(100))));
        let e = expire(&open(100), 5).unwrap();
        assert!(!tags(&e).iter().any(|(k, _)| k == OPEN_UNTIL));
    }
}
