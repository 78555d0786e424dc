use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use kassa::cli::{AccountCommand, Cli, Command, EventsCommand};
use kassa::clock::{Clock, SystemClock};
use kassa::config::{Config, GlobalArgs, KeySource, ServeArgs};
use kassa::store::{DatabaseUrl, Store};
use kassa::vault::check::{self, CheckError};
use kassa::vault::MasterKey;
use kassa::{accounts, store, telemetry, AppState};
use tokio_util::sync::CancellationToken;

/// mimalloc: a request allocates and frees many small JSON nodes and strings,
/// and glibc's malloc/free were about a fifth of its instructions.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Bench { args } = &cli.command {
        return kassa::bench_forwarder::run(args);
    }
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

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not
/// when the future is first polled: `events tail` and `listen` poll it only
/// after their first page, and a signal that came before (a CI test stops
/// `tail` as soon as it has printed an event) took the default action and
/// killed the process, which leaves `listen`'s temporary endpoint behind.
fn interrupted() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let (int, term) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()));
    async move {
        match (int, term) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            (Ok(mut one), Err(_)) | (Err(_), Ok(mut one)) => {
                one.recv().await;
            }
            (Err(_), Err(_)) => std::future::pending().await,
        }
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
        _ => {}
    }
    let (store, master) = open_database(&cli.global).await?;
    let pepper = master.derive(accounts::API_KEY_PEPPER);
    match cli.command {
        // Handled above, before the database (bench: before the runtime).
        Command::Events { .. } | Command::Listen { .. } | Command::Bench { .. } => Ok(()),
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
        Command::Serve(args) => serve(args, store, &master).await,
    }
}

/// Opens the database and checks that the master key is the one it was
/// created with. Configuration errors come first, before any file is made.
async fn open_database(global: &GlobalArgs) -> anyhow::Result<(Arc<dyn Store>, MasterKey)> {
    let db = global.database()?;
    let source = global.key_source(&db)?;
    let store = store::open(&global.database_url).await?;
    let (master, created) = source.load()?;
    match check::verify(store.as_ref(), &master).await {
        Ok(()) => Ok((store, master)),
        Err(CheckError::Mismatch) => Err(wrong_key(&db, &source, created)),
        Err(CheckError::Store(e)) => anyhow::bail!("cannot check the master key against the {}: {e}", db.describe()),
    }
}

/// Names where the key came from, never the key. A key file made just now
/// for a database that already had a key is removed again, so the next
/// start is not stuck with it.
fn wrong_key(db: &DatabaseUrl, source: &KeySource, created: bool) -> anyhow::Error {
    let mut msg = format!(
        "this database ({}) was created with a different master key than the one in {}; \
         set KASSA_MASTER_KEY or KASSA_KEY_FILE to the original key",
        db.describe(),
        source.describe()
    );
    if let (true, KeySource::File(path)) = (created, source) {
        if std::fs::remove_file(path).is_ok() {
            msg.push_str(&format!(" ({} did not exist; the new key made for it was removed again)", path.display()));
        }
    }
    anyhow::anyhow!(msg)
}

async fn serve(args: ServeArgs, store: Arc<dyn Store>, master: &MasterKey) -> anyhow::Result<()> {
    let cfg = Config::from_serve(&args)?;
    // Bound before the first account is made: a server that cannot listen
    // must not print keys.
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {} (--addr, KASSA_ADDR)", args.addr))?;
    let pepper = master.derive(accounts::API_KEY_PEPPER);
    if let Some(made) = accounts::create_first(store.as_ref(), &pepper, SystemClock.now()).await? {
        // Only the test keys: this output tends to land in logs, and
        // live keys belong to `kassa account create`, run by a person.
        println!("Created a first account, {} ({}). Its test keys, shown only once:", made.id, made.name);
        println!("  secret key:      {}", made.secret_key);
        println!("  publishable key: {}", made.publishable_key);
        println!("For live keys, create an account with `kassa account create --name NAME`.");
        println!("Try a payment page: open {}/demo and give it the test secret key.", cfg.public_url);
    }
    let state = AppState::new(cfg, store, Arc::new(SystemClock), master);
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    tracing::info!(addr = %args.addr, public_url = %state.cfg.public_url, "kassa is listening");
    kassa::run(listener, state, shutdown).await?;
    tracing::info!("kassa stopped");
    Ok(())
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
