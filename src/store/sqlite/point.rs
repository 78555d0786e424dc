//! Point reads (one row by its key) on the calling thread.
//!
//! A read sent to a reader thread costs two thread switches: the reader is
//! woken, then the request's task. A session create made three such reads
//! (its idempotency key, a price, its product), and on one core under load
//! the switches cost more than the reads: a quarter of the server's CPU was
//! the reader threads parking and waking and the scheduler switching
//! between them. A lookup by key touches three or four pages that are
//! almost always in memory and takes a few microseconds, less than the
//! switches, so it runs where it is asked, on a connection borrowed from a
//! small pool. Scans (lists, the due sweeps) still go to the reader
//! threads: they can take long enough to stall the other requests of an
//! async worker.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::Connection;

use super::{backend, connect};
use crate::store::StoreResult;

/// At most this many idle connections are kept; a read that finds none
/// opens one, and one returned to a full pool is closed.
const MAX_IDLE: usize = 8;

/// How long a point read waits for a lock (a WAL recovery after a crash, a
/// checkpoint that resets the WAL) before it fails with a retryable error.
/// It blocks an async worker meanwhile, so it is much shorter than the
/// reader threads' ten seconds.
const BUSY_MS: u32 = 250;

/// Read-only connections for point reads, one per thread that is reading at
/// the same moment (the async workers, so a handful).
pub struct PointReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl PointReads {
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_owned(), idle: Mutex::new(Vec::new()) }
    }

    /// Runs `f` on an idle connection, or a new one when all are in use.
    pub fn run<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let conn = match self.take() {
            Some(c) => c,
            None => {
                let c = open_reader(&self.path)?;
                c.busy_timeout(std::time::Duration::from_millis(BUSY_MS.into())).map_err(backend)?;
                c
            }
        };
        let out = f(&conn);
        // A connection left inside a transaction (it cannot be, after a
        // statement that ran to its end) is dropped rather than reused.
        if conn.is_autocommit() {
            if let Ok(mut idle) = self.idle.lock() {
                if idle.len() < MAX_IDLE {
                    idle.push(conn);
                }
            }
        }
        out
    }

    fn take(&self) -> Option<Connection> {
        self.idle.lock().ok()?.pop()
    }
}

/// A connection that can only read, as the reader threads' are.
pub fn open_reader(path: &Path) -> StoreResult<Connection> {
    let conn = connect(path)?;
    conn.execute_batch("PRAGMA query_only=ON;").map_err(backend)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_reused_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (7);")
            .unwrap();
        let reads = PointReads::new(&path);
        let v: i64 = reads.run(|c| c.query_row("SELECT v FROM t", [], |r| r.get(0)).map_err(backend)).unwrap();
        assert_eq!(v, 7);
        let wrote = reads.run(|c| c.execute("INSERT INTO t VALUES (8)", []).map_err(backend));
        assert!(wrote.is_err(), "a point-read connection is query_only");
        assert_eq!(reads.idle.lock().unwrap().len(), 1, "one connection served both reads");
    }

    /// Holds `depth` connections at once, one per nested read.
    fn nest(reads: &PointReads, depth: usize) -> StoreResult<()> {
        if depth == 0 {
            return Ok(());
        }
        reads.run(|_| nest(reads, depth - 1))
    }

    #[test]
    fn a_connection_left_in_a_transaction_is_not_reused_and_the_pool_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (v INTEGER);").unwrap();
        let reads = PointReads::new(&path);
        reads.run(|c| c.execute_batch("BEGIN").map_err(backend)).unwrap();
        assert!(reads.idle.lock().unwrap().is_empty(), "a connection inside a transaction is dropped");
        nest(&reads, MAX_IDLE + 3).unwrap();
        assert_eq!(reads.idle.lock().unwrap().len(), MAX_IDLE, "a full pool closes what comes back");
    }
}
