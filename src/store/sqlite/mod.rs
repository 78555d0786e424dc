//! SQLite backend: one writer thread doing group commit (`writer`),
//! reader threads for scans, and point reads (one row by its key) on the
//! calling thread (`point`). No write touches the async runtime's threads.

use std::path::Path;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::oneshot;

use super::sql;
mod apply;
mod due;
mod endpoints_memo;
mod migrate;
mod point;
pub mod stored_text;
mod tags;
mod writer;

use super::*;
use crate::domain::keys::KeyKind;
use apply::apply;
use writer::{writer_loop, WriteJob};

const READERS: usize = 4;

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

pub struct SqliteStore {
    writer: flume::Sender<WriteJob>,
    readers: flume::Sender<ReadJob>,
    point: point::PointReads,
}

pub(super) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A new database file is readable by its owner only; SQLite gives the
/// WAL and shared-memory files the same permissions.
fn create_private(path: &Path) -> StoreResult<()> {
    if path.exists() {
        return Ok(());
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(backend(e)),
    }
}

fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(backend)?;
    // FULL: an acknowledged write survives power loss, not just a crash.
    // temp_store=MEMORY: a group commit that runs its jobs in savepoints
    // (after one failed; see `writer`), and a statement journal, would
    // otherwise write their sub-journal to a temporary file page by page
    // (a profile showed 14% of the server's CPU there when every job had a
    // savepoint). It holds only undo data for the open transaction, so
    // durability is unchanged.
    // wal_autocheckpoint=8192 pages (32 MiB of WAL between checkpoints, not
    // 4): pages written again and again (indexes, the table's tail) are
    // copied back once per checkpoint; the bench measured pay +70 %,
    // retrieve +50 %. Committed frames are durable in the WAL either way.
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
         PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16384; PRAGMA wal_autocheckpoint=8192;",
    )
    .map_err(backend)?;
    // rusqlite caches 16 statements by default; kassa has more distinct
    // ones than that (each list filter shape is its own text), and a
    // statement pushed out is parsed again on its next use.
    conn.set_prepared_statement_cache_capacity(256);
    // The bundled SQLite has STAT4, which marks a statement to be planned
    // again whenever some of its parameters are bound anew: callgrind
    // showed every list query parsed and planned again on each use (4 % of
    // a list, 2 % of a create). kassa runs no ANALYZE, so the plan cannot
    // depend on the values; the stability guarantee keeps the first one.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(backend)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub fn open(path: &Path) -> StoreResult<Self> {
        create_private(path)?;
        let mut conn = connect(path)?;
        migrate::migrate(&mut conn)?;

        let (wtx, wrx) = flume::unbounded::<WriteJob>();
        std::thread::Builder::new()
            .name("kassa-sqlite-writer".into())
            .spawn(move || writer_loop(conn, wrx))
            .map_err(backend)?;

        let (rtx, rrx) = flume::unbounded::<ReadJob>();
        for i in 0..READERS {
            let conn = point::open_reader(path)?;
            let rrx = rrx.clone();
            std::thread::Builder::new()
                .name(format!("kassa-sqlite-reader-{i}"))
                .spawn(move || {
                    while let Ok(job) = rrx.recv() {
                        job(&conn);
                    }
                })
                .map_err(backend)?;
        }
        Ok(Self { writer: wtx, readers: rtx, point: point::PointReads::new(path) })
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |c| {
            let _ = tx.send(f(c));
        });
        self.readers.send_async(job).await.map_err(|_| StoreError::Backend("reader pool closed".into()))?;
        rx.await.map_err(|_| StoreError::Backend("reader dropped the request".into()))?
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let job: WriteJob = Box::new(Write { f, result: None, tx });
        self.writer.send_async(job).await.map_err(|_| StoreError::Backend("writer closed".into()))?;
        rx.await.map_err(|_| StoreError::Backend("writer dropped the request".into()))?
    }
}

/// A caller's write, as the writer thread runs it: the closure may run
/// twice (see `writer`), and only the last run's result is answered.
struct Write<F, T> {
    f: F,
    result: Option<StoreResult<T>>,
    tx: oneshot::Sender<StoreResult<T>>,
}

impl<F, T> writer::Job for Write<F, T>
where
    T: Send,
    F: FnMut(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let result = (self.f)(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn reset(&mut self) {
        self.result = None;
    }

    fn finish(self: Box<Self>, commit_error: Option<&str>) {
        let out = match (commit_error, self.result) {
            (_, Some(Err(own))) => Err(own),
            (Some(e), _) => Err(StoreError::Backend(e.to_owned())),
            (None, Some(done)) => done,
            (None, None) => Err(StoreError::Backend("the write never ran".into())),
        };
        let _ = self.tx.send(out);
    }
}

/// Statements are prepared once per connection and reused.
pub(super) fn exec<P: rusqlite::Params>(conn: &Connection, sql: &str, params: P) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

pub(super) fn row<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: F,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

fn insert_account(c: &Connection, account: &Account, keys: &[NewApiKey]) -> StoreResult<()> {
    exec(
        c,
        "INSERT INTO accounts (id, name, api_version, created) VALUES (?, ?, ?, ?)",
        params![account.id, account.name, account.api_version, account.created],
    )
    .map_err(backend)?;
    for k in keys {
        exec(
            c,
            "INSERT INTO api_keys (hash, account_id, livemode, kind, masked, created) VALUES (?, ?, ?, ?, ?, ?)",
            params![k.hash, account.id, k.livemode, k.kind.as_str(), k.masked, account.created],
        )
        .map_err(backend)?;
    }
    Ok(())
}

fn find_account(c: &Connection, id: &str) -> StoreResult<Option<Account>> {
    row(c, "SELECT id, name, api_version, created FROM accounts WHERE id = ?", [id], |r| {
        Ok(Account { id: r.get(0)?, name: r.get(1)?, api_version: r.get(2)?, created: r.get(3)? })
    })
    .optional()
    .map_err(backend)
}

type ObjectRow = (i64, String, String, i64, i64, bool, StoredText);

pub(super) fn row_to_object(r: &rusqlite::Row<'_>) -> rusqlite::Result<ObjectRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, stored_text::lazy_column(r, 6)?))
}

pub(super) fn to_object(t: ObjectRow) -> StoreResult<StoredObject> {
    let (seq, id, kind, created, version, deleted, text) = t;
    Ok(StoredObject { seq, id, kind, created, version, deleted, text })
}

pub(super) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

#[async_trait]
impl Store for SqliteStore {
    /// Ready means both a reader and the writer answer.
    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| row(c, "SELECT 1", [], |_| Ok(())).map_err(backend)).await?;
        self.write(|_| Ok(())).await
    }

    async fn create_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<()> {
        let (account, keys) = (account.clone(), keys.to_vec());
        self.write(move |c| insert_account(c, &account, &keys)).await
    }

    async fn create_first_account(&self, account: &Account, keys: &[NewApiKey]) -> StoreResult<bool> {
        let (account, keys) = (account.clone(), keys.to_vec());
        // The single writer serializes this check with every other write.
        self.write(move |c| {
            let n: i64 = row(c, "SELECT COUNT(*) FROM accounts", [], |r| r.get(0)).map_err(backend)?;
            if n > 0 {
                return Ok(false);
            }
            insert_account(c, &account, &keys).map(|()| true)
        })
        .await
    }

    async fn account_count(&self) -> StoreResult<i64> {
        self.read(|c| row(c, "SELECT COUNT(*) FROM accounts", [], |r| r.get(0)).map_err(backend)).await
    }

    async fn find_api_key(&self, hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        self.point.run(|c| {
            let found: Option<(String, String, String, bool)> = row(c,
                    "SELECT k.account_id, a.api_version, k.kind, k.livemode FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.hash = ?",
                    [hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .map_err(backend)?;
            Ok(found.and_then(|(account_id, api_version, kind, livemode)| {
                Some(ApiKeyRecord { account_id, api_version, kind: KeyKind::parse(&kind)?, livemode })
            }))
        })
    }

    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>> {
        self.point.run(|c| find_account(c, id))
    }

    async fn add_api_key(&self, account_id: &str, key: &NewApiKey, created: i64) -> StoreResult<()> {
        let (account_id, key) = (account_id.to_owned(), key.clone());
        self.write(move |c| {
            let inserted = exec(
                c,
                "INSERT INTO api_keys (hash, account_id, livemode, kind, masked, created) SELECT ?, id, ?, ?, ?, ? FROM accounts WHERE id = ? ON CONFLICT (hash) DO NOTHING",
                params![key.hash, key.livemode, key.kind.as_str(), key.masked, created, account_id],
            )
            .map_err(backend)?;
            if inserted == 0 && find_account(c, &account_id)?.is_none() {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn get_object(&self, scope: &Scope, id: &str) -> StoreResult<Option<StoredObject>> {
        self.point.run(|c| {
            row(c,
                "SELECT seq, id, kind, created, version, deleted, doc FROM objects WHERE id = ? AND account_id = ? AND livemode = ?",
                params![id, scope.account_id, scope.livemode],
                row_to_object,
            )
            .optional()
            .map_err(backend)?
            .map(to_object)
            .transpose()
        })
    }

    async fn locate(&self, kind: &str, id: &str) -> StoreResult<Option<(Scope, StoredObject)>> {
        self.point.run(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT seq, id, kind, created, version, deleted, doc, account_id, livemode FROM objects WHERE id = ? AND kind = ? LIMIT 2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![id, kind], |r| Ok((row_to_object(r)?, r.get::<_, String>(7)?, r.get::<_, bool>(8)?)))
                .map_err(backend)?;
            let found = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(backend)?;
            match <[_; 1]>::try_from(found) {
                Ok([(o, account_id, livemode)]) => Ok(Some((Scope { account_id, livemode }, to_object(o)?))),
                Err(_) => Ok(None),
            }
        })
    }

    async fn list_objects(&self, scope: &Scope, query: &ListQuery) -> StoreResult<Page> {
        let (scope, query) = (scope.clone(), query.clone());
        self.read(move |c| Ok(sql::finish_page(apply::list_on(c, &scope, &query)?, &query))).await
    }

    #[tracing::instrument(skip_all, fields(backend = "sqlite", account = %set.scope.account_id, changes = set.changes.len(), events = set.events.len()))]
    async fn commit_counted(&self, set: ChangeSet) -> StoreResult<Committed> {
        // Compressed here, so the one writer thread spends its time on SQL
        // (events are compressed there: they are complete only once the
        // endpoints are read).
        let mut prepared = apply::Prepared::new(set);
        self.write(move |c| apply(c, &mut prepared)).await
    }

    async fn find_idempotency(&self, scope: &Scope, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        self.point.run(|c| {
            row(c,
                "SELECT key, fingerprint, status, body, created FROM idempotency_keys WHERE account_id = ? AND livemode = ? AND key = ?",
                params![scope.account_id, scope.livemode, key],
                |r| Ok(IdempotencyRecord { key: r.get(0)?, fingerprint: r.get(1)?, status: r.get(2)?, body: stored_text::column(r, 3)?, created: r.get(4)? }),
            )
            .optional()
            .map_err(backend)
        })
    }

    async fn due(&self, query: &DueQuery) -> StoreResult<Vec<(Scope, StoredObject)>> {
        schedule::check(&query.name)?;
        let built = sql::due(query, sql::Dialect::Sqlite);
        self.read(move |c| due::due(c, &built)).await
    }

    async fn due_grouped(&self, query: &GroupedDue) -> StoreResult<Vec<DueItem>> {
        schedule::check(&query.prefix)?;
        let query = query.clone();
        self.read(move |c| due::due_grouped(c, &query)).await
    }

    async fn reap_idempotency(&self, created_before: i64) -> StoreResult<u64> {
        // In chunks, so one large sweep never holds the writer for long.
        let mut total = 0u64;
        loop {
            let n = self
                .write(move |c| {
                    exec(
                        c,
                        "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE created < ? LIMIT 1000)",
                        [created_before],
                    )
                    .map_err(backend)
                })
                .await?;
            total += n as u64;
            if n < 1000 {
                return Ok(total);
            }
        }
    }

    async fn setting_or_insert(&self, name: &str, value: &str) -> StoreResult<String> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.write(move |c| super::settings::sqlite_or_insert(c, &name, &value)).await
    }
}
