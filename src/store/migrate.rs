//! Migrations: the same versions and names for both backends, embedded in
//! the binary. Applied in order; each records itself in `schema_migrations`.

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "tag_schedule",
        sqlite: include_str!("../../migrations/sqlite/0002_tag_schedule.sql"),
        postgres: include_str!("../../migrations/postgres/0002_tag_schedule.sql"),
    },
    Migration {
        version: 3,
        name: "settings",
        sqlite: include_str!("../../migrations/sqlite/0003_settings.sql"),
        postgres: include_str!("../../migrations/postgres/0003_settings.sql"),
    },
    Migration {
        version: 4,
        name: "scoped_ids",
        sqlite: include_str!("../../migrations/sqlite/0004_scoped_ids.sql"),
        postgres: include_str!("../../migrations/postgres/0004_scoped_ids.sql"),
    },
    Migration {
        version: 5,
        name: "commit_function",
        sqlite: include_str!("../../migrations/sqlite/0005_commit_function.sql"),
        postgres: include_str!("../../migrations/postgres/0005_commit_function.sql"),
    },
    Migration {
        version: 6,
        name: "lean_tags",
        sqlite: include_str!("../../migrations/sqlite/0006_lean_tags.sql"),
        postgres: include_str!("../../migrations/postgres/0006_lean_tags.sql"),
    },
    Migration {
        version: 7,
        name: "lean_documents",
        sqlite: include_str!("../../migrations/sqlite/0007_lean_documents.sql"),
        postgres: include_str!("../../migrations/postgres/0007_lean_documents.sql"),
    },
    Migration {
        version: 8,
        name: "dictionary_documents",
        sqlite: include_str!("../../migrations/sqlite/0008_dictionary_documents.sql"),
        postgres: include_str!("../../migrations/postgres/0008_dictionary_documents.sql"),
    },
    Migration {
        version: 9,
        name: "group_commit",
        sqlite: include_str!("../../migrations/sqlite/0009_group_commit.sql"),
        postgres: include_str!("../../migrations/postgres/0009_group_commit.sql"),
    },
    Migration {
        version: 10,
        name: "tags_unchecked",
        sqlite: include_str!("../../migrations/sqlite/0010_tags_unchecked.sql"),
        postgres: include_str!("../../migrations/postgres/0010_tags_unchecked.sql"),
    },
    Migration {
        version: 11,
        name: "schedule_index",
        sqlite: include_str!("../../migrations/sqlite/0011_schedule_index.sql"),
        postgres: include_str!("../../migrations/postgres/0011_schedule_index.sql"),
    },
    Migration {
        version: 12,
        name: "idempotency_first",
        sqlite: include_str!("../../migrations/sqlite/0012_idempotency_first.sql"),
        postgres: include_str!("../../migrations/postgres/0012_idempotency_first.sql"),
    },
];

/// Refuses a database that a newer kassa has migrated: this binary would
/// write it as its own older schema expects (after 0006, an object's tags
/// must also be kept in its row), and the newer one would then misread it.
pub fn check_not_newer(highest_applied: Option<i64>) -> crate::store::StoreResult<()> {
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    match highest_applied {
        Some(v) if v > known => Err(crate::store::StoreError::Backend(format!(
            "the database's schema is at version {v}, newer than this kassa knows ({known}): run the newer kassa"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_from_a_newer_kassa_is_refused() {
        let known = MIGRATIONS.last().unwrap().version;
        assert!(check_not_newer(None).is_ok());
        assert!(check_not_newer(Some(known)).is_ok());
        let err = check_not_newer(Some(known + 1)).unwrap_err().to_string();
        assert!(err.contains("newer than this kassa"), "{err}");
    }

    #[test]
    fn versions_are_unique_and_increasing() {
        for w in MIGRATIONS.windows(2) {
            assert!(w[0].version < w[1].version);
        }
    }

    #[test]
    fn every_migration_file_is_listed_once_for_each_backend() {
        for backend in ["sqlite", "postgres"] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
            let mut files: Vec<String> =
                std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
            files.sort();
            let listed: Vec<String> = MIGRATIONS.iter().map(|m| format!("{:04}_{}.sql", m.version, m.name)).collect();
            assert_eq!(files, listed, "{backend}");
        }
    }
}
