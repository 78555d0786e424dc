//! PostgreSQL backend through sqlx. Any number of `kassa serve` nodes may
//! share one database: every write is all or nothing, with conditional
//! updates, so nodes never need to talk to each other. A write is one
//! statement (see `commit`), and the writes that queue meanwhile share one
//! (see `group`): a transaction's fixed costs, not the rows, were most of
//! what PostgreSQL spent on a write.

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::{Postgres, Row};

mod accounts;
mod commit;
mod due;
mod endpoints;
mod group;

use super::sql;
use super::*;
use crate::domain::keys::KeyKind;
use accounts::insert_account;

pub struct PgStore {
    pool: PgPool,
    group: group::Group,
}

pub(super) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// How long a pooled connection may sit unused before it is pinged again.
const IDLE_BEFORE_PING: std::time::Duration = std::time::Duration::from_secs(1);

// An arbitrary constant: the advisory lock that serializes migrations.
const MIGRATION_LOCK: i64 = 0x006b_6173_7361;

impl PgStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(10))
            // sqlx pings every connection it hands out by default: one more
            // round trip per request. A busy connection needs no ping (its
            // last use just succeeded); one idle for a while may have been
            // cut (a server restart, a firewall), so it still gets one, and
            // a failed ping makes sqlx open a new connection instead.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_PING {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await
            .map_err(backend)?;
        let group = group::Group::start(&pool);
        let store = Self { pool, group };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let highest: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        migrate::check_not_newer(highest)?;
        for m in migrate::MIGRATIONS {
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            if done.is_none() {
                sqlx::raw_sql(m.postgres).execute(&mut *tx).await.map_err(backend)?;
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, EXTRACT(EPOCH FROM now())::BIGINT)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        }
        tx.commit().await.map_err(backend)
    }
}

const FIRST_ACCOUNT_LOCK: i64 = 0x006b_6173_7362;

/// The scope columns of a row.
pub(super) fn scoped(r: &PgRow) -> StoreResult<Scope> {
    Ok(Scope {
        account_id: r.try_get("account_id").map_err(backend)?,
        livemode: r.try_get("livemode").map_err(backend)?,
    })
}

/// A built query with its arguments bound.
pub(super) fn bound(built: &sql::Built) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
    built.args.iter().fold(sqlx::query(&built.text), |q, a| match a {
        sql::Arg::Text(s) => q.bind(s.clone()),
        sql::Arg::Int(i) => q.bind(*i),
        sql::Arg::Bool(b) => q.bind(*b),
    })
}

pub(super) fn to_object(r: &PgRow) -> StoreResult<StoredObject> {
    Ok(StoredObject {
        seq: r.try_get("seq").map_err(backend)?,
        id: r.try_get("id").map_err(backend)?,
        kind: r.try_get("kind").map_err(backend)?,
        created: r.try_get("created").map_err(backend)?,
        version: r.try_get("version").map_err(backend)?,
        deleted: r.try_get("deleted").map_err(backend)?,
        text: r.try_get::<String, _>("doc").map_err(backend)?.into(),
    })
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(backend).map(|_| ())
    }

    async fn create_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        insert_account(&mut tx, account, keys).await?;
        tx.commit().await.map_err(backend)
    }

    async fn create_first_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // Nodes starting at once queue on this lock; the first one creates.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FIRST_ACCOUNT_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&mut *tx).await.map_err(backend)?;
        if n > 0 {
            return Ok(false);
        }
        insert_account(&mut tx, account, keys).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn account_count(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(&self.pool).await.map_err(backend)
    }

    async fn find_api_key(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let row = sqlx::query(
            "SELECT k.account_id, a.api_version, k.kind, k.livemode FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = $1",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let kind: String = r.try_get("kind").map_err(backend)?;
        Ok(KeyKind::parse(&kind).map(|kind| ApiKeyRecord {
            account_id: r.try_get("account_id").unwrap_or_default(),
            api_version: r.try_get("api_version").unwrap_or_default(),
            kind,
            livemode: r.try_get("livemode").unwrap_or(false),
        }))
    }

    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>> {
        accounts::get_account(&self.pool, id).await
    }

    async fn add_api_key(&self, account_id: &str, key: &NewApiKey, created: i64) -> StoreResult<()> {
        accounts::add_api_key(&self.pool, account_id, key, created).await
    }

    async fn get_object(&self, scope: &Scope, id: &str) -> StoreResult<Option<StoredObject>> {
        // PostgreSQL text cannot hold NUL, so no object has such an id.
        if id.contains('\0') {
            return Ok(None);
        }
        sqlx::query("SELECT seq, id, kind, created, version, deleted, doc FROM objects WHERE id = $1 AND account_id = $2 AND livemode = $3")
            .bind(id)
            .bind(&scope.account_id)
            .bind(scope.livemode)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .as_ref()
            .map(to_object)
            .transpose()
    }

    async fn locate(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, StoredObject)>> {
        if id.contains('\0') || kind.contains('\0') {
            return Ok(None);
        }
        let rows = sqlx::query(
            "SELECT seq, id, kind, created, version, deleted, doc, account_id, livemode FROM objects WHERE id = $1 AND kind = $2 LIMIT 2",
        )
        .bind(id)
        .bind(kind)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        // Two scopes holding the id: ambiguous, so neither is shown.
        let [r] = rows.as_slice() else { return Ok(None) };
        Ok(Some((scoped(r)?, to_object(r)?)))
    }

    async fn list_objects(&self, scope: &Scope, query: &ListQuery) -> StoreResult<Page> {
        let built = sql::list(scope, query, sql::Dialect::Postgres);
        let rows = bound(&built).fetch_all(&self.pool).await.map_err(backend)?;
        let items = rows.iter().map(to_object).collect::<StoreResult<Vec<_>>>()?;
        Ok(sql::finish_page(items, query))
    }

    #[tracing::instrument(skip_all, fields(backend = "postgres", account = %set.scope.account_id, changes = set.changes.len(), events = set.events.len()))]
    async fn commit_counted(&self, set: ChangeSet) -> StoreResult<Committed> {
        let start = std::time::Instant::now();
        let result = commit::commit(&self.pool, &self.group, set).await;
        crate::meters::meters().store_commit("postgres", start.elapsed().as_secs_f64());
        result
    }

    async fn find_idempotency(&self, scope: &Scope, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row = sqlx::query(
            "SELECT key, fingerprint, status, body, created FROM idempotency_keys WHERE account_id = $1 AND livemode = $2 AND key = $3",
        )
        .bind(&scope.account_id)
        .bind(scope.livemode)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let status: i64 = r.try_get("status").map_err(backend)?;
        Ok(Some(IdempotencyRecord {
            key: r.try_get("key").map_err(backend)?,
            fingerprint: r.try_get("fingerprint").map_err(backend)?,
            status: u16::try_from(status).map_err(backend)?,
            body: r.try_get("body").map_err(backend)?,
            created: r.try_get("created").map_err(backend)?,
        }))
    }

    async fn due(&self, query: &DueQuery) -> StoreResult<Vec<(Scope, StoredObject)>> {
        schedule::check(&query.name)?;
        due::due(&self.pool, query).await
    }

    async fn due_grouped(&self, query: &GroupedDue) -> StoreResult<Vec<DueItem>> {
        schedule::check(&query.prefix)?;
        due::due_grouped(&self.pool, query).await
    }

    async fn reap_idempotency(&self, created_before: i64) -> StoreResult<u64> {
        let mut total = 0u64;
        loop {
            let r = sqlx::query(
                "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE created < $1 LIMIT 1000)",
            )
            .bind(created_before)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            total += r.rows_affected();
            if r.rows_affected() < 1000 {
                return Ok(total);
            }
        }
    }

    async fn setting_or_insert(&self, name: &str, value: &str) -> StoreResult<String> {
        super::settings::postgres_or_insert(&self.pool, name, value).await
    }
}
