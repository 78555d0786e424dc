//! SQLite's tag rows (migration 0006). `object_tags` is a WITHOUT ROWID
//! table keyed by (account, mode, kind, name, value, seq), with one more
//! index for due work; each object row keeps its own tags in `objects.tags`
//! (JSON pairs), so an update finds the tag rows to remove by their key and
//! no index by `seq` is needed. A tag costs two B-tree inserts instead of
//! four, and an update touches only the tags that changed.

use rusqlite::{params, Connection, OptionalExtension};

use super::{backend, exec, row};
use crate::store::{Scope, StoreError, StoreResult, Tag};

/// The `objects.tags` column for `tags`: `NULL` when there are none.
pub(super) fn column(tags: &[Tag]) -> StoreResult<Option<String>> {
    if tags.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(tags).map(Some).map_err(backend)
}

fn parse(column: Option<String>) -> StoreResult<Vec<Tag>> {
    match column {
        None => Ok(Vec::new()),
        Some(text) => serde_json::from_str(&text).map_err(backend),
    }
}

pub(super) fn insert(conn: &Connection, scope: &Scope, kind: &str, seq: i64, tags: &[Tag]) -> StoreResult<()> {
    for (name, value) in tags {
        exec(conn,
            "INSERT OR IGNORE INTO object_tags (account_id, livemode, kind, name, value, seq) VALUES (?, ?, ?, ?, ?, ?)",
            params![scope.account_id, scope.livemode, kind, name, value, seq],
        )
        .map_err(backend)?;
    }
    Ok(())
}

fn remove(conn: &Connection, scope: &Scope, kind: &str, seq: i64, tags: &[Tag]) -> StoreResult<()> {
    for (name, value) in tags {
        exec(
            conn,
            "DELETE FROM object_tags WHERE account_id = ? AND livemode = ? AND kind = ? AND name = ? AND value = ? AND seq = ?",
            params![scope.account_id, scope.livemode, kind, name, value, seq],
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// A live object at `version`, as an update or delete finds it.
pub(super) struct Current {
    pub seq: i64,
    pub kind: String,
    pub tags: Vec<Tag>,
}

/// The live object `id` of the scope if it is at `version`; else `Conflict`.
pub(super) fn current(conn: &Connection, scope: &Scope, id: &str, version: i64) -> StoreResult<Current> {
    let found: Option<(i64, String, Option<String>)> = row(
        conn,
        "SELECT seq, kind, tags FROM objects WHERE id = ? AND account_id = ? AND livemode = ? AND version = ? AND deleted = 0",
        params![id, scope.account_id, scope.livemode, version],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
    .map_err(backend)?;
    let (seq, kind, tags) = found.ok_or(StoreError::Conflict)?;
    Ok(Current { seq, kind, tags: parse(tags)? })
}

/// Moves the object's tag rows from `old.tags` to `new`, touching only
/// the ones that differ.
pub(super) fn replace(conn: &Connection, scope: &Scope, old: &Current, new: &[Tag]) -> StoreResult<()> {
    let gone: Vec<Tag> = old.tags.iter().filter(|t| !new.contains(t)).cloned().collect();
    let added: Vec<Tag> = new.iter().filter(|t| !old.tags.contains(t)).cloned().collect();
    remove(conn, scope, &old.kind, old.seq, &gone)?;
    insert(conn, scope, &old.kind, old.seq, &added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_round_trips_and_is_null_without_tags() {
        let tags = vec![("status".to_owned(), "open".to_owned()), ("email".to_owned(), "a\"b@example.com".to_owned())];
        let text = column(&tags).unwrap();
        assert_eq!(parse(text).unwrap(), tags);
        assert_eq!(column(&[]).unwrap(), None);
        assert_eq!(parse(None).unwrap(), Vec::<Tag>::new());
    }
}
