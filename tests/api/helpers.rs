//! The test harness: each test starts the real app on a random port with a
//! fresh database, SQLite or PostgreSQL.

use std::sync::Arc;

use kassa::clock::ManualClock;
use kassa::config::Config;
use kassa::store::Store;
use kassa::vault::MasterKey;
use kassa::AppState;
use reqwest::Method;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once per backend, as `NAME::sqlite` and `NAME::postgres`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some($app) = $crate::helpers::spawn($crate::helpers::Backend::Sqlite).await else {
                    return;
                };
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::helpers::spawn($crate::helpers::Backend::Postgres).await else {
                    return;
                };
                $body
            }
        }
    };
    ($name:ident, config = $cfg:expr, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let Some($app) = $crate::helpers::spawn_with($crate::helpers::Backend::Sqlite, $cfg).await else {
                    return;
                };
                $body
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::helpers::spawn_with($crate::helpers::Backend::Postgres, $cfg).await else {
                    return;
                };
                $body
            }
        }
    };
}

/// A fresh database for one test; dropped (PostgreSQL) when the test ends.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    use sqlx::Executor;
                    if let Ok(pool) = sqlx::PgPool::connect(&admin_url).await {
                        let _ = pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                    }
                });
            })
            .join();
        }
    }
}

/// Where PostgreSQL tests go when `KASSA_TEST_POSTGRES_URL` is unset.
pub const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether this run covers `backend`: `KASSA_TEST_BACKEND` picks one; by
/// default both, PostgreSQL on `KASSA_TEST_POSTGRES_URL` or else on a local
/// server that answers. A backend left out prints one line saying so (its
/// tests still report `ok`). In CI, or with `KASSA_TEST_BACKEND=postgres`,
/// a missing PostgreSQL is a failure, never a skip.
pub fn enabled(backend: Backend) -> bool {
    let only = std::env::var("KASSA_TEST_BACKEND").unwrap_or_default();
    let name = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    if !(only.is_empty() || only == name) {
        skipped(backend, &format!("KASSA_TEST_BACKEND={only}; unset it to run them"));
        return false;
    }
    if backend == Backend::Sqlite || postgres_admin_url().is_some() {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(
        !(ci || only == "postgres"),
        "a PostgreSQL test run needs KASSA_TEST_POSTGRES_URL or a server at {LOCAL_POSTGRES} (CI never skips it)"
    );
    skipped(
        backend,
        &format!(
            "KASSA_TEST_POSTGRES_URL is unset and no PostgreSQL answers at {LOCAL_POSTGRES}; \
             start one there or set KASSA_TEST_POSTGRES_URL to run them"
        ),
    );
    false
}

/// One line per backend and run, written to the process's stderr itself:
/// libtest captures `eprintln!` of passing tests, and would hide it.
fn skipped(backend: Backend, why: &str) {
    use std::io::Write;
    static SQLITE: std::sync::Once = std::sync::Once::new();
    static POSTGRES: std::sync::Once = std::sync::Once::new();
    let (once, name) = match backend {
        Backend::Sqlite => (&SQLITE, "sqlite"),
        Backend::Postgres => (&POSTGRES, "postgres"),
    };
    once.call_once(|| {
        let line =
            format!("\nNOTE: every NAME::{name} test of this run is skipped (reported `ok` without running): {why}\n");
        let _ = std::io::stderr().write_all(line.as_bytes());
    });
}

/// The PostgreSQL server tests create their databases on, found once per
/// run: `KASSA_TEST_POSTGRES_URL`, else `LOCAL_POSTGRES` if it answers.
fn postgres_admin_url() -> Option<String> {
    static URL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    URL.get_or_init(|| match std::env::var("KASSA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => local_postgres_answers().then(|| LOCAL_POSTGRES.to_owned()),
    })
    .clone()
}

/// A short TCP connect first (nothing listening fails at once), then a real
/// login: something else may hold the port, or refuse the user.
fn local_postgres_answers() -> bool {
    use std::time::Duration;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 5432));
    if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_err() {
        return false;
    }
    // Its own runtime: the caller may be on any test's runtime.
    std::thread::spawn(|| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let opts = sqlx::postgres::PgPoolOptions::new().max_connections(1).acquire_timeout(Duration::from_secs(5));
            match opts.connect(LOCAL_POSTGRES).await {
                Ok(pool) => {
                    pool.close().await;
                    true
                }
                Err(_) => false,
            }
        })
    })
    .join()
    .unwrap_or(false)
}

fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{db}{query}")
}

pub async fn test_db(backend: Backend) -> Option<TestDb> {
    if !enabled(backend) {
        return None;
    }
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:{}", dir.path().join("kassa.db").display());
            Some(TestDb { url, _dir: Some(dir), pg: None })
        }
        Backend::Postgres => {
            use sqlx::Executor;
            let admin = postgres_admin_url().unwrap();
            let name = format!("kassa_t_{}", kassa::ids::random_base62(16).to_lowercase());
            let pool = sqlx::PgPool::connect(&admin).await.expect("cannot reach the test PostgreSQL server");
            pool.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            pool.close().await;
            Some(TestDb { url: with_database(&admin, &name), _dir: None, pg: Some((admin, name)) })
        }
    }
}

/// A SQLite database at `path` as migrations 1 to `version` left it, each
/// recorded as applied, for a migration's test to fill and then open.
pub fn sqlite_at_version(path: &str, version: usize) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )
    .unwrap();
    for m in &kassa::store::migrate::MIGRATIONS[..version] {
        conn.execute_batch(m.sqlite).unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", rusqlite::params![m.version, m.name]).unwrap();
    }
    conn
}

pub const START: i64 = 1_760_000_000;

pub struct Keys {
    pub account_id: String,
    pub sk: String,
    pub pk: String,
    pub live_sk: String,
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub http: reqwest::Client,
    pub keys: Keys,
    pub backend: Backend,
    shutdown: CancellationToken,
    // Dropped last: the database outlives the server.
    pub db: TestDb,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub struct Res {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Stripe-shaped error and returns its `error` object.
    pub fn error(&self, status: u16, code: Option<&str>, param: Option<&str>) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        let e = &self.body["error"];
        assert!(e["type"].is_string() && e["message"].is_string(), "{}", self.body);
        assert_eq!(e["code"].as_str(), code, "{}", self.body);
        assert_eq!(e["param"].as_str(), param, "{}", self.body);
        e
    }
}

pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |_| {}).await
}

/// As `spawn`, with the configuration changed by `tweak` first.
pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let db = test_db(backend).await?;
    let store = kassa::store::open(&db.url).await.unwrap();
    let master = MasterKey::from_bytes([9; 32]);
    let clock = Arc::new(ManualClock::new(START));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut cfg = Config::for_addr(addr);
    tweak(&mut cfg);
    let state = AppState::new(cfg, store.clone(), clock.clone(), &master);
    let made = kassa::accounts::create(store.as_ref(), &state.pepper, "test", START).await.unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(kassa::run(listener, state.clone(), shutdown.clone()));
    Some(TestApp {
        base: format!("http://{addr}"),
        state,
        store,
        clock,
        http: reqwest::Client::new(),
        keys: Keys {
            account_id: made.id,
            sk: made.secret_key,
            pk: made.publishable_key,
            live_sk: made.live_secret_key,
        },
        backend,
        shutdown,
        db,
    })
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", k, percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

impl TestApp {
    pub fn req(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{}", self.base, path))
    }

    pub async fn send(rb: reqwest::RequestBuilder) -> Res {
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Res { status, headers, body }
    }

    pub async fn post_as(&self, key: &str, path: &str, pairs: &[(&str, &str)]) -> Res {
        Self::send(
            self.req(Method::POST, path)
                .bearer_auth(key)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(pairs)),
        )
        .await
    }

    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Res {
        self.post_as(&self.keys.sk, path, pairs).await
    }

    pub async fn post_idem(&self, path: &str, key: &str, pairs: &[(&str, &str)]) -> Res {
        Self::send(
            self.req(Method::POST, path)
                .bearer_auth(&self.keys.sk)
                .header("idempotency-key", key)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(pairs)),
        )
        .await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Res {
        Self::send(self.req(Method::GET, path).bearer_auth(key)).await
    }

    pub async fn get(&self, path: &str) -> Res {
        self.get_as(&self.keys.sk, path).await
    }

    pub async fn delete(&self, path: &str) -> Res {
        Self::send(self.req(Method::DELETE, path).bearer_auth(&self.keys.sk)).await
    }

    /// Creates a customer and returns its id.
    pub async fn customer(&self, pairs: &[(&str, &str)]) -> String {
        let r = self.post("/v1/customers", pairs).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Another `kassa` node on the same database (same master key and clock);
    /// returns its base URL. It stops when the token is cancelled.
    pub async fn second_node(&self) -> (String, CancellationToken) {
        let store = kassa::store::open(&self.db.url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(Config::for_addr(addr), store, self.clock.clone(), &MasterKey::from_bytes([9; 32]));
        let token = CancellationToken::new();
        tokio::spawn(kassa::run(listener, state, token.clone()));
        (format!("http://{addr}"), token)
    }

    /// A second account on the same server.
    pub async fn other_account(&self) -> kassa::accounts::CreatedAccount {
        kassa::accounts::create(self.store.as_ref(), &self.state.pepper, "other", START).await.unwrap()
    }

    /// Every event in the outbox of the test account, newest first.
    pub async fn events(&self) -> Vec<Value> {
        self.stored_of("event").await
    }

    /// The test account's stored objects of `kind` (at most 100), newest first.
    pub async fn stored_of(&self, kind: &str) -> Vec<Value> {
        let scope = kassa::store::Scope { account_id: self.keys.account_id.clone(), livemode: false };
        let q = kassa::store::ListQuery {
            kind: kind.into(),
            filters: vec![],
            created: Default::default(),
            cursor: None,
            limit: 100,
            any_of: Vec::new(),
        };
        self.store.list_objects(&scope, &q).await.unwrap().items.into_iter().map(|o| o.doc().unwrap()).collect()
    }
}
