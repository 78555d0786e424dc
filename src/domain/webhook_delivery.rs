//! One event's delivery to one endpoint (`wdl_…`): its attempts, its state,
//! and when it is next due. Workers find due deliveries by the `due:{endpoint}`
//! tag (one tag name per endpoint, so each endpoint's queue is read on its
//! own and none can crowd out another) and claim them with a lease (a
//! version-conditional write that moves the due time past the lease), so a
//! crashed attempt becomes due again by itself.

use serde_json::{json, Value};

use super::fields::time_tag;

pub const KIND: &str = "webhook_delivery";
/// Due deliveries are tagged `due:{endpoint}` = the zero-padded due time.
pub const DUE_PREFIX: &str = "due:";
/// Response bodies are kept up to this many bytes.
pub const MAX_BODY: usize = 4096;
/// Attempts kept on the delivery; older ones are dropped.
pub const MAX_ATTEMPTS_KEPT: usize = 30;

pub fn build(id: &str, now: i64, endpoint: &str, event: &Value) -> Value {
    json!({
        "id": id, "object": "webhook_delivery", "created": now,
        "webhook_endpoint": endpoint, "event": event["id"], "event_type": event["type"],
        "status": "pending", "attempt_count": 0, "attempts": [],
        "next_retry_at": now, "first_attempt_at": null, "lease_until": null,
    })
}

pub fn tags(doc: &Value) -> Vec<(String, String)> {
    let endpoint = doc["webhook_endpoint"].as_str().unwrap_or_default();
    let mut t = vec![
        ("webhook_endpoint".to_owned(), endpoint.to_owned()),
        ("event".to_owned(), doc["event"].as_str().unwrap_or_default().to_owned()),
    ];
    let due = match (doc["status"].as_str(), doc["lease_until"].as_i64(), doc["next_retry_at"].as_i64()) {
        (Some("pending"), Some(lease), _) => Some(lease),
        (Some("pending"), None, next) => next,
        _ => None,
    };
    if let Some(d) = due {
        t.push((format!("{DUE_PREFIX}{endpoint}"), time_tag(d)));
    }
    t
}

/// Claimed until `until`: no other worker takes it before then.
pub fn lease(doc: &Value, until: i64) -> Value {
    let mut d = doc.clone();
    d["lease_until"] = json!(until);
    d
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

/// Records an attempt. `next`: when to try again after a failure (`None`
/// gives up).
pub fn record(doc: &Value, a: &Attempt, next: Option<i64>) -> Value {
    let mut d = doc.clone();
    let ok = a.succeeded();
    let mut attempts = d["attempts"].as_array().cloned().unwrap_or_default();
    attempts.push(json!({
        "attempted_at": a.at, "status": if ok { "succeeded" } else { "failed" },
        "response_status": a.response_status, "duration_ms": a.duration_ms,
        "error": a.error, "response_body": a.response_body,
    }));
    if attempts.len() > MAX_ATTEMPTS_KEPT {
        attempts.drain(..attempts.len() - MAX_ATTEMPTS_KEPT);
    }
    d["attempts"] = json!(attempts);
    d["attempt_count"] = json!(d["attempt_count"].as_i64().unwrap_or(0).saturating_add(1));
    if d["first_attempt_at"].is_null() {
        d["first_attempt_at"] = json!(a.at);
    }
    d["lease_until"] = Value::Null;
    let (status, next) = match (ok, next) {
        (true, _) => ("succeeded", None),
        (false, Some(n)) => ("pending", Some(n)),
        (false, None) => ("failed", None),
    };
    d["status"] = json!(status);
    d["next_retry_at"] = json!(next);
    d
}

/// Ends a delivery without sending (its endpoint is gone or disabled).
pub fn cancel(doc: &Value) -> Value {
    let mut d = doc.clone();
    d["status"] = json!("canceled");
    d["lease_until"] = Value::Null;
    d["next_retry_at"] = Value::Null;
    d
}

/// Fields the API does not show.
pub fn render(doc: &Value) -> Value {
    let mut out = doc.clone();
    if let Some(m) = out.as_object_mut() {
        m.remove("lease_until");
        m.remove("first_attempt_at");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(status: Option<u16>) -> Attempt {
        Attempt { at: 10, response_status: status, duration_ms: 5, error: None, response_body: None }
    }

    fn due(doc: &Value) -> Option<String> {
        tags(doc).into_iter().find(|(k, _)| k == "due:we_1").map(|(_, v)| v)
    }

    #[test]
    fn a_delivery_is_due_at_once_then_at_its_lease_then_at_its_retry() {
        let d = build("wdl_1", 5, "we_1", &json!({"id": "evt_1", "type": "x"}));
        assert_eq!(due(&d), Some(time_tag(5)));
        let leased = lease(&d, 65);
        assert_eq!(due(&leased), Some(time_tag(65)), "a crashed attempt is due again after its lease");
        let failed = record(&leased, &attempt(Some(500)), Some(70));
        assert_eq!((failed["status"].as_str(), due(&failed)), (Some("pending"), Some(time_tag(70))));
        assert_eq!(failed["attempt_count"], 1);
        let ok = record(&failed, &attempt(Some(204)), None);
        assert_eq!((ok["status"].as_str(), due(&ok)), (Some("succeeded"), None));
        let gave_up = record(&failed, &attempt(None), None);
        assert_eq!((gave_up["status"].as_str(), due(&gave_up)), (Some("failed"), None));
        assert_eq!(due(&cancel(&failed)), None);
    }

    #[test]
    fn only_the_latest_attempts_are_kept() {
        let mut d = build("wdl_1", 0, "we_1", &json!({"id": "evt_1", "type": "x"}));
        for _ in 0..(MAX_ATTEMPTS_KEPT + 5) {
            d = record(&d, &attempt(Some(500)), Some(1));
        }
        assert_eq!(d["attempts"].as_array().unwrap().len(), MAX_ATTEMPTS_KEPT);
        assert_eq!(d["attempt_count"], MAX_ATTEMPTS_KEPT + 5);
    }
}
