//! Server-wide settings (the `settings` table) on both backends. A setting
//! is written once: the first value stored under a name is the one kept.

use rusqlite::{params, Connection};
use sqlx::postgres::PgPool;

use super::{StoreError, StoreResult};

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// SQLite: on the writer's connection, so it is serialized with every write.
pub(super) fn sqlite_or_insert(c: &Connection, name: &str, value: &str) -> StoreResult<String> {
    c.execute("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", params![name, value])
        .map_err(backend)?;
    c.query_row("SELECT value FROM settings WHERE name = ?", [name], |r| r.get(0)).map_err(backend)
}

/// PostgreSQL: of nodes starting together, the first insert wins and every
/// node reads that one.
pub(super) async fn postgres_or_insert(pool: &PgPool, name: &str, value: &str) -> StoreResult<String> {
    sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(value)
        .execute(pool)
        .await
        .map_err(backend)?;
    sqlx::query_scalar("SELECT value FROM settings WHERE name = $1").bind(name).fetch_one(pool).await.map_err(backend)
}
