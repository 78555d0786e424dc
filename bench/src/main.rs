//! `kassa-bench` (run as `kassa bench`): a load harness. It starts a
//! server (or takes one by URL), runs each scenario with N concurrent
//! keep-alive connections for a while, and reports requests/s, latency
//! percentiles, errors, the server's memory, and each scenario's throughput
//! as a share of `health` in the same run.
//!
//! It talks to kassa only over HTTP and its command line, so it does not
//! link the server's library.

mod http;
mod run;
mod scenarios;
mod stats;
mod target;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rand::distributions::{Alphanumeric, DistString};

use scenarios::Scenario;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetKind {
    /// A `kassa serve` started for the run, on a fresh SQLite file.
    Sqlite,
    /// A `kassa serve` started for the run, on a fresh PostgreSQL database.
    Postgres,
    /// Any server: `--url` and `--api-key`.
    Url,
}

#[derive(Debug, Parser)]
#[command(name = "kassa-bench", version, about = "Measure a kassa server under load (run as `kassa bench`)")]
pub struct BenchArgs {
    /// Scenarios to run, in order (`health` always runs first).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "create-session,retrieve,list,pay,webhooks")]
    pub scenarios: Vec<Scenario>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    #[arg(long, value_enum, default_value = "sqlite")]
    pub target: TargetKind,
    /// PostgreSQL admin URL for `--target postgres` (a database is created and dropped).
    #[arg(long, env = "KASSA_BENCH_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pub postgres_url: String,
    /// Base URL for `--target url` (plain http).
    #[arg(long)]
    pub url: Option<String>,
    /// Secret key for `--target url`.
    #[arg(long, env = "KASSA_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Sessions to create before measuring, to show latency at table size.
    #[arg(long, default_value_t = 0)]
    pub preload: u64,
    /// CPUs for the server (`taskset -c` list), e.g. `0`; run the bench itself
    /// under `taskset -c 1` to keep the load off them.
    #[arg(long)]
    pub server_cpus: Option<String>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// CI mode: 2 s per scenario at concurrency 8; fails if any request failed
    /// (never on a time threshold).
    #[arg(long)]
    pub smoke: bool,
    /// The `kassa` binary to start for `--target sqlite|postgres`.
    /// Default: `kassa` next to this binary (`kassa bench` sets its own).
    #[arg(long, env = "KASSA_BENCH_SERVER_BIN")]
    pub server_bin: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = BenchArgs::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kassa bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kassa bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A random `[A-Za-z0-9]` string, for run ids and database names.
pub fn random_id(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

async fn bench(mut args: BenchArgs) -> anyhow::Result<()> {
    if args.smoke {
        args.seconds = args.seconds.min(2.0);
        args.concurrency = args.concurrency.min(8);
    }
    anyhow::ensure!(args.concurrency >= 1 && args.seconds > 0.0, "--concurrency and --seconds must be positive");
    let start = |kind| target::Target::start(kind, args.server_bin.as_deref(), args.server_cpus.as_deref());
    let target = match args.target {
        TargetKind::Sqlite => start(target::Kind::Sqlite).await?,
        TargetKind::Postgres => start(target::Kind::Postgres { admin_url: args.postgres_url.clone() }).await?,
        TargetKind::Url => target::Target::by_url(
            args.url.as_deref().ok_or_else(|| anyhow::anyhow!("--target url needs --url"))?,
            args.api_key.clone().ok_or_else(|| anyhow::anyhow!("--target url needs --api-key"))?,
        )?,
    };
    let outcome = run::all(&args, &target).await;
    target.stop().await?;
    let report = outcome?;
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    let failed: u64 = report.results.iter().map(|r| r.errors).sum();
    if args.smoke && (failed > 0 || report.webhooks_missing > 0) {
        anyhow::bail!("{failed} requests failed and {} webhooks were not delivered", report.webhooks_missing);
    }
    Ok(())
}
