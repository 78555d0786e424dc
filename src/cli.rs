//! The `kassa` command line: serve, migrate, account create, events tail, listen, bench.

use clap::{Parser, Subcommand};

use crate::config::{GlobalArgs, ServeArgs};

#[derive(Debug, Parser)]
#[command(name = "kassa", version, about = "A self-hosted, Stripe-compatible checkout-sessions payment server")]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API server and its workers (migrates first).
    Serve(ServeArgs),
    /// Measure a server under load (starts one unless given `--target url`).
    ///
    /// Runs the `kassa-bench` binary beside this one; `kassa bench --help`
    /// lists its options.
    #[command(disable_help_flag = true)]
    Bench {
        /// Passed to `kassa-bench` as they are.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<std::ffi::OsString>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Watch a running server's events.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Forward a running server's events to a local URL through a temporary
    /// webhook endpoint, printing each delivery (like `stripe listen`).
    Listen {
        #[command(flatten)]
        client: crate::cli_client::ClientArgs,
        /// Where to deliver, e.g. http://localhost:3000/webhooks.
        #[arg(long)]
        forward_to: String,
        /// Event types to forward (default: all).
        #[arg(long = "events", value_delimiter = ',')]
        events: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print events as they happen.
    Tail {
        #[command(flatten)]
        client: crate::cli_client::ClientArgs,
        /// One JSON event per line.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account with test and live keys, and print them once.
    Create {
        #[arg(long)]
        name: String,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
    },
}
