//! The enabled webhook endpoints the writer's open transaction has read,
//! by scope. A commit with events reads its scope's endpoints inside that
//! transaction (`apply`); under load a batch holds dozens of commits of the
//! same account, and each read cost about as much as inserting a small
//! object. The writer holds SQLite's write lock for the whole transaction,
//! so only the batch's own writes can change what was read: `apply` forgets
//! the memo when a change touches an endpoint, and the writer starts a new
//! epoch (`writer::epoch`) at every `BEGIN` and just before every
//! `ROLLBACK TO`, so nothing read in a transaction, or in a job that was
//! undone, is used again. This holds because every write of an endpoint
//! goes through `apply` (the writer's other jobs write accounts, keys,
//! settings and idempotency records only); outside a transaction nothing
//! is kept.

use std::cell::RefCell;
use std::rc::Rc;

use rusqlite::Connection;

use super::apply::list_on;
use super::writer;
use crate::domain::webhook_endpoint::WebhookEndpoint;
use crate::store::{fanout, Scope, StoreResult};

type Endpoints = Rc<Vec<WebhookEndpoint>>;

thread_local! {
    /// The epoch the reads were made in, and each scope's read.
    static MEMO: RefCell<(u64, Vec<(Scope, Endpoints)>)> = const { RefCell::new((0, Vec::new())) };
}

#[cfg(test)]
thread_local! {
    /// Reads made, for the tests to see that one is kept.
    static READS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The scope's enabled endpoints, as this transaction sees them.
pub(super) fn enabled(conn: &Connection, scope: &Scope) -> StoreResult<Endpoints> {
    let epoch = writer::epoch();
    let in_transaction = !conn.is_autocommit();
    if in_transaction {
        if let Some(kept) = MEMO.with_borrow(|(at, reads)| kept(*at == epoch, reads, scope)) {
            return Ok(kept);
        }
    }
    #[cfg(test)]
    READS.set(READS.get() + 1);
    let read: Endpoints = Rc::new(fanout::decode(&list_on(conn, scope, &fanout::enabled_endpoints())?)?);
    if !in_transaction {
        return Ok(read);
    }
    MEMO.with_borrow_mut(|(at, reads)| {
        if *at != epoch {
            reads.clear();
            *at = epoch;
        }
        reads.push((scope.clone(), read.clone()));
    });
    Ok(read)
}

fn kept(current: bool, reads: &[(Scope, Endpoints)], scope: &Scope) -> Option<Endpoints> {
    if !current {
        return None;
    }
    reads.iter().find(|(s, _)| s == scope).map(|(_, r)| r.clone())
}

/// Forgets every read: a change in this transaction touched an endpoint.
pub(super) fn forget() {
    MEMO.with_borrow_mut(|(_, reads)| reads.clear());
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;
    use tokio::sync::oneshot;

    use super::super::apply::{apply, Prepared};
    use super::super::writer::{run_batch, WriteJob};
    use super::super::{connect, migrate, Write};
    use crate::domain::event::{self, EventContext};
    use crate::domain::outbound::UrlPolicy;
    use crate::domain::webhook_endpoint::{self, EndpointParams};
    use crate::store::{Change, ChangeSet, Committed, IdempotencyRecord, Scope, StoreResult};

    fn scope() -> Scope {
        Scope { account_id: "acct_memo".into(), livemode: false }
    }

    fn endpoint(id: &str) -> Change {
        let p = EndpointParams {
            url: Some(format!("https://hooks.example/{id}")),
            enabled_events: Some(vec!["*".into()]),
            description: None,
            metadata: None,
            api_version: None,
            connect: None,
            disabled: None,
        };
        Change::insert(&webhook_endpoint::build(id, false, 1, &p, UrlPolicy::Open).unwrap()).unwrap()
    }

    /// A set of `changes` with one event, and an idempotency record keyed `key`.
    fn set(changes: Vec<Change>, key: Option<&str>) -> ChangeSet {
        let ctx = EventContext {
            api_version: "2026-10-28.endive",
            livemode: false,
            now: 1,
            request_id: None,
            idempotency_key: None,
            ids: &crate::ids::RandomIds,
        };
        let object = RawValue::from_string(r#"{"id":"cus_1"}"#.into()).unwrap();
        let idempotency = key.map(|k| IdempotencyRecord {
            key: k.into(),
            fingerprint: "f".into(),
            status: 200,
            body: "{}".into(),
            created: 1,
        });
        ChangeSet {
            scope: scope(),
            changes,
            events: vec![event::build_text(&ctx, "customer.created", object)],
            idempotency,
        }
    }

    /// Runs the sets as one batch; each one's deliveries, or its error.
    fn batch(conn: &rusqlite::Connection, sets: Vec<ChangeSet>, careful: bool) -> Vec<StoreResult<Committed>> {
        let (jobs, answers): (Vec<WriteJob>, Vec<_>) = sets
            .into_iter()
            .map(|s| {
                let (tx, rx) = oneshot::channel();
                let mut prepared = Prepared::new(s);
                let job: WriteJob =
                    Box::new(Write { f: move |c: &rusqlite::Connection| apply(c, &mut prepared), result: None, tx });
                (job, rx)
            })
            .unzip();
        run_batch(conn, jobs, careful);
        answers.into_iter().map(|rx| rx.blocking_recv().unwrap()).collect()
    }

    fn deliveries(results: &[StoreResult<Committed>]) -> Vec<Option<usize>> {
        results.iter().map(|r| r.as_ref().ok().map(|c| c.deliveries)).collect()
    }

    #[test]
    fn a_batch_sees_its_own_endpoints_and_never_one_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(&dir.path().join("memo.db")).unwrap();
        migrate::migrate(&mut conn).unwrap();

        // The first read is kept (no endpoint); an endpoint added by a later
        // job of the same transaction is seen by the jobs after it, and that
        // read is kept in turn: two reads for three jobs.
        let before = super::READS.get();
        let first =
            batch(&conn, vec![set(vec![], None), set(vec![endpoint("we_1")], None), set(vec![], Some("k"))], false);
        assert_eq!(deliveries(&first), [Some(0), Some(1), Some(1)]);
        assert_eq!(super::READS.get() - before, 2);

        // A job that adds an endpoint, reads the endpoints (its event) and
        // then fails (its event's id is taken, by the endpoint above) is
        // undone; the job after it must not deliver to the endpoint it added.
        // Run without savepoints first, and then with them from the start.
        for careful in [false, true] {
            let mut failing = set(vec![endpoint(&format!("we_gone_{careful}"))], None);
            failing.events[0].id = "we_1".into();
            let results = batch(&conn, vec![set(vec![], None), failing, set(vec![], None)], careful);
            assert_eq!(deliveries(&results), [Some(1), None, Some(1)], "careful: {careful}");
        }
    }
}
