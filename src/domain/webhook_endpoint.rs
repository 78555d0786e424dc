//! Webhook endpoints (`we_…`): where events are delivered, which ones, and
//! the secrets they are signed with. Secrets are stored sealed (see
//! `vault::secrets`) and shown only when created or rolled.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::fields::{max_len, FieldError};
use super::outbound::{self, UrlPolicy};
use super::session_rules::check_url;

pub const KIND: &str = "webhook_endpoint";
pub const MAX_URL: usize = 2048;
/// Both secrets sign for this long after a roll, unless told otherwise.
pub const DEFAULT_ROLL_GRACE_SECS: i64 = 24 * 3600;
pub const MAX_ROLL_GRACE_SECS: i64 = 7 * 24 * 3600;

/// Every event type kassa records, and the other Stripe types a merchant
/// may already subscribe to; anything else in `enabled_events` is a typo.
pub const EVENT_TYPES: &[&str] = &[
    "account.updated",
    "charge.captured",
    "charge.expired",
    "charge.failed",
    "charge.refunded",
    "charge.succeeded",
    "charge.updated",
    "checkout.session.async_payment_failed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.completed",
    "checkout.session.expired",
    "contract.created",
    "coupon.created",
    "coupon.deleted",
    "coupon.updated",
    "customer.created",
    "customer.deleted",
    "customer.updated",
    "payment_intent.amount_capturable_updated",
    "payment_intent.canceled",
    "payment_intent.created",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_method.attached",
    "price.created",
    "price.deleted",
    "price.updated",
    "processor_route.created",
    "product.created",
    "product.deleted",
    "product.updated",
    "promotion_code.created",
    "promotion_code.updated",
    "refund.created",
    "refund.failed",
    "refund.updated",
    "setup_intent.created",
    "setup_intent.succeeded",
    "shipping_rate.created",
    "shipping_rate.updated",
    "tax_rate.created",
    "tax_rate.updated",
    "webhook_endpoint.disabled",
];

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointParams {
    pub url: Option<String>,
    pub enabled_events: Option<Vec<String>>,
    pub description: Option<String>,
    pub metadata: Option<BTreeMap<String, Option<String>>>,
    pub api_version: Option<String>,
    pub connect: Option<bool>,
    /// Update only.
    pub disabled: Option<bool>,
}

/// `url`: absolute http(s), at most 2048 characters, and allowed by the
/// mode's outbound policy (live mode: public https).
pub fn check_url_param(url: &str, policy: UrlPolicy) -> Result<(), FieldError> {
    max_len("url", url, MAX_URL)?;
    check_url("url", url)?;
    outbound::check("url", url, policy)
}

/// The most of a receiver's answer that is kept and shown, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// What the deliveries API shows of a receiver's response body: at most
/// `EXCERPT_CHARS` characters, whitespace runs as one space, without
/// control, bidirectional-override or zero-width characters (which could
/// disguise the text in a terminal or a log viewer). It stays plain text
/// in a JSON string: nothing is HTML-escaped, and nothing needs to be.
pub fn response_excerpt(body: &str) -> String {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{061c}' | '\u{feff}')
    };
    let words: Vec<String> = body.split_whitespace().map(|w| w.chars().filter(|c| !hidden(*c)).collect()).collect();
    let clean: Vec<char> =
        words.iter().filter(|w| !w.is_empty()).map(String::as_str).collect::<Vec<_>>().join(" ").chars().collect();
    if clean.len() <= EXCERPT_CHARS {
        return clean.into_iter().collect();
    }
    // Cut: the last character shown is an ellipsis.
    let mut out: String = clean[..EXCERPT_CHARS - 1].iter().collect();
    out.push('…');
    out
}

/// `enabled_events`: non-empty, each `*` or a known type.
pub fn check_events(events: &[String]) -> Result<(), FieldError> {
    if events.is_empty() {
        return Err(FieldError {
            param: "enabled_events".into(),
            code: "parameter_missing",
            message: "Missing required param: enabled_events.".into(),
        });
    }
    for (i, e) in events.iter().enumerate() {
        if e != "*" && !EVENT_TYPES.contains(&e.as_str()) {
            return Err(FieldError {
                param: format!("enabled_events[{i}]"),
                code: "parameter_invalid_enum",
                message: format!(
                    "Invalid event type: '{}'. Use '*' or a known event type.",
                    e.chars().take(64).collect::<String>()
                ),
            });
        }
    }
    Ok(())
}

/// A new endpoint; `secrets` holds the sealed secret (see `vault::secrets`).
pub fn build(id: &str, livemode: bool, now: i64, url: &str, events: &[String], p: &EndpointParams) -> Value {
    json!({
        "id": id, "object": "webhook_endpoint", "api_version": p.api_version, "application": null,
        "created": now, "description": p.description, "enabled_events": events, "livemode": livemode,
        "metadata": {}, "status": "enabled", "url": url,
        "secrets": [], "failing_since": null,
    })
}

/// Fields kept in the stored document that the API never shows.
const PRIVATE: &[&str] = &["secrets", "failing_since"];

/// The endpoint as the API shows it (never a secret, unless `secret` is the
/// one just made).
pub fn render(doc: &Value, secret: Option<&str>) -> Value {
    let mut out = doc.clone();
    if let Some(m) = out.as_object_mut() {
        for k in PRIVATE {
            m.remove(*k);
        }
        if let Some(s) = secret {
            m.insert("secret".into(), json!(s));
        }
    }
    out
}

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    vec![("status".into(), doc["status"].as_str().unwrap_or("enabled").to_owned())]
}

/// The sealed secrets that still sign at `now`, newest first.
pub fn signing_secrets(doc: &Value, now: i64) -> Vec<String> {
    doc["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["expires_at"].as_i64().is_none_or(|t| t > now))
        .filter_map(|s| s["sealed"].as_str().map(str::to_owned))
        .collect()
}

/// Adds a new sealed secret; the old ones keep signing until `now + grace`.
pub fn roll(doc: &mut Value, sealed: String, now: i64, grace: i64) {
    let mut kept: Vec<Value> = doc["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["expires_at"].as_i64().is_none_or(|t| t > now))
        .map(|s| {
            let mut s = s.clone();
            let until = now.saturating_add(grace);
            let t = s["expires_at"].as_i64().map_or(until, |t| t.min(until));
            s["expires_at"] = json!(t);
            s
        })
        .filter(|s| s["expires_at"].as_i64().is_some_and(|t| t > now))
        .collect();
    kept.insert(0, json!({"sealed": sealed, "expires_at": null}));
    doc["secrets"] = json!(kept);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_roll_keeps_the_old_secret_for_the_grace_period_only() {
        let mut doc = json!({"secrets": [{"sealed": "old", "expires_at": null}]});
        roll(&mut doc, "new".into(), 100, 50);
        assert_eq!(signing_secrets(&doc, 120), vec!["new", "old"]);
        assert_eq!(signing_secrets(&doc, 150), vec!["new"]);
        roll(&mut doc, "newer".into(), 200, 0);
        assert_eq!(signing_secrets(&doc, 200), vec!["newer"]);
    }

    #[test]
    fn event_types_and_urls_are_checked() {
        assert!(check_events(&["*".into()]).is_ok());
        assert!(check_events(&["checkout.session.completed".into()]).is_ok());
        assert_eq!(
            check_events(&["a".into(), "checkout.sesion.completed".into()]).unwrap_err().param,
            "enabled_events[0]"
        );
        assert_eq!(check_events(&[]).unwrap_err().code, "parameter_missing");
        let open = UrlPolicy::Open;
        assert!(check_url_param("https://example.com/hook", open).is_ok());
        assert!(check_url_param("example.com/hook", open).is_err());
        assert!(check_url_param("ftp://example.com/hook", open).is_err());
        assert!(check_url_param(&format!("https://e.com/{}", "a".repeat(2048)), open).is_err());
        assert!(check_url_param("http://127.0.0.1:3000/hook", open).is_ok());
        assert!(check_url_param("http://127.0.0.1:3000/hook", UrlPolicy::PublicHttps).is_err());
        assert!(check_url_param("https://example.com/hook", UrlPolicy::PublicHttps).is_ok());
    }

    #[test]
    fn a_response_excerpt_is_short_and_plain() {
        assert_eq!(
            response_excerpt("  ok\r\n\tthanks \u{0}\u{1b}[31m<b>&amp;</b>\u{202e}x\u{200b}y  "),
            "ok thanks [31m<b>&amp;</b>xy"
        );
        let long = response_excerpt(&"é".repeat(1000));
        assert_eq!(long.chars().count(), EXCERPT_CHARS);
        assert!(long.ends_with('…'));
        let exact = "a".repeat(EXCERPT_CHARS);
        assert_eq!(response_excerpt(&exact), exact);
        let spaced = response_excerpt(&format!("{} {}", "a".repeat(EXCERPT_CHARS - 1), "b"));
        assert_eq!(spaced.chars().count(), EXCERPT_CHARS);
        assert!(spaced.ends_with('…'));
        assert_eq!(response_excerpt(""), "");
    }

    #[test]
    fn the_api_never_shows_stored_secrets() {
        let doc = json!({"id": "we_1", "secrets": [{"sealed": "x"}], "failing_since": 5});
        assert_eq!(render(&doc, None), json!({"id": "we_1"}));
        assert_eq!(render(&doc, Some("whsec_1"))["secret"], "whsec_1");
    }
}
