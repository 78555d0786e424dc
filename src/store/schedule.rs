//! Schedule tags: the tags whose value is a due time that the workers sweep
//! across accounts (`Store::due`, `Store::due_grouped`). Only these rows
//! enter the `object_tags_due` index (migration 0011). Every other tag (a
//! status, a customer, an event's type) is read only within its account,
//! through the table's own key, so it no longer pays for a second B-tree
//! insert: a session create writes about eight tag rows and one schedule, a
//! confirm about twenty and two.
//!
//! The index is partial, and a partial index is used only by a query whose
//! WHERE clause contains its predicate. Both SQLite and PostgreSQL prove that
//! by comparing expressions, not by reasoning about bound values (a
//! PostgreSQL generic plan knows no value), so the due queries repeat the
//! index's predicate text (`predicate`), and a test holds the migrations to
//! that same text.

use std::sync::LazyLock;

use super::{StoreError, StoreResult};
use crate::domain::{checkout_session, contract, payment_intent, webhook_delivery};

/// Tag names that are schedules, in the order the predicate lists them.
pub const NAMES: [&str; 5] = [
    payment_intent::THREE_DS_DUE_TAG,
    payment_intent::CAPTURE_DUE_TAG,
    contract::DUE_TAG,
    payment_intent::LOOKUP_TAG,
    checkout_session::OPEN_UNTIL,
];

/// Names with this prefix are schedules too: a webhook delivery's
/// `due:{endpoint}`, one group per endpoint.
pub const PREFIX: &str = webhook_delivery::DUE_PREFIX;

/// Whether tag `name` is a schedule.
pub fn is_schedule(name: &str) -> bool {
    NAMES.contains(&name) || name.starts_with(PREFIX)
}

/// The index's predicate, with each column named as `{alias}name`.
/// Equalities joined by OR, not `name IN (…)`: SQLite evaluates the
/// predicate for every row it inserts, and builds an IN list's lookup
/// table each time a statement runs, which made a tag row dearer than the
/// index entry it saved.
pub fn predicate(alias: &str) -> String {
    let names: String = NAMES.iter().map(|n| format!("{alias}name = '{n}' OR ")).collect();
    format!("({names}substr({alias}name, 1, {}) = '{PREFIX}')", PREFIX.len())
}

/// `predicate("t.")`, as the sweeps' queries name the tag table, built once:
/// the sweeps run every second.
pub static IN_SWEEPS: LazyLock<String> = LazyLock::new(|| predicate("t."));

/// Refuses a sweep by a tag that is not a schedule: its rows are not in the
/// index, and the sweep would find nothing rather than fail.
pub fn check(name: &str) -> StoreResult<()> {
    if is_schedule(name) {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "tag `{name}` is not a schedule (store::schedule::NAMES): due sweeps find only schedules"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQLITE: &str = include_str!("../../migrations/sqlite/0011_schedule_index.sql");
    const POSTGRES: &str = include_str!("../../migrations/postgres/0011_schedule_index.sql");

    #[test]
    fn the_migrations_build_the_index_the_queries_name() {
        let on = format!(" ON object_tags (kind, name, value) WHERE {};", predicate(""));
        let sqlite = format!("CREATE INDEX object_tags_due{on}");
        assert!(SQLITE.contains(&sqlite), "the SQLite migration's index must be `{sqlite}`");
        // PostgreSQL builds it beside the old one, then gives it the name.
        let postgres = format!("CREATE INDEX object_tags_schedule{on}");
        assert!(POSTGRES.contains(&postgres), "the PostgreSQL migration's index must be `{postgres}`");
        assert!(POSTGRES.contains("ALTER INDEX object_tags_schedule RENAME TO object_tags_due;"));
        // Names go into SQL text as literals.
        assert!(NAMES
            .iter()
            .chain([&PREFIX])
            .all(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || "_:".contains(c))));
    }

    #[test]
    fn schedules_are_known_by_name_or_prefix() {
        for n in NAMES {
            assert!(is_schedule(n) && check(n).is_ok());
        }
        assert!(is_schedule("due:we_123"));
        for n in ["status", "customer", "type", "type_group", "due", "open_until_x", "due_at2"] {
            assert!(!is_schedule(n), "{n}");
            assert!(matches!(check(n), Err(StoreError::Backend(m)) if m.contains(n)));
        }
    }
}
