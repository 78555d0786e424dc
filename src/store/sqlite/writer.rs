//! The SQLite writer thread and its group commit: every queued write (up to
//! `MAX_BATCH`) goes into one transaction, each inside its own savepoint so a
//! failing one rolls back alone, and each request is answered only after the
//! shared COMMIT is durable (WAL with `synchronous=FULL`).

use rusqlite::Connection;

pub const MAX_BATCH: usize = 128;

/// A write runs inside a savepoint; it reports success, and a completion to
/// call once the transaction's fate is known (`Some(error)` if it failed).
pub type WriteJob = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;
pub type Completion = Box<dyn FnOnce(Option<&str>) + Send>;

pub fn writer_loop(conn: Connection, jobs: flume::Receiver<WriteJob>) {
    while let Ok(first) = jobs.recv() {
        gather(&jobs);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        run_batch(&conn, batch);
    }
}

/// At most this many yields while jobs keep arriving (see `gather`).
const GATHER_YIELDS: usize = 8;

/// Gives the threads that are about to queue a write the CPU before the
/// batch is taken, for as long as the queue keeps growing. A commit costs
/// the same fsync and the same rewritten tail pages whether it holds one
/// write or fifty. Woken by the first job, the writer used to preempt the
/// request threads that were producing the next ones: on one core under
/// load, batches averaged 3.4 writes and a session create cost 300 µs of
/// CPU. With this they average about 50 and a create costs 170 µs. When
/// nobody else wants the CPU, a yield returns at once, and the first one
/// that sees no new job ends the wait: an idle server pays one syscall.
fn gather(jobs: &flume::Receiver<WriteJob>) {
    let mut seen = jobs.len();
    for _ in 0..GATHER_YIELDS {
        std::thread::yield_now();
        let now = jobs.len();
        if now == seen || now + 1 >= MAX_BATCH {
            return;
        }
        seen = now;
    }
}

/// A transaction-control statement, prepared once: `execute_batch` would
/// parse it again for every job (a profile showed 4 % of a create there).
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// One group commit. If anything goes wrong beyond a job's own failure (a
/// savepoint that cannot be taken, SQLite rolling the whole transaction back
/// on a full disk or I/O error, a panic), the whole batch is rolled back and
/// every caller is told so: nothing is committed behind an error.
#[tracing::instrument(skip_all, fields(writes = batch.len()))]
pub fn run_batch(conn: &Connection, batch: Vec<WriteJob>) {
    let (start, writes) = (std::time::Instant::now(), batch.len());
    if !conn.is_autocommit() {
        // A transaction left open by an earlier failure.
        let _ = conn.execute_batch("ROLLBACK");
    }
    if let Err(e) = run(conn, "BEGIN IMMEDIATE") {
        // Dropping an unexecuted job drops its reply channel: its caller
        // gets a backend error (a retryable 500) and nothing was written.
        tracing::error!(error = %e, "could not begin a write transaction");
        return;
    }
    let mut completions = Vec::with_capacity(batch.len());
    let mut broken: Option<String> = None;
    for job in batch {
        if broken.is_some() {
            continue;
        }
        if let Err(e) = run(conn, "SAVEPOINT job") {
            broken = Some(e.to_string());
            continue;
        }
        let (ok, done) = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn))) {
            Ok(r) => r,
            Err(_) => {
                tracing::error!("a write job panicked; rolling back its batch");
                broken = Some("a write failed unexpectedly".into());
                continue;
            }
        };
        completions.push(done);
        if conn.is_autocommit() {
            broken = Some("the transaction was rolled back by the database".into());
            continue;
        }
        let end = if ok { Ok(()) } else { run(conn, "ROLLBACK TO job") };
        if let Err(e) = end.and_then(|()| run(conn, "RELEASE job")) {
            broken = Some(e.to_string());
        }
    }
    let err = match broken {
        Some(e) => Some(e),
        None => run(conn, "COMMIT").err().map(|e| e.to_string()),
    };
    if let Some(e) = &err {
        tracing::error!(error = %e, "write batch rolled back");
        if !conn.is_autocommit() {
            let _ = conn.execute_batch("ROLLBACK");
        }
    }
    let meters = crate::meters::meters();
    meters.store_batch(writes);
    meters.store_commit("sqlite", start.elapsed().as_secs_f64());
    for done in completions {
        done(err.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn job(sql: &'static str, fail: bool, tx: mpsc::Sender<Result<(), String>>) -> WriteJob {
        Box::new(move |c: &Connection| {
            let ran = c.execute_batch(sql).map_err(|e| e.to_string());
            let ok = ran.is_ok() && !fail;
            let done: Completion = Box::new(move |err: Option<&str>| {
                let out = match (err, ok) {
                    (Some(e), true) => Err(e.to_owned()),
                    (_, false) => Err("job failed".to_owned()),
                    (None, true) => Ok(()),
                };
                let _ = tx.send(out);
            });
            (ok, done)
        })
    }

    fn count(c: &Connection) -> i64 {
        c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0)).unwrap()
    }

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE t (v INTEGER)").unwrap();
        c
    }

    #[test]
    fn a_failing_job_rolls_back_alone() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        run_batch(
            &c,
            vec![
                job("INSERT INTO t VALUES (1)", false, tx.clone()),
                job("INSERT INTO t VALUES (2)", true, tx.clone()),
                job("INSERT INTO t VALUES (3)", false, tx),
            ],
        );
        let results: Vec<_> = rx.iter().collect();
        assert_eq!(results, vec![Ok(()), Err("job failed".into()), Ok(())]);
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn a_panicking_job_rolls_back_the_whole_batch_and_the_writer_lives_on() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        let boom: WriteJob = Box::new(|c: &Connection| {
            let _ = c.execute_batch("INSERT INTO t VALUES (9)");
            panic!("boom")
        });
        run_batch(
            &c,
            vec![
                job("INSERT INTO t VALUES (1)", false, tx.clone()),
                boom,
                job("INSERT INTO t VALUES (3)", false, tx.clone()),
            ],
        );
        let results: Vec<_> = rx.try_iter().collect();
        assert_eq!(results.len(), 1, "the job after the panic never ran, so it never answered");
        assert!(results[0].is_err(), "the job before it is told it failed");
        assert_eq!(count(&c), 0);
        run_batch(&c, vec![job("INSERT INTO t VALUES (4)", false, tx)]);
        assert_eq!(rx.recv().unwrap(), Ok(()));
        assert_eq!(count(&c), 1);
    }

    #[test]
    fn a_job_that_ends_the_transaction_fails_the_batch() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        run_batch(&c, vec![job("INSERT INTO t VALUES (1)", false, tx.clone()), job("ROLLBACK", false, tx)]);
        let results: Vec<_> = rx.iter().collect();
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(count(&c), 0);
        assert!(c.is_autocommit());
    }
}
