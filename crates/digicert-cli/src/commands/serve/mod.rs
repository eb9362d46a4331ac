//! `digicert serve`: syncs at start and every interval, and serves the inventory as
//! Prometheus metrics (`GET /metrics`) with a health check (`GET /healthz`).
//!
//! This module runs the sync loop and the router; `metrics` writes the exposition and
//! `health` answers the health check. Nothing served or logged carries the API key.

mod health;
mod metrics;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use digicert_inventory::{SyncOptions, SyncState};

use crate::client::{self, Connection, RequestCounts};
use crate::error::CliError;
use crate::flags::parse_interval;
use crate::settings::Settings;
use crate::store::{self, Inventory};

/// The options of `digicert serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (loopback unless you say otherwise).
    #[arg(long, default_value = "127.0.0.1:9464")]
    listen: SocketAddr,
    /// Time between syncs: 30s, 10m, 1h.
    #[arg(long, default_value = "10m", value_parser = parse_interval)]
    interval: Duration,
}

/// What the handlers share.
struct Shared {
    /// A second handle on the inventory, for reading while the sync writes; it reads the
    /// served accounts only.
    reader: Mutex<Inventory>,
    /// Requests sent, per served account.
    counts: Vec<(String, RequestCounts)>,
    /// Time between syncs.
    interval: Duration,
    /// The last exposition, for the scrapes until the next sync.
    cache: metrics::Cache,
}

impl Shared {
    /// Each served account's last sync; an account that never synced has a default state.
    fn sync_states(
        &self,
        inventory: &Inventory,
    ) -> Result<Vec<(String, SyncState)>, digicert_inventory::Error> {
        let mut states = inventory.sync_states()?;
        for (account, _) in &self.counts {
            if !states.iter().any(|(name, _)| name == account) {
                states.push((account.clone(), SyncState::default()));
            }
        }
        states.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(states)
    }
}

/// Runs `digicert serve` until the process is stopped.
pub fn run(args: Args, settings: &Settings) -> Result<(), CliError> {
    let Args { listen, interval } = args;
    let accounts = settings.accounts_to_sync()?;
    // Two handles: the sync writes through one while scrapes read through the other.
    let location = settings.inventory()?;
    let mut inventory = store::open(location, settings.quiet)?;
    let mut reader = store::open(location, settings.quiet)?;
    reader.select_accounts(accounts.names().map(str::to_owned));
    // Each account keeps one client, and so its own rate limiter, across rounds.
    let connections = accounts
        .resolve()
        .map(|(_, account)| {
            let account = account?;
            Ok((account.name, client::connect(account.client)?))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let shared = Arc::new(Shared {
        reader: Mutex::new(reader),
        counts: connections
            .iter()
            .map(|(name, connection)| (name.clone(), connection.counts.clone()))
            .collect(),
        interval,
        cache: metrics::Cache::default(),
    });
    let syncing = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("sync".to_owned())
        .spawn(move || {
            loop {
                for (account, connection) in &connections {
                    sync_round(&mut inventory, account, connection, interval);
                }
                // The exposition of what the round stored, made now rather than by the
                // first scrape after it.
                let made = {
                    let reader = syncing
                        .reader
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    metrics::exposition(&syncing, &reader)
                };
                if let Err(err) = made {
                    tracing::warn!(error = %err, "metrics: reading the inventory failed");
                }
                std::thread::sleep(interval);
            }
        })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!(
            "serving http://{}/metrics, syncing every {}s",
            listener.local_addr()?,
            interval.as_secs()
        );
        let app = Router::new()
            .route("/metrics", get(metrics::metrics))
            .route("/healthz", get(health::healthz))
            .with_state(shared);
        axum::serve(listener, app).await
    })?;
    Ok(())
}

/// One account's sync of one round.
///
/// Several `serve` processes (hosts on one shared database) share the rounds: a process
/// skips the round when another is syncing the account right now, or synced it within the
/// last half interval, so the API sees about one sync per interval per account, whichever
/// process makes it.
fn sync_round(
    inventory: &mut Inventory,
    account: &str,
    connection: &Connection,
    interval: Duration,
) {
    let options = SyncOptions::new()
        .account(account)
        .skip_if_synced_within(interval / 2);
    match connection.api.sync_inventory(inventory, &options) {
        Ok(report) if report.skipped.is_some() => tracing::info!(
            account,
            last_success = %report.skipped.map(|at| at.to_rfc3339()).unwrap_or_default(),
            "the account was synced within half an interval (by another process); skipping this round"
        ),
        Ok(report) => tracing::info!(
            account,
            added = report.added,
            changed = report.changed,
            unchanged = report.unchanged,
            full = report.full,
            seconds = report.duration.as_secs_f64(),
            "sync done"
        ),
        Err(digicert_inventory::Error::SyncRunning { .. }) => {
            tracing::info!(
                account,
                "another process is syncing this account; skipping this round"
            );
        }
        Err(err) => tracing::warn!(account, error = %err, "sync failed"),
    }
}

/// Reads the inventory on a blocking thread.
async fn read<T: Send + 'static>(
    shared: &Arc<Shared>,
    read: impl FnOnce(&Inventory) -> Result<T, digicert_inventory::Error> + Send + 'static,
) -> Result<T, String> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || {
        let inventory = shared.reader.lock().unwrap_or_else(PoisonError::into_inner);
        read(&inventory).map_err(|err| err.to_string())
    })
    .await
    .map_err(|err| err.to_string())?
}
