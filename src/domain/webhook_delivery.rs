//! One event's delivery to one endpoint (`wdl_…`): its attempts, its state,
//! and when it is next due. Workers find due deliveries by the `due:{endpoint}`
//! tag (one tag name per endpoint, so each endpoint's queue is read on its
//! own and none can crowd out another) and claim them with a lease (a
//! version-conditional write that moves the due time past the lease), so a
//! crashed attempt becomes due again by itself.

use serde::{Deserialize, Serialize};

use super::document::{Document, Tag};
use super::fields::time_tag;
use super::ids::IdSource;
use super::webhook;
use super::webhook_endpoint::WebhookEndpoint;

pub const KIND: &str = "webhook_delivery";
/// Due deliveries are tagged `due:{endpoint}` = the zero-padded due time.
pub const DUE_PREFIX: &str = "due:";
/// Response bodies are kept up to this many bytes.
pub const MAX_BODY: usize = 4096;
/// Attempts kept on the delivery; older ones are dropped.
pub const MAX_ATTEMPTS_KEPT: usize = 30;

crate::wire_name!(WebhookDeliveryObject, "webhook_delivery");

/// Where a delivery stands. Only `pending` ones are ever due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Succeeded,
    /// Retries ran out, or the receiver answered 410.
    Failed,
    /// Its endpoint or event was gone (or the endpoint disabled) when due.
    Canceled,
}

/// How one attempt ended: a 2xx answer, or anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Succeeded,
    Failed,
}

/// One attempt as kept on the delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttemptRecord {
    pub attempted_at: i64,
    pub status: AttemptStatus,
    pub response_status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    /// A sanitized excerpt of the receiver's answer (older deliveries kept
    /// up to `MAX_BODY` bytes; the API shows an excerpt of those too).
    pub response_body: Option<String>,
}

/// A stored delivery. `lease_until` and `first_attempt_at` are the
/// worker's bookkeeping, never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookDelivery {
    pub id: String,
    #[schema(value_type = String)]
    pub object: WebhookDeliveryObject,
    pub created: i64,
    pub webhook_endpoint: String,
    pub event: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempt_count: u32,
    pub attempts: Vec<AttemptRecord>,
    /// When it is next due (its due time stays this while it is leased).
    pub next_retry_at: Option<i64>,
    #[schema(ignore)]
    pub first_attempt_at: Option<i64>,
    #[schema(ignore)]
    pub lease_until: Option<i64>,
}

impl Document for WebhookDelivery {
    const KIND: &'static str = KIND;
    const PREFIX: &'static str = "wdl";
    const PRIVATE: &'static [&'static str] = &["lease_until", "first_attempt_at"];

    fn id(&self) -> &str {
        &self.id
    }
    fn created(&self) -> i64 {
        self.created
    }
    fn tags(&self) -> Vec<Tag> {
        let mut t = vec![
            ("webhook_endpoint".to_owned(), self.webhook_endpoint.clone()),
            ("event".to_owned(), self.event.clone()),
        ];
        if let Some(d) = self.due() {
            t.push((format!("{DUE_PREFIX}{}", self.webhook_endpoint), time_tag(d)));
        }
        t
    }
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

/// What one attempt found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub at: i64,
    pub response_status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
    pub response_body: Option<String>,
}

impl Attempt {
    pub fn succeeded(&self) -> bool {
        self.response_status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A new delivery of event `event` (of type `event_type`) to `endpoint`, due at once.
pub fn build(id: &str, now: i64, endpoint: &str, event: &str, event_type: &str) -> WebhookDelivery {
    WebhookDelivery {
        id: id.to_owned(),
        object: WebhookDeliveryObject,
        created: now,
        webhook_endpoint: endpoint.to_owned(),
        event: event.to_owned(),
        event_type: event_type.to_owned(),
        status: DeliveryStatus::Pending,
        attempt_count: 0,
        attempts: Vec::new(),
        next_retry_at: Some(now),
        first_attempt_at: None,
        lease_until: None,
    }
}

impl WebhookDelivery {
    /// When a worker should take it: its lease's end while leased (so a
    /// crashed attempt is due again), else its next retry; never unless pending.
    pub fn due(&self) -> Option<i64> {
        match self.status {
            DeliveryStatus::Pending => self.lease_until.or(self.next_retry_at),
            _ => None,
        }
    }

    /// Claimed until `until`: no other worker takes it before then.
    pub fn lease(&self, until: i64) -> Self {
        Self { lease_until: Some(until), ..self.clone() }
    }

    /// Records an attempt. `next`: when to try again after a failure
    /// (`None` gives up).
    pub fn record(&self, a: &Attempt, next: Option<i64>) -> Self {
        let mut d = self.clone();
        let ok = a.succeeded();
        d.attempts.push(AttemptRecord {
            attempted_at: a.at,
            status: if ok { AttemptStatus::Succeeded } else { AttemptStatus::Failed },
            response_status: a.response_status,
            duration_ms: a.duration_ms,
            error: a.error.clone(),
            response_body: a.response_body.clone(),
        });
        if d.attempts.len() > MAX_ATTEMPTS_KEPT {
            d.attempts.drain(..d.attempts.len() - MAX_ATTEMPTS_KEPT);
        }
        d.attempt_count = d.attempt_count.saturating_add(1);
        d.first_attempt_at = d.first_attempt_at.or(Some(a.at));
        d.lease_until = None;
        (d.status, d.next_retry_at) = match (ok, next) {
            (true, _) => (DeliveryStatus::Succeeded, None),
            (false, Some(n)) => (DeliveryStatus::Pending, Some(n)),
            (false, None) => (DeliveryStatus::Failed, None),
        };
        d
    }

    /// Ends it without sending (its endpoint is gone or disabled).
    pub fn cancel(&self) -> Self {
        Self { status: DeliveryStatus::Canceled, lease_until: None, next_retry_at: None, ..self.clone() }
    }
}

/// The deliveries of one event (`event` of type `event_type`): one to each
/// of `endpoints` that takes that type, due at `now`. Both store backends
/// call this inside their commit, with the endpoints read in that same
/// transaction, so an event is never recorded without its deliveries.
pub fn fan_out(
    event: &str,
    event_type: &str,
    now: i64,
    endpoints: &[WebhookEndpoint],
    ids: &dyn IdSource,
) -> Vec<WebhookDelivery> {
    endpoints
        .iter()
        .filter(|ep| webhook::wants(&ep.enabled_events, event_type))
        .map(|ep| build(&ids.new_id(WebhookDelivery::PREFIX), now, &ep.id, event, event_type))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attempt(status: Option<u16>) -> Attempt {
        Attempt { at: 10, response_status: status, duration_ms: 5, error: None, response_body: None }
    }

    fn due(d: &WebhookDelivery) -> Option<String> {
        d.tags().into_iter().find(|(k, _)| k == "due:we_1").map(|(_, v)| v)
    }

    #[test]
    fn a_delivery_is_due_at_once_then_at_its_lease_then_at_its_retry() {
        let d = build("wdl_1", 5, "we_1", "evt_1", "x");
        assert_eq!(due(&d), Some(time_tag(5)));
        let leased = d.lease(65);
        assert_eq!(due(&leased), Some(time_tag(65)), "a crashed attempt is due again after its lease");
        let failed = leased.record(&attempt(Some(500)), Some(70));
        assert_eq!((failed.status, due(&failed)), (DeliveryStatus::Pending, Some(time_tag(70))));
        assert_eq!((failed.attempt_count, failed.first_attempt_at), (1, Some(10)));
        let ok = failed.record(&attempt(Some(204)), None);
        assert_eq!((ok.status, due(&ok)), (DeliveryStatus::Succeeded, None));
        let gave_up = failed.record(&attempt(None), None);
        assert_eq!((gave_up.status, due(&gave_up)), (DeliveryStatus::Failed, None));
        assert_eq!(due(&failed.cancel()), None);
        assert_eq!(failed.cancel().status, DeliveryStatus::Canceled);
    }

    #[test]
    fn only_the_latest_attempts_are_kept() {
        let mut d = build("wdl_1", 0, "we_1", "evt_1", "x");
        for _ in 0..(MAX_ATTEMPTS_KEPT + 5) {
            d = d.record(&attempt(Some(500)), Some(1));
        }
        assert_eq!(d.attempts.len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(d.attempt_count as usize, MAX_ATTEMPTS_KEPT + 5);
    }

    #[test]
    fn a_delivery_round_trips_and_hides_its_bookkeeping() {
        let d = build("wdl_1", 5, "we_1", "evt_1", "customer.created").lease(60).record(&attempt(Some(500)), Some(70));
        let stored = serde_json::to_value(&d).unwrap();
        assert_eq!(
            stored["attempts"][0],
            json!({"attempted_at": 10, "status": "failed", "response_status": 500, "duration_ms": 5,
                   "error": null, "response_body": null})
        );
        assert_eq!((stored["lease_until"].clone(), stored["first_attempt_at"].clone()), (json!(null), json!(10)));
        let back: WebhookDelivery = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(back, d);
        let wire = d.wire();
        assert!(wire.get("lease_until").is_none() && wire.get("first_attempt_at").is_none());
        assert_eq!((wire["object"].as_str(), wire["status"].as_str()), (Some("webhook_delivery"), Some("pending")));
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
    fn a_document_of_another_shape_does_not_decode() {
        let mut v = serde_json::to_value(build("wdl_1", 5, "we_1", "evt_1", "x")).unwrap();
        v["surprise"] = json!(1);
        assert!(serde_json::from_value::<WebhookDelivery>(v).is_err());
        let mut v = serde_json::to_value(build("wdl_1", 5, "we_1", "evt_1", "x")).unwrap();
        v["status"] = json!("lost");
        assert!(serde_json::from_value::<WebhookDelivery>(v).is_err());
    }

    fn endpoint(id: &str, events: &[&str]) -> WebhookEndpoint {
        serde_json::from_value(json!({
            "id": id, "object": "webhook_endpoint", "api_version": null, "application": null, "created": 1,
            "description": null, "enabled_events": events, "livemode": false, "metadata": {}, "status": "enabled",
            "url": "https://example.com/hook", "secrets": [], "failing_since": null,
        }))
        .unwrap()
    }

    #[test]
    fn fan_out_reaches_only_the_endpoints_that_take_the_type() {
        let eps = [
            endpoint("we_all", &["*"]),
            endpoint("we_pi", &["payment_intent.succeeded"]),
            endpoint("we_no", &["charge.refunded"]),
        ];
        let ids = crate::domain::ids::Sequential::default();
        let out = fan_out("evt_1", "payment_intent.succeeded", 7, &eps, &ids);
        let got: Vec<_> = out.iter().map(|d| (d.id.as_str(), d.webhook_endpoint.as_str(), d.due())).collect();
        assert_eq!(got, vec![("wdl_1", "we_all", Some(7)), ("wdl_2", "we_pi", Some(7))]);
        assert!(out.iter().all(|d| d.event == "evt_1" && d.event_type == "payment_intent.succeeded"));
    }
}
