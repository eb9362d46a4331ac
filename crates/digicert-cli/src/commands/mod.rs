//! The commands, one module each: its options (`Args`) beside its `run`. [`Cli`] is the
//! whole command line; [`run`] hands the command its settings and stdout.

mod completions;
mod expiring;
mod input;
mod inventory;
mod man;
mod order;
mod probe;
mod reissues;
mod report;
mod report_filter;
mod serve;
mod status_changes;
mod subaccount_orders;
mod sync;

use std::io::{self, BufWriter};

use clap::{Parser, Subcommand};

use crate::client::{self, Connection};
use crate::error::CliError;
use crate::flags::GlobalFlags;
use crate::output::warn;
use crate::settings::Settings;

/// Output buffer size: large writes keep a big report fast.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// Inventory, audit and watch DigiCert CertCentral certificate orders.
#[derive(Debug, Parser)]
#[command(name = "digicert", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub flags: GlobalFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The order report: one page, every page (--all), or an exported CSV file (--input).
    Report(report::Args),
    /// Orders placed by sub-accounts.
    SubaccountOrders(subaccount_orders::Args),
    /// One order, by order id, certificate thumbprint or serial number.
    Order(order::Args),
    /// The reissues of an order.
    Reissues(reissues::Args),
    /// Orders whose status changed in a window; ranges over 7 days are split and merged.
    StatusChanges(status_changes::Args),
    /// Bring the inventory up to date: every order the first time, then the status changes
    /// since the last sync (one summary line on stderr).
    Sync(sync::Args),
    /// Query the inventory offline: export, expiring, find, history, deployments, check; or
    /// forget an account.
    Inventory(inventory::Args),
    /// Does each endpoint (every address behind a name) serve the current certificate, an
    /// earlier one, or one nobody issued? Results are kept in the inventory.
    Probe(probe::Args),
    /// Sync at start and every interval; serve the inventory as a web page at /, Prometheus
    /// metrics at /metrics and a health check at /healthz.
    Serve(serve::Args),
    /// Issued orders whose certificate expires within N days, soonest first (from the report).
    Expiring(expiring::Args),
    /// Shell completions for digicert, written to stdout.
    Completions(completions::Args),
    /// The manual page of digicert (roff), written to stdout; or every page, into a folder.
    Man(man::Args),
}

/// The page of a listing `--limit` and `--offset` ask for.
#[derive(Debug, clap::Args)]
struct Page {
    /// Orders per page (1-1000).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: u32,
    /// Orders to skip.
    #[arg(long, default_value_t = 0)]
    offset: u64,
}

/// Runs `command` with `settings`, writing its results to stdout.
pub fn run(command: Command, settings: &Settings) -> Result<(), CliError> {
    let out = BufWriter::with_capacity(OUTPUT_BUFFER, io::stdout().lock());
    match command {
        Command::Report(args) => report::run(args, settings, out),
        Command::SubaccountOrders(args) => subaccount_orders::run(args, settings, out),
        Command::Order(args) => order::run(args, settings, out),
        Command::Reissues(args) => reissues::run(args, settings, out),
        Command::StatusChanges(args) => status_changes::run(args, settings, out),
        Command::Sync(args) => sync::run(args, settings),
        Command::Inventory(args) => inventory::run(args, settings, out),
        Command::Probe(args) => probe::run(args, settings, out),
        Command::Serve(args) => serve::run(args, settings),
        Command::Expiring(args) => expiring::run(args, settings, out),
        Command::Completions(args) => completions::run(args, out),
        Command::Man(args) => man::run(args, settings, out),
    }
}

/// The client of a command that calls the API.
fn connect(settings: &Settings) -> Result<Connection, CliError> {
    if settings.concurrency_without_effect() {
        warn(
            settings.quiet,
            "--concurrency has no effect with --backend blocking, which sends one \
             request at a time; use --backend async for pages in flight at once",
        );
    }
    client::connect(settings.client()?)
}
