//! The inventory commands: `sync`, and the offline queries under `inventory`.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use digicert_inventory::{HistoryEntry, Inventory, StoredOrder, SyncOptions, SyncReport};

use crate::accounts::{self, Account};
use crate::api::Api;
use crate::args::{Global, InventoryCommand};
use crate::connect::connect;
use crate::error::CliError;
use crate::output::{Column, ListWriter, Listed, write_list};
use crate::progress;

/// The inventory file: `--db`/`DIGICERT_DB`, or the platform data directory
/// (`$XDG_DATA_HOME/digicert/`, else `~/.local/share/digicert/`), `demo.sqlite` with `--demo`.
pub fn db_path(global: &Global) -> Result<PathBuf, CliError> {
    if let Some(path) = &global.db {
        return Ok(path.clone());
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|home| home.is_absolute())
                .map(|home| home.join(".local/share"))
        })
        .ok_or_else(|| {
            CliError::Usage(
                "no place for the inventory: pass --db PATH or set DIGICERT_DB (neither \
                 XDG_DATA_HOME nor HOME is set)"
                    .to_owned(),
            )
        })?;
    let file = if global.demo {
        "demo.sqlite"
    } else {
        "inventory.sqlite"
    };
    Ok(data.join("digicert").join(file))
}

/// `digicert sync`: syncs each account in turn and prints one summary line per account on
/// stderr. One failing account does not stop the others; the command fails at the end,
/// naming it.
pub fn sync(global: &Global, full: bool) -> Result<(), CliError> {
    let accounts = accounts::to_sync(global)?;
    // The file is checked before anything goes over the network.
    let mut inventory = Inventory::open(db_path(global)?)?;
    if let [account] = &accounts[..] {
        return sync_account(&mut inventory, account, full, false);
    }
    let mut failed = Vec::new();
    for account in &accounts {
        if let Err(err) = sync_account(&mut inventory, account, full, true) {
            eprintln!("error: account {}: {err}", account.name);
            failed.push(account.name.as_str());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::Accounts(format!(
            "the sync of {} of {} accounts failed: {}",
            failed.len(),
            accounts.len(),
            failed.join(", ")
        )))
    }
}

/// Syncs one account through a client of its own (its own key and rate limiter).
fn sync_account(
    inventory: &mut Inventory,
    account: &Account,
    full: bool,
    named: bool,
) -> Result<(), CliError> {
    let global = &account.global;
    let connection = connect(global)?;
    let started = Instant::now();
    let bar = progress::counter(global.quiet, "orders stored");
    let options = {
        let bar = bar.clone();
        SyncOptions::new()
            .account(account.name.as_str())
            .full(full)
            .progress(move |stored| bar.set_position(stored))
    };
    let report = run_sync(inventory, &connection.api, &options);
    bar.finish_and_clear();
    let report = report?;
    if !global.quiet {
        let line = summary(&report, connection.counts.total(), started.elapsed());
        if named {
            eprintln!("{}: {line}", account.name);
        } else {
            eprintln!("{line}");
        }
    }
    Ok(())
}

/// Runs one sync on whichever client there is.
pub fn run_sync(
    inventory: &mut Inventory,
    api: &Api,
    options: &SyncOptions,
) -> Result<SyncReport, CliError> {
    Ok(match api {
        Api::Blocking(client) => inventory.sync_blocking(client, options)?,
        Api::Async { client, runtime } => runtime.block_on(inventory.sync(client, options))?,
    })
}

/// The summary line: what changed, how many requests, how long.
fn summary(report: &SyncReport, requests: u64, elapsed: std::time::Duration) -> String {
    let kind = match (&report.full_reason, report.full) {
        (Some(reason), _) => format!("full ({reason})"),
        (None, true) => "full".to_owned(),
        (None, false) => "incremental".to_owned(),
    };
    format!(
        "sync {kind}: {} added, {} changed, {} unchanged, {requests} requests, {:.2} s",
        report.added,
        report.changed,
        report.unchanged,
        elapsed.as_secs_f64()
    )
}

/// `digicert inventory ...`: a query, from the inventory alone.
pub fn query(global: &Global, command: InventoryCommand, out: impl Write) -> Result<(), CliError> {
    let path = db_path(global)?;
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "no inventory at {}: run `digicert sync` first (or pass --db)",
            path.display()
        )));
    }
    let mut inventory = Inventory::open(&path)?;
    inventory.select_accounts(global.account.iter().cloned());
    let format = global.format;
    match command {
        InventoryCommand::Export => {
            let mut writer = ListWriter::<_, StoredOrder>::new(format, out)?;
            inventory.export(|order| {
                writer
                    .item(&order)
                    .map_err(|source| digicert_inventory::Error::Io {
                        path: PathBuf::from("<stdout>"),
                        source,
                    })
            })?;
            writer.finish()?;
            Ok(())
        }
        InventoryCommand::Expiring {
            days,
            include_expired,
        } => {
            let orders = inventory.expiring(days, include_expired)?;
            write_list(format, orders.into_iter().map(Ok::<_, CliError>), out).map(drop)
        }
        InventoryCommand::Find { query } => {
            let orders = inventory.find(&query)?;
            write_list(format, orders.into_iter().map(Ok::<_, CliError>), out).map(drop)
        }
        InventoryCommand::History { order_id } => {
            let history = inventory.history(order_id)?;
            write_list(format, history.into_iter().map(Ok::<_, CliError>), out).map(drop)
        }
    }
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

impl Listed for StoredOrder {
    const COLUMNS: &'static [Column] = &[
        ("account", 10),
        ("order_id", 10),
        ("status", 14),
        ("valid_till", 10),
        ("days_left", 9),
        ("product_name_id", 20),
        ("organization", 24),
        ("common_name", 50),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.account.clone(),
            self.order_id.to_string(),
            self.status.clone(),
            text(self.valid_till),
            text(self.days_left),
            text(self.product_name_id.as_deref()),
            text(self.organization.as_deref()),
            text(self.common_name.as_deref()),
        ]
    }
}

impl Listed for HistoryEntry {
    const COLUMNS: &'static [Column] = &[
        ("account", 10),
        ("order_id", 10),
        ("status", 14),
        ("certificate_id", 14),
        ("seen_at", 32),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.account.clone(),
            self.order_id.to_string(),
            self.status.clone(),
            text(self.certificate_id),
            self.seen_at.to_rfc3339(),
        ]
    }
}
