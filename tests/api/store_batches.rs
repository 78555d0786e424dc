//! Many commits at once, some of which fail. The SQLite writer takes sets
//! that arrive together in one batch, and a batch with a failed set is
//! rolled back and run again (`store::sqlite::writer`); sixty at once make
//! such batches likely, though only the writer's unit tests can force one.
//! Every set that succeeds must land exactly as
//! sent, whichever run wrote it: its documents (compressed on the request's
//! thread before the first run), its events and their deliveries (worked out
//! again on each run), and its idempotency body. PostgreSQL runs the same
//! test, one transaction per set.

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
