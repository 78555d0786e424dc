//! What the load is aimed at: a `kassa serve` started for the run (a child
//! process running the `kassa` binary, on a fresh SQLite file or PostgreSQL
//! database, optionally pinned to CPUs), or any server given by URL and key.
//!
//! A child rather than a server inside this process, so that its CPU can be
//! pinned apart from the load's and its memory measured on its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

use crate::http::Conn;

/// Where a server started for the run keeps its data.
pub enum Kind {
    Sqlite,
    Postgres { admin_url: String },
}

pub struct Target {
    /// `host:port` of the server.
    pub addr: String,
    pub base: String,
    pub key: String,
    pub child: Option<Child>,
    drop_db: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn create_database(admin_url: &str) -> anyhow::Result<(String, String)> {
    use sqlx::Executor;
    let name = format!("kassa_bench_{}", crate::random_id(12).to_lowercase());
    let pool = sqlx::PgPool::connect(admin_url).await.context("connecting to PostgreSQL")?;
    pool.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    pool.close().await;
    let mut url = url::Url::parse(admin_url)?;
    url.set_path(&format!("/{name}"));
    Ok((url.to_string(), name))
}

/// The `kassa` binary: the one given, else the one beside this executable
/// (where `cargo build` puts both).
fn server_binary(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(p) => p.to_owned(),
        None => {
            let me = std::env::current_exe().context("finding this executable")?;
            me.with_file_name(format!("kassa{}", std::env::consts::EXE_SUFFIX))
        }
    };
    anyhow::ensure!(
        path.is_file(),
        "no kassa binary at {}: build it (`cargo build --release` at the workspace root builds kassa and kassa-bench) \
         or name one with --server-bin / KASSA_BENCH_SERVER_BIN",
        path.display()
    );
    Ok(path)
}

impl Target {
    /// Any server, by URL and key.
    pub fn by_url(url: &str, key: String) -> anyhow::Result<Target> {
        let parsed = url::Url::parse(url).context("--url")?;
        anyhow::ensure!(parsed.scheme() == "http", "the bench speaks plain http only");
        let host = parsed.host_str().unwrap_or("127.0.0.1");
        let addr = format!("{host}:{}", parsed.port_or_known_default().unwrap_or(80));
        let base = url.trim_end_matches('/').to_owned();
        Ok(Target { addr, base, key, child: None, drop_db: None, _dir: None })
    }

    /// A `kassa serve` started on a fresh database; `server_bin` as given
    /// to [`server_binary`].
    pub async fn start(kind: Kind, server_bin: Option<&Path>, server_cpus: Option<&str>) -> anyhow::Result<Target> {
        // Found before a database is created, so a missing binary leaves none behind.
        let exe = server_binary(server_bin)?;
        let (db_url, drop_db, dir) = match kind {
            Kind::Sqlite => {
                let dir = tempfile::tempdir()?;
                (format!("sqlite:{}", dir.path().join("bench.db").display()), None, Some(dir))
            }
            Kind::Postgres { admin_url } => {
                let (url, name) = create_database(&admin_url).await?;
                (url, Some((admin_url, name)), None)
            }
        };
        let port = free_port()?;
        let addr = format!("127.0.0.1:{port}");
        let master = hex::encode(rand::random::<[u8; 32]>());
        let envs = [
            ("KASSA_DATABASE_URL", db_url.as_str()),
            ("KASSA_MASTER_KEY", master.as_str()),
            ("KASSA_ADDR", addr.as_str()),
            ("KASSA_LOG", "warn"),
            // All load comes from one loopback address: the per-peer cap
            // (an abuse guard) would cut concurrency above 256.
            ("KASSA_MAX_CONNECTIONS_PER_PEER", "0"),
        ];
        let made = Command::new(&exe).args(["account", "create", "--name", "bench", "--json"]).envs(envs).output()?;
        anyhow::ensure!(made.status.success(), "account create failed: {}", String::from_utf8_lossy(&made.stderr));
        let account: serde_json::Value = serde_json::from_slice(&made.stdout)?;
        let key = account["secret_key"].as_str().context("no secret key")?.to_owned();
        let mut cmd = match server_cpus {
            Some(cpus) => {
                let mut c = Command::new("taskset");
                c.args(["-c", cpus]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let child = cmd.arg("serve").envs(envs).stdout(Stdio::null()).stderr(Stdio::inherit()).spawn()?;
        let base = format!("http://{addr}");
        let mut target = Target { addr, base, key, child: Some(child), drop_db, _dir: dir };
        if let Err(e) = target.wait_ready().await {
            // Not left running (or its database left behind) on the way out.
            let _ = target.stop().await;
            return Err(e);
        }
        Ok(target)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        for _ in 0..400 {
            if let Ok(mut conn) = Conn::open(&self.addr, &self.key).await {
                if conn.send("GET", "/readyz", None, None).await.is_ok_and(|r| r.status == 200) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        anyhow::bail!("the server did not become ready")
    }

    /// The server's pid, for its memory: with `taskset`, its child is kassa.
    pub fn server_pid(&self) -> Option<u32> {
        let pid = self.child.as_ref()?.id();
        // taskset execs kassa in place, so the pid is the server's either way.
        Some(pid)
    }

    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = tokio::task::spawn_blocking(move || child.wait()).await;
        }
        if let Some((admin, name)) = self.drop_db.take() {
            use sqlx::Executor;
            let pool = sqlx::PgPool::connect(&admin).await?;
            pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await?;
        }
        Ok(())
    }
}
