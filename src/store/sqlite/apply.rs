//! Applying a `ChangeSet` inside the SQLite writer's transaction.

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::*;
use super::{backend, exec, is_unique_violation, row};
use crate::store::sql;

/// A change set with its documents already serialized, so the single writer
/// thread spends its time on SQL only.
pub(super) struct Prepared {
    set: ChangeSet,
    docs: Vec<String>,
    events: Vec<String>,
}

impl Prepared {
    pub(super) fn new(set: ChangeSet) -> Self {
        let docs = set
            .changes
            .iter()
            .map(|c| match c {
                Change::Insert { doc, .. } | Change::Update { doc, .. } | Change::Delete { doc, .. } => doc.to_string(),
            })
            .collect();
        let events = set.events.iter().map(Value::to_string).collect();
        Self { set, docs, events }
    }
}

pub(super) fn apply(conn: &Connection, prepared: &Prepared) -> StoreResult<()> {
    let set = &prepared.set;
    let scope = &set.scope;
    let insert = |id: &str, kind: &str, created: i64, doc: &str, tags: &[Tag]| -> StoreResult<()> {
        let seq: i64 = row(
            conn,
            sql::INSERT_OBJECT_SQLITE,
            params![id, scope.account_id, scope.livemode, kind, created, doc],
            |r| r.get(0),
        )
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { backend(e) })?;
        write_tags(conn, scope, kind, seq, tags)
    };
    for (change, doc) in set.changes.iter().zip(&prepared.docs) {
        match change {
            Change::Insert { id, kind, created, tags, .. } => insert(id, kind, *created, doc, tags)?,
            Change::Update { id, expected_version, tags, .. } => {
                let found: Option<(i64, String)> = row(
                    conn,
                    "UPDATE objects SET doc = ?, version = version + 1 WHERE id = ? AND account_id = ? AND livemode = ? AND version = ? AND deleted = 0 RETURNING seq, kind",
                    params![doc, id, scope.account_id, scope.livemode, expected_version],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(backend)?;
                let (seq, kind) = found.ok_or(StoreError::Conflict)?;
                exec(conn, "DELETE FROM object_tags WHERE seq = ?", [seq]).map_err(backend)?;
                write_tags(conn, scope, &kind, seq, tags)?;
            }
            Change::Delete { id, expected_version, .. } => {
                let seq: Option<i64> = row(
                    conn,
                    "UPDATE objects SET doc = ?, version = version + 1, deleted = 1 WHERE id = ? AND account_id = ? AND livemode = ? AND version = ? AND deleted = 0 RETURNING seq",
                    params![doc, id, scope.account_id, scope.livemode, expected_version],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
                let seq = seq.ok_or(StoreError::Conflict)?;
                exec(conn, "DELETE FROM object_tags WHERE seq = ?", [seq]).map_err(backend)?;
            }
        }
    }
    for (event, doc) in set.events.iter().zip(&prepared.events) {
        let (id, created, tags) = event_parts(event)?;
        insert(&id, EVENT_KIND, created, doc, &tags)?;
    }
    if let Some(rec) = &set.idempotency {
        exec(conn,
            "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, status, body, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![scope.account_id, scope.livemode, rec.key, rec.fingerprint, rec.status, rec.body, rec.created],
        )
        .map_err(|e| if is_unique_violation(&e) { StoreError::DuplicateIdempotencyKey } else { backend(e) })?;
    }
    Ok(())
}

fn write_tags(conn: &Connection, scope: &Scope, kind: &str, seq: i64, tags: &[Tag]) -> StoreResult<()> {
    for (name, value) in tags {
        exec(conn,
            "INSERT OR IGNORE INTO object_tags (account_id, livemode, kind, name, value, seq) VALUES (?, ?, ?, ?, ?, ?)",
            params![scope.account_id, scope.livemode, kind, name, value, seq],
        )
        .map_err(backend)?;
    }
    Ok(())
}
