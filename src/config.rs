//! One configuration, from flags and `KASSA_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::store::DatabaseUrl;
use crate::vault::MasterKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Rate limits in test mode: none (default), or Stripe's sandbox limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestModeRateLimits {
    Off,
    Stripe,
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

/// 32 MiB: some thirteen thousand rendered sessions.
pub const DEFAULT_RENDER_CACHE_BYTES: u64 = 32 << 20;

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

    /// Development only: let live-mode webhook endpoints and `http`
    /// processor routes use plain http and loopback, private or link-local
    /// addresses (test mode always may).
    #[arg(long, env = "KASSA_ALLOW_PRIVATE_OUTBOUND", default_value_t = false, action = clap::ArgAction::Set)]
    pub allow_private_outbound: bool,

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

    /// Seconds a new connection has to start its first request; a silent
    /// one is closed after this.
    #[arg(long, env = "KASSA_PREFACE_TIMEOUT_SECS", default_value_t = 10)]
    pub preface_timeout_secs: u64,

    /// Seconds a connection may stay open with no request in flight.
    #[arg(long, env = "KASSA_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,

    /// HTTP/2 pings every this many seconds; a peer that does not answer
    /// within as long again is dropped. 0 turns pings off.
    #[arg(long, env = "KASSA_HTTP2_KEEPALIVE_SECS", default_value_t = 20)]
    pub http2_keepalive_secs: u64,

    /// Open connections allowed from one peer address (IPv6: one /64); more
    /// are closed at once. 0 means no cap (behind a reverse proxy).
    #[arg(long, env = "KASSA_MAX_CONNECTIONS_PER_PEER", default_value_t = 256)]
    pub max_connections_per_peer: usize,

    /// Open connections allowed at once; at the cap, the oldest one that
    /// has not started a request is closed to make room.
    #[arg(long, env = "KASSA_MAX_CONNECTIONS", default_value_t = crate::server::MAX_CONNECTIONS)]
    pub max_connections: usize,

    /// Live-mode read (GET) requests per second per API key; 0 = unlimited.
    #[arg(long, env = "KASSA_LIVE_RATE_LIMIT_READ", default_value_t = 100)]
    pub live_rate_limit_read: u32,

    /// Live-mode write requests per second per API key; 0 = unlimited.
    #[arg(long, env = "KASSA_LIVE_RATE_LIMIT_WRITE", default_value_t = 100)]
    pub live_rate_limit_write: u32,

    /// Test-mode rate limits: `off`, or `stripe` (Stripe's sandbox limits,
    /// 25 reads and 25 writes per second per key).
    #[arg(long, env = "KASSA_TEST_MODE_RATE_LIMITS", value_enum, default_value = "off")]
    pub test_mode_rate_limits: TestModeRateLimits,

    /// Memory for wire text rendered before, in MiB (`api::plumbing::rendered`);
    /// 0 turns the cache off.
    #[arg(long, env = "KASSA_RENDER_CACHE_MIB", default_value_t = DEFAULT_RENDER_CACHE_BYTES >> 20)]
    pub render_cache_mib: u64,
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
    pub connections: ConnectionConfig,
    pub rate_limits: RateLimitConfig,
    /// Live mode may send to plain http and private addresses
    /// (`KASSA_ALLOW_PRIVATE_OUTBOUND`; see `domain::outbound`).
    pub allow_private_outbound: bool,
    /// How long one API request may run before a 503 `request_timeout` (a payment's
    /// processor calls go on without it; see `engine::payment::pending`).
    pub request_timeout: Duration,
    /// Bytes of rendered wire text kept (`api::plumbing::rendered`).
    pub render_cache_bytes: u64,
}

/// Limits on connections, against clients that open them and never speak.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Until the first request starts.
    pub preface_timeout: Duration,
    /// With no request in flight, after the first one.
    pub idle_timeout: Duration,
    /// HTTP/2 ping interval, and how long an answer may take.
    pub http2_keepalive: Option<Duration>,
    /// Open connections per peer address; 0: no cap.
    pub max_per_peer: usize,
    /// Open connections in all.
    pub max_connections: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            preface_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            http2_keepalive: Some(Duration::from_secs(20)),
            max_per_peer: 256,
            max_connections: crate::server::MAX_CONNECTIONS,
        }
    }
}

/// At most `requests` per `per`, with bursts of up to `requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub per: Duration,
}

impl Rate {
    /// `n` per second; 0 means unlimited.
    pub fn per_second(n: u32) -> Option<Self> {
        (n > 0).then_some(Self { requests: n, per: Duration::from_secs(1) })
    }
}

/// Per-key limits of one mode, reads (GET) and writes counted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeLimits {
    pub read: Option<Rate>,
    pub write: Option<Rate>,
}

impl ModeLimits {
    pub const UNLIMITED: Self = Self { read: None, write: None };

    /// Stripe's documented live-mode limits: 100 reads and 100 writes per second.
    pub fn stripe_live() -> Self {
        Self { read: Rate::per_second(100), write: Rate::per_second(100) }
    }

    /// Stripe's sandbox limits: 25 reads and 25 writes per second.
    pub fn stripe_test() -> Self {
        Self { read: Rate::per_second(25), write: Rate::per_second(25) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    pub live: ModeLimits,
    pub test: ModeLimits,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { live: ModeLimits::stripe_live(), test: ModeLimits::UNLIMITED }
    }
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
        if args.preface_timeout_secs < 1 || args.idle_timeout_secs < 1 || args.max_connections < 1 {
            anyhow::bail!(
                "KASSA_PREFACE_TIMEOUT_SECS, KASSA_IDLE_TIMEOUT_SECS and KASSA_MAX_CONNECTIONS must be at least 1"
            );
        }
        Ok(Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            idempotency_retention_secs: args.idempotency_retention_hours.saturating_mul(3600),
            allow_private_outbound: args.allow_private_outbound,
            request_timeout: crate::api::REQUEST_TIMEOUT,
            render_cache_bytes: args.render_cache_mib.saturating_mul(1 << 20),
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
            connections: ConnectionConfig {
                preface_timeout: Duration::from_secs(args.preface_timeout_secs),
                idle_timeout: Duration::from_secs(args.idle_timeout_secs),
                http2_keepalive: (args.http2_keepalive_secs > 0)
                    .then(|| Duration::from_secs(args.http2_keepalive_secs)),
                max_per_peer: args.max_connections_per_peer,
                max_connections: args.max_connections,
            },
            rate_limits: RateLimitConfig {
                live: ModeLimits {
                    read: Rate::per_second(args.live_rate_limit_read),
                    write: Rate::per_second(args.live_rate_limit_write),
                },
                test: match args.test_mode_rate_limits {
                    TestModeRateLimits::Off => ModeLimits::UNLIMITED,
                    TestModeRateLimits::Stripe => ModeLimits::stripe_test(),
                },
            },
        })
    }

    /// Defaults for an app built in-process (tests, benchmarks). It is a
    /// development setup, so live mode may reach loopback gateways and
    /// receivers; tests of the outbound policy turn that off.
    pub fn for_addr(addr: SocketAddr) -> Self {
        Self {
            public_url: format!("http://{addr}"),
            idempotency_retention_secs: 24 * 3600,
            allow_private_outbound: true,
            webhooks: WebhookConfig { poll: std::time::Duration::from_millis(50), ..Default::default() },
            connections: ConnectionConfig::default(),
            rate_limits: RateLimitConfig::default(),
            request_timeout: crate::api::REQUEST_TIMEOUT,
            render_cache_bytes: DEFAULT_RENDER_CACHE_BYTES,
        }
    }
}
