//! Applying a `ChangeSet` inside a PostgreSQL transaction.

use sqlx::{Postgres, Row, Transaction};

use super::super::*;
use super::super::{fanout, sql};
use super::{backend, bound, is_unique_violation, to_object};

async fn insert_object(
    tx: &mut Transaction<'_, Postgres>,
    scope: &Scope,
    obj: (&str, &str, i64),
    doc: &str,
    tags: &[Tag],
) -> StoreResult<()> {
    let (id, kind, created) = obj;
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO objects (id, account_id, livemode, kind, created, version, doc) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING seq",
    )
    .bind(id)
    .bind(&scope.account_id)
    .bind(scope.livemode)
    .bind(kind)
    .bind(created)
    .bind(doc)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict } else { backend(e) })?;
    write_tags(tx, scope, kind, seq, tags).await
}

async fn write_tags(
    tx: &mut Transaction<'_, Postgres>,
    scope: &Scope,
    kind: &str,
    seq: i64,
    tags: &[Tag],
) -> StoreResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    // One statement for all of an object's tags: one round trip, not one a tag.
    let (names, values): (Vec<&str>, Vec<&str>) = tags.iter().map(|(n, v)| (n.as_str(), v.as_str())).unzip();
    sqlx::query(
        "INSERT INTO object_tags (account_id, livemode, kind, name, value, seq) \
         SELECT $1, $2, $3, t.name, t.value, $4 FROM UNNEST($5::text[], $6::text[]) AS t(name, value) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&scope.account_id)
    .bind(scope.livemode)
    .bind(kind)
    .bind(seq)
    .bind(&names)
    .bind(&values)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Applies the set and the deliveries its events call for, from the
/// endpoints read in this transaction; returns what it added.
pub(super) async fn apply(tx: &mut Transaction<'_, Postgres>, mut set: ChangeSet) -> StoreResult<Committed> {
    for change in &set.changes {
        apply_change(tx, &set.scope, change).await?;
    }
    let deliveries = if set.events.is_empty() {
        Vec::new()
    } else {
        let built = sql::list(&set.scope, &fanout::enabled_endpoints(), sql::Dialect::Postgres);
        let rows = bound(&built).fetch_all(&mut **tx).await.map_err(backend)?;
        let found = rows.iter().map(to_object).collect::<StoreResult<Vec<_>>>()?;
        fanout::deliveries(&mut set.events, &fanout::decode(&found)?, &crate::ids::RandomIds)?
    };
    let scope = &set.scope;
    for event in &set.events {
        let (id, created, tags, doc) = event_parts(event)?;
        insert_object(tx, scope, (&id, EVENT_KIND, created), &doc, &tags).await?;
    }
    for d in &deliveries {
        apply_change(tx, scope, d).await?;
    }
    if let Some(rec) = &set.idempotency {
        record_idempotency(tx, scope, rec).await?;
    }
    Ok(Committed { deliveries: deliveries.len() })
}

async fn apply_change(tx: &mut Transaction<'_, Postgres>, scope: &Scope, change: &Change) -> StoreResult<()> {
    match change {
        Change::Insert { id, kind, created, doc, tags } => {
            insert_object(tx, scope, (id, kind, *created), doc, tags).await?
        }
        Change::Update { id, expected_version, doc, tags } => {
            let row = sqlx::query(
                    "UPDATE objects SET doc = $1, version = version + 1 WHERE id = $2 AND account_id = $3 AND livemode = $4 AND version = $5 AND NOT deleted RETURNING seq, kind",
                )
                .bind(doc)
                .bind(id)
                .bind(&scope.account_id)
                .bind(scope.livemode)
                .bind(expected_version)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or(StoreError::Conflict)?;
            let seq: i64 = row.try_get("seq").map_err(backend)?;
            let kind: String = row.try_get("kind").map_err(backend)?;
            sqlx::query("DELETE FROM object_tags WHERE seq = $1")
                .bind(seq)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            write_tags(tx, scope, &kind, seq, tags).await?;
        }
        Change::Delete { id, expected_version, doc } => {
            let seq: i64 = sqlx::query_scalar(
                    "UPDATE objects SET doc = $1, version = version + 1, deleted = TRUE WHERE id = $2 AND account_id = $3 AND livemode = $4 AND version = $5 AND NOT deleted RETURNING seq",
                )
                .bind(doc)
                .bind(id)
                .bind(&scope.account_id)
                .bind(scope.livemode)
                .bind(expected_version)
                .fetch_optional(&mut **tx)
                .await
                .map_err(backend)?
                .ok_or(StoreError::Conflict)?;
            sqlx::query("DELETE FROM object_tags WHERE seq = $1")
                .bind(seq)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
        }
    }
    Ok(())
}

async fn record_idempotency(
    tx: &mut Transaction<'_, Postgres>,
    scope: &Scope,
    rec: &IdempotencyRecord,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO idempotency_keys (account_id, livemode, key, fingerprint, status, body, created) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&scope.account_id)
    .bind(scope.livemode)
    .bind(&rec.key)
    .bind(&rec.fingerprint)
    .bind(i64::from(rec.status))
    .bind(&rec.body)
    .bind(rec.created)
    .execute(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { StoreError::DuplicateIdempotencyKey } else { backend(e) })?;
    Ok(())
}
