//! The SQLite writer thread and its group commit: every queued write (up to
//! `MAX_BATCH`) goes into one transaction, a failing one rolls back alone,
//! and each request is answered only after the shared COMMIT is durable
//! (WAL with `synchronous=FULL`).
//!
//! A batch first runs its jobs one after another with no savepoints. Only
//! when one of them fails after changing rows is the transaction rolled
//! back and the batch run again, each job inside its own savepoint. Jobs
//! rarely fail that way (a version race lost after an earlier write of the
//! same set), and a savepoint copies every page a job touches into a
//! sub-journal before changing it: 15 % of the writer's time when every job
//! had one. A job refused before it changes a row (a taken idempotency key,
//! checked first) leaves nothing to undo.

use std::cell::Cell;

use rusqlite::Connection;

pub const MAX_BATCH: usize = 128;

thread_local! {
    static EPOCH: Cell<u64> = const { Cell::new(0) };
}

/// A number that changes whenever this thread's transaction begins or a
/// job in it is about to be rolled back: what was read in the transaction
/// under an older epoch may no longer hold (`endpoints_memo`).
pub fn epoch() -> u64 {
    EPOCH.get()
}

fn new_epoch() {
    EPOCH.set(EPOCH.get().wrapping_add(1));
}

/// A write. `run` executes its statements and says whether they
/// succeeded; it may be called a second time, after a rollback, and must
/// then do the same again. `finish` answers its caller once the
/// transaction's fate is known (`Some(error)` if it failed).
/// A failing job that completed no INSERT, UPDATE or DELETE (counted by
/// `total_changes`) is taken to have written nothing and is not undone
/// (`run_all`), so jobs run no DDL and no PRAGMA that writes.
pub trait Job: Send {
    fn run(&mut self, conn: &Connection) -> bool;
    /// Forgets what an earlier run found, before the batch runs again (a
    /// job the second run never reaches must not answer with the first's).
    fn reset(&mut self);
    fn finish(self: Box<Self>, commit_error: Option<&str>);
}

pub type WriteJob = Box<dyn Job>;

/// After a batch in which a job failed having changed rows, this many
/// batches run with savepoints from the start: when jobs fail in a row (a
/// hot object), each batch would otherwise run twice.
const CAREFUL_BATCHES: u32 = 16;

pub fn writer_loop(conn: Connection, jobs: flume::Receiver<WriteJob>) {
    let mut careful = 0u32;
    while let Ok(first) = jobs.recv() {
        gather(&jobs);
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let failed = run_batch(&conn, batch, careful > 0);
        careful = if failed { CAREFUL_BATCHES } else { careful.saturating_sub(1) };
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

/// How a pass over the batch ended.
enum Pass {
    /// The batch may commit; this many jobs failed and were rolled back to
    /// their savepoints.
    Clean(usize),
    /// A job failed (without savepoints, its partial writes are still in
    /// the transaction).
    JobFailed,
    /// The transaction itself is lost; nothing of the batch may commit.
    Broken(String),
}

/// One group commit. If anything goes wrong beyond a job's own failure (a
/// savepoint that cannot be taken, SQLite rolling the whole transaction back
/// on a full disk or I/O error, a panic), the whole batch is rolled back and
/// every caller is told so: nothing is committed behind an error.
/// `careful` runs the jobs in savepoints from the start. Returns whether a
/// job failed.
#[tracing::instrument(skip_all, fields(writes = batch.len()))]
pub fn run_batch(conn: &Connection, mut batch: Vec<WriteJob>, careful: bool) -> bool {
    let (start, writes) = (std::time::Instant::now(), batch.len());
    let mut pass = begin(conn).map_or_else(Pass::Broken, |()| run_all(conn, &mut batch, careful));
    let failed = !matches!(pass, Pass::Clean(0));
    if matches!(pass, Pass::JobFailed) {
        let _ = conn.execute_batch("ROLLBACK");
        batch.iter_mut().for_each(|job| job.reset());
        pass = begin(conn).map_or_else(Pass::Broken, |()| run_all(conn, &mut batch, true));
    }
    let err = match pass {
        Pass::Broken(e) => Some(e),
        Pass::Clean(_) | Pass::JobFailed => run(conn, "COMMIT").err().map(|e| e.to_string()),
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
    for job in batch {
        job.finish(err.as_deref());
    }
    failed
}

fn begin(conn: &Connection) -> Result<(), String> {
    new_epoch();
    if !conn.is_autocommit() {
        // A transaction left open by an earlier failure.
        let _ = conn.execute_batch("ROLLBACK");
    }
    run(conn, "BEGIN IMMEDIATE").map_err(|e| {
        tracing::error!(error = %e, "could not begin a write transaction");
        e.to_string()
    })
}

/// Runs every job. Without savepoints, the first failure that wrote
/// something ends the pass; with them, a failing job is rolled back to its
/// savepoint and the others go on. A job that fails having changed no row
/// (its first statement refused it, as a taken idempotency key is:
/// `apply`) leaves nothing to undo in either mode, and is not counted.
fn run_all(conn: &Connection, batch: &mut [WriteJob], savepoints: bool) -> Pass {
    let mut failures = 0;
    for job in batch.iter_mut() {
        if savepoints {
            if let Err(e) = run(conn, "SAVEPOINT job") {
                return Pass::Broken(e.to_string());
            }
        }
        // A statement that fails undoes its own rows and counts none.
        let changes = conn.total_changes();
        let Ok(ok) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(conn))) else {
            tracing::error!("a write job panicked; rolling back its batch");
            return Pass::Broken("a write failed unexpectedly".into());
        };
        if conn.is_autocommit() {
            return Pass::Broken("the transaction was rolled back by the database".into());
        }
        let ok = ok || conn.total_changes() == changes;
        if !savepoints {
            if !ok {
                return Pass::JobFailed;
            }
            continue;
        }
        failures += usize::from(!ok);
        let end = if ok {
            Ok(())
        } else {
            new_epoch();
            run(conn, "ROLLBACK TO job")
        };
        if let Err(e) = end.and_then(|()| run(conn, "RELEASE job")) {
            return Pass::Broken(e.to_string());
        }
    }
    Pass::Clean(failures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    struct TestJob {
        sql: &'static str,
        fail: bool,
        runs: usize,
        ok: bool,
        tx: mpsc::Sender<Result<usize, String>>,
    }

    impl Job for TestJob {
        fn run(&mut self, c: &Connection) -> bool {
            self.runs += 1;
            self.ok = c.execute_batch(self.sql).is_ok() && !self.fail;
            self.ok
        }

        fn reset(&mut self) {
            self.ok = false;
        }

        fn finish(self: Box<Self>, err: Option<&str>) {
            let out = match (err, self.ok) {
                (Some(e), true) => Err(e.to_owned()),
                (_, false) => Err("job failed".to_owned()),
                (None, true) => Ok(self.runs),
            };
            let _ = self.tx.send(out);
        }
    }

    /// A job whose answer is how many times it ran.
    fn job(sql: &'static str, fail: bool, tx: mpsc::Sender<Result<usize, String>>) -> WriteJob {
        Box::new(TestJob { sql, fail, runs: 0, ok: false, tx })
    }

    /// Inserts 1, fails after inserting 2, then runs `last`.
    fn middle_fails(last: &'static str, tx: mpsc::Sender<Result<usize, String>>) -> Vec<WriteJob> {
        vec![
            job("INSERT INTO t VALUES (1)", false, tx.clone()),
            job("INSERT INTO t VALUES (2)", true, tx.clone()),
            job(last, false, tx),
        ]
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
    fn a_batch_where_nothing_fails_runs_each_job_once() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        run_batch(
            &c,
            vec![job("INSERT INTO t VALUES (1)", false, tx.clone()), job("INSERT INTO t VALUES (2)", false, tx)],
            false,
        );
        let results: Vec<_> = rx.iter().collect();
        assert_eq!(results, vec![Ok(1), Ok(1)]);
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn a_careful_batch_runs_each_job_once_in_its_savepoint_and_says_one_failed() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        let failed = run_batch(&c, middle_fails("INSERT INTO t VALUES (3)", tx), true);
        assert!(failed);
        let results: Vec<_> = rx.iter().collect();
        assert_eq!(results, vec![Ok(1), Err("job failed".into()), Ok(1)]);
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn a_second_run_that_breaks_commits_nothing_and_answers_everyone() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        let failed = run_batch(&c, middle_fails("ROLLBACK", tx), false);
        assert!(failed);
        let results: Vec<_> = rx.iter().collect();
        assert_eq!(results.len(), 3);
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(count(&c), 0);
        assert!(c.is_autocommit());
    }

    #[test]
    fn a_failing_job_rolls_back_alone() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        run_batch(&c, middle_fails("INSERT INTO t VALUES (3)", tx), false);
        let results: Vec<_> = rx.iter().collect();
        // The failure sent the batch round again, with savepoints.
        assert_eq!(results, vec![Ok(2), Err("job failed".into()), Ok(1)]);
        let kept: Vec<i64> = c
            .prepare("SELECT v FROM t ORDER BY v")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(kept, vec![1, 3], "the failing job's insert is gone, and nothing ran twice into the table");
    }

    #[test]
    fn a_job_refused_before_it_writes_costs_the_others_nothing() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        let batch = vec![
            job("INSERT INTO t VALUES (1)", false, tx.clone()),
            job("SELECT 1", true, tx.clone()),
            job("INSERT INTO t VALUES (3)", false, tx),
        ];
        let failed = run_batch(&c, batch, false);
        assert!(!failed, "nothing to undo: no careful batches after it");
        let results: Vec<_> = rx.iter().collect();
        assert_eq!(results, vec![Ok(1), Err("job failed".into()), Ok(1)], "the batch ran once");
        assert_eq!(count(&c), 2);
    }

    #[test]
    fn a_statement_that_fails_partway_undoes_its_rows_and_counts_none() {
        let c = conn();
        c.execute_batch("CREATE UNIQUE INDEX t_v ON t (v)").unwrap();
        let (tx, rx) = mpsc::channel();
        // The third row breaks the index: the statement undoes its first two.
        let batch = vec![
            job("INSERT INTO t VALUES (7)", false, tx.clone()),
            job("INSERT INTO t VALUES (1), (2), (1)", false, tx.clone()),
            job("INSERT INTO t VALUES (8)", false, tx),
        ];
        assert!(!run_batch(&c, batch, false));
        let results: Vec<_> = rx.iter().collect();
        assert_eq!(results, vec![Ok(1), Err("job failed".into()), Ok(1)]);
        assert_eq!(count(&c), 2);
    }

    struct Boom;

    impl Job for Boom {
        fn run(&mut self, c: &Connection) -> bool {
            let _ = c.execute_batch("INSERT INTO t VALUES (9)");
            panic!("boom")
        }

        fn reset(&mut self) {}

        fn finish(self: Box<Self>, err: Option<&str>) {
            assert!(err.is_some(), "a batch with a panic does not commit");
        }
    }

    #[test]
    fn a_panicking_job_rolls_back_the_whole_batch_and_the_writer_lives_on() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        run_batch(
            &c,
            vec![
                job("INSERT INTO t VALUES (1)", false, tx.clone()),
                Box::new(Boom),
                job("INSERT INTO t VALUES (3)", false, tx.clone()),
            ],
            false,
        );
        let results: Vec<_> = rx.try_iter().collect();
        assert_eq!(results.len(), 2, "every caller is answered, the one that never ran too");
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(count(&c), 0);
        run_batch(&c, vec![job("INSERT INTO t VALUES (4)", false, tx)], false);
        assert_eq!(rx.recv().unwrap(), Ok(1));
        assert_eq!(count(&c), 1);
    }

    #[test]
    fn a_job_that_ends_the_transaction_fails_the_batch() {
        let c = conn();
        let (tx, rx) = mpsc::channel();
        run_batch(&c, vec![job("INSERT INTO t VALUES (1)", false, tx.clone()), job("ROLLBACK", false, tx)], false);
        let results: Vec<_> = rx.iter().collect();
        assert!(results.iter().all(Result::is_err), "{results:?}");
        assert_eq!(count(&c), 0);
        assert!(c.is_autocommit());
    }
}
