//! One configuration, from flags and `KASSA_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::vault::MasterKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// `sqlite:PATH` or `postgres://…`.
    #[arg(long, env = "KASSA_DATABASE_URL", default_value = "sqlite:kassa.db", global = true, hide_env_values = true)]
    pub database_url: String,

    /// Log lines as text or JSON.
    #[arg(long, env = "KASSA_LOG_FORMAT", value_enum, default_value = "text", global = true)]
    pub log_format: LogFormat,

    /// Where the master key lives when KASSA_MASTER_KEY is not set. Default:
    /// beside the SQLite file (`kassa.db.key`); required for PostgreSQL.
    #[arg(long, env = "KASSA_KEY_FILE", global = true)]
    pub key_file: Option<PathBuf>,
}

/// Settings of `kassa serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KASSA_ADDR", default_value = "127.0.0.1:4242")]
    pub addr: SocketAddr,

    /// Base of the URLs kassa hands out (hosted pages). Default: http:// + addr.
    #[arg(long, env = "KASSA_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// How long idempotency keys are kept, in hours (at least 24).
    #[arg(long, env = "KASSA_IDEMPOTENCY_RETENTION_HOURS", default_value_t = 24)]
    pub idempotency_retention_hours: i64,
}

impl GlobalArgs {
    /// Resolves the master key: `KASSA_MASTER_KEY` (64 hex characters), else
    /// the key file. Deliberately not a flag: argv is visible to every user.
    pub fn master_key(&self) -> anyhow::Result<MasterKey> {
        if let Ok(hex) = std::env::var("KASSA_MASTER_KEY") {
            return Ok(MasterKey::from_hex(&hex)?);
        }
        let path = match (&self.key_file, self.database_url.strip_prefix("sqlite:")) {
            (Some(p), _) => p.clone(),
            (None, Some(db)) => PathBuf::from(format!("{}.key", db.trim_start_matches("//"))),
            (None, None) => anyhow::bail!(
                "with PostgreSQL, set KASSA_MASTER_KEY (64 hex characters) or KASSA_KEY_FILE, the same on every node"
            ),
        };
        Ok(MasterKey::load_or_create(&path)?)
    }
}

/// What the running server needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub public_url: String,
    pub idempotency_retention_secs: i64,
}

impl Config {
    pub fn from_serve(args: &ServeArgs) -> anyhow::Result<Self> {
        if args.idempotency_retention_hours < 24 {
            anyhow::bail!("KASSA_IDEMPOTENCY_RETENTION_HOURS must be at least 24");
        }
        let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.addr));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            anyhow::bail!("KASSA_PUBLIC_URL must start with http:// or https://");
        }
        Ok(Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            idempotency_retention_secs: args.idempotency_retention_hours.saturating_mul(3600),
        })
    }

    /// Defaults for an app built in-process (tests, benchmarks).
    pub fn for_addr(addr: SocketAddr) -> Self {
        Self { public_url: format!("http://{addr}"), idempotency_retention_secs: 24 * 3600 }
    }
}
