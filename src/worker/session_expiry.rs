//! Marks open sessions past `expires_at` as expired, recording one
//! `checkout.session.expired` event each. Safe with many nodes on one
//! database: the version-conditional update lets exactly one of them win.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::event;
use crate::domain::fields::time_tag;
use crate::domain::session::{self, CheckoutSession, KIND, OPEN_UNTIL};
use crate::domain::version::ApiVersion;
use crate::store::{Change, ChangeSet, DueQuery, Scope, StoreError, StoreResult};
use crate::AppState;

const BATCH: usize = 100;
const EVERY: Duration = Duration::from_secs(5);

/// One bounded batch; returns how many sessions this call expired.
pub async fn expire_batch(state: &AppState, scope: Option<&Scope>) -> StoreResult<usize> {
    let now = state.now();
    let due = state.store.due(&DueQuery::new(KIND, OPEN_UNTIL, &time_tag(now), BATCH).within(scope)).await?;
    let mut done = 0;
    let latest = ApiVersion::latest();
    for (scope, obj) in due {
        // A session that does not decode is reported and passed over, so
        // it cannot hold up the sessions due after it.
        let current = match obj.decode::<CheckoutSession>() {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(checkout_session = %obj.id, error = %e, "expiry skipped: the session does not decode");
                state.metrics.worker_error("session_expiry");
                continue;
            }
        };
        let Ok(doc) = session::expire(&current, now) else { continue };
        let ctx = crate::ids::system_events(scope.livemode, now);
        let evt = event::of_session(&ctx, "checkout.session.expired", &doc, now, &latest);
        let set = ChangeSet {
            scope,
            changes: vec![Change::update(&doc, obj.version)?],
            events: vec![evt],
            idempotency: None,
        };
        match crate::engine::commit::commit(state, set).await {
            Ok(()) => done += 1,
            // Someone else (the expire endpoint, another node) got there first.
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Expires everything due (in `scope`, or everywhere), batch after batch.
pub async fn expire_due(state: &AppState, scope: Option<&Scope>) -> StoreResult<usize> {
    let mut total = 0;
    for _ in 0..50 {
        let n = expire_batch(state, scope).await?;
        total += n;
        if n < BATCH {
            break;
        }
    }
    Ok(total)
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        match expire_due(&state, None).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "expired checkout sessions"),
            Err(e) => tracing::warn!(error = %e, "session expiry failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
