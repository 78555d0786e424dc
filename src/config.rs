//! One configuration, from flags and `KASSA_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::store::DatabaseUrl;
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

    /// Refuse webhook endpoints that resolve to loopback, link-local or
    /// private addresses (checked at every delivery).
    #[arg(long, env = "KASSA_WEBHOOK_DENY_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_deny_private: bool,

    /// Run the webhook delivery worker on this node.
    #[arg(long, env = "KASSA_WEBHOOK_WORKER", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhook_worker: bool,

    /// First retry delay of a failed webhook, in seconds; it doubles per failure.
    #[arg(long, env = "KASSA_WEBHOOK_RETRY_BASE_SECS", default_value_t = 60)]
    pub webhook_retry_base_secs: i64,

    /// Longest delay between webhook retries, in seconds.
    #[arg(long, env = "KASSA_WEBHOOK_RETRY_CAP_SECS", default_value_t = 36_000)]
    pub webhook_retry_cap_secs: i64,

    /// How long a failing webhook is retried, in hours (at least 72).
    #[arg(long, env = "KASSA_WEBHOOK_RETRY_HOURS", default_value_t = 72)]
    pub webhook_retry_hours: i64,
}

impl GlobalArgs {
    /// The database URL, checked: `sqlite:PATH` or `postgres://…`.
    pub fn database(&self) -> anyhow::Result<DatabaseUrl> {
        DatabaseUrl::parse(&self.database_url)
    }

    /// Where the master key comes from: `KASSA_MASTER_KEY` (64 hex
    /// characters), else the key file. Deliberately not a flag: argv is
    /// visible to every user. Decided before the database is opened, so a
    /// configuration error is reported before any file is created.
    pub fn key_source(&self, db: &DatabaseUrl) -> anyhow::Result<KeySource> {
        if let Ok(hex) = std::env::var("KASSA_MASTER_KEY") {
            return Ok(KeySource::Env(MasterKey::from_hex(&hex)?));
        }
        match (&self.key_file, db) {
            (Some(p), _) => Ok(KeySource::File(p.clone())),
            (None, DatabaseUrl::Sqlite(path)) => {
                let mut beside = path.as_os_str().to_owned();
                beside.push(".key");
                Ok(KeySource::File(PathBuf::from(beside)))
            }
            (None, DatabaseUrl::Postgres(_)) => anyhow::bail!(
                "with PostgreSQL, set KASSA_MASTER_KEY (64 hex characters) or KASSA_KEY_FILE, the same on every node"
            ),
        }
    }
}

/// Where the master key comes from.
#[derive(Debug)]
pub enum KeySource {
    /// `KASSA_MASTER_KEY`, already parsed.
    Env(MasterKey),
    /// A key file, created (mode 0600) when missing.
    File(PathBuf),
}

impl KeySource {
    /// The key, and whether this call created its key file.
    pub fn load(&self) -> anyhow::Result<(MasterKey, bool)> {
        match self {
            Self::Env(key) => Ok((key.clone(), false)),
            Self::File(path) => {
                let existed = path.exists();
                Ok((MasterKey::load_or_create(path)?, !existed))
            }
        }
    }

    /// For messages: where the key was read, never the key.
    pub fn describe(&self) -> String {
        match self {
            Self::Env(_) => "KASSA_MASTER_KEY".to_owned(),
            Self::File(path) => format!("the key file {}", path.display()),
        }
    }
}

/// What the running server needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub public_url: String,
    pub idempotency_retention_secs: i64,
    pub webhooks: WebhookConfig,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub deny_private: bool,
    /// Whether this node runs the delivery worker.
    pub worker: bool,
    pub retry: crate::domain::webhook::RetryPolicy,
    /// Per request, including the response body.
    pub timeout: std::time::Duration,
    /// How often the worker looks for due deliveries.
    pub poll: std::time::Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            deny_private: false,
            worker: true,
            retry: Default::default(),
            timeout: std::time::Duration::from_secs(10),
            poll: std::time::Duration::from_millis(500),
        }
    }
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
        if args.webhook_retry_hours < 72 {
            anyhow::bail!("KASSA_WEBHOOK_RETRY_HOURS must be at least 72");
        }
        if args.webhook_retry_base_secs < 1 || args.webhook_retry_cap_secs < args.webhook_retry_base_secs {
            anyhow::bail!("KASSA_WEBHOOK_RETRY_BASE_SECS must be at least 1 and at most KASSA_WEBHOOK_RETRY_CAP_SECS");
        }
        Ok(Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            idempotency_retention_secs: args.idempotency_retention_hours.saturating_mul(3600),
            webhooks: WebhookConfig {
                deny_private: args.webhook_deny_private,
                worker: args.webhook_worker,
                retry: crate::domain::webhook::RetryPolicy {
                    base_secs: args.webhook_retry_base_secs,
                    cap_secs: args.webhook_retry_cap_secs,
                    give_up_after_secs: args.webhook_retry_hours.saturating_mul(3600),
                },
                ..Default::default()
            },
        })
    }

    /// Defaults for an app built in-process (tests, benchmarks).
    pub fn for_addr(addr: SocketAddr) -> Self {
        Self {
            public_url: format!("http://{addr}"),
            idempotency_retention_secs: 24 * 3600,
            webhooks: WebhookConfig { poll: std::time::Duration::from_millis(50), ..Default::default() },
        }
    }
}
