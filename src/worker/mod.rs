//! Background workers: plain async loops around one testable step.

pub mod capture_lapse;
pub mod due_charges;
pub mod idempotency_reaper;
pub mod pending_payments;
pub mod session_expiry;
pub mod three_ds;
pub mod webhooks;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::AppState;

pub fn spawn_all(state: AppState, shutdown: CancellationToken) -> Vec<JoinHandle<()>> {
    let mut all = vec![
        tokio::spawn(idempotency_reaper::run(state.clone(), shutdown.clone())),
        tokio::spawn(session_expiry::run(state.clone(), shutdown.clone())),
        tokio::spawn(due_charges::run(state.clone(), shutdown.clone())),
        tokio::spawn(capture_lapse::run(state.clone(), shutdown.clone())),
        tokio::spawn(three_ds::run(state.clone(), shutdown.clone())),
        tokio::spawn(pending_payments::run(state.clone(), shutdown.clone())),
    ];
    // Nodes may leave delivery to others (`KASSA_WEBHOOK_WORKER=false`).
    if state.cfg.webhooks.worker {
        all.push(tokio::spawn(webhooks::run(state, shutdown)));
    }
    all
}
