//! Webhook endpoints (`we_…`): where events are delivered, which ones, and
//! the secrets they are signed with. Secrets are stored sealed (see
//! `vault::secrets`) and shown only when created or rolled.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::document::{Document, Tag};
use super::fields::{max_len, FieldError};
use super::metadata;
use super::outbound::{self, UrlPolicy};
use super::session_rules::check_url;
use super::version::ApiVersion;
use super::webhook::{check_events, DISABLE_AFTER_SECS};

pub const KIND: &str = "webhook_endpoint";
pub const MAX_URL: usize = 2048;
/// Both secrets sign for this long after a roll, unless told otherwise.
pub const DEFAULT_ROLL_GRACE_SECS: i64 = 24 * 3600;
pub const MAX_ROLL_GRACE_SECS: i64 = 7 * 24 * 3600;

crate::wire_name!(WebhookEndpointObject, "webhook_endpoint");

/// Only `enabled` endpoints get deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndpointStatus {
    Enabled,
    Disabled,
}

impl EndpointStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::Enabled => "enabled",
            EndpointStatus::Disabled => "disabled",
        }
    }
}

/// Why kassa disabled an endpoint by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisabledReason {
    /// The receiver answered 410 Gone.
    Gone,
    /// No delivery succeeded for `DISABLE_AFTER_SECS`.
    Failing,
}

/// A signing secret as stored: sealed with the endpoint's id
/// (`vault::secrets`); `expires_at` is set once a newer one was rolled.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedSecret {
    pub sealed: String,
    pub expires_at: Option<i64>,
}

/// Sealed is not shown: a secret never reaches a log, even sealed.
impl fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSecret").field("sealed", &"[hidden]").field("expires_at", &self.expires_at).finish()
    }
}

/// A stored webhook endpoint. Its sealed `secrets` and its failure streak
/// (`failing_since`) are kassa's own, never shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookEndpoint {
    pub id: String,
    #[schema(value_type = String)]
    pub object: WebhookEndpointObject,
    pub api_version: Option<String>,
    /// Stripe's Connect application; kassa has none.
    pub application: Option<String>,
    pub created: i64,
    pub description: Option<String>,
    /// Present only while kassa keeps the endpoint disabled by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<DisabledReason>,
    pub enabled_events: Vec<String>,
    pub livemode: bool,
    pub metadata: BTreeMap<String, String>,
    pub status: EndpointStatus,
    pub url: String,
    #[schema(ignore)]
    pub secrets: Vec<SealedSecret>,
    #[schema(ignore)]
    pub failing_since: Option<i64>,
}

impl fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("url", &self.url)
            .field("enabled_events", &self.enabled_events)
            .field("secrets", &format_args!("[{} hidden]", self.secrets.len()))
            .field("failing_since", &self.failing_since)
            .finish_non_exhaustive()
    }
}

impl Document for WebhookEndpoint {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "we";
    const PRIVATE: &'static [&'static str] = &["secrets", "failing_since"];

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        vec![("status".to_owned(), self.status.as_str().to_owned())]
    }
}

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

fn check_common(p: &EndpointParams) -> Result<(), FieldError> {
    if let Some(d) = &p.description {
        max_len("description", d, 5000)?;
    }
    if let Some(v) = &p.api_version {
        ApiVersion::parse(v).map_err(|_| FieldError::invalid("api_version", "Invalid api_version."))?;
    }
    if p.connect == Some(true) {
        return Err(FieldError::invalid("connect", "kassa has no connected accounts."));
    }
    Ok(())
}

/// `url`: absolute http(s), at most 2048 characters, and allowed by the
/// mode's outbound policy (live mode: public https).
pub fn check_url_param(url: &str, policy: UrlPolicy) -> Result<(), FieldError> {
    max_len("url", url, MAX_URL)?;
    check_url("url", url)?;
    outbound::check("url", url, policy)
}

fn missing(p: &str) -> FieldError {
    FieldError { param: p.into(), code: "parameter_missing", message: format!("Missing required param: {p}.") }
}

/// A new endpoint, without a secret yet (`roll` adds the first one).
/// `policy`: where the mode lets deliveries go.
pub fn build(
    id: &str,
    livemode: bool,
    now: i64,
    p: &EndpointParams,
    policy: UrlPolicy,
) -> Result<WebhookEndpoint, FieldError> {
    let url = p.url.as_deref().ok_or_else(|| missing("url"))?;
    check_url_param(url, policy)?;
    let events = p.enabled_events.as_deref().ok_or_else(|| missing("enabled_events"))?;
    check_events(events)?;
    check_common(p)?;
    let metadata = match &p.metadata {
        Some(m) => metadata::merged(&BTreeMap::new(), m)?,
        None => BTreeMap::new(),
    };
    Ok(WebhookEndpoint {
        id: id.to_owned(),
        object: WebhookEndpointObject,
        api_version: p.api_version.clone(),
        application: None,
        created: now,
        description: p.description.clone(),
        disabled_reason: None,
        enabled_events: events.to_vec(),
        livemode,
        metadata,
        status: EndpointStatus::Enabled,
        url: url.to_owned(),
        secrets: Vec::new(),
        failing_since: None,
    })
}

/// The params checked on their own, before the endpoint is read.
pub fn check_update(p: &EndpointParams, policy: UrlPolicy) -> Result<(), FieldError> {
    if let Some(u) = &p.url {
        check_url_param(u, policy)?;
    }
    if let Some(e) = &p.enabled_events {
        check_events(e)?;
    }
    check_common(p)
}

/// Applies an update (checked by `check_update`); re-enabling clears the
/// failure streak and why kassa had disabled it.
pub fn update(current: &WebhookEndpoint, p: &EndpointParams) -> Result<WebhookEndpoint, FieldError> {
    let mut out = current.clone();
    if let Some(u) = &p.url {
        out.url = u.clone();
    }
    if let Some(e) = &p.enabled_events {
        out.enabled_events = e.clone();
    }
    if let Some(d) = &p.description {
        out.description = Some(d.clone());
    }
    if let Some(v) = &p.api_version {
        out.api_version = Some(v.clone());
    }
    if let Some(d) = p.disabled {
        out.status = if d { EndpointStatus::Disabled } else { EndpointStatus::Enabled };
        if !d {
            out.failing_since = None;
            out.disabled_reason = None;
        }
    }
    if let Some(m) = &p.metadata {
        out.metadata = metadata::merged(&out.metadata, m)?;
    }
    Ok(out)
}

impl WebhookEndpoint {
    /// The sealed secrets that still sign at `now`, newest first.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        self.secrets.iter().filter(|s| s.expires_at.is_none_or(|t| t > now)).map(|s| s.sealed.as_str()).collect()
    }

    /// Adds a new sealed secret; the old ones keep signing until `now + grace`.
    pub fn roll(&mut self, sealed: String, now: i64, grace: i64) {
        let until = now.saturating_add(grace);
        let mut kept: Vec<SealedSecret> = self
            .secrets
            .iter()
            .filter(|s| s.expires_at.is_none_or(|t| t > now))
            .map(|s| SealedSecret {
                sealed: s.sealed.clone(),
                expires_at: Some(s.expires_at.map_or(until, |t| t.min(until))),
            })
            .filter(|s| s.expires_at.is_some_and(|t| t > now))
            .collect();
        kept.insert(0, SealedSecret { sealed, expires_at: None });
        self.secrets = kept;
    }

    /// The endpoint as the create and roll answers show it, with the
    /// secret just made.
    pub fn shown_with_secret(&self, secret: &str) -> Value {
        let mut out = self.wire();
        if let Some(m) = out.as_object_mut() {
            m.insert("secret".into(), Value::String(secret.to_owned()));
        }
        out
    }

    /// What one delivery attempt does to an enabled endpoint's health:
    /// success ends a failure streak; a 410 (`gone`) disables it at once,
    /// and so does failing for `DISABLE_AFTER_SECS`. `None` when nothing
    /// changes, else the endpoint and whether it was disabled just now.
    pub fn after_attempt(&self, ok: bool, gone: bool, now: i64) -> Option<(Self, bool)> {
        if self.status != EndpointStatus::Enabled {
            return None;
        }
        let mut next = self.clone();
        if ok {
            next.failing_since = None;
        } else {
            let since = self.failing_since.unwrap_or(now);
            next.failing_since = Some(since);
            if gone || now.saturating_sub(since) >= DISABLE_AFTER_SECS {
                next.status = EndpointStatus::Disabled;
                next.disabled_reason = Some(if gone { DisabledReason::Gone } else { DisabledReason::Failing });
                return Some((next, true));
            }
        }
        (next != *self).then_some((next, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> EndpointParams {
        serde_json::from_value(v).unwrap()
    }

    fn endpoint() -> WebhookEndpoint {
        let p = params(json!({"url": "https://example.com/hook", "enabled_events": ["*"], "metadata": {"a": "1"}}));
        let mut ep = build("we_1", false, 5, &p, UrlPolicy::Open).unwrap();
        ep.roll("sealed-1".into(), 5, 0);
        ep
    }

    #[test]
    fn an_endpoint_round_trips_and_never_shows_its_secrets() {
        let ep = endpoint();
        let stored = serde_json::to_value(&ep).unwrap();
        assert_eq!(stored["secrets"], json!([{"sealed": "sealed-1", "expires_at": null}]));
        assert!(stored.get("disabled_reason").is_none(), "absent until kassa disables it");
        let back: WebhookEndpoint = serde_json::from_value(stored).unwrap();
        assert_eq!(back, ep);
        let wire = ep.wire();
        assert!(wire.get("secrets").is_none() && wire.get("failing_since").is_none());
        assert_eq!((wire["object"].as_str(), wire["status"].as_str()), (Some("webhook_endpoint"), Some("enabled")));
        assert_eq!((wire["application"].clone(), wire["api_version"].clone()), (Value::Null, Value::Null));
        assert_eq!(ep.shown_with_secret("whsec_1")["secret"], "whsec_1");
        assert!(ep.shown_with_secret("whsec_1").get("secrets").is_none());
        let debug = format!("{ep:?} {:?}", ep.secrets);
        assert!(!debug.contains("sealed-1"), "{debug}");
        assert_eq!(ep.tags(), vec![("status".to_owned(), "enabled".to_owned())]);
    }

    #[test]
    fn a_document_of_another_shape_does_not_decode() {
        let mut v = serde_json::to_value(endpoint()).unwrap();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<WebhookEndpoint>(v).is_err());
        let mut v = serde_json::to_value(endpoint()).unwrap();
        v["status"] = json!("paused");
        assert!(serde_json::from_value::<WebhookEndpoint>(v).is_err());
    }

    #[test]
    fn a_roll_keeps_the_old_secret_for_the_grace_period_only() {
        let mut ep = endpoint();
        ep.secrets = vec![SealedSecret { sealed: "old".into(), expires_at: None }];
        ep.roll("new".into(), 100, 50);
        assert_eq!(ep.signing_secrets(120), vec!["new", "old"]);
        assert_eq!(ep.signing_secrets(150), vec!["new"]);
        ep.roll("newer".into(), 200, 0);
        assert_eq!(ep.signing_secrets(200), vec!["newer"]);
    }

    #[test]
    fn params_are_checked_naming_their_param() {
        let err = |v: Value| build("we_1", false, 0, &params(v), UrlPolicy::Open).unwrap_err();
        assert_eq!(err(json!({"enabled_events": ["*"]})).param, "url");
        assert_eq!(err(json!({"url": "https://e.com"})).param, "enabled_events");
        assert_eq!(err(json!({"url": "e.com", "enabled_events": ["*"]})).param, "url");
        let bad = json!({"url": "https://e.com", "enabled_events": ["*"], "api_version": "x"});
        assert_eq!(err(bad).param, "api_version");
        assert_eq!(err(json!({"url": "https://e.com", "enabled_events": ["*"], "connect": true})).param, "connect");
        let meta = json!({"url": "https://e.com", "enabled_events": ["*"], "metadata": {"a[b]": "1"}});
        assert_eq!(err(meta).param, "metadata[a[b]]");
        let live = check_update(&params(json!({"url": "http://127.0.0.1/h"})), UrlPolicy::PublicHttps);
        assert_eq!(live.unwrap_err().param, "url");
        let open = UrlPolicy::Open;
        assert!(check_url_param("https://example.com/hook", open).is_ok());
        assert!(check_url_param("ftp://example.com/hook", open).is_err());
        assert!(check_url_param(&format!("https://e.com/{}", "a".repeat(2048)), open).is_err());
        assert!(check_url_param("http://127.0.0.1:3000/hook", UrlPolicy::PublicHttps).is_err());
    }

    #[test]
    fn failing_disables_and_reenabling_clears_the_streak() {
        let ep = endpoint();
        assert_eq!(ep.after_attempt(true, false, 10), None);
        let (failing, off) = ep.after_attempt(false, false, 10).unwrap();
        assert_eq!((failing.failing_since, off), (Some(10), false));
        assert_eq!(failing.after_attempt(false, false, 20), None, "the streak keeps its start");
        let (off, now_off) = failing.after_attempt(false, false, 10 + DISABLE_AFTER_SECS).unwrap();
        assert_eq!(
            (off.status, off.disabled_reason, now_off),
            (EndpointStatus::Disabled, Some(DisabledReason::Failing), true)
        );
        assert_eq!(serde_json::to_value(&off).unwrap()["disabled_reason"], "failing");
        let (gone, _) = ep.after_attempt(false, true, 10).unwrap();
        assert_eq!(gone.disabled_reason, Some(DisabledReason::Gone));
        let again = update(&off, &params(json!({"disabled": false, "description": "d"}))).unwrap();
        assert_eq!((again.status, again.disabled_reason, again.failing_since), (EndpointStatus::Enabled, None, None));
        assert_eq!((again.description.as_deref(), again.tags()), (Some("d"), ep.tags()));
        assert_eq!(failing.after_attempt(true, false, 30).unwrap().0.failing_since, None);
    }
}
