//! Removes idempotency records older than the retention (at least 24 h).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::StoreResult;
use crate::AppState;

const EVERY: Duration = Duration::from_secs(300);

/// One pass; returns how many records were removed.
pub async fn reap_once(state: &AppState) -> StoreResult<u64> {
    let cutoff = state.now().saturating_sub(state.cfg.idempotency_retention_secs);
    state.store.reap_idempotency(cutoff).await
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        match reap_once(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(removed = n, "reaped idempotency keys"),
            Err(e) => tracing::warn!(error = %e, "idempotency reaper failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
