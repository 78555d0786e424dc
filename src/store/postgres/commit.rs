//! Committing a `ChangeSet` in one round trip: the whole set, its events'
//! deliveries and its idempotency record go to the `kassa_commit` function
//! (migrations/postgres/0005_commit_function.sql; since 0012 its
//! idempotency insert comes first) as one statement. Run
//! outside BEGIN/COMMIT, that statement is its own transaction (or, for
//! sets that queued together, one subtransaction of a shared one: see
//! `group`), so the set is written entirely or not at all, and a commit
//! costs one round trip instead of one per row (plus one endpoint read when
//! it has events).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::to_raw_value;
use sqlx::postgres::PgPool;

use super::super::*;
use super::backend;
use super::endpoints::enabled_endpoints;
use super::group::{Group, Set};
use crate::store::fanout;

/// One element of the function's change array.
#[derive(Serialize)]
struct Row<'a> {
    op: &'static str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i64>,
    /// The stored text itself, sent as a JSON string (not nested JSON), so
    /// the bytes stored are exactly those SQLite stores for the same object.
    doc: Cow<'a, str>,
    tags: &'a [Tag],
}

#[derive(Serialize)]
struct Idempotency<'a> {
    key: &'a str,
    fingerprint: &'a str,
    status: u16,
    body: &'a str,
    created: i64,
}

/// The text a document is stored as: the one place that turns a change's
/// document into text.
pub(super) fn doc_text(doc: &str) -> Cow<'_, str> {
    Cow::Borrowed(doc)
}

fn row(change: &Change) -> Row<'_> {
    match change {
        Change::Insert { id, kind, created, doc, tags } => insert_row(id, kind, *created, doc, tags),
        Change::Update { id, expected_version, doc, tags } => Row {
            op: "update",
            id,
            kind: None,
            created: None,
            version: Some(*expected_version),
            doc: doc_text(doc),
            tags,
        },
        Change::Delete { id, expected_version, doc } => Row {
            op: "delete",
            id,
            kind: None,
            created: None,
            version: Some(*expected_version),
            doc: doc_text(doc),
            tags: &[],
        },
    }
}

fn insert_row<'a>(id: &'a str, kind: &'a str, created: i64, doc: &'a str, tags: &'a [Tag]) -> Row<'a> {
    Row { op: "insert", id, kind: Some(kind), created: Some(created), version: None, doc: doc_text(doc), tags }
}

/// Commits the set with the deliveries its events call for; returns what
/// it added.
pub(super) async fn commit(pool: &PgPool, group: &Group, mut set: ChangeSet) -> StoreResult<Committed> {
    let deliveries = if set.events.is_empty() {
        Vec::new()
    } else {
        let endpoints = enabled_endpoints(pool, &set).await?;
        fanout::deliveries(&mut set.events, &endpoints, &crate::ids::RandomIds)?
    };
    // The same order as the statements of a transaction would run in:
    // changes, events, deliveries; seq follows it.
    let events = set.events.iter().map(event_parts).collect::<StoreResult<Vec<_>>>()?;
    let changes = {
        let rows: Vec<Row<'_>> = set
            .changes
            .iter()
            .map(row)
            .chain(events.iter().map(|(id, created, tags, doc)| insert_row(id, EVENT_KIND, *created, doc, tags)))
            .chain(deliveries.iter().map(row))
            .collect();
        to_raw_value(&rows).map_err(backend)?
    };
    let idem = match &set.idempotency {
        Some(r) => Some(
            to_raw_value(&Idempotency {
                key: &r.key,
                fingerprint: &r.fingerprint,
                status: r.status,
                body: &r.body,
                created: r.created,
            })
            .map_err(backend)?,
        ),
        None => None,
    };
    group.commit(Set { account: set.scope.account_id, livemode: set.scope.livemode, changes, idem }).await?;
    Ok(Committed { deliveries: deliveries.len() })
}
