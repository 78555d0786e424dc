//! The `kassa` command line: serve, migrate, account create.

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
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
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
