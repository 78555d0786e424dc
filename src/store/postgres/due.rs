//! PostgreSQL: finding due work for the workers (`Store::due`,
//! `due_grouped`).

use sqlx::postgres::PgPool;
use sqlx::Row;

use super::*;
use super::{backend, bound, scoped, to_object};
use crate::store::sql;

pub(super) async fn due(pool: &PgPool, query: &DueQuery) -> StoreResult<Vec<(Scope, StoredObject)>> {
    let built = sql::due(query, sql::Dialect::Postgres);
    let rows = bound(&built).fetch_all(pool).await.map_err(backend)?;
    rows.iter().map(|r| Ok((scoped(r)?, to_object(r)?))).collect()
}

/// One statement: the group tags by a loose index scan, then each group's
/// lowest due objects through a LATERAL join.
pub(super) async fn due_grouped(pool: &PgPool, q: &GroupedDue) -> StoreResult<Vec<DueItem>> {
    let skip: Vec<String> = q.skip.iter().map(|g| format!("{}{g}", q.prefix)).collect();
    let rows = sqlx::query(sql::due_grouped_postgres())
        .bind(&q.kind)
        .bind(&q.up_to)
        .bind(i64::try_from(q.per_group).map_err(backend)?)
        .bind(&q.prefix)
        .bind(&skip)
        .fetch_all(pool)
        .await
        .map_err(backend)?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("grp").map_err(backend)?;
            Ok(DueItem {
                scope: scoped(r)?,
                group: name.strip_prefix(q.prefix.as_str()).unwrap_or(&name).to_owned(),
                due: r.try_get("due_at").map_err(backend)?,
                object: to_object(r)?,
            })
        })
        .collect()
}
