//! Group commit on PostgreSQL. A change set is sent to `kassa_commit` in
//! one statement (`commit`); under load most of what PostgreSQL spent on a
//! set was the transaction around it, not its rows (the start, the commit
//! record, the WAL flush, the call and its JSON: a session create's set
//! cost about 400 µs of PostgreSQL's CPU, on a machine where PostgreSQL
//! shares two cores with kassa). So a few committer tasks take the sets
//! from a queue, and a committer whose last call is still running lets
//! the queue fill: its next call sends every set waiting, up to
//! `MAX_SETS`, to `kassa_commit_many` (migration 0009), one transaction
//! for all of them with one subtransaction each. With nothing else
//! waiting, a set goes to `kassa_commit` alone, as before.
//!
//! Each set is still all or nothing, and is answered only once the call
//! that wrote it has committed. A set refused (its version check, its
//! idempotency key) is undone alone. When the whole call fails with an
//! error PostgreSQL reported, nothing of it was written, and each set is
//! committed alone, so one set's failure never fails another. When the
//! outcome is unknown (the connection broke, the server went away), every
//! set is answered with the error, as a single commit is.
//!
//! The cost: a set's row locks are held until its whole call commits, and
//! two calls can take the same rows in opposite orders where two single
//! sets would not; PostgreSQL's deadlock detector ends one after
//! `deadlock_timeout` (40P01), and its sets are then committed one by one.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;
use sqlx::postgres::PgPool;
use tokio::sync::oneshot;

use super::backend;
use crate::store::{StoreError, StoreResult};

/// SQLSTATEs raised by `kassa_commit`.
const CONFLICT: &str = "KC409";
const DUPLICATE_IDEMPOTENCY_KEY: &str = "KC422";

/// Committer tasks per node: enough to keep PostgreSQL busy on every core
/// while each waits for its WAL flush, few enough that the sets queue and
/// are sent together.
const COMMITTERS: usize = 4;

/// At most this many sets a call. Each set's subtransaction takes an id,
/// and a transaction with more than 64 of them overflows PostgreSQL's
/// per-backend cache of them, which slows every other session's snapshots.
const MAX_SETS: usize = 32;

/// One change set, as `kassa_commit` takes it, and as one element of
/// `kassa_commit_many`'s array. The changes and the record are JSON
/// already, written once and put into the array as they are.
#[derive(Serialize)]
pub(super) struct Set {
    pub account: String,
    pub livemode: bool,
    /// The JSON array of changes.
    pub changes: Box<RawValue>,
    /// The idempotency record's JSON, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idem: Option<Box<RawValue>>,
}

struct Queued {
    set: Set,
    reply: oneshot::Sender<StoreResult<()>>,
}

pub(super) struct Group {
    queue: flume::Sender<Queued>,
}

impl Group {
    /// Starts the committers on the current runtime; they stop when the
    /// group is dropped.
    pub fn start(pool: &PgPool) -> Self {
        let (queue, rx) = flume::unbounded::<Queued>();
        for _ in 0..COMMITTERS {
            tokio::spawn(committer(pool.clone(), rx.clone()));
        }
        Self { queue }
    }

    /// Commits `set`, alone or with others.
    pub async fn commit(&self, set: Set) -> StoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send_async(Queued { set, reply })
            .await
            .map_err(|_| StoreError::Backend("the committers stopped".into()))?;
        answer.await.map_err(|_| StoreError::Backend("a committer dropped the commit".into()))?
    }
}

async fn committer(pool: PgPool, queue: flume::Receiver<Queued>) {
    while let Ok(first) = queue.recv_async().await {
        let mut batch = vec![first];
        while batch.len() < MAX_SETS {
            match queue.try_recv() {
                Ok(q) => batch.push(q),
                Err(_) => break,
            }
        }
        crate::meters::meters().store_batch(batch.len());
        if batch.len() == 1 {
            for q in batch {
                let _ = q.reply.send(one(&pool, &q.set).await);
            }
        } else {
            several(&pool, batch).await;
        }
    }
}

/// One set, in its own call.
async fn one(pool: &PgPool, set: &Set) -> StoreResult<()> {
    sqlx::query("SELECT kassa_commit($1, $2, $3::jsonb, $4::jsonb)")
        .bind(&set.account)
        .bind(set.livemode)
        .bind(set.changes.get())
        .bind(set.idem.as_deref().map(RawValue::get))
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(refused)
}

async fn several(pool: &PgPool, batch: Vec<Queued>) {
    let sets = match serde_json::to_string(&batch.iter().map(|q| &q.set).collect::<Vec<_>>()) {
        Ok(sets) => sets,
        Err(e) => {
            for q in batch {
                let _ = q.reply.send(Err(backend(&e)));
            }
            return;
        }
    };
    let outcomes: Result<Vec<String>, sqlx::Error> =
        sqlx::query_scalar("SELECT kassa_commit_many($1::jsonb)").bind(sets).fetch_one(pool).await;
    match outcomes {
        Ok(outcomes) if outcomes.len() == batch.len() => {
            for (q, outcome) in batch.into_iter().zip(outcomes) {
                let _ = q.reply.send(outcome_of(&outcome));
            }
        }
        Ok(outcomes) => {
            // Cannot happen with the function as migrated; if it did, the
            // sets were written but cannot be told apart.
            let e = format!("kassa_commit_many answered {} outcomes for {} sets", outcomes.len(), batch.len());
            tracing::error!(error = %e, "group commit");
            for q in batch {
                let _ = q.reply.send(Err(StoreError::Backend(e.clone())));
            }
        }
        Err(sqlx::Error::Database(e)) if e.code().is_some_and(|c| statement_refused(&c)) => {
            // PostgreSQL refused the statement and rolled it back, so it
            // wrote nothing: each set alone, so that only the one at fault
            // fails.
            tracing::warn!(error = %e.message(), sets = batch.len(), "group commit refused; committing its sets one by one");
            crate::meters::meters().store_group_retry();
            for q in batch {
                let _ = q.reply.send(one(pool, &q.set).await);
            }
        }
        Err(e) => {
            // Anything else (the connection, the server going away, a
            // proxy's own error) may have come after the commit: the
            // outcome is unknown, as it is for a single commit, and running
            // the sets again could answer a written set with a conflict.
            let e = e.to_string();
            for q in batch {
                let _ = q.reply.send(Err(StoreError::Backend(e.clone())));
            }
        }
    }
}

/// Whether a SQLSTATE says the statement itself was refused, which rolls
/// back everything it did: bad data (22), a constraint (23), the statement
/// (42), a limit (54), a plpgsql error (P0), a deadlock or serialization
/// failure (40), a lock or statement timeout (55P03, 57014). Connection,
/// server and resource errors (08, 57P, 53, 58, XX) are not: they can
/// arrive after a commit.
fn statement_refused(sqlstate: &str) -> bool {
    ["22", "23", "42", "54", "P0", "40"].iter().any(|class| sqlstate.starts_with(class))
        || matches!(sqlstate, "55P03" | "57014")
}

fn outcome_of(sqlstate: &str) -> StoreResult<()> {
    match sqlstate {
        "" => Ok(()),
        CONFLICT => Err(StoreError::Conflict),
        DUPLICATE_IDEMPOTENCY_KEY => Err(StoreError::DuplicateIdempotencyKey),
        other => Err(StoreError::Backend(format!("kassa_commit_many: unknown outcome {other}"))),
    }
}

fn refused(e: sqlx::Error) -> StoreError {
    let code = match &e {
        sqlx::Error::Database(d) => d.code().map(Cow::into_owned),
        _ => None,
    };
    match code.as_deref() {
        Some(CONFLICT) => StoreError::Conflict,
        Some(DUPLICATE_IDEMPOTENCY_KEY) => StoreError::DuplicateIdempotencyKey,
        _ => backend(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(account: &str, livemode: bool, idem: Option<&str>) -> Set {
        let raw = |t: &str| RawValue::from_string(t.to_owned()).unwrap();
        Set {
            account: account.into(),
            livemode,
            changes: raw(r#"[{"op":"insert","id":"x","doc":"{\"a\":1}","tags":[]}]"#),
            idem: idem.map(raw),
        }
    }

    #[test]
    fn sets_are_one_json_array_with_their_json_kept_as_it_is() {
        let sets = [set("acct_\"q\"", true, Some(r#"{"key":"k"}"#)), set("acct_2", false, None)];
        let text = serde_json::to_string(&sets.iter().collect::<Vec<_>>()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["account"], "acct_\"q\"");
        assert_eq!(v[0]["livemode"], true);
        assert_eq!(v[0]["changes"][0]["doc"], "{\"a\":1}");
        assert_eq!(v[0]["idem"]["key"], "k");
        assert_eq!(v[1]["livemode"], false);
        assert!(v[1].get("idem").is_none(), "no record, no key: {text}");
    }

    #[test]
    fn only_a_refused_statement_is_run_again_set_by_set() {
        for refused in ["22P05", "23505", "42883", "54000", "P0001", "40P01", "40001", "55P03", "57014"] {
            assert!(statement_refused(refused), "{refused}");
        }
        for unknown in ["08P01", "08006", "57P01", "57P03", "53300", "58030", "XX000", "KC409"] {
            assert!(!statement_refused(unknown), "{unknown}");
        }
    }

    #[test]
    fn outcomes_map_to_the_errors_a_single_commit_gives() {
        assert!(outcome_of("").is_ok());
        assert!(matches!(outcome_of(CONFLICT), Err(StoreError::Conflict)));
        assert!(matches!(outcome_of(DUPLICATE_IDEMPOTENCY_KEY), Err(StoreError::DuplicateIdempotencyKey)));
        assert!(matches!(outcome_of("XX000"), Err(StoreError::Backend(_))));
    }
}
