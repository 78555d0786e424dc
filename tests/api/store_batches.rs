//! Many commits at once, some of which fail. The SQLite writer takes sets
//! that arrive together in one batch, and a batch with a failed set is
//! rolled back and run again (`store::sqlite::writer`); sixty at once make
//! such batches likely, though only the writer's unit tests can force one.
//! Every set that succeeds must land exactly as
//! sent, whichever run wrote it: its documents (compressed on the request's
//! thread before the first run), its events and their deliveries (worked out
//! again on each run), and its idempotency body. PostgreSQL runs the same
//! test; its committers send the sets that queue together, one
//! subtransaction each (`store::postgres::group`), and the last test here
//! makes them queue.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::{test_db, Backend, START};
use crate::store_contract::{endpoint, event_of};
use kassa::store::{Change, ChangeSet, CreatedRange, IdempotencyRecord, ListQuery, Scope, Store, StoreError};

mod concurrent_sets_with_failures_land_exactly {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::land_exactly(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::land_exactly(Backend::Postgres).await;
    }
}

fn scope() -> Scope {
    Scope { account_id: "acct_batches".into(), livemode: false }
}

fn set(changes: Vec<Change>) -> ChangeSet {
    ChangeSet { scope: scope(), changes, events: vec![], idempotency: None }
}

fn doc(i: usize) -> String {
    json!({"id": format!("t_{i}"), "object": "thing", "note": format!("{i} ").repeat(60), "n": i}).to_string()
}

fn body(i: usize) -> String {
    json!({"id": format!("t_{i}"), "answer": "ok ".repeat(200), "n": i}).to_string()
}

/// Even `i`: a new object with an event and an idempotency record. Odd: a
/// new object, then an update of `x` at a version it is not at, which
/// fails, so the object written before it must be undone.
fn nth(i: usize) -> ChangeSet {
    if i % 2 == 1 {
        let first =
            Change::Insert { id: format!("t_{i}"), kind: "thing".into(), created: START, doc: doc(i), tags: vec![] };
        let stale = Change::Update { id: "x".into(), expected_version: 7, doc: doc(i), tags: vec![] };
        return set(vec![first, stale]);
    }
    let insert = Change::Insert {
        id: format!("t_{i}"),
        kind: "thing".into(),
        created: START,
        doc: doc(i),
        tags: vec![("n".into(), i.to_string())],
    };
    let mut cs = set(vec![insert]);
    cs.events = vec![event_of(&format!("evt_{i}"), "payment_intent.succeeded", START + 1_000_000_000)];
    let key = format!("k_{i}");
    cs.idempotency =
        Some(IdempotencyRecord { key, fingerprint: "f".into(), status: 200, body: body(i), created: START });
    cs
}

async fn land_exactly(backend: Backend) {
    let Some(db) = test_db(backend).await else { return };
    let store: Arc<dyn Store> = kassa::store::open(&db.url).await.unwrap();
    let x = Change::Insert { id: "x".into(), kind: "thing".into(), created: START, doc: doc(0), tags: vec![] };
    store.commit(set(vec![endpoint("we_a", "enabled", &["*"]), x])).await.unwrap();

    let tasks: Vec<_> = (0..60)
        .map(|i| {
            tokio::spawn({
                let store = store.clone();
                async move { (i, store.commit(nth(i)).await) }
            })
        })
        .collect();
    for t in tasks {
        let (i, outcome) = t.await.unwrap();
        match outcome {
            Ok(()) => assert_eq!(i % 2, 0, "set {i} should have failed"),
            Err(StoreError::Conflict) => assert_eq!(i % 2, 1, "set {i} should have landed"),
            Err(e) => panic!("set {i}: {e}"),
        }
    }

    let s = scope();
    for i in (0..60).step_by(2) {
        let obj = store.get_object(&s, &format!("t_{i}")).await.unwrap().unwrap();
        assert_eq!((obj.raw().unwrap(), obj.version), (doc(i).as_str(), 1));
        let rec = store.find_idempotency(&s, &format!("k_{i}")).await.unwrap().unwrap();
        assert_eq!(rec.body, body(i));
        let evt = store.get_object(&s, &format!("evt_{i}")).await.unwrap().unwrap();
        assert_eq!(evt.doc().unwrap()["pending_webhooks"], 1, "evt_{i}");
        let q = ListQuery {
            kind: "webhook_delivery".into(),
            filters: vec![("event".into(), format!("evt_{i}"))],
            any_of: vec![],
            created: CreatedRange::default(),
            cursor: None,
            limit: 10,
        };
        assert_eq!(store.list_objects(&s, &q).await.unwrap().items.len(), 1, "evt_{i}'s delivery");
    }
    for i in (1..60).step_by(2) {
        assert!(store.get_object(&s, &format!("t_{i}")).await.unwrap().is_none(), "t_{i} was written");
    }
    let x = store.get_object(&s, "x").await.unwrap().unwrap();
    assert_eq!((x.version, x.raw().unwrap()), (1, doc(0).as_str()));
}

/// PostgreSQL's committers, all held up by a row lock on `x`, let the sets
/// queue; once the lock is gone the queued sets go to `kassa_commit_many`
/// together (counted by PostgreSQL's function statistics). Each answers as
/// it would alone: of the sets racing on one version of `x`, one wins; of
/// the sets sharing an idempotency key, one wins. Then a set PostgreSQL
/// refuses outright (a NUL character, which `jsonb` cannot hold) is queued
/// with others: the call fails, the sets are committed one at a time, and
/// only that one fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sends_queued_sets_together_and_each_answers_as_alone() {
    let Some(db) = test_db(Backend::Postgres).await else { return };
    let admin = sqlx::PgPool::connect(&db.url).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT current_database()").fetch_one(&admin).await.unwrap();
    // Superuser only, as CI's `postgres` user is.
    sqlx::query(&format!("ALTER DATABASE {name} SET track_functions = 'pl'")).execute(&admin).await.unwrap();
    let store: Arc<dyn Store> = kassa::store::open(&db.url).await.unwrap();
    let x = Change::Insert { id: "x".into(), kind: "thing".into(), created: START, doc: doc(0), tags: vec![] };
    store.commit(set(vec![x])).await.unwrap();
    let s = scope();

    // Round 1: racing updates, a shared key, and sets that race with nothing.
    let held = Held::start(&admin, &store, 1, "b").await;
    let keyed: Vec<_> = (0..5).map(|i| spawn(&store, keyed(i))).collect();
    let plain: Vec<_> = (0..12).map(|i| spawn(&store, thing(&format!("p_{i}")))).collect();
    let won = held.release().await;
    assert_eq!(won.len(), 1, "one update of x at version 1 wins: {won:?}");
    let mut keyed_won = 0;
    for (i, t) in keyed.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(()) => keyed_won += 1,
            Err(StoreError::DuplicateIdempotencyKey) => {}
            Err(e) => panic!("keyed {i}: {e}"),
        }
    }
    assert_eq!(keyed_won, 1);
    for t in plain {
        t.await.unwrap().unwrap();
    }
    for i in 0..HELD {
        let b = store.get_object(&s, &format!("b_{i}")).await.unwrap();
        assert_eq!(b.is_some(), won == [i], "b_{i} is written with its set's update only");
    }
    assert_eq!(existing(&*store, "k_", 5).await, 1, "only the set that kept the key wrote its object");
    assert_eq!(existing(&*store, "p_", 12).await, 12);

    // Round 2: a set PostgreSQL refuses, queued with others.
    let held = Held::start(&admin, &store, 2, "c").await;
    let mut bad = thing("nul");
    if let Change::Insert { doc, .. } = &mut bad.changes[0] {
        *doc = "{\"a\":\"\u{0}\"}".into();
    }
    let retries = kassa::meters::meters().store_group_retries();
    let bad = spawn(&store, bad);
    let plain: Vec<_> = (0..6).map(|i| spawn(&store, thing(&format!("q_{i}")))).collect();
    assert_eq!(held.release().await.len(), 1);
    assert!(matches!(bad.await.unwrap(), Err(StoreError::Backend(_))), "PostgreSQL refuses a NUL");
    // The count is the process's: a deadlock in a test running beside this
    // one would move it too (no other test sends PostgreSQL a NUL), so it
    // shows that a retry happened, and the sets below that it worked.
    assert!(kassa::meters::meters().store_group_retries() > retries, "the refused call was made again set by set");
    for t in plain {
        t.await.unwrap().unwrap();
    }
    assert!(store.get_object(&s, "nul").await.unwrap().is_none());
    assert_eq!(existing(&*store, "q_", 6).await, 6);
    assert_eq!(store.get_object(&s, "x").await.unwrap().unwrap().version, 3);

    // A session reports its function statistics when it ends at the latest.
    drop(store);
    let mut calls = 0i64;
    for _ in 0..50 {
        calls = sqlx::query_scalar(
            "SELECT COALESCE(sum(calls), 0)::BIGINT FROM pg_stat_user_functions WHERE funcname = 'kassa_commit_many'",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        if calls > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(calls >= 1, "the queued sets were sent together");
    admin.close().await;
}

/// Updates of `x` that hold the committers at a row lock: more than there
/// are committers, sent one at a time so that each committer takes one.
const HELD: usize = 6;
/// `store::postgres::group`'s committers per node.
const COMMITTERS: i64 = 4;

struct Held {
    lock: sqlx::Transaction<'static, sqlx::Postgres>,
    updates: Vec<tokio::task::JoinHandle<Result<(), StoreError>>>,
}

impl Held {
    async fn start(admin: &sqlx::PgPool, store: &Arc<dyn Store>, version: i64, prefix: &str) -> Self {
        let mut lock = admin.begin().await.unwrap();
        sqlx::query("SELECT seq FROM objects WHERE id = 'x' FOR UPDATE").execute(&mut *lock).await.unwrap();
        let mut updates = Vec::new();
        for i in 0..HELD {
            let mut cs = thing(&format!("{prefix}_{i}"));
            cs.changes.push(Change::Update { id: "x".into(), expected_version: version, doc: doc(i), tags: vec![] });
            updates.push(spawn(store, cs));
            // Until every committer waits at the lock, each update is let
            // reach one before the next is sent, so no call takes two and
            // leaves a committer free for what follows.
            let waiting = (i as i64 + 1).min(COMMITTERS);
            waiting_at_locks(admin, waiting).await;
        }
        Self { lock, updates }
    }

    /// Lets the queue go after a moment; returns which updates won.
    async fn release(self) -> Vec<usize> {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        self.lock.rollback().await.unwrap();
        let mut won = Vec::new();
        for (i, t) in self.updates.into_iter().enumerate() {
            match t.await.unwrap() {
                Ok(()) => won.push(i),
                Err(StoreError::Conflict) => {}
                Err(e) => panic!("update {i}: {e}"),
            }
        }
        won
    }
}

/// Waits until `n` sessions of the test database wait for a lock.
async fn waiting_at_locks(admin: &sqlx::PgPool, n: i64) {
    for _ in 0..500 {
        let now: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(admin)
        .await
        .unwrap();
        if now >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{n} committers never waited at the lock");
}

fn spawn(store: &Arc<dyn Store>, cs: ChangeSet) -> tokio::task::JoinHandle<Result<(), StoreError>> {
    let store = store.clone();
    tokio::spawn(async move { store.commit(cs).await })
}

fn thing(id: &str) -> ChangeSet {
    set(vec![Change::Insert { id: id.into(), kind: "thing".into(), created: START, doc: doc(0), tags: vec![] }])
}

fn keyed(i: usize) -> ChangeSet {
    let mut cs = thing(&format!("k_{i}"));
    cs.idempotency = Some(IdempotencyRecord {
        key: "same".into(),
        fingerprint: "f".into(),
        status: 200,
        body: body(i),
        created: START,
    });
    cs
}

/// How many of `{prefix}0` .. `{prefix}{n-1}` exist.
async fn existing(store: &dyn Store, prefix: &str, n: usize) -> usize {
    let mut found = 0;
    for i in 0..n {
        if store.get_object(&scope(), &format!("{prefix}{i}")).await.unwrap().is_some() {
            found += 1;
        }
    }
    found
}
