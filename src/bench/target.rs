//! What the load is aimed at: a `kassa serve` started for the run (a child
//! process of this binary, on a fresh SQLite file or PostgreSQL database,
//! optionally pinned to CPUs), or any server given by URL and key.
//!
//! A child rather than a server inside this process, so that its CPU can be
//! pinned apart from the load's and its memory measured on its own.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

pub enum Kind {
    Sqlite,
    Postgres { admin_url: String },
    Url { url: String, key: String },
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
    let name = format!("kassa_bench_{}", crate::ids::random_base62(12).to_lowercase());
    let pool = sqlx::PgPool::connect(admin_url).await.context("connecting to PostgreSQL")?;
    pool.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    pool.close().await;
    let mut url = url::Url::parse(admin_url)?;
    url.set_path(&format!("/{name}"));
    Ok((url.to_string(), name))
}

impl Target {
    pub async fn start(kind: Kind, server_cpus: Option<&str>) -> anyhow::Result<Target> {
        let (db_url, drop_db, dir) = match kind {
            Kind::Url { url, key } => {
                let parsed = url::Url::parse(&url).context("--url")?;
                anyhow::ensure!(parsed.scheme() == "http", "the bench speaks plain http only");
                let host = parsed.host_str().unwrap_or("127.0.0.1");
                let addr = format!("{host}:{}", parsed.port_or_known_default().unwrap_or(80));
                let base = url.trim_end_matches('/').to_owned();
                return Ok(Target { addr, base, key, child: None, drop_db: None, _dir: None });
            }
            Kind::Sqlite => {
                let dir = tempfile::tempdir()?;
                (format!("sqlite:{}", dir.path().join("bench.db").display()), None, Some(dir))
            }
            Kind::Postgres { admin_url } => {
                let (url, name) = create_database(&admin_url).await?;
                (url, Some((admin_url, name)), None)
            }
        };
        let exe = std::env::current_exe()?;
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
        target.wait_ready().await?;
        Ok(target)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        for _ in 0..400 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
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
