//! PostgreSQL: accounts and their API keys (only keyed hashes are stored).

use sqlx::postgres::PgPool;
use sqlx::{Postgres, Row, Transaction};

use super::backend;
use crate::store::{Account, NewApiKey, StoreError, StoreResult};

pub(super) async fn insert_account(
    tx: &mut Transaction<'_, Postgres>,
    account: &Account,
    keys: &[NewApiKey],
) -> StoreResult<()> {
    sqlx::query("INSERT INTO accounts (id, name, api_version, created) VALUES ($1, $2, $3, $4)")
        .bind(&account.id)
        .bind(&account.name)
        .bind(&account.api_version)
        .bind(account.created)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    for k in keys {
        sqlx::query(
            "INSERT INTO api_keys (hash, account_id, livemode, kind, masked, created) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&k.hash)
        .bind(&account.id)
        .bind(k.livemode)
        .bind(k.kind.as_str())
        .bind(&k.masked)
        .bind(account.created)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

pub(super) async fn get_account(pool: &PgPool, id: &str) -> StoreResult<Option<Account>> {
    if id.contains('\0') {
        return Ok(None);
    }
    let row = sqlx::query("SELECT id, name, api_version, created FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(backend)?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Account {
        id: r.try_get("id").map_err(backend)?,
        name: r.try_get("name").map_err(backend)?,
        api_version: r.try_get("api_version").map_err(backend)?,
        created: r.try_get("created").map_err(backend)?,
    }))
}

/// Inserts the key unless its hash is stored already; `NotFound` when the
/// account does not exist.
pub(super) async fn add_api_key(pool: &PgPool, account_id: &str, key: &NewApiKey, created: i64) -> StoreResult<()> {
    let inserted = sqlx::query(
        "INSERT INTO api_keys (hash, account_id, livemode, kind, masked, created) SELECT $1, id, $2, $3, $4, $5 FROM accounts WHERE id = $6 ON CONFLICT (hash) DO NOTHING",
    )
    .bind(&key.hash)
    .bind(key.livemode)
    .bind(key.kind.as_str())
    .bind(&key.masked)
    .bind(created)
    .bind(account_id)
    .execute(pool)
    .await
    .map_err(backend)?
    .rows_affected();
    if inserted == 0 && get_account(pool, account_id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
