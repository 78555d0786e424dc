//! SQLite: finding due work for the workers (`Store::due`, `due_grouped`).

use rusqlite::Connection;

use super::*;
use super::{backend, row_to_object, to_object};
use crate::store::sql;

/// `Store::due` on a reader connection.
pub(super) fn due(conn: &Connection, built: &sql::Built) -> StoreResult<Vec<(Scope, StoredObject)>> {
    let mut stmt = conn.prepare_cached(&built.text).map_err(backend)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(built.args.iter().map(sql::Arg::to_sqlite)), |r| {
            Ok((row_to_object(r)?, r.get::<_, String>(7)?, r.get::<_, bool>(8)?))
        })
        .map_err(backend)?;
    let mut out = Vec::new();
    for r in rows {
        let (o, account_id, livemode) = r.map_err(backend)?;
        out.push((Scope { account_id, livemode }, to_object(o)?));
    }
    Ok(out)
}

/// `Store::due_grouped`: the group tags by a loose index scan, then one
/// indexed range read per group. In-process, so a query per group costs
/// microseconds, and SQLite has no LATERAL join to do it in one.
pub(super) fn due_grouped(conn: &Connection, q: &GroupedDue) -> StoreResult<Vec<DueItem>> {
    let prefix_len = i64::try_from(q.prefix.chars().count()).map_err(backend)?;
    let names: Vec<String> = {
        let mut stmt = conn.prepare_cached(sql::group_names_sqlite()).map_err(backend)?;
        let rows = stmt
            .query_map(rusqlite::params![q.kind, prefix_len, q.prefix], |r| r.get::<_, String>(0))
            .map_err(backend)?;
        rows.collect::<rusqlite::Result<_>>().map_err(backend)?
    };
    let per_group = i64::try_from(q.per_group).map_err(backend)?;
    let mut stmt = conn.prepare_cached(sql::group_due_sqlite()).map_err(backend)?;
    let mut out = Vec::new();
    for name in names {
        let Some(group) = name.strip_prefix(q.prefix.as_str()).map(str::to_owned) else { continue };
        if q.skip.contains(&group) {
            continue;
        }
        let rows = stmt
            .query_map(rusqlite::params![q.kind, name, q.up_to, per_group], |r| {
                Ok((row_to_object(r)?, r.get::<_, String>(7)?, r.get::<_, bool>(8)?, r.get::<_, String>(9)?))
            })
            .map_err(backend)?;
        for r in rows {
            let (o, account_id, livemode, due) = r.map_err(backend)?;
            out.push(DueItem {
                scope: Scope { account_id, livemode },
                group: group.clone(),
                due,
                object: to_object(o)?,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::schedule;

    fn plan(conn: &Connection, text: &str, args: usize) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {text}")).unwrap();
        let none = vec![rusqlite::types::Value::Null; args];
        let rows = stmt.query_map(rusqlite::params_from_iter(none), |r| r.get::<_, String>(3)).unwrap();
        rows.collect::<rusqlite::Result<Vec<_>>>().unwrap().join("; ")
    }

    /// The index is partial (migration 0011): a sweep that stopped naming
    /// its predicate would read every tag row instead.
    #[test]
    fn every_sweep_reads_the_schedule_index() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = connect(&dir.path().join("d.db")).unwrap();
        super::super::migrate::migrate(&mut conn).unwrap();
        let scoped = Scope { account_id: "acct_1".into(), livemode: false };
        let built = sql::due(&DueQuery::new("k", schedule::NAMES[0], "1", 5), sql::Dialect::Sqlite);
        let p = plan(&conn, &built.text, built.args.len());
        assert!(p.contains("INDEX object_tags_due") && !p.contains("SCAN t"), "{p}");
        // Within one account, the table's own key serves as well.
        let built = sql::due(&DueQuery::new("k", "due_at", "1", 5).within(Some(&scoped)), sql::Dialect::Sqlite);
        let p = plan(&conn, &built.text, built.args.len());
        assert!(p.contains("SEARCH t USING") && !p.contains("SCAN t"), "{p}");
        for (text, args) in [(sql::group_names_sqlite(), 3), (sql::group_due_sqlite(), 4)] {
            let p = plan(&conn, text, args);
            assert!(
                p.contains("INDEX object_tags_due") && !p.contains("SCAN t") && !p.contains("t USING PRIMARY KEY"),
                "{p}"
            );
        }
    }
}
