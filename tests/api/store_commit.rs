//! What a commit writes, on both backends: all of a change set or none of
//! it (PostgreSQL applies it in one statement, `kassa_commit`), changes in
//! their order, deliveries from the endpoints as the set leaves them, and
//! documents stored byte for byte. Each test opens a store on a fresh
//! database, with no server and so no worker beside it.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::{test_db, Backend, TestDb, START};
use crate::store_contract::{endpoint, event_of};
use kassa::store::migrate::MIGRATIONS;
use kassa::store::{
    Change, ChangeSet, CreatedRange, IdempotencyRecord, ListQuery, Scope, Store, StoreError, StoredObject,
};

/// Each test once per backend, as `NAME::sqlite` and `NAME::postgres`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            use crate::helpers::Backend;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        })*
    };
}

on_both_backends!(
    a_failing_change_in_the_middle_writes_nothing,
    a_duplicate_idempotency_key_writes_nothing_else,
    changes_apply_in_their_order,
    the_sets_own_endpoint_writes_decide_its_deliveries,
    documents_are_stored_byte_for_byte,
    the_commit_migration_applies_on_a_version_4_database,
);

const SCOPE: &str = "acct_commit";

fn scope() -> Scope {
    Scope { account_id: SCOPE.into(), livemode: false }
}

async fn open(backend: Backend) -> Option<(TestDb, Arc<dyn Store>)> {
    let db = test_db(backend).await?;
    let store = kassa::store::open(&db.url).await.unwrap();
    Some((db, store))
}

fn set(changes: Vec<Change>) -> ChangeSet {
    ChangeSet { scope: scope(), changes, events: vec![], idempotency: None }
}

fn thing(id: &str, color: &str) -> Change {
    Change::Insert {
        id: id.into(),
        kind: "thing".into(),
        created: 5,
        doc: json!({"id": id, "color": color}).to_string(),
        tags: vec![("color".into(), color.into()), ("shape".into(), "round".into())],
    }
}

fn update(id: &str, version: i64, color: &str) -> Change {
    Change::Update {
        id: id.into(),
        expected_version: version,
        doc: json!({"id": id, "color": color}).to_string(),
        tags: vec![("color".into(), color.into())],
    }
}

fn delete(id: &str, version: i64) -> Change {
    Change::Delete { id: id.into(), expected_version: version, doc: json!({"id": id, "deleted": true}).to_string() }
}

fn record(key: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.into(),
        fingerprint: "f".into(),
        status: 200,
        body: "{\"ok\":true}".into(),
        created: START,
    }
}

async fn listed(store: &dyn Store, kind: &str, tag: (&str, &str)) -> Vec<StoredObject> {
    let q = ListQuery {
        kind: kind.into(),
        filters: vec![(tag.0.into(), tag.1.into())],
        any_of: vec![],
        created: CreatedRange::default(),
        cursor: None,
        limit: 100,
    };
    store.list_objects(&scope(), &q).await.unwrap().items
}

/// The endpoints `evt` was fanned out to, sorted.
async fn delivered_to(store: &dyn Store, evt: &str) -> Vec<String> {
    let mut to: Vec<String> = listed(store, "webhook_delivery", ("event", evt))
        .await
        .iter()
        .map(|d| d.doc().unwrap()["webhook_endpoint"].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    to
}

/// An event far in the future, so nothing would deliver it meanwhile.
fn event(id: &str) -> kassa::domain::event::Event {
    event_of(id, "payment_intent.succeeded", START + 1_000_000_000)
}

/// Nothing of `ids` exists, no `red` tag is listed, and `x` is untouched.
async fn assert_unwritten(store: &dyn Store, ids: &[&str]) {
    for id in ids {
        assert!(store.get_object(&scope(), id).await.unwrap().is_none(), "{id} was written");
    }
    assert!(listed(store, "thing", ("color", "red")).await.is_empty());
    assert!(delivered_to(store, "evt_1").await.is_empty());
    let x = store.get_object(&scope(), "x").await.unwrap().unwrap();
    assert_eq!((x.version, x.doc().unwrap()["color"].as_str()), (1, Some("blue")));
    assert_eq!(listed(store, "thing", ("color", "blue")).await.len(), 1);
}

async fn a_failing_change_in_the_middle_writes_nothing(backend: Backend) {
    let Some((_db, store)) = open(backend).await else { return };
    let ep = endpoint("we_all", "enabled", &["*"]);
    store.commit(set(vec![thing("x", "blue"), ep])).await.unwrap();
    for losing in [update("x", 7, "green"), delete("x", 7), delete("missing", 1), update("missing", 1, "red")] {
        let mut cs = set(vec![thing("a", "red"), thing("b", "red"), losing, thing("c", "red")]);
        cs.events = vec![event("evt_1")];
        cs.idempotency = Some(record("k1"));
        let r = store.commit_counted(cs).await;
        assert!(matches!(r, Err(StoreError::Conflict)), "{r:?}");
        assert_unwritten(&*store, &["a", "b", "c", "evt_1"]).await;
        assert!(store.find_idempotency(&scope(), "k1").await.unwrap().is_none());
    }
}

async fn a_duplicate_idempotency_key_writes_nothing_else(backend: Backend) {
    let Some((_db, store)) = open(backend).await else { return };
    let ep = endpoint("we_all", "enabled", &["*"]);
    let mut first = set(vec![thing("x", "blue"), ep]);
    first.idempotency = Some(record("k1"));
    store.commit(first).await.unwrap();
    let mut again = set(vec![thing("a", "red"), update("x", 1, "red")]);
    again.events = vec![event("evt_1")];
    again.idempotency = Some(IdempotencyRecord { body: "other".into(), ..record("k1") });
    let r = store.commit_counted(again).await;
    assert!(matches!(r, Err(StoreError::DuplicateIdempotencyKey)), "{r:?}");
    assert_unwritten(&*store, &["a", "evt_1"]).await;
    assert_eq!(store.find_idempotency(&scope(), "k1").await.unwrap(), Some(record("k1")));
}

async fn changes_apply_in_their_order(backend: Backend) {
    let Some((_db, store)) = open(backend).await else { return };
    // Created, changed twice and deleted in one set.
    let cs = set(vec![thing("t", "red"), update("t", 1, "green"), update("t", 2, "blue"), delete("t", 3)]);
    store.commit(cs).await.unwrap();
    let t = store.get_object(&scope(), "t").await.unwrap().unwrap();
    assert_eq!((t.version, t.deleted, t.doc().unwrap()["deleted"].as_bool()), (4, true, Some(true)));
    for color in ["red", "green", "blue"] {
        assert!(listed(&*store, "thing", ("color", color)).await.is_empty(), "{color}");
    }
    // An update before the insert it needs finds nothing.
    let r = store.commit(set(vec![update("u", 1, "green"), thing("u", "red")])).await;
    assert!(matches!(r, Err(StoreError::Conflict)), "{r:?}");
    assert!(store.get_object(&scope(), "u").await.unwrap().is_none());
    // A later insert sorts after an earlier one of the same second.
    store.commit(set(vec![thing("v1", "red"), thing("v2", "red")])).await.unwrap();
    let ids: Vec<String> = listed(&*store, "thing", ("color", "red")).await.into_iter().map(|o| o.id).collect();
    assert_eq!(ids, ["v2", "v1"]);
}

async fn the_sets_own_endpoint_writes_decide_its_deliveries(backend: Backend) {
    let Some((_db, store)) = open(backend).await else { return };
    let eps = vec![endpoint("we_a", "enabled", &["*"]), endpoint("we_b", "enabled", &["*"])];
    store.commit(set(eps)).await.unwrap();
    let stored = |id: &'static str| {
        let store = store.clone();
        async move { store.get_object(&scope(), id).await.unwrap().unwrap() }
    };
    // Disabled in the same set as its event: as if read after the update.
    let mut a = stored("we_a").await.doc().unwrap();
    a["status"] = json!("disabled");
    let ep: kassa::domain::webhook_endpoint::WebhookEndpoint = serde_json::from_value(a).unwrap();
    let mut cs = set(vec![Change::update(&ep, 1).unwrap()]);
    cs.events = vec![event("evt_1")];
    assert_eq!(store.commit_counted(cs).await.unwrap().deliveries, 1);
    assert_eq!(delivered_to(&*store, "evt_1").await, ["we_b"]);
    assert_eq!(stored("evt_1").await.doc().unwrap()["pending_webhooks"], 1);
    // Created with the event: it gets it. Deleted with it: it does not.
    let mut cs = set(vec![endpoint("we_c", "enabled", &["*"]), delete("we_b", 1)]);
    cs.events = vec![event("evt_2")];
    assert_eq!(store.commit_counted(cs).await.unwrap().deliveries, 1);
    assert_eq!(delivered_to(&*store, "evt_2").await, ["we_c"]);
    assert_eq!(stored("evt_2").await.doc().unwrap()["pending_webhooks"], 1);
    // Enabled again with an event: it gets it (on PostgreSQL it was not
    // among the enabled endpoints read, so the set's change brings it in).
    let mut a = stored("we_a").await.doc().unwrap();
    a["status"] = json!("enabled");
    let ep: kassa::domain::webhook_endpoint::WebhookEndpoint = serde_json::from_value(a).unwrap();
    let mut cs = set(vec![Change::update(&ep, 2).unwrap()]);
    cs.events = vec![event("evt_3")];
    assert_eq!(store.commit_counted(cs).await.unwrap().deliveries, 2);
    assert_eq!(delivered_to(&*store, "evt_3").await, ["we_a", "we_c"]);
    // A disabled endpoint no event can reach is never decoded, so one
    // whose document does not decode stops no commit.
    let junk = Change::Insert {
        id: "we_z".into(),
        kind: "webhook_endpoint".into(),
        created: 5,
        doc: json!({"status": "disabled"}).to_string(),
        tags: vec![("status".into(), "disabled".into())],
    };
    store.commit(set(vec![junk])).await.unwrap();
    let mut cs = set(vec![]);
    cs.events = vec![event("evt_4")];
    assert_eq!(store.commit_counted(cs).await.unwrap().deliveries, 2);
}

/// The stored text of `id`, read past the store (SQLite's decompressed).
async fn raw_doc(db: &TestDb, id: &str) -> String {
    match db.url.strip_prefix("sqlite:") {
        Some(path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row("SELECT doc FROM objects WHERE id = ?", [id], |r| {
                Ok(kassa::store::sqlite::stored_text::from_sql(r.get_ref(0)?).unwrap())
            })
            .unwrap(),
        None => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            let doc = sqlx::query_scalar("SELECT doc FROM objects WHERE id = $1").bind(id).fetch_one(&pool).await;
            pool.close().await;
            doc.unwrap()
        }
    }
}

async fn documents_are_stored_byte_for_byte(backend: Backend) {
    let Some((db, store)) = open(backend).await else { return };
    let doc = json!({
        "id": "t", "name": "Crème \"brûlée\" \\ 🍮 \u{1}", "escaped": "\\u0000 stays text", "n": 12.50,
        "big": 9_007_199_254_740_993_i64, "nested": {"z": [1, {"a": null}], "a": true}, "empty": "",
    });
    let insert =
        Change::Insert { id: "t".into(), kind: "thing".into(), created: 5, doc: doc.to_string(), tags: vec![] };
    store.commit(set(vec![insert])).await.unwrap();
    assert_eq!(raw_doc(&db, "t").await, doc.to_string());
    let changed = json!({"id": "t", "name": "  spaced\ttab\n", "list": []});
    let up = Change::Update { id: "t".into(), expected_version: 1, doc: changed.to_string(), tags: vec![] };
    store.commit(set(vec![up])).await.unwrap();
    assert_eq!(raw_doc(&db, "t").await, changed.to_string());
    // Events are serialized by the backend itself.
    let evt = event_of("evt_1", "thing.cr\u{e9}\u{e9} \"quoted\"", START);
    store.commit(ChangeSet { events: vec![evt.clone()], ..set(vec![]) }).await.unwrap();
    assert_eq!(raw_doc(&db, "evt_1").await, serde_json::to_string(&evt).unwrap());
}

const SCHEMA_MIGRATIONS: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// A database as migrations 1–4 left it, holding one object with a tag.
async fn at_version_4(db: &TestDb) {
    let data = "INSERT INTO objects (id, account_id, livemode, kind, created, version, doc) \
                VALUES ('x', 'acct_commit', FALSE, 'thing', 5, 1, '{\"id\":\"x\",\"color\":\"blue\"}'); \
                INSERT INTO object_tags (account_id, livemode, kind, name, value, seq) \
                SELECT 'acct_commit', FALSE, 'thing', 'color', 'blue', seq FROM objects WHERE id = 'x';";
    if let Some(path) = db.url.strip_prefix("sqlite:") {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch(SCHEMA_MIGRATIONS).unwrap();
        for m in &MIGRATIONS[..4] {
            conn.execute_batch(m.sqlite).unwrap();
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", rusqlite::params![m.version, m.name])
                .unwrap();
        }
        conn.execute_batch(data).unwrap();
        return;
    }
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::raw_sql(SCHEMA_MIGRATIONS).execute(&pool).await.unwrap();
    for m in &MIGRATIONS[..4] {
        sqlx::raw_sql(m.postgres).execute(&pool).await.unwrap();
        let q = sqlx::query("INSERT INTO schema_migrations VALUES ($1, $2, 0)").bind(m.version).bind(m.name);
        q.execute(&pool).await.unwrap();
    }
    sqlx::raw_sql(data).execute(&pool).await.unwrap();
    pool.close().await;
}

async fn the_commit_migration_applies_on_a_version_4_database(backend: Backend) {
    let Some(db) = test_db(backend).await else { return };
    at_version_4(&db).await;
    assert_eq!((MIGRATIONS[4].version, MIGRATIONS[4].name), (5, "commit_function"));
    let store = kassa::store::open(&db.url).await.unwrap();
    // The old row is kept and takes part in the new commits.
    assert_eq!(listed(&*store, "thing", ("color", "blue")).await.len(), 1);
    let mut cs = set(vec![update("x", 1, "green"), thing("y", "red")]);
    cs.idempotency = Some(record("k1"));
    store.commit(cs).await.unwrap();
    assert_eq!(store.get_object(&scope(), "x").await.unwrap().unwrap().version, 2);
    assert!(matches!(store.commit(set(vec![thing("x", "red")])).await, Err(StoreError::Conflict)));
    let mut dup = set(vec![thing("z", "red")]);
    dup.idempotency = Some(record("k1"));
    assert!(matches!(store.commit(dup).await, Err(StoreError::DuplicateIdempotencyKey)));
    // Opening again applies nothing twice.
    drop(store);
    let again = kassa::store::open(&db.url).await.unwrap();
    assert_eq!(listed(&*again, "thing", ("color", "red")).await.len(), 1);
}

/// The pool no longer pings a connection on every acquire, only one that
/// sat idle; so a connection the server dropped meanwhile (a restart, an
/// idle timeout) is replaced, not handed to the next query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_dropped_while_idle_are_replaced() {
    let Some((db, store)) = open(Backend::Postgres).await else { return };
    store.commit(set(vec![thing("x", "blue")])).await.unwrap();
    // Longer than the idle time after which the pool checks a connection.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let admin = sqlx::PgPool::connect(&db.url).await.unwrap();
    let ended: i64 = sqlx::query_scalar(
        // FILTER: the WHERE must spare this connection before anything ends.
        "SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    admin.close().await;
    assert!(ended >= 1);
    assert_eq!(store.get_object(&scope(), "x").await.unwrap().unwrap().version, 1);
    store.commit(set(vec![update("x", 1, "green")])).await.unwrap();
}

/// Migration 0010 drops PostgreSQL's foreign key from tag rows to their
/// object (a check query per tag row, locking its object; `kassa_commit` is the
/// only writer of tag rows and takes their seq from its own write). Tags
/// still go with their object: written with it, replaced on update,
/// dropped on delete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_tag_rows_carry_no_foreign_key_and_still_follow_their_object() {
    let Some((db, store)) = open(Backend::Postgres).await else { return };
    let admin = sqlx::PgPool::connect(&db.url).await.unwrap();
    let keys = "SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'object_tags'::regclass AND contype = 'f'";
    assert_eq!(count(&admin, keys).await, 0);
    store.commit(set(vec![thing("x", "blue")])).await.unwrap();
    store.commit(set(vec![update("x", 1, "green")])).await.unwrap();
    let tags = |id: &'static str| {
        sqlx::query_scalar::<_, String>(
            "SELECT t.name || '=' || t.value FROM object_tags t JOIN objects o ON o.seq = t.seq WHERE o.id = $1 ORDER BY 1",
        )
        .bind(id)
        .fetch_all(&admin)
    };
    assert_eq!(tags("x").await.unwrap(), vec!["color=green".to_owned()]);
    store.commit(set(vec![delete("x", 2)])).await.unwrap();
    assert!(tags("x").await.unwrap().is_empty());
    let orphans = "SELECT COUNT(*) FROM object_tags t WHERE NOT EXISTS (SELECT 1 FROM objects o WHERE o.seq = t.seq)";
    assert_eq!(count(&admin, orphans).await, 0);
    admin.close().await;
}

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}
