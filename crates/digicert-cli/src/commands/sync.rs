//! `digicert sync`: brings the inventory up to date, account by account, with one summary
//! line per account on stderr.

use std::time::{Duration, Instant};

use digicert_inventory::{SyncOptions, SyncReport};

use crate::client;
use crate::error::CliError;
use crate::output::{counted, progress};
use crate::settings::{Account, Settings};
use crate::store::{self, Inventory};

/// The options of `digicert sync`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert sync
  digicert sync --account eu --full
  digicert --quiet sync      # for cron: only errors on stderr")]
pub struct Args {
    /// Pull the whole report even if an incremental sync is possible.
    #[arg(long)]
    full: bool,
}

/// Runs `digicert sync`: syncs each account in turn. One failing account does not stop
/// the others; the command fails at the end, naming it.
pub fn run(args: Args, settings: &Settings) -> Result<(), CliError> {
    let accounts = settings.accounts_to_sync()?;
    // The file is checked before anything goes over the network.
    let mut inventory = store::open_named(settings.inventory()?, settings.quiet)?;
    let count = accounts.names().count();
    let sync = |inventory: &mut Inventory, account, named| {
        sync_account(inventory, account, args.full, settings.quiet, named)
    };
    let mut resolved = accounts.resolve();
    if count == 1
        && let Some((_, account)) = resolved.next()
    {
        return sync(&mut inventory, account?, false);
    }
    let mut failed = Vec::new();
    for (name, account) in resolved {
        if let Err(err) = account.and_then(|account| sync(&mut inventory, account, true)) {
            eprintln!("error: account {name}: {err}");
            failed.push(name);
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Accounts(format!(
            "the sync of {} of {} accounts failed: {}",
            failed.len(),
            count,
            failed.join(", ")
        )))
    }
}

/// Syncs one account through a client of its own (its own key and rate limiter); `named`
/// puts the account's name before its summary line.
fn sync_account(
    inventory: &mut Inventory,
    account: Account,
    full: bool,
    quiet: bool,
    named: bool,
) -> Result<(), CliError> {
    let Account { name, client } = account;
    let connection = client::connect(client)?;
    let started = Instant::now();
    let bar = progress::counter(quiet, "orders stored");
    let options = {
        let bar = bar.clone();
        SyncOptions::new()
            .account(name.as_str())
            .full(full)
            .progress(move |stored| bar.set_position(stored))
    };
    let report = connection.api.sync_inventory(inventory, &options);
    bar.finish_and_clear();
    let report = report?;
    if !quiet {
        let line = summary(&report, connection.counts.total(), started.elapsed());
        if named {
            eprintln!("{name}: {line}");
        } else {
            eprintln!("{line}");
        }
    }
    Ok(())
}

/// The summary line: what changed, how many requests, how long.
fn summary(report: &SyncReport, requests: u64, elapsed: Duration) -> String {
    let kind = match (&report.full_reason, report.full) {
        (Some(reason), _) => format!("full ({reason})"),
        (None, true) => "full".to_owned(),
        (None, false) => "incremental".to_owned(),
    };
    format!(
        "sync {kind}: {} added, {} changed, {} unchanged, {}, {:.2} s",
        report.added,
        report.changed,
        report.unchanged,
        counted(requests, "request"),
        elapsed.as_secs_f64()
    )
}
