//! One delivery attempt: claim (a lease), sign, POST, record. Every write is
//! version-conditional, so a worker that lost its lease (it was too slow, or
//! another node took over after a crash) records nothing over the winner.

use rand::Rng;

use crate::domain::document::Document;
use crate::domain::event::{self, Event};
use crate::domain::webhook;
use crate::domain::webhook_delivery::{Attempt, DeliveryStatus, WebhookDelivery};
use crate::domain::webhook_endpoint::{EndpointStatus, WebhookEndpoint};
use crate::store::{Change, ChangeSet, Scope, StoreError, StoreResult, StoredObject};
use crate::AppState;

/// Longer than any attempt (10 s timeout) with a wide margin.
pub const LEASE_SECS: i64 = 60;

async fn commit(state: &AppState, scope: &Scope, changes: Vec<Change>, events: Vec<Event>) -> StoreResult<()> {
    crate::engine::commit::commit(state, ChangeSet { scope: scope.clone(), changes, events, idempotency: None }).await
}

/// Claims a due delivery for this worker; `None` if another got it.
pub async fn claim(state: &AppState, scope: &Scope, obj: &StoredObject) -> StoreResult<Option<(WebhookDelivery, i64)>> {
    let Some(current) = obj.decode::<WebhookDelivery>()? else { return Ok(None) };
    let leased = current.lease(state.now().saturating_add(LEASE_SECS));
    let change = Change::update(&leased, obj.version)?;
    match commit(state, scope, vec![change], vec![]).await {
        Ok(()) => Ok(Some((leased, obj.version + 1))),
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

/// The delivery's endpoint, if it still takes deliveries.
async fn live_endpoint(state: &AppState, scope: &Scope, id: &str) -> StoreResult<Option<WebhookEndpoint>> {
    let Some(obj) = state.store.get_object(scope, id).await?.filter(|e| !e.deleted) else { return Ok(None) };
    Ok(obj.decode::<WebhookEndpoint>()?.filter(|ep| ep.status == EndpointStatus::Enabled))
}

/// Signs and POSTs the event to the endpoint, with every secret that
/// still signs (opened only here, never logged).
async fn send(state: &AppState, scope: &Scope, ep: &WebhookEndpoint, evt: &Event, t: i64) -> Attempt {
    let secrets: Vec<String> =
        ep.signing_secrets(t).into_iter().filter_map(|sealed| state.secrets.open(sealed, &ep.id).ok()).collect();
    // Through the JSON tree, so the body's keys are sorted (a stored
    // document follows its struct's field order instead).
    let body = crate::domain::wire::tree_text(&evt.wire());
    let sent = if secrets.is_empty() {
        crate::webhooks::send::Sent {
            status: None,
            body: None,
            error: Some("no usable signing secret".into()),
            duration_ms: 0,
        }
    } else {
        let headers = signed_headers(&secrets, &evt.id, t, &body);
        state.webhook_sender.post(scope.livemode, &ep.url, &headers, body).await
    };
    Attempt {
        at: t,
        response_status: sent.status,
        duration_ms: sent.duration_ms,
        error: sent.error,
        response_body: sent.body,
    }
}

/// Sends a claimed delivery and records what happened.
#[tracing::instrument(skip_all, fields(delivery = %d.id, account = %scope.account_id))]
pub async fn attempt(state: &AppState, scope: &Scope, d: WebhookDelivery, version: i64) -> StoreResult<()> {
    // How late it is: its due time stays `next_retry_at` while it is leased.
    let lag = state.now().saturating_sub(d.next_retry_at.unwrap_or_else(|| state.now()));
    let ep = live_endpoint(state, scope, &d.webhook_endpoint).await?;
    let evt = match state.store.get_object(scope, &d.event).await? {
        Some(obj) => obj.decode::<Event>()?,
        None => None,
    };
    let (Some(ep), Some(evt)) = (ep, evt) else {
        crate::meters::meters().webhook_delivery("canceled", lag);
        let change = Change::update(&d.cancel(), version)?;
        return ignore_conflict(commit(state, scope, vec![change], vec![]).await);
    };
    let t = state.now();
    let a = send(state, scope, &ep, &evt, t).await;
    crate::meters::meters().webhook_delivery(if a.succeeded() { "succeeded" } else { "failed" }, lag);
    let now = state.now();
    let gone = a.response_status == Some(410);
    let failed = d.attempt_count.saturating_add(1);
    let first = d.first_attempt_at.unwrap_or(t);
    let next = match (a.succeeded(), gone) {
        (true, _) | (false, true) => None,
        (false, false) => state.cfg.webhooks.retry.next_attempt(first, now, failed, rand::thread_rng().gen()),
    };
    if !record(state, scope, &d.record(&a, next), version, &evt.id).await? {
        return Ok(());
    }
    endpoint_health(state, scope, &ep.id, (a.succeeded(), gone), now).await
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
    d: &WebhookDelivery,
    version: i64,
    event_id: &str,
) -> StoreResult<bool> {
    let (id, succeeded) = (d.id.as_str(), d.status == DeliveryStatus::Succeeded);
    for _ in 0..10 {
        let mut changes = vec![Change::update(d, version)?];
        if succeeded {
            if let Some(e) = state.store.get_object(scope, event_id).await? {
                if let Some(mut ev) = e.decode::<Event>()? {
                    ev.pending_webhooks = (ev.pending_webhooks - 1).max(0);
                    changes.push(Change::update(&ev, e.version)?);
                }
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
    (ok, gone): (bool, bool),
    now: i64,
) -> StoreResult<()> {
    for _ in 0..10 {
        let Some(obj) = state.store.get_object(scope, ep_id).await?.filter(|e| !e.deleted) else { return Ok(()) };
        let Some(current) = obj.decode::<WebhookEndpoint>()? else { return Ok(()) };
        let Some((next, disabled)) = current.after_attempt(ok, gone, now) else { return Ok(()) };
        let mut events = Vec::new();
        if disabled {
            let ctx = crate::ids::system_events(scope.livemode, now);
            events.push(event::of(&ctx, "webhook_endpoint.disabled", &next));
            tracing::warn!(endpoint = ep_id, gone, "webhook endpoint disabled");
        }
        match commit(state, scope, vec![Change::update(&next, obj.version)?], events).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
