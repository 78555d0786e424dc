use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use kassa::cli::{AccountCommand, Cli, Command, EventsCommand};
use kassa::clock::{Clock, SystemClock};
use kassa::config::Config;
use kassa::{accounts, store, telemetry, AppState};
use tokio_util::sync::CancellationToken;

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.global.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kassa: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kassa: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn interrupted() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => ctrl_c.await,
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<()> {
    // The API clients need no database.
    match cli.command {
        Command::Events { command: EventsCommand::Tail { client, json } } => {
            return kassa::cli_client::tail(client, json, interrupted()).await;
        }
        Command::Listen { client, forward_to, events } => {
            return kassa::cli_client::listen(client, forward_to, events, interrupted()).await;
        }
        Command::Bench(args) => return kassa::bench::main(args).await,
        _ => {}
    }
    let master = cli.global.master_key()?;
    let store = store::open(&cli.global.database_url).await.context("opening the database")?;
    let pepper = master.derive(accounts::API_KEY_PEPPER);
    match cli.command {
        // Handled above, before the database.
        Command::Events { .. } | Command::Listen { .. } | Command::Bench(_) => Ok(()),
        Command::Migrate => {
            // Opening the store applied every pending migration.
            println!("migrations are up to date");
            Ok(())
        }
        Command::Account { command: AccountCommand::Create { name, json } } => {
            let made = accounts::create(store.as_ref(), &pepper, &name, SystemClock.now()).await?;
            if json {
                println!("{}", serde_json::to_string(&made)?);
            } else {
                print_keys(&made);
            }
            Ok(())
        }
        Command::Serve(args) => {
            let cfg = Config::from_serve(&args)?;
            if let Some(made) = accounts::create_first(store.as_ref(), &pepper, SystemClock.now()).await? {
                // Only the test keys: this output tends to land in logs, and
                // live keys belong to `kassa account create`, run by a person.
                println!("Created a first account, {} ({}). Its test keys, shown only once:", made.id, made.name);
                println!("  secret key:      {}", made.secret_key);
                println!("  publishable key: {}", made.publishable_key);
                println!("For live keys, create an account with `kassa account create --name NAME`.");
                println!("Try a payment page: open {}/demo and give it the test secret key.", cfg.public_url);
            }
            let listener =
                tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("binding {}", args.addr))?;
            let state = AppState::new(cfg, store, Arc::new(SystemClock), &master);
            let shutdown = CancellationToken::new();
            tokio::spawn(stop_on_signal(shutdown.clone()));
            tracing::info!(addr = %args.addr, public_url = %state.cfg.public_url, "kassa is listening");
            kassa::run(listener, state, shutdown).await?;
            tracing::info!("kassa stopped");
            Ok(())
        }
    }
}

fn print_keys(made: &accounts::CreatedAccount) {
    println!("  account:              {} ({})", made.id, made.name);
    println!("  test secret key:      {}", made.secret_key);
    println!("  test publishable key: {}", made.publishable_key);
    println!("  live secret key:      {}", made.live_secret_key);
    println!("  live publishable key: {}", made.live_publishable_key);
}

async fn stop_on_signal(token: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                token.cancel();
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down: finishing in-flight requests");
    token.cancel();
}
