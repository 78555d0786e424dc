//! kassa: a self-hosted, Stripe-compatible checkout-sessions payment server.

// The session object is one large json! literal.
#![recursion_limit = "256"]

pub mod accounts;
pub mod api;
pub mod bench_forwarder;
pub mod cli;
pub mod cli_client;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
pub mod error;
pub mod ids;
pub mod meters;
pub mod processor;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod vault;
pub mod web;
pub mod webhooks;
pub mod worker;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::api::plumbing::auth::KeyCache;
use crate::api::plumbing::idempotency::InFlight;
use crate::api::plumbing::metrics::Metrics;
use crate::clock::Clock;
use crate::config::Config;
use crate::store::Store;
use crate::vault::cards::CardVault;
use crate::vault::MasterKey;

/// Everything a handler or worker needs; one reference count to clone.
///
/// Every extractor and middleware that takes `State` clones it, several
/// times a request. As a struct of sixteen `Arc`s, cloning and dropping it
/// were 9 % of a session retrieve's CPU (perf, one core under load).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What `AppState` points to.
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub cfg: Arc<Config>,
    /// The subkey that API keys are hashed with.
    pub pepper: Arc<[u8; 32]>,
    pub keys: Arc<KeyCache>,
    pub in_flight: Arc<InFlight>,
    pub metrics: Arc<Metrics>,
    pub vault: Arc<CardVault>,
    pub secrets: Arc<crate::vault::secrets::SecretBox>,
    /// Notified when this node commits webhook deliveries, so its worker
    /// sends them at once instead of at its next poll.
    pub deliveries_due: Arc<tokio::sync::Notify>,
    /// Signs the CSRF tokens of buyer-facing forms.
    pub page_key: Arc<[u8; 32]>,
    /// Webhook POSTs (their own client: no redirects, address policy).
    pub webhook_sender: crate::webhooks::send::Sender,
    /// For `http` processors in test mode (and live mode when
    /// `KASSA_ALLOW_PRIVATE_OUTBOUND` allows private addresses).
    pub http: reqwest::Client,
    /// For `http` processors in live mode: its resolver never yields a
    /// private address (see `processor_client`).
    pub http_live: reqwest::Client,
    /// Per-key request rate limits.
    pub rate_limits: Arc<api::plumbing::rate_limit::RateLimits>,
    /// Wire text rendered before, by object version.
    pub rendered: api::plumbing::rendered::Rendered,
}

impl AppState {
    pub fn new(cfg: Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>, master: &MasterKey) -> Self {
        let deliveries_due = Arc::new(tokio::sync::Notify::new());
        let metrics = Arc::new(Metrics::new());
        Self(Arc::new(Shared {
            store,
            deliveries_due,
            clock,
            webhook_sender: crate::webhooks::send::Sender::new(
                cfg.webhooks.deny_private,
                cfg.allow_private_outbound,
                cfg.webhooks.timeout,
            ),
            rate_limits: Arc::new(api::plumbing::rate_limit::RateLimits::new(&cfg.rate_limits)),
            rendered: {
                let r = api::plumbing::rendered::Rendered::new(cfg.render_cache_bytes);
                r.register(metrics.registry());
                r
            },
            cfg: Arc::new(cfg),
            pepper: Arc::new(master.derive(accounts::API_KEY_PEPPER)),
            keys: Arc::new(KeyCache::default()),
            in_flight: Arc::new(InFlight::default()),
            metrics,
            vault: Arc::new(CardVault::new(master)),
            secrets: Arc::new(crate::vault::secrets::SecretBox::new(master)),
            page_key: Arc::new(master.derive("kassa/page-csrf/v1")),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_else(|_| reqwest::Client::new()),
            http_live: crate::webhooks::send::deny_private(
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()),
            )
            .build()
            .unwrap_or_else(|_| reqwest::Client::new()),
        }))
    }
}

impl Shared {
    /// The client for `http` processors of a mode, and the policy their
    /// URLs are checked against before each request (`domain::outbound`).
    pub fn processor_client(&self, livemode: bool) -> (&reqwest::Client, crate::domain::outbound::UrlPolicy) {
        use crate::domain::outbound::UrlPolicy;
        match UrlPolicy::for_mode(livemode, self.cfg.allow_private_outbound) {
            UrlPolicy::PublicHttps => (&self.http_live, UrlPolicy::PublicHttps),
            UrlPolicy::Open => (&self.http, UrlPolicy::Open),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// Serves the API and runs the workers until `shutdown` is cancelled, then
/// finishes in-flight requests and returns.
pub async fn run(listener: TcpListener, state: AppState, shutdown: CancellationToken) -> std::io::Result<()> {
    let workers = worker::spawn_all(state.clone(), shutdown.clone());
    let cfg = state.cfg.clone();
    let app = api::router(state);
    let served = server::serve(listener, app, &cfg.connections, shutdown.clone()).await;
    shutdown.cancel();
    for w in workers {
        let _ = w.await;
    }
    served
}
