//! Opening the store a database URL names, with errors that say which
//! database failed and why, and never print a password from the URL.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{postgres, sqlite, Store, StoreError};

/// A parsed `KASSA_DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if let Some(path) = url.strip_prefix("sqlite:") {
            let path = path.trim_start_matches("//");
            if path.is_empty() {
                anyhow::bail!("KASSA_DATABASE_URL `sqlite:` names no file; write e.g. sqlite:kassa.db");
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        // Only the scheme is shown: the rest may hold a password.
        let given = match url.split_once(':') {
            Some((scheme, _)) if !scheme.is_empty() && scheme.len() <= 20 => format!("a `{scheme}:` URL"),
            _ => "no scheme".to_owned(),
        };
        anyhow::bail!(
            "KASSA_DATABASE_URL must be sqlite:PATH (e.g. sqlite:kassa.db) or postgres://USER@HOST/DATABASE, \
             but it has {given}"
        )
    }

    /// The database for messages: the file, or host, port and database name
    /// (no user, no password).
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("SQLite database {}", path.display()),
            Self::Postgres(url) => match url::Url::parse(url) {
                Ok(u) => format!(
                    "PostgreSQL database {}:{}{}",
                    u.host_str().unwrap_or("localhost"),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => "PostgreSQL database".to_owned(),
            },
        }
    }
}

/// Opens the store named by a database URL and runs pending migrations.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let parsed = DatabaseUrl::parse(url)?;
    let opened: Result<Arc<dyn Store>, StoreError> = match &parsed {
        DatabaseUrl::Sqlite(path) => match sqlite::SqliteStore::open(path) {
            Ok(s) => Ok(Arc::new(s)),
            Err(e) => {
                if let Some(problem) = directory_problem(path) {
                    anyhow::bail!("cannot open the {}: {problem}", parsed.describe());
                }
                Err(e)
            }
        },
        DatabaseUrl::Postgres(url) => {
            // One plain connection first: the pool would wait out its timeout
            // and then report only that, not why.
            if let Err(e) = <sqlx::PgConnection as sqlx::Connection>::connect(url).await {
                anyhow::bail!("cannot connect to the {}: {e}", parsed.describe());
            }
            postgres::PgStore::connect(url).await.map(|s| Arc::new(s) as Arc<dyn Store>)
        }
    };
    opened.map_err(|e| {
        let reason = match e {
            StoreError::Backend(text) => text,
            other => other.to_string(),
        };
        anyhow::anyhow!("cannot open the {}: {reason}", parsed.describe())
    })
}

/// Why the database's directory cannot hold it (SQLite also writes its
/// `-wal` and `-shm` files there), found by creating a file in it:
/// permissions alone do not tell (root, ACLs, read-only mounts).
fn directory_problem(db: &Path) -> Option<String> {
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let probe = dir.join(format!(".kassa-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => {
            let what = match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist",
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => "is not writable",
                std::io::ErrorKind::NotADirectory => "is not a directory",
                _ => "cannot be written to",
            };
            Some(format!("its directory {} {what} ({e})", dir.display()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_sorted_by_scheme_and_a_password_is_never_repeated() {
        assert_eq!(DatabaseUrl::parse("sqlite:a.db").unwrap(), DatabaseUrl::Sqlite("a.db".into()));
        assert_eq!(DatabaseUrl::parse("sqlite:///tmp/a.db").unwrap(), DatabaseUrl::Sqlite("/tmp/a.db".into()));
        assert!(matches!(DatabaseUrl::parse("postgresql://u@h/d").unwrap(), DatabaseUrl::Postgres(_)));
        let e = DatabaseUrl::parse("mysql://root:hunter2@db/kassa").unwrap_err().to_string();
        assert!(e.contains("`mysql:`") && e.contains("sqlite:") && e.contains("postgres://"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
        let e = DatabaseUrl::parse("kassa.db").unwrap_err().to_string();
        assert!(e.contains("no scheme"), "{e}");
        let pg = DatabaseUrl::parse("postgres://u:hunter2@db.example:6543/kassa").unwrap();
        assert_eq!(pg.describe(), "PostgreSQL database db.example:6543/kassa");
    }

    #[test]
    fn a_missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("missing").join("k.db");
        let problem = directory_problem(&db).unwrap();
        assert!(problem.contains("missing") && problem.contains("does not exist"), "{problem}");
        assert_eq!(directory_problem(&dir.path().join("k.db")), None);
    }
}
