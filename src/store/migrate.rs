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
];

#[cfg(test)]
mod tests {
    use super::*;

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
