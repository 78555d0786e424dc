//! Uncaptured authorizations lapse after seven days, as Stripe's do: the
//! processor is told to void them and the PaymentIntent is `canceled` with
//! `cancellation_reason: automatic`.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::fields::time_tag;
use crate::domain::payment_intent::{CAPTURE_DUE_TAG, KIND};
use crate::engine::capture::{self, EndError};
use crate::engine::intent::Intent;
use crate::store::{ChangeSet, DueQuery, StoreError, StoreResult};
use crate::AppState;

const BATCH: usize = 50;
const EVERY: Duration = Duration::from_secs(60);

/// One batch of lapsed authorizations; returns how many were ended.
pub async fn sweep(state: &AppState) -> StoreResult<usize> {
    let now = state.now();
    let due = state.store.due(&DueQuery::new(KIND, CAPTURE_DUE_TAG, &time_tag(now), BATCH)).await?;
    let mut done = 0;
    for (scope, pi) in due {
        let ctx = crate::ids::system_events(scope.livemode, now);
        let read = match Intent::of(&pi) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(payment_intent = %pi.id, error = %e, "lapse skipped: the intent does not decode");
                state.metrics.worker_error("capture_lapse");
                continue;
            }
        };
        let ended = match capture::lapse(state, &scope, &read, &ctx).await {
            Ok(e) => e,
            Err(EndError::Store(StoreError::Conflict)) => continue,
            Err(EndError::Store(e)) => return Err(e),
            // A capture under way whose answer is still unknown: asked
            // again at the next sweep, with the same key and amount.
            Err(e) => {
                tracing::warn!(payment_intent = %pi.id, error = ?e, "lapse not finished");
                continue;
            }
        };
        let set = ChangeSet { scope, changes: ended.changes, events: ended.events, idempotency: None };
        match crate::engine::commit::commit(state, set).await {
            Ok(()) => done += 1,
            // Captured or canceled meanwhile (or by another node).
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        match sweep(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(canceled = n, "uncaptured authorizations lapsed"),
            Err(e) => tracing::warn!(error = %e, "lapse sweep failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
