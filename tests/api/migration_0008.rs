//! Migration 0008 (SQLite's compressed documents, and its list index
//! rebuilt ascending) on a database made by migrations 1–7 with text
//! documents and an LZ4 idempotency body in it: all of them read back
//! exactly afterwards, lists keep their newest-first order across old and
//! new rows, and what is written afterwards is stored compressed. (The
//! rebuilt index's plans are checked in `store::sqlite::apply`'s tests.)

use serde_json::json;

use crate::helpers::{sqlite_at_version, test_db, Backend};
use kassa::store::migrate::MIGRATIONS;
use kassa::store::{Change, ChangeSet, CreatedRange, Cursor, ListQuery, Scope};

fn at_version_7(path: &str, legacy_body: &[u8]) {
    let conn = sqlite_at_version(path, 7);
    for (id, created) in [("cus_1", 6), ("cus_2", 7), ("cus_3", 7)] {
        conn.execute(
            "INSERT INTO objects (id, account_id, livemode, kind, created, version, doc) VALUES (?, 'acct_a', 0, 'customer', ?, 1, ?)",
            rusqlite::params![id, created, json!({"id": id, "note": "x".repeat(200)}).to_string()],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, status, body, created) VALUES ('acct_a', 0, 'k1', 'f', 200, ?, 5)",
        [legacy_body],
    )
    .unwrap();
}

fn customers(limit: usize) -> ListQuery {
    ListQuery {
        kind: "customer".into(),
        filters: vec![],
        any_of: vec![],
        created: CreatedRange::default(),
        cursor: None,
        limit,
    }
}

/// SQLite only: PostgreSQL's storage is unchanged by 0008.
mod documents_from_before_0008_read_back_and_new_ones_are_compressed {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::read_back_and_compressed().await;
    }
}

async fn read_back_and_compressed() {
    let Some(db) = test_db(Backend::Sqlite).await else { return };
    let path = db.url.strip_prefix("sqlite:").unwrap().to_owned();
    let body = format!(r#"{{"id":"cs_1","lines":[{}]}}"#, vec![r#"{"price":null}"#; 90].join(","));
    at_version_7(&path, &lz4_flex::compress_prepend_size(body.as_bytes()));
    assert_eq!(MIGRATIONS[7].version, 8);
    let store = kassa::store::open(&db.url).await.unwrap();
    let a = Scope { account_id: "acct_a".into(), livemode: false };

    let old = store.get_object(&a, "cus_2").await.unwrap().unwrap();
    assert_eq!(old.raw().unwrap(), json!({"id": "cus_2", "note": "x".repeat(200)}).to_string());
    assert_eq!(store.find_idempotency(&a, "k1").await.unwrap().unwrap().body, body);

    let doc = json!({"id": "cus_4", "object": "customer", "email": "jenny@example.com", "note": "y".repeat(300)});
    let insert =
        Change::Insert { id: "cus_4".into(), kind: "customer".into(), created: 7, doc: doc.to_string(), tags: vec![] };
    store
        .commit(ChangeSet { scope: a.clone(), changes: vec![insert], events: vec![], idempotency: None })
        .await
        .unwrap();
    assert_eq!(store.get_object(&a, "cus_4").await.unwrap().unwrap().raw().unwrap(), doc.to_string());

    // Newest first, and among equal times the later row first, as before the index was rebuilt.
    let page = store.list_objects(&a, &customers(10)).await.unwrap();
    assert_eq!(page.items.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["cus_4", "cus_3", "cus_2", "cus_1"]);
    assert_eq!(page.items[0].raw().unwrap(), doc.to_string());
    // Pages walk on from a cursor, across rows of equal time, either way.
    let first = store.list_objects(&a, &customers(2)).await.unwrap();
    let last = first.items.last().unwrap();
    let after = ListQuery { cursor: Some(Cursor::After { created: last.created, seq: last.seq }), ..customers(2) };
    let next = store.list_objects(&a, &after).await.unwrap();
    assert_eq!(next.items.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["cus_2", "cus_1"]);
    let head = &next.items[0];
    let before = ListQuery { cursor: Some(Cursor::Before { created: head.created, seq: head.seq }), ..customers(2) };
    let back = store.list_objects(&a, &before).await.unwrap();
    assert_eq!(back.items.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["cus_4", "cus_3"]);

    // An old text document, updated, is stored compressed too.
    let changed = json!({"id": "cus_1", "note": "z".repeat(200)}).to_string();
    let update = Change::Update { id: "cus_1".into(), expected_version: 1, doc: changed.clone(), tags: vec![] };
    store
        .commit(ChangeSet { scope: a.clone(), changes: vec![update], events: vec![], idempotency: None })
        .await
        .unwrap();
    assert_eq!(store.get_object(&a, "cus_1").await.unwrap().unwrap().raw().unwrap(), changed);

    let conn = rusqlite::Connection::open(&path).unwrap();
    let (kind, len): (String, i64) = conn
        .query_row("SELECT typeof(doc), length(doc) FROM objects WHERE id = 'cus_4'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(kind, "blob");
    assert!((len as usize) < doc.to_string().len() / 2, "{len} bytes stored");
    let kind: String = conn.query_row("SELECT typeof(doc) FROM objects WHERE id = 'cus_1'", [], |r| r.get(0)).unwrap();
    assert_eq!(kind, "blob");
}
