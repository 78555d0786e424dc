//! Asks processors again about payments whose answer was unknown, and
//! finishes them once it is known (see `engine::payment::pending`).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::fields::time_tag;
use crate::domain::payment_intent::{KIND, LOOKUP_TAG};
use crate::engine::intent::Intent;
use crate::engine::payment::pending::{back_off, resolve};
use crate::store::{DueQuery, StoreResult};
use crate::AppState;

const EVERY: Duration = Duration::from_secs(5);

/// One batch; returns how many payments were finished.
pub async fn resolve_due(state: &AppState) -> StoreResult<usize> {
    let due = state.store.due(&DueQuery::new(KIND, LOOKUP_TAG, &time_tag(state.now()), 50)).await?;
    let mut done = 0;
    for (scope, pi) in due {
        let pi = match Intent::of(&pi) {
            Ok(r) => r,
            Err(e) => {
                state.metrics.worker_error("pending_payments");
                tracing::warn!(payment_intent = %pi.id, error = %e, "pending payment skipped: the intent does not decode");
                continue;
            }
        };
        match resolve(state, &scope, &pi).await {
            Ok(true) => done += 1,
            Ok(false) => {}
            // Every failure is counted and backs off like an unknown answer,
            // so one broken payment never holds the batch for the others.
            Err(e) => {
                state.metrics.worker_error("pending_payments");
                tracing::warn!(payment_intent = %pi.pi.id, error = %e, "pending payment not resolved");
                if let Err(e) = back_off(state, &scope, &pi, state.now()).await {
                    tracing::warn!(payment_intent = %pi.pi.id, error = %e, "pending payment back-off not recorded");
                }
            }
        }
    }
    Ok(done)
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        if let Err(e) = resolve_due(&state).await {
            tracing::warn!(error = %e, "pending payment worker failed");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
