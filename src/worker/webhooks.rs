//! Delivers due webhooks. Each delivery runs in its own task, at most
//! `MAX_IN_FLIGHT` at once, `PER_ENDPOINT` per endpoint and `PER_ACCOUNT`
//! per account. Due work is read
//! per endpoint (`Store::due_grouped`), leaving out endpoints at their cap,
//! and started round-robin, least busy endpoint first: one slow or hanging
//! receiver with any backlog cannot hold up anyone else's (DESIGN-NOTES.md,
//! "Delivery fairness"). Safe with many nodes: a delivery is claimed with a
//! lease before it is sent.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::domain::fields::time_tag;
use crate::domain::webhook_delivery::{DUE_PREFIX, KIND};
use crate::store::{DueItem, GroupedDue};
use crate::webhooks::deliver;
use crate::AppState;

pub const MAX_IN_FLIGHT: usize = 32;
pub const PER_ENDPOINT: usize = 4;
/// One account's endpoints together never hold more than half the slots,
/// however many of them hang: the other half is always there for others.
pub const PER_ACCOUNT: usize = MAX_IN_FLIGHT / 2;

/// A delivery under way: its id, endpoint and account.
type Started = (String, String, String);

#[derive(Default)]
struct InFlight {
    ids: HashSet<String>,
    per_endpoint: HashMap<String, usize>,
    per_account: HashMap<String, usize>,
}

fn release(counts: &mut HashMap<String, usize>, key: &str) {
    if let Some(n) = counts.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(key);
        }
    }
}

impl InFlight {
    fn done(&mut self, (id, ep, account): Started) {
        self.ids.remove(&id);
        release(&mut self.per_endpoint, &ep);
        release(&mut self.per_account, &account);
    }

    fn load(&self, ep: &str) -> usize {
        self.per_endpoint.get(ep).copied().unwrap_or(0)
    }

    fn account_load(&self, account: &str) -> usize {
        self.per_account.get(account).copied().unwrap_or(0)
    }

    /// Endpoints with no free slot on this node.
    fn full(&self) -> Vec<String> {
        self.per_endpoint.iter().filter(|(_, n)| **n >= PER_ENDPOINT).map(|(ep, _)| ep.clone()).collect()
    }
}

/// Round-robin over endpoints: an item's turn is its endpoint's deliveries
/// in flight plus its place in that endpoint's queue, so every endpoint's
/// first waiting delivery goes before any endpoint's second, and a busy
/// endpoint waits behind idle ones. Ties go to the longest waiting.
fn fair_order(mut items: Vec<DueItem>, busy: &InFlight) -> Vec<DueItem> {
    let mut place: HashMap<String, usize> = HashMap::new();
    let mut keyed: Vec<(usize, DueItem)> = Vec::with_capacity(items.len());
    items.sort_by(|a, b| (&a.group, &a.due).cmp(&(&b.group, &b.due)));
    for item in items {
        let n = place.entry(item.group.clone()).or_default();
        keyed.push((busy.load(&item.group) + *n, item));
        *n += 1;
    }
    keyed.sort_by(|(ta, a), (tb, b)| (ta, &a.due, &a.group).cmp(&(tb, &b.due, &b.group)));
    keyed.into_iter().map(|(_, item)| item).collect()
}

/// Claims what is due now and starts each claimed delivery in `tasks`.
async fn start_due(state: &AppState, tasks: &mut JoinSet<Started>, busy: &mut InFlight) {
    if tasks.len() >= MAX_IN_FLIGHT {
        return;
    }
    let query = GroupedDue {
        kind: KIND.into(),
        prefix: DUE_PREFIX.into(),
        up_to: time_tag(state.now()),
        skip: busy.full(),
        per_group: PER_ENDPOINT,
    };
    let due = match state.store.due_grouped(&query).await {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "finding due webhook deliveries failed");
            return;
        }
    };
    for DueItem { scope, group: ep, object: obj, .. } in fair_order(due, busy) {
        if tasks.len() >= MAX_IN_FLIGHT {
            break;
        }
        if busy.ids.contains(&obj.id)
            || busy.load(&ep) >= PER_ENDPOINT
            || busy.account_load(&scope.account_id) >= PER_ACCOUNT
        {
            continue;
        }
        let (doc, version) = match deliver::claim(state, &scope, &obj).await {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                tracing::error!(error = %e, "claiming a webhook delivery failed");
                continue;
            }
        };
        busy.ids.insert(obj.id.clone());
        *busy.per_endpoint.entry(ep.clone()).or_default() += 1;
        *busy.per_account.entry(scope.account_id.clone()).or_default() += 1;
        let st = state.clone();
        let (id, account) = (obj.id.clone(), scope.account_id.clone());
        tasks.spawn(async move {
            if let Err(e) = deliver::attempt(&st, &scope, doc, version).await {
                // The lease runs out and the delivery is tried again.
                tracing::error!(error = %e, delivery = %id, "recording a webhook delivery failed");
            }
            (id, ep, account)
        });
    }
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    let mut tasks: JoinSet<Started> = JoinSet::new();
    let mut busy = InFlight::default();
    loop {
        // A finished delivery frees its endpoint's slot at once: waiting for
        // the next poll capped one endpoint at PER_ENDPOINT per poll (the
        // bench measured 8 deliveries/s with a 500 ms poll).
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(state.cfg.webhooks.poll) => {}
            _ = state.deliveries_due.notified() => {}
            Some(r) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok(done) = r {
                    busy.done(done);
                }
            }
        }
        while let Some(r) = tasks.try_join_next() {
            if let Ok(done) = r {
                busy.done(done);
            }
        }
        start_due(&state, &mut tasks, &mut busy).await;
    }
    // Let attempts under way finish; what does not is retried after its lease.
    let grace = state.cfg.webhooks.timeout + Duration::from_secs(1);
    let _ = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::store::{Scope, StoredObject};

    fn item(group: &str, due: i64, id: &str) -> DueItem {
        let object = StoredObject {
            seq: 0,
            id: id.into(),
            kind: KIND.into(),
            created: 0,
            version: 1,
            deleted: false,
            text: String::from("{}").into(),
        };
        DueItem {
            scope: Scope { account_id: "acct_1".into(), livemode: false },
            group: group.into(),
            due: time_tag(due),
            object,
        }
    }

    fn ids(items: &[DueItem]) -> Vec<&str> {
        items.iter().map(|i| i.object.id.as_str()).collect()
    }

    #[test]
    fn endpoints_take_turns_and_the_least_busy_goes_first() {
        let items = vec![
            item("we_a", 1, "a1"),
            item("we_a", 2, "a2"),
            item("we_a", 3, "a3"),
            item("we_b", 9, "b1"),
            item("we_b", 10, "b2"),
            item("we_c", 5, "c1"),
        ];
        let idle = InFlight::default();
        assert_eq!(ids(&fair_order(items.clone(), &idle)), ["a1", "c1", "b1", "a2", "b2", "a3"]);
        // With three of we_a's deliveries under way, the others go first.
        let mut busy = InFlight::default();
        busy.per_endpoint.insert("we_a".into(), 3);
        assert_eq!(ids(&fair_order(items, &busy)), ["c1", "b1", "b2", "a1", "a2", "a3"]);
    }

    #[test]
    fn only_endpoints_at_their_cap_are_left_out_of_the_query() {
        let mut busy = InFlight::default();
        busy.per_endpoint.insert("we_a".into(), PER_ENDPOINT);
        busy.per_endpoint.insert("we_b".into(), PER_ENDPOINT - 1);
        assert_eq!(busy.full(), ["we_a"]);
    }
}
