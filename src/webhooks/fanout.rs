//! Every committed event gets one delivery per enabled endpoint that wants
//! it, written in the same transaction as the event: an event is never
//! recorded without its deliveries, whichever code path wrote it.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};

use crate::domain::document::Document;
use crate::domain::webhook;
use crate::domain::webhook_delivery::{self, WebhookDelivery};
use crate::domain::webhook_endpoint::{self, EndpointStatus, WebhookEndpoint};
use crate::ids::new_id;
use crate::store::*;

/// A `Store` that adds deliveries to change sets carrying events.
pub struct Fanout {
    inner: Arc<dyn Store>,
    /// Wakes this node's delivery worker when deliveries were committed.
    due: Arc<tokio::sync::Notify>,
}

impl Fanout {
    pub fn wrap(inner: Arc<dyn Store>, due: Arc<tokio::sync::Notify>) -> Arc<dyn Store> {
        Arc::new(Self { inner, due })
    }
}

/// Accounts have at most this many endpoints (Stripe's limit too).
pub const MAX_ENDPOINTS: usize = 16;

/// The account's enabled endpoints, with the event types each takes.
pub async fn enabled_endpoints(store: &dyn Store, scope: &Scope) -> StoreResult<Vec<(String, Vec<String>)>> {
    let q = ListQuery {
        kind: webhook_endpoint::KIND.into(),
        filters: vec![("status".into(), EndpointStatus::Enabled.as_str().into())],
        any_of: Vec::new(),
        created: CreatedRange::default(),
        cursor: None,
        limit: MAX_ENDPOINTS * 2,
    };
    let items = store.list_objects(scope, &q).await?.items;
    let mut out = Vec::with_capacity(items.len());
    for obj in &items {
        if let Some(ep) = obj.decode::<WebhookEndpoint>()? {
            out.push((ep.id, ep.enabled_events));
        }
    }
    Ok(out)
}

/// Of `endpoints`, the ids of those that take events of `kind`.
pub fn wanting(endpoints: &[(String, Vec<String>)], kind: &str) -> Vec<String> {
    endpoints.iter().filter(|(_, enabled)| webhook::wants(enabled, kind)).map(|(id, _)| id.clone()).collect()
}

/// A new delivery of `event` to `endpoint`, due at `now`.
pub fn delivery(endpoint: &str, event: &Value, now: i64) -> StoreResult<Change> {
    let (event_id, _, _) = event_parts(event)?;
    let event_type =
        event["type"].as_str().ok_or_else(|| StoreError::Backend(format!("event {event_id} has no type")))?;
    let d = webhook_delivery::build(&new_id(WebhookDelivery::PREFIX), now, endpoint, &event_id, event_type);
    Change::insert(&d)
}

/// Adds the deliveries `set`'s events call for; returns how many.
async fn add_deliveries(store: &dyn Store, set: &mut ChangeSet) -> StoreResult<usize> {
    let endpoints = enabled_endpoints(store, &set.scope).await?;
    let mut added = 0;
    for evt in set.events.iter_mut() {
        let targets = wanting(&endpoints, evt["type"].as_str().unwrap_or_default());
        let created = evt["created"].as_i64().unwrap_or(0);
        for we in &targets {
            set.changes.push(delivery(we, evt, created)?);
        }
        added += targets.len();
        evt["pending_webhooks"] = json!(targets.len());
    }
    Ok(added)
}

#[async_trait]
impl Store for Fanout {
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
    async fn create_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<()> {
        self.inner.create_account(account, keys).await
    }
    async fn account_count(&self) -> StoreResult<i64> {
        self.inner.account_count().await
    }
    async fn create_first_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<bool> {
        self.inner.create_first_account(account, keys).await
    }
    async fn find_api_key(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.inner.find_api_key(hash).await
    }
    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>> {
        self.inner.get_account(id).await
    }
    async fn add_api_key(&self, account_id: &str, key: &NewApiKey, created: i64) -> StoreResult<()> {
        self.inner.add_api_key(account_id, key, created).await
    }
    async fn get_object(&self, scope: &Scope, id: &str) -> StoreResult<Option<StoredObject>> {
        self.inner.get_object(scope, id).await
    }
    async fn list_objects(&self, scope: &Scope, query: &ListQuery) -> StoreResult<Page> {
        self.inner.list_objects(scope, query).await
    }
    async fn commit(&self, mut set: ChangeSet) -> StoreResult<()> {
        let added = if set.events.is_empty() { 0 } else { add_deliveries(self.inner.as_ref(), &mut set).await? };
        self.inner.commit(set).await?;
        if added > 0 {
            self.due.notify_one();
        }
        Ok(())
    }
    async fn find_idempotency(&self, scope: &Scope, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        self.inner.find_idempotency(scope, key).await
    }
    async fn locate(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, StoredObject)>> {
        self.inner.locate(kind, id).await
    }
    async fn due(
        &self,
        kind: &str,
        name: &str,
        up_to: &str,
        scope: Option<&Scope>,
        limit: usize,
    ) -> StoreResult<Vec<(Scope, StoredObject)>> {
        self.inner.due(kind, name, up_to, scope, limit).await
    }
    async fn due_grouped(&self, query: &GroupedDue) -> StoreResult<Vec<DueItem>> {
        self.inner.due_grouped(query).await
    }
    async fn reap_idempotency(&self, created_before: i64) -> StoreResult<u64> {
        self.inner.reap_idempotency(created_before).await
    }
    async fn setting_or_insert(&self, name: &str, value: &str) -> StoreResult<String> {
        self.inner.setting_or_insert(name, value).await
    }
}
