//! What a commit adds for its events: one webhook delivery per (event,
//! enabled endpoint of the scope that takes its type). SQLite reads the
//! endpoints inside its write transaction (`enabled_endpoints`); PostgreSQL
//! reads them in the statement just before its one-statement commit, which
//! at READ COMMITTED sees the same (`postgres/endpoints.rs`). Either inserts
//! what `deliveries` returns in the commit itself, so an event is never
//! recorded without its deliveries.

use super::{Change, CreatedRange, ListQuery, StoreResult, StoredObject};
use crate::domain::event::Event;
use crate::domain::ids::IdSource;
use crate::domain::webhook_delivery;
use crate::domain::webhook_endpoint::{self, EndpointStatus, WebhookEndpoint};

/// Far above the API's cap (`domain::webhook::MAX_ENDPOINTS`), which
/// concurrent creations can overshoot: the read must never cut endpoints off.
const READ_LIMIT: usize = 1000;

/// The query for a scope's enabled endpoints.
pub fn enabled_endpoints() -> ListQuery {
    ListQuery {
        kind: webhook_endpoint::KIND.into(),
        filters: vec![("status".into(), EndpointStatus::Enabled.as_str().into())],
        any_of: Vec::new(),
        created: CreatedRange::default(),
        cursor: None,
        limit: READ_LIMIT,
    }
}

/// The typed endpoints of a read of `enabled_endpoints`.
pub fn decode(items: &[StoredObject]) -> StoreResult<Vec<WebhookEndpoint>> {
    items.iter().filter_map(|o| o.decode::<WebhookEndpoint>().transpose()).collect()
}

/// The deliveries `events` call for, as inserts; sets each event's
/// `pending_webhooks` to its count. Each is due when its event was created:
/// that is the request's clock, and the store has none of its own.
pub fn deliveries(events: &mut [Event], endpoints: &[WebhookEndpoint], ids: &dyn IdSource) -> StoreResult<Vec<Change>> {
    let mut out = Vec::new();
    for evt in events.iter_mut() {
        let wanted = webhook_delivery::fan_out(&evt.id, &evt.kind, evt.created, endpoints, ids);
        evt.pending_webhooks = i64::try_from(wanted.len()).unwrap_or(i64::MAX);
        for d in &wanted {
            out.push(Change::insert(d)?);
        }
    }
    Ok(out)
}
