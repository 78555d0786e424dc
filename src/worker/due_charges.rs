//! Charges contracts whose payment is due (`charge_when_due`, seed 001):
//! the worker's loop around the payment engine's due charge
//! (`engine::payment::due`).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::contract::{self, DUE_TAG};
use crate::domain::fields::time_tag;
use crate::engine::payment::due::charge_one;
use crate::store::{DueQuery, StoreResult};
use crate::AppState;

const BATCH: usize = 50;
const EVERY: Duration = Duration::from_secs(10);

/// One batch of due charges; returns how many were settled.
pub async fn charge_due(state: &AppState) -> StoreResult<usize> {
    let now = state.now();
    let due = state.store.due(&DueQuery::new(contract::KIND, DUE_TAG, &time_tag(now), BATCH)).await?;
    let mut done = 0;
    for (scope, ctr) in due {
        match charge_one(state, &scope, ctr, now).await {
            Ok(true) => done += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "a due charge failed"),
        }
    }
    Ok(done)
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    loop {
        match charge_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(charged = n, "settled due charges"),
            Err(e) => tracing::warn!(error = %e, "due charges failed"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
