//! The one write path: every caller (API, pages, workers, the engine)
//! commits through `commit`, so whatever a commit implies beyond the store's
//! transaction happens for all of them alike.

use crate::store::{ChangeSet, StoreResult};
use crate::AppState;

/// Commits `set` (with the webhook deliveries its events call for, written
/// by the store in the same transaction) and wakes this node's delivery
/// worker when there are deliveries, so they go out at once rather than at
/// its next poll.
pub async fn commit(state: &AppState, set: ChangeSet) -> StoreResult<()> {
    let committed = state.store.commit_counted(set).await?;
    if committed.deliveries > 0 {
        state.deliveries_due.notify_one();
    }
    Ok(())
}
