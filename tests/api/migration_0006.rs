//! Migration 0006 (SQLite's lean tags) on a database made by migrations
//! 1–5 with tagged objects in it: every tag is kept and found, each object
//! row learns its own tags, and an update or delete afterwards removes the
//! tag rows the object had before the migration (there is no index by seq
//! any more to find them otherwise).

use serde_json::json;

use crate::helpers::{sqlite_at_version, test_db, Backend};
use kassa::store::migrate::MIGRATIONS;
use kassa::store::{Change, ChangeSet, CreatedRange, DueQuery, ListQuery, Scope};

const DATA: &[&str] = &[
    "INSERT INTO objects (id, account_id, livemode, kind, created, version, doc) VALUES \
     ('cus_1', 'acct_a', 0, 'customer', 6, 1, '{\"id\":\"cus_1\"}'), \
     ('cus_2', 'acct_a', 0, 'customer', 7, 1, '{\"id\":\"cus_2\"}'), \
     ('cs_1', 'acct_a', 0, 'checkout.session', 8, 1, '{\"id\":\"cs_1\"}')",
    "INSERT INTO object_tags (account_id, livemode, kind, name, value, seq) \
     SELECT 'acct_a', 0, 'customer', 'email', 'a@example.com', seq FROM objects WHERE id IN ('cus_1', 'cus_2')",
    "INSERT INTO object_tags (account_id, livemode, kind, name, value, seq) \
     SELECT 'acct_a', 0, 'checkout.session', t.name, t.value, o.seq FROM objects o, \
     (SELECT 'status' AS name, 'open' AS value UNION ALL SELECT 'open_until', '00000000000000000050') t \
     WHERE o.id = 'cs_1'",
];

fn at_version_5(path: &str) {
    let conn = sqlite_at_version(path, 5);
    for sql in DATA {
        conn.execute_batch(sql).unwrap();
    }
}

fn by(kind: &str, name: &str, value: &str) -> ListQuery {
    ListQuery {
        kind: kind.into(),
        filters: vec![(name.into(), value.into())],
        any_of: vec![],
        created: CreatedRange::default(),
        cursor: None,
        limit: 10,
    }
}

/// SQLite only: PostgreSQL's schema is unchanged by 0006.
mod tags_made_before_0006_are_found_and_removed_after_it {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::found_and_removed().await;
    }
}

async fn found_and_removed() {
    let Some(db) = test_db(Backend::Sqlite).await else { return };
    let path = db.url.strip_prefix("sqlite:").unwrap().to_owned();
    at_version_5(&path);
    assert_eq!(MIGRATIONS[5].version, 6);
    let store = kassa::store::open(&db.url).await.unwrap();
    let a = Scope { account_id: "acct_a".into(), livemode: false };
    let ids = |page: kassa::store::Page| page.items.into_iter().map(|o| o.id).collect::<Vec<_>>();
    let email = by("customer", "email", "a@example.com");
    assert_eq!(ids(store.list_objects(&a, &email).await.unwrap()), ["cus_2", "cus_1"]);
    let open = DueQuery::new("checkout.session", "open_until", &format!("{:020}", 100), 10);
    assert_eq!(store.due(&open).await.unwrap().len(), 1, "due work is still found");

    // An update replaces the old tags; a delete drops them.
    let update = Change::Update {
        id: "cus_1".into(),
        expected_version: 1,
        doc: json!({"id": "cus_1"}).to_string(),
        tags: vec![("email".into(), "b@example.com".into())],
    };
    let delete = Change::Delete { id: "cs_1".into(), expected_version: 1, doc: json!({"deleted": true}).to_string() };
    let set = ChangeSet { scope: a.clone(), changes: vec![update, delete], events: vec![], idempotency: None };
    store.commit(set).await.unwrap();
    assert_eq!(ids(store.list_objects(&a, &email).await.unwrap()), ["cus_2"]);
    let b = by("customer", "email", "b@example.com");
    assert_eq!(ids(store.list_objects(&a, &b).await.unwrap()), ["cus_1"]);
    assert!(store.due(&open).await.unwrap().is_empty(), "a deleted session is no longer due");
    assert!(store.list_objects(&a, &by("checkout.session", "status", "open")).await.unwrap().items.is_empty());

    // No tag row is left behind without its object's say-so.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn.query_row("SELECT count(*) FROM object_tags", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 2, "cus_1's new email and cus_2's email");
}

/// A kassa older than the database's schema refuses to open it, rather
/// than write it as its own schema expects (after 0006 an object's tags are
/// also kept in its row, which an older kassa would not maintain).
async fn newer_schema_is_refused(backend: Backend) {
    let Some(db) = test_db(backend).await else { return };
    drop(kassa::store::open(&db.url).await.unwrap());
    let later = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from_the_future', 0)";
    match backend {
        Backend::Sqlite => {
            let conn = rusqlite::Connection::open(db.url.strip_prefix("sqlite:").unwrap()).unwrap();
            conn.execute_batch(later).unwrap();
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::raw_sql(later).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    let err = kassa::store::open(&db.url).await.err().expect("a newer schema must be refused").to_string();
    assert!(err.contains("version 999") && err.contains("newer than this kassa"), "{err}");
}

mod a_database_migrated_by_a_newer_kassa_is_refused {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::newer_schema_is_refused(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::newer_schema_is_refused(Backend::Postgres).await;
    }
}
