//! Finishes payments whose 3-D Secure needs no buyer: frictionless, and the
//! frictionless step after a device check.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::fields::time_tag;
use crate::domain::payment_intent;
use crate::engine::intent::Intent;
use crate::engine::payment::three_ds::{finish, DUE_TAG};
use crate::store::{DueQuery, StoreResult};
use crate::AppState;

const EVERY: Duration = Duration::from_secs(2);

/// One batch; returns how many payments it finished.
pub async fn finish_due(state: &AppState) -> StoreResult<usize> {
    let due = state.store.due(&DueQuery::new(payment_intent::KIND, DUE_TAG, &time_tag(state.now()), 50)).await?;
    let mut done = 0;
    for (scope, pi) in due {
        let read = match Intent::of(&pi) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(payment_intent = %pi.id, error = %e, "3-D Secure finish skipped: the intent does not decode");
                state.metrics.worker_error("three_ds");
                continue;
            }
        };
        match finish(state, &scope, &read, true).await {
            Ok(()) => done += 1,
            // Another node finished it first, or it failed: either way not ours.
            Err(e) => tracing::debug!(payment_intent = %pi.id, error = %e, "3-D Secure finish skipped"),
        }
    }
    Ok(done)
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        if let Err(e) = finish_due(&state).await {
            tracing::warn!(error = %e, "3-D Secure worker failed");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
