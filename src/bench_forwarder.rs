//! `kassa bench …`: the load generator is a separate binary, `kassa-bench`
//! (the `bench/` crate), so the server neither links nor ships its code.
//! This subcommand runs it from beside this executable, where `cargo build`
//! puts both, and keeps the documented `kassa bench` command line working.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, ExitCode};

/// Tells `kassa-bench` which `kassa` to start as the server.
const SERVER_BIN_ENV: &str = "KASSA_BENCH_SERVER_BIN";

/// Runs `kassa-bench ARGS…` in this process's place (on Unix), with this
/// binary as the server it starts unless `KASSA_BENCH_SERVER_BIN` names one.
pub fn run(args: &[OsString]) -> ExitCode {
    match forward(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kassa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn forward(args: &[OsString]) -> anyhow::Result<ExitCode> {
    let me = std::env::current_exe()?;
    let bench = me.with_file_name(format!("kassa-bench{}", std::env::consts::EXE_SUFFIX));
    anyhow::ensure!(bench.is_file(), "{}", missing(&bench));
    let mut cmd = Command::new(&bench);
    cmd.args(args);
    if std::env::var_os(SERVER_BIN_ENV).is_none() {
        cmd.env(SERVER_BIN_ENV, &me);
    }
    exec(cmd, &bench)
}

fn missing(bench: &Path) -> String {
    format!(
        "`kassa bench` runs the load generator, a separate binary, and there is none at {}: \
         build it with `cargo build --release` at the repository root (it builds kassa and kassa-bench), \
         or `cargo build --release -p kassa-bench`",
        bench.display()
    )
}

#[cfg(unix)]
fn exec(mut cmd: Command, bench: &Path) -> anyhow::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    // exec returns only on failure; on success the bench owns the terminal
    // and its signals (Ctrl-C stops it and its server directly).
    let e = cmd.exec();
    anyhow::bail!("cannot run {}: {e}", bench.display())
}

#[cfg(not(unix))]
fn exec(mut cmd: Command, bench: &Path) -> anyhow::Result<ExitCode> {
    let status = cmd.status().map_err(|e| anyhow::anyhow!("cannot run {}: {e}", bench.display()))?;
    Ok(status.code().and_then(|c| u8::try_from(c).ok()).map_or(ExitCode::FAILURE, ExitCode::from))
}
