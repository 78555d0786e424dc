//! SQLite: applying the embedded migrations, each in its own write
//! transaction.

use rusqlite::{params, Connection, OptionalExtension};

use super::backend;
use crate::store::migrate;
use crate::store::StoreResult;

pub(super) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )
    .map_err(backend)?;
    let highest: Option<i64> =
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0)).map_err(backend)?;
    migrate::check_not_newer(highest)?;
    for m in migrate::MIGRATIONS {
        // IMMEDIATE takes the write lock first, so two processes migrating
        // at once serialize and the second sees the first one's row.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(backend)?;
        let done: Option<i64> = tx
            .query_row("SELECT version FROM schema_migrations WHERE version = ?", [m.version], |r| r.get(0))
            .optional()
            .map_err(backend)?;
        if done.is_none() {
            tx.execute_batch(m.sqlite).map_err(backend)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%s','now'))",
                params![m.version, m.name],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
    }
    Ok(())
}
