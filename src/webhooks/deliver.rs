//! One delivery attempt: claim (a lease), sign, POST, record. Every write is
//! version-conditional, so a worker that lost its lease (it was too slow, or
//! another node took over after a crash) records nothing over the winner.

use rand::Rng;
use serde_json::{json, Value};

use crate::domain::event::{self, EventContext};
use crate::domain::version;
use crate::domain::webhook::{self, DISABLE_AFTER_SECS};
use crate::domain::webhook_delivery::{self as delivery, Attempt};
use crate::domain::webhook_endpoint as endpoint;
use crate::store::{Change, ChangeSet, Scope, StoreError, StoreResult, StoredObject};
use crate::AppState;

/// Longer than any attempt (10 s timeout) with a wide margin.
pub const LEASE_SECS: i64 = 60;

async fn commit(state: &AppState, scope: &Scope, changes: Vec<Change>, events: Vec<Value>) -> StoreResult<()> {
    state.store.commit(ChangeSet { scope: scope.clone(), changes, events, idempotency: None }).await
}

fn update(id: &str, version: i64, doc: Value, tags: Vec<(String, String)>) -> Change {
    Change::Update { id: id.to_owned(), expected_version: version, doc, tags }
}

/// Claims a due delivery for this worker; `None` if another got it.
pub async fn claim(state: &AppState, scope: &Scope, obj: &StoredObject) -> StoreResult<Option<(Value, i64)>> {
    let doc = delivery::lease(&obj.doc, state.now().saturating_add(LEASE_SECS));
    let change = update(&obj.id, obj.version, doc.clone(), delivery::tags(&doc));
    match commit(state, scope, vec![change], vec![]).await {
        Ok(()) => Ok(Some((doc, obj.version + 1))),
        Err(StoreError::Conflict) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The headers of both signature schemes, one signature per live secret.
/// The sender writes their names in this case (HTTP/1 title case).
pub fn signed_headers(secrets: &[String], event_id: &str, t: i64, body: &str) -> Vec<(&'static str, String)> {
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    vec![
        ("Stripe-Signature", webhook::stripe_signature(&refs, t, body)),
        ("Webhook-Id", event_id.to_owned()),
        ("Webhook-Timestamp", t.to_string()),
        ("Webhook-Signature", webhook::standard_signature(&refs, event_id, t, body)),
    ]
}

/// Sends a claimed delivery and records what happened.
#[tracing::instrument(skip_all, fields(delivery = doc["id"].as_str().unwrap_or_default(), account = %scope.account_id))]
pub async fn attempt(state: &AppState, scope: &Scope, doc: Value, version: i64) -> StoreResult<()> {
    let id = doc["id"].as_str().unwrap_or_default().to_owned();
    // How late it is: its due time stays `next_retry_at` while it is leased.
    let lag = state.now().saturating_sub(doc["next_retry_at"].as_i64().unwrap_or_else(|| state.now()));
    let ep_id = doc["webhook_endpoint"].as_str().unwrap_or_default();
    let ep = state.store.get_object(scope, ep_id).await?.filter(|e| !e.deleted && e.doc["status"] == "enabled");
    let evt = state.store.get_object(scope, doc["event"].as_str().unwrap_or_default()).await?;
    let (Some(ep), Some(evt)) = (ep, evt) else {
        crate::meters::meters().webhook_delivery("canceled", lag);
        let done = delivery::cancel(&doc);
        let change = update(&id, version, done.clone(), delivery::tags(&done));
        return ignore_conflict(commit(state, scope, vec![change], vec![]).await);
    };
    let t = state.now();
    let secrets: Vec<String> = endpoint::signing_secrets(&ep.doc, t)
        .iter()
        .filter_map(|sealed| state.secrets.open(sealed, &ep.id).ok())
        .collect();
    let body = serde_json::to_string(&evt.doc).unwrap_or_default();
    let sent = if secrets.is_empty() {
        crate::webhooks::send::Sent {
            status: None,
            body: None,
            error: Some("no usable signing secret".into()),
            duration_ms: 0,
        }
    } else {
        let headers = signed_headers(&secrets, &evt.id, t, &body);
        let url = ep.doc["url"].as_str().unwrap_or_default();
        state.webhook_sender.post(scope.livemode, url, &headers, body).await
    };
    let a = Attempt {
        at: t,
        response_status: sent.status,
        duration_ms: sent.duration_ms,
        error: sent.error,
        response_body: sent.body,
    };
    crate::meters::meters().webhook_delivery(if a.succeeded() { "succeeded" } else { "failed" }, lag);
    let now = state.now();
    let gone = a.response_status == Some(410);
    let failed = u32::try_from(doc["attempt_count"].as_i64().unwrap_or(0).saturating_add(1)).unwrap_or(u32::MAX);
    let first = doc["first_attempt_at"].as_i64().unwrap_or(t);
    let next = match (a.succeeded(), gone) {
        (true, _) | (false, true) => None,
        (false, false) => state.cfg.webhooks.retry.next_attempt(first, now, failed, rand::thread_rng().gen()),
    };
    let recorded = delivery::record(&doc, &a, next);
    if !record(state, scope, &id, version, recorded, &evt.id, a.succeeded()).await? {
        return Ok(());
    }
    endpoint_health(state, scope, &ep.id, a.succeeded(), gone, now).await
}

fn ignore_conflict(r: StoreResult<()>) -> StoreResult<()> {
    match r {
        Err(StoreError::Conflict) => Ok(()),
        other => other,
    }
}

/// The delivery's outcome and, on success, one less pending webhook on
/// the event, in one commit. `false` if the lease was lost.
async fn record(
    state: &AppState,
    scope: &Scope,
    id: &str,
    version: i64,
    doc: Value,
    event_id: &str,
    succeeded: bool,
) -> StoreResult<bool> {
    for _ in 0..10 {
        let mut changes = vec![update(id, version, doc.clone(), delivery::tags(&doc))];
        if succeeded {
            if let Some(e) = state.store.get_object(scope, event_id).await? {
                let mut ev = e.doc.clone();
                let pending = ev["pending_webhooks"].as_i64().unwrap_or(0);
                ev["pending_webhooks"] = json!((pending - 1).max(0));
                changes.push(update(&e.id, e.version, ev.clone(), event::tags(&ev)));
            }
        }
        match commit(state, scope, changes, vec![]).await {
            Ok(()) => return Ok(true),
            Err(StoreError::Conflict) => {
                let mine = state.store.get_object(scope, id).await?.is_some_and(|d| d.version == version);
                if !mine {
                    tracing::info!(delivery = id, "webhook delivery taken over by another worker; result dropped");
                    return Ok(false);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Conflict)
}

/// Success clears an endpoint's failure streak. A 410 disables it at once;
/// failing for five days without a success disables it too.
async fn endpoint_health(
    state: &AppState,
    scope: &Scope,
    ep_id: &str,
    ok: bool,
    gone: bool,
    now: i64,
) -> StoreResult<()> {
    for _ in 0..10 {
        let Some(ep) = state.store.get_object(scope, ep_id).await? else { return Ok(()) };
        if ep.deleted || ep.doc["status"] != "enabled" {
            return Ok(());
        }
        let mut doc = ep.doc.clone();
        let since = doc["failing_since"].as_i64();
        let mut events = Vec::new();
        match (ok, since) {
            (true, None) => return Ok(()),
            (true, Some(_)) => doc["failing_since"] = Value::Null,
            (false, _) => {
                let since = since.unwrap_or(now);
                doc["failing_since"] = json!(since);
                if gone || now.saturating_sub(since) >= DISABLE_AFTER_SECS {
                    doc["status"] = json!("disabled");
                    doc["disabled_reason"] = json!(if gone { "gone" } else { "failing" });
                    let ctx = EventContext {
                        api_version: version::LATEST,
                        livemode: scope.livemode,
                        now,
                        request_id: None,
                        idempotency_key: None,
                        ids: &crate::ids::RandomIds,
                    };
                    events.push(event::build(&ctx, "webhook_endpoint.disabled", &endpoint::render(&doc, None), None));
                    tracing::warn!(endpoint = ep_id, gone, "webhook endpoint disabled");
                } else if doc == ep.doc {
                    return Ok(());
                }
            }
        }
        let change = update(&ep.id, ep.version, doc.clone(), endpoint::tags(&doc));
        match commit(state, scope, vec![change], events).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
