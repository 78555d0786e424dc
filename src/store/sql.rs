//! SQL shared by both backends: the list query, built once with the
//! placeholders of either dialect.

use std::sync::LazyLock;

use super::{schedule, Cursor, DueQuery, ListQuery, Page, Scope, StoredObject};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl Arg {
    pub fn to_sqlite(&self) -> rusqlite::types::Value {
        match self {
            Arg::Text(s) => rusqlite::types::Value::Text(s.clone()),
            Arg::Int(i) => rusqlite::types::Value::Integer(*i),
            Arg::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
        }
    }
}

pub struct Built {
    pub text: String,
    pub args: Vec<Arg>,
}

struct Builder {
    dialect: Dialect,
    text: String,
    args: Vec<Arg>,
}

impl Builder {
    fn push(&mut self, sql: &str) {
        self.text.push_str(sql);
    }

    fn arg(&mut self, a: Arg) {
        self.args.push(a);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => self.text.push_str(&format!("${}", self.args.len())),
        }
    }
}

/// Its seq is the connection's last rowid: `RETURNING` would build a
/// temporary table for each row.
pub const INSERT_OBJECT_SQLITE: &str =
    "INSERT INTO objects (id, account_id, livemode, kind, created, version, doc, tags) VALUES (?, ?, ?, ?, ?, 1, ?, ?)";

/// Newest first by (created, seq); with `ending_before` the scan runs the
/// other way and `finish_page` puts it back in order. One extra row is read
/// to know whether there is more. With a filter, the scan starts from the
/// matching tags (an index lookup) instead of walking every object.
pub fn list(scope: &Scope, q: &ListQuery, dialect: Dialect) -> Built {
    let mut b = Builder { dialect, text: String::new(), args: Vec::new() };
    let cols = "o.seq, o.id, o.kind, o.created, o.version, o.deleted, o.doc";
    let mut filters = q.filters.iter();
    match filters.next() {
        Some((name, value)) => {
            b.push(&format!("SELECT {cols} FROM object_tags t JOIN objects o ON o.seq = t.seq WHERE t.account_id = "));
            b.arg(Arg::Text(scope.account_id.clone()));
            b.push(" AND t.livemode = ");
            b.arg(Arg::Bool(scope.livemode));
            b.push(" AND t.kind = ");
            b.arg(Arg::Text(q.kind.clone()));
            b.push(" AND t.name = ");
            b.arg(Arg::Text(name.clone()));
            b.push(" AND t.value = ");
            b.arg(Arg::Text(value.clone()));
        }
        None => {
            b.push(&format!("SELECT {cols} FROM objects o WHERE o.account_id = "));
            b.arg(Arg::Text(scope.account_id.clone()));
            b.push(" AND o.livemode = ");
            b.arg(Arg::Bool(scope.livemode));
            b.push(" AND o.kind = ");
            b.arg(Arg::Text(q.kind.clone()));
        }
    }
    b.push(" AND o.deleted = ");
    b.arg(Arg::Bool(false));
    for (op, v) in [(">", q.created.gt), (">=", q.created.gte), ("<", q.created.lt), ("<=", q.created.lte)] {
        if let Some(v) = v {
            b.push(&format!(" AND o.created {op} "));
            b.arg(Arg::Int(v));
        }
    }
    // Each remaining filter is a group of one; `any_of` is one group of many.
    let groups = filters.map(std::slice::from_ref).chain((!q.any_of.is_empty()).then_some(q.any_of.as_slice()));
    for group in groups {
        b.push(" AND o.seq IN (SELECT seq FROM object_tags WHERE account_id = ");
        b.arg(Arg::Text(scope.account_id.clone()));
        b.push(" AND livemode = ");
        b.arg(Arg::Bool(scope.livemode));
        b.push(" AND kind = ");
        b.arg(Arg::Text(q.kind.clone()));
        for (i, (name, value)) in group.iter().enumerate() {
            b.push(if i == 0 { " AND ((name = " } else { " OR (name = " });
            b.arg(Arg::Text(name.clone()));
            b.push(" AND value = ");
            b.arg(Arg::Text(value.clone()));
            b.push(")");
        }
        b.push("))");
    }
    let ascending = match q.cursor {
        Some(Cursor::After { created, seq }) => {
            cursor_clause(&mut b, "<", created, seq);
            false
        }
        Some(Cursor::Before { created, seq }) => {
            cursor_clause(&mut b, ">", created, seq);
            true
        }
        None => false,
    };
    b.push(if ascending {
        " ORDER BY o.created ASC, o.seq ASC LIMIT "
    } else {
        " ORDER BY o.created DESC, o.seq DESC LIMIT "
    });
    b.arg(Arg::Int(i64::try_from(q.limit).unwrap_or(100).saturating_add(1)));
    Built { text: b.text, args: b.args }
}

fn cursor_clause(b: &mut Builder, op: &str, created: i64, seq: i64) {
    // The first bound repeats what the OR implies, in a form the list index
    // can seek to; without it a deep page scans every newer row first.
    b.push(&format!(" AND o.created {op}= "));
    b.arg(Arg::Int(created));
    b.push(&format!(" AND (o.created {op} "));
    b.arg(Arg::Int(created));
    b.push(" OR (o.created = ");
    b.arg(Arg::Int(created));
    b.push(&format!(" AND o.seq {op} "));
    b.arg(Arg::Int(seq));
    b.push("))");
}

pub fn finish_page(mut items: Vec<StoredObject>, q: &ListQuery) -> Page {
    let has_more = items.len() > q.limit;
    items.truncate(q.limit);
    if matches!(q.cursor, Some(Cursor::Before { .. })) {
        items.reverse();
    }
    Page { items, has_more }
}

/// Objects whose tag is due, for `Store::due`.
pub fn due(q: &DueQuery, dialect: Dialect) -> Built {
    let DueQuery { kind, name, up_to, scope, limit } = q;
    let mut b = Builder { dialect, text: String::new(), args: Vec::new() };
    b.push("SELECT o.seq, o.id, o.kind, o.created, o.version, o.deleted, o.doc, o.account_id, o.livemode FROM objects o WHERE o.deleted = ");
    b.arg(Arg::Bool(false));
    b.push(" AND o.seq IN (SELECT t.seq FROM object_tags t WHERE t.kind = ");
    b.arg(Arg::Text(kind.to_owned()));
    b.push(" AND t.name = ");
    b.arg(Arg::Text(name.to_owned()));
    b.push(" AND t.value <= ");
    b.arg(Arg::Text(up_to.to_owned()));
    // The due index holds only schedules; naming its predicate is what lets
    // the planner read it (`store::schedule`).
    b.push(" AND ");
    b.push(&schedule::IN_SWEEPS);
    if let Some(s) = scope {
        b.push(" AND t.account_id = ");
        b.arg(Arg::Text(s.account_id.clone()));
        b.push(" AND t.livemode = ");
        b.arg(Arg::Bool(s.livemode));
    }
    b.push(" ORDER BY t.value LIMIT ");
    b.arg(Arg::Int(i64::try_from(*limit).unwrap_or(100)));
    b.push(")");
    Built { text: b.text, args: b.args }
}

/// The distinct tag names of a kind, found with one index seek each (a
/// loose index scan) rather than by reading every tag: `names(name)`, with
/// a final NULL. `kind` is the placeholder holding the kind. Names are
/// walked in the database's own order, whatever its collation, and
/// filtered afterwards, so no prefix range is assumed.
pub fn tag_names_cte(kind: &str) -> String {
    let due = &*schedule::IN_SWEEPS;
    format!(
        "WITH RECURSIVE names(name) AS (\
         SELECT (SELECT t.name FROM object_tags t WHERE t.kind = {kind} AND {due} ORDER BY t.name LIMIT 1) \
         UNION ALL \
         SELECT (SELECT t.name FROM object_tags t WHERE t.kind = {kind} AND t.name > n.name AND {due} \
         ORDER BY t.name LIMIT 1) \
         FROM names n WHERE n.name IS NOT NULL) "
    )
}

/// SQLite, `Store::due_grouped` step one: the group tags of a kind.
pub fn group_names_sqlite() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        format!("{}SELECT name FROM names WHERE name IS NOT NULL AND substr(name, 1, ?2) = ?3", tag_names_cte("?1"))
    });
    &TEXT
}

/// SQLite, step two, once per group: its lowest due objects.
pub fn group_due_sqlite() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT o.seq, o.id, o.kind, o.created, o.version, o.deleted, o.doc, o.account_id, o.livemode, t.value \
         FROM object_tags t JOIN objects o ON o.seq = t.seq \
         WHERE t.kind = ?1 AND t.name = ?2 AND t.value <= ?3 AND {} AND o.deleted = 0 ORDER BY t.value LIMIT ?4",
            *schedule::IN_SWEEPS
        )
    });
    &TEXT
}

/// PostgreSQL, in one statement: the group tags, then each group's lowest
/// due objects through LATERAL. Binds: kind, up_to, per_group, prefix, skip
/// (full tag names, `text[]`).
pub fn due_grouped_postgres() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{names}SELECT o.seq, o.id, o.kind, o.created, o.version, o.deleted, o.doc, o.account_id, o.livemode, \
         n.name AS grp, d.value AS due_at FROM names n \
         CROSS JOIN LATERAL (SELECT t.seq, t.value FROM object_tags t \
         WHERE t.kind = $1 AND t.name = n.name AND t.value <= $2 AND {due} ORDER BY t.value LIMIT $3) d \
         JOIN objects o ON o.seq = d.seq \
         WHERE n.name IS NOT NULL AND starts_with(n.name, $4) AND NOT (n.name = ANY($5)) AND NOT o.deleted \
         ORDER BY n.name, d.value",
            names = tag_names_cte("$1"),
            due = *schedule::IN_SWEEPS
        )
    });
    &TEXT
}
