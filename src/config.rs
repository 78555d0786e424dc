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
