//! The webhook endpoints a commit's events fan out to, read just before the
//! one-statement commit (`commit.rs`) rather than inside it.
//!
//! Why this is as good as the read inside the transaction it replaces:
//! PostgreSQL runs at READ COMMITTED, where every statement of a
//! transaction takes a fresh snapshot, so that read saw the endpoints
//! committed before it started, and nothing held them still until COMMIT.
//! A separate statement just before the commit sees the same thing: every
//! endpoint committed before it, and none after. The one difference is the
//! set's own endpoint writes (the delivery worker disables an endpoint and
//! records `webhook_endpoint.disabled` in one set): the old read came after
//! them, so `overlay` applies them to what was read.

use sqlx::postgres::PgPool;

use super::super::*;
use super::{backend, bound, to_object};
use crate::domain::webhook_endpoint::{self, EndpointStatus, WebhookEndpoint};
use crate::store::{fanout, sql};

/// The scope's enabled endpoints as they are once `set.changes` apply.
/// Read are the enabled ones and those the set changes (it may enable
/// one), never the other disabled ones: as on SQLite, an endpoint that no
/// event can reach is not decoded, so one that does not decode cannot
/// stop every commit with events.
pub(super) async fn enabled_endpoints(pool: &PgPool, set: &ChangeSet) -> StoreResult<Vec<WebhookEndpoint>> {
    let built = sql::list(&set.scope, &fanout::enabled_endpoints(), sql::Dialect::Postgres);
    let rows = bound(&built).fetch_all(pool).await.map_err(backend)?;
    let mut found = rows.iter().map(to_object).collect::<StoreResult<Vec<_>>>()?;
    let prefix = format!("{}_", WebhookEndpoint::PREFIX);
    for change in &set.changes {
        let id = match change {
            Change::Update { id, .. } | Change::Delete { id, .. } if id.starts_with(&prefix) => id,
            _ => continue,
        };
        if found.iter().any(|o| o.id == *id) {
            continue;
        }
        let row = sqlx::query(
            "SELECT seq, id, kind, created, version, deleted, doc FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3 AND kind = $4 AND NOT deleted",
        )
        .bind(id)
        .bind(&set.scope.account_id)
        .bind(set.scope.livemode)
        .bind(webhook_endpoint::KIND)
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
        if let Some(r) = row {
            found.push(to_object(&r)?);
        }
    }
    overlay(fanout::decode(&found)?, &set.changes)
}

/// `endpoints` (newest first) with `changes` applied, the enabled ones only.
/// An update or delete of an endpoint names one that was read: its version
/// was read before the set was built, so it was committed before this read.
fn overlay(mut endpoints: Vec<WebhookEndpoint>, changes: &[Change]) -> StoreResult<Vec<WebhookEndpoint>> {
    for change in changes {
        match change {
            Change::Insert { kind, doc, .. } if kind == webhook_endpoint::KIND => endpoints.insert(0, decode(doc)?),
            Change::Update { id, doc, .. } => {
                if let Some(ep) = endpoints.iter_mut().find(|ep| ep.id == *id) {
                    *ep = decode(doc)?;
                }
            }
            Change::Delete { id, .. } => endpoints.retain(|ep| ep.id != *id),
            Change::Insert { .. } => {}
        }
    }
    endpoints.retain(|ep| ep.status == EndpointStatus::Enabled);
    Ok(endpoints)
}

fn decode(doc: &str) -> StoreResult<WebhookEndpoint> {
    serde_json::from_str(doc)
        .map_err(|e| StoreError::Backend(format!("a written webhook endpoint does not decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint(id: &str, status: &str) -> WebhookEndpoint {
        serde_json::from_value(json!({
            "id": id, "object": "webhook_endpoint", "api_version": null, "application": null, "created": 1,
            "description": null, "enabled_events": ["*"], "livemode": false, "metadata": {}, "status": status,
            "url": "https://example.com/hook", "secrets": [], "failing_since": null,
        }))
        .unwrap()
    }

    fn ids(eps: &[WebhookEndpoint]) -> Vec<&str> {
        eps.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn the_sets_own_endpoint_writes_count() {
        let read = vec![endpoint("we_a", "enabled"), endpoint("we_b", "enabled"), endpoint("we_off", "disabled")];
        let changes = vec![
            Change::insert(&endpoint("we_new", "enabled")).unwrap(),
            Change::update(&endpoint("we_a", "disabled"), 1).unwrap(),
            Change::update(&endpoint("we_off", "enabled"), 1).unwrap(),
            Change::Delete { id: "we_b".into(), expected_version: 1, doc: json!({"deleted": true}).to_string() },
            Change::Insert { id: "x".into(), kind: "thing".into(), created: 1, doc: "{}".into(), tags: vec![] },
        ];
        assert_eq!(ids(&overlay(read, &changes).unwrap()), ["we_new", "we_off"]);
    }

    #[test]
    fn without_endpoint_writes_the_read_stands() {
        let read = vec![endpoint("we_a", "enabled"), endpoint("we_off", "disabled")];
        let other = Change::Update { id: "cus_1".into(), expected_version: 1, doc: "{}".into(), tags: vec![] };
        assert_eq!(ids(&overlay(read, &[other]).unwrap()), ["we_a"]);
    }
}
