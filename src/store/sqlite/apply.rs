//! Applying a `ChangeSet` inside the SQLite writer's transaction.

use rusqlite::types::Value;
use rusqlite::{params, Connection};

use super::endpoints_memo;
use super::*;
use super::{backend, exec, is_unique_violation, row_to_object, tags, to_object};
use crate::domain::webhook_endpoint;
use crate::store::sql;

/// A change set with its texts as SQLite stores them (`stored_text`),
/// worked out before the set reaches the writer: each change's document, in
/// order, and the idempotency record's body. Built only from its own set,
/// so the documents always line up with the changes.
pub(super) struct Prepared {
    set: ChangeSet,
    docs: Vec<Value>,
    body: Option<Value>,
}

impl Prepared {
    pub(super) fn new(set: ChangeSet) -> Prepared {
        let docs = set.changes.iter().map(|c| stored_text::to_sql(change_doc(c))).collect();
        let body = set.idempotency.as_ref().map(|r| stored_text::to_sql(&r.body));
        Prepared { set, docs, body }
    }
}

fn change_doc(c: &Change) -> &str {
    match c {
        Change::Insert { doc, .. } | Change::Update { doc, .. } | Change::Delete { doc, .. } => doc,
    }
}

fn insert(conn: &Connection, scope: &Scope, obj: (&str, &str, i64), doc: &Value, tags: &[Tag]) -> StoreResult<()> {
    let (id, kind, created) = obj;
    let column = tags::column(tags)?;
    let values = params![id, scope.account_id, scope.livemode, kind, created, doc, column];
    let seq = conn.prepare_cached(sql::INSERT_OBJECT_SQLITE).and_then(|mut s| s.insert(values)).map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict
        } else {
            backend(e)
        }
    })?;
    tags::insert(conn, scope, kind, seq, tags)
}

/// Applies the set and the deliveries its events call for (from the
/// endpoints as the writer's transaction sees them, read once per scope and
/// transaction: `endpoints_memo`); returns what it added.
/// The documents and body come as stored (`Prepared::new`).
/// Documents arrive serialized (`Change`), so the single writer thread
/// spends its time on SQL. Events are serialized here: their
/// `pending_webhooks` is known only once the endpoints are read.
/// It may run twice on the same set (see `writer`): the deliveries and
/// each event's `pending_webhooks` are worked out afresh each time.
pub(super) fn apply(conn: &Connection, prepared: &mut Prepared) -> StoreResult<Committed> {
    let Prepared { set, docs, body } = prepared;
    let scope = &set.scope;
    if let (Some(rec), Some(body)) = (&set.idempotency, body.as_ref()) {
        // First, so that a taken key refuses the set before it writes a
        // row: the writer then has nothing to undo (`writer::run_all`).
        // Creates no longer read the key before they run
        // (`idempotency::Deferred`), so this is how a replay ends.
        let added = exec(conn,
            "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, status, body, created) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (account_id, livemode, key) DO NOTHING",
            params![scope.account_id, scope.livemode, rec.key, rec.fingerprint, rec.status, body, rec.created],
        )
        .map_err(backend)?;
        if added == 0 {
            return Err(StoreError::DuplicateIdempotencyKey);
        }
    }
    let mut endpoint_changed = false;
    for (change, doc) in set.changes.iter().zip(docs.iter()) {
        endpoint_changed |= apply_change(conn, scope, change, doc)?;
    }
    if endpoint_changed {
        endpoints_memo::forget();
    }
    let deliveries = if set.events.is_empty() {
        Vec::new()
    } else {
        let endpoints = endpoints_memo::enabled(conn, scope)?;
        fanout::deliveries(&mut set.events, &endpoints, &crate::ids::RandomIds)?
    };
    for event in &set.events {
        let (id, created, tags, doc) = event_parts(event)?;
        insert(conn, scope, (&id, EVENT_KIND, created), &stored_text::to_sql(&doc), &tags)?;
    }
    for d in &deliveries {
        if let Change::Insert { id, kind, created, doc, tags } = d {
            insert(conn, scope, (id, kind, *created), &stored_text::to_sql(doc), tags)?;
        }
    }
    Ok(Committed { deliveries: deliveries.len() })
}

/// Applies one change; says whether it was to a webhook endpoint.
fn apply_change(conn: &Connection, scope: &Scope, change: &Change, doc: &Value) -> StoreResult<bool> {
    match change {
        Change::Insert { id, kind, created, tags, .. } => {
            insert(conn, scope, (id, kind, *created), doc, tags)?;
            Ok(kind == webhook_endpoint::KIND)
        }
        Change::Update { id, expected_version, tags, .. } => {
            // The writer is the only one writing, so nothing changes the row
            // between this read and the update below.
            let old = tags::current(conn, scope, id, *expected_version)?;
            exec(
                conn,
                "UPDATE objects SET doc = ?, tags = ?, version = version + 1 WHERE seq = ?",
                params![doc, tags::column(tags)?, old.seq],
            )
            .map_err(backend)?;
            tags::replace(conn, scope, &old, tags)?;
            Ok(old.kind == webhook_endpoint::KIND)
        }
        Change::Delete { id, expected_version, .. } => {
            let old = tags::current(conn, scope, id, *expected_version)?;
            exec(
                conn,
                "UPDATE objects SET doc = ?, tags = NULL, version = version + 1, deleted = 1 WHERE seq = ?",
                params![doc, old.seq],
            )
            .map_err(backend)?;
            tags::replace(conn, scope, &old, &[])?;
            Ok(old.kind == webhook_endpoint::KIND)
        }
    }
}

/// A list query run on `conn` (a reader's, or the writer's inside its transaction).
pub(super) fn list_on(conn: &Connection, scope: &Scope, query: &ListQuery) -> StoreResult<Vec<StoredObject>> {
    let built = sql::list(scope, query, sql::Dialect::Sqlite);
    let mut stmt = conn.prepare_cached(&built.text).map_err(backend)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(built.args.iter().map(sql::Arg::to_sqlite)), row_to_object)
        .map_err(backend)?;
    let mut items = Vec::new();
    for r in rows {
        items.push(to_object(r.map_err(backend)?)?);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use crate::store::migrate::MIGRATIONS;
    use crate::store::{sql, CreatedRange, Cursor, ListQuery, Scope};

    /// Every row of SQLite's plan for the list query `q`, joined.
    fn plan(conn: &Connection, q: &ListQuery) -> String {
        let scope = Scope { account_id: "acct_a".into(), livemode: false };
        let built = sql::list(&scope, q, sql::Dialect::Sqlite);
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {}", built.text)).unwrap();
        let args = rusqlite::params_from_iter(built.args.iter().map(sql::Arg::to_sqlite));
        let rows = stmt.query_map(args, |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join(" | ")
    }

    #[test]
    fn lists_by_kind_seek_the_list_index_and_never_sort() {
        let conn = Connection::open_in_memory().unwrap();
        for m in MIGRATIONS {
            conn.execute_batch(m.sqlite).unwrap();
        }
        let q = |cursor, created| ListQuery {
            kind: "checkout.session".into(),
            filters: vec![],
            any_of: vec![],
            created,
            cursor,
            limit: 10,
        };
        let since = CreatedRange { gte: Some(100), ..CreatedRange::default() };
        for (what, query) in [
            ("first page", q(None, CreatedRange::default())),
            ("starting_after", q(Some(Cursor::After { created: 50, seq: 7 }), CreatedRange::default())),
            ("ending_before", q(Some(Cursor::Before { created: 50, seq: 7 }), CreatedRange::default())),
            ("created range", q(None, since.clone())),
            ("range and cursor", q(Some(Cursor::After { created: 150, seq: 7 }), since)),
        ] {
            let plan = plan(&conn, &query);
            assert!(
                plan.contains("USING COVERING INDEX objects_list") || plan.contains("USING INDEX objects_list"),
                "{what}: {plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{what}: {plan}");
            if query.cursor.is_some() || query.created.gte.is_some() {
                assert!(plan.contains("created"), "{what} seeks by time: {plan}");
            }
        }
    }
}
