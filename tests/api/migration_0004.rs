//! Migration 0004 (ids unique per scope, deliveries due per endpoint) on a
//! database made by migrations 1–3 with data in it: every row, tag and
//! sequence number is kept, and the ids become per-scope.

use serde_json::json;

use crate::helpers::{test_db, Backend};
use kassa::store::migrate::MIGRATIONS;
use kassa::store::{Change, ChangeSet, CreatedRange, DueQuery, GroupedDue, ListQuery, Scope, StoreError};

/// Rows as migrations 1–3 left them: a coupon, a customer with an email
/// tag, and a pending webhook delivery with the old global `due` tag.
const DATA: &[&str] = &[
    "INSERT INTO objects (id, account_id, livemode, kind, created, version, doc) VALUES \
     ('SUMMER', 'acct_a', FALSE, 'coupon', 5, 1, '{\"id\":\"SUMMER\",\"percent_off\":\"10\"}'), \
     ('cus_1', 'acct_a', FALSE, 'customer', 6, 2, '{\"id\":\"cus_1\"}'), \
     ('wdl_1', 'acct_a', FALSE, 'webhook_delivery', 7, 1, '{\"id\":\"wdl_1\",\"webhook_endpoint\":\"we_1\"}')",
    "INSERT INTO object_tags (account_id, livemode, kind, name, value, seq) \
     SELECT 'acct_a', FALSE, 'customer', 'email', 'a@example.com', seq FROM objects WHERE id = 'cus_1'",
    "INSERT INTO object_tags (account_id, livemode, kind, name, value, seq) \
     SELECT 'acct_a', FALSE, 'webhook_delivery', t.name, t.value, o.seq FROM objects o, \
     (SELECT 'due' AS name, '00000000000000000007' AS value UNION ALL SELECT 'webhook_endpoint', 'we_1' \
      UNION ALL SELECT 'event', 'evt_1') t WHERE o.id = 'wdl_1'",
];

const SCHEMA_MIGRATIONS: &str =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

fn sqlite_at_version_3(path: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(SCHEMA_MIGRATIONS).unwrap();
    for m in &MIGRATIONS[..3] {
        conn.execute_batch(m.sqlite).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", rusqlite::params![m.version, m.name]).unwrap();
    }
    for sql in DATA {
        conn.execute_batch(sql).unwrap();
    }
}

async fn postgres_at_version_3(url: &str) {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::raw_sql(SCHEMA_MIGRATIONS).execute(&pool).await.unwrap();
    for m in &MIGRATIONS[..3] {
        sqlx::raw_sql(m.postgres).execute(&pool).await.unwrap();
        sqlx::query("INSERT INTO schema_migrations VALUES ($1, $2, 0)")
            .bind(m.version)
            .bind(m.name)
            .execute(&pool)
            .await
            .unwrap();
    }
    for sql in DATA {
        sqlx::raw_sql(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

async fn keeps_data_and_scopes_ids(backend: Backend) {
    let Some(db) = test_db(backend).await else { return };
    match backend {
        Backend::Sqlite => sqlite_at_version_3(db.url.strip_prefix("sqlite:").unwrap()),
        Backend::Postgres => postgres_at_version_3(&db.url).await,
    }
    assert_eq!(MIGRATIONS[3].version, 4);
    let store = kassa::store::open(&db.url).await.unwrap();
    let a = Scope { account_id: "acct_a".into(), livemode: false };
    let coupon = store.get_object(&a, "SUMMER").await.unwrap().unwrap();
    assert_eq!(
        (coupon.kind.as_str(), coupon.version, coupon.doc().unwrap()["percent_off"].as_str()),
        ("coupon", 1, Some("10"))
    );
    let customer = ListQuery {
        kind: "customer".into(),
        filters: vec![("email".into(), "a@example.com".into())],
        any_of: vec![],
        created: CreatedRange::default(),
        cursor: None,
        limit: 10,
    };
    let found = store.list_objects(&a, &customer).await.unwrap().items;
    assert_eq!((found.len(), found[0].version, found[0].seq), (1, 2, coupon.seq + 1), "tags and seq are kept");
    // The id is now per scope.
    let summer = |percent: &str| Change::Insert {
        id: "SUMMER".into(),
        kind: "coupon".into(),
        created: 8,
        doc: json!({"id": "SUMMER", "percent_off": percent}).to_string(),
        tags: vec![],
    };
    for scope in [Scope { account_id: "acct_b".into(), livemode: false }, Scope { livemode: true, ..a.clone() }] {
        let set = ChangeSet { scope, changes: vec![summer("20")], events: vec![], idempotency: None };
        store.commit(set).await.unwrap();
    }
    let again = ChangeSet { scope: a.clone(), changes: vec![summer("30")], events: vec![], idempotency: None };
    assert!(matches!(store.commit(again).await, Err(StoreError::Conflict)));
    // The pending delivery is due in its endpoint's queue, and nowhere else.
    let q = GroupedDue {
        kind: "webhook_delivery".into(),
        prefix: "due:".into(),
        up_to: format!("{:020}", 100),
        skip: vec![],
        per_group: 4,
    };
    let due = store.due_grouped(&q).await.unwrap();
    let seen: Vec<(&str, &str, &str)> =
        due.iter().map(|d| (d.group.as_str(), d.object.id.as_str(), d.due.as_str())).collect();
    assert_eq!(seen, [("we_1", "wdl_1", "00000000000000000007")]);
    let tagged = |name: &str| ListQuery {
        kind: "webhook_delivery".into(),
        filters: vec![(name.into(), "00000000000000000007".into())],
        ..customer.clone()
    };
    assert_eq!(store.list_objects(&a, &tagged("due:we_1")).await.unwrap().items.len(), 1);
    assert!(store.list_objects(&a, &tagged("due")).await.unwrap().items.is_empty(), "the old tag row is gone");
    // A sweep by a tag that is not a schedule is refused (0011 indexes only schedules).
    assert!(store.due(&DueQuery::new("webhook_delivery", "due", &format!("{:020}", 100), 10)).await.is_err());
    // A new object's seq still comes after the old ones.
    let later = store.get_object(&Scope { account_id: "acct_b".into(), livemode: false }, "SUMMER").await.unwrap();
    assert!(later.unwrap().seq > found[0].seq + 1);
}

/// As `backend_test!` names them: `NAME::sqlite` and `NAME::postgres`.
mod keeps_data_and_scopes_ids {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::keeps_data_and_scopes_ids(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::keeps_data_and_scopes_ids(Backend::Postgres).await;
    }
}
