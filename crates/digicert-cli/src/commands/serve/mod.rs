//! `digicert serve`: syncs at start and every interval (and, with `--probe-interval`,
//! probes the endpoints), and serves the inventory as Prometheus metrics (`GET /metrics`)
//! with a health check (`GET /healthz`) and a page for people (`GET /`).
//!
//! This module starts the periodic tasks and the router; `schedule` runs the tasks' rounds,
//! `sync` is the sync task, `probe` the deployment probe's, `database` keeps the inventory open through outages (with
//! `backoff`), `metrics` writes the exposition, `health` answers the health check, `page`
//! shows the page and `web` serves them all safely (`--web-config`, headers, limits).
//! Nothing served or logged carries the API key.

mod backoff;
mod database;
mod health;
mod metrics;
mod page;
mod probe;
mod schedule;
mod sync;
mod web;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use digicert_inventory::SyncState;

use crate::client::{self, RequestCounts};
use crate::error::CliError;
use crate::flags::{ProbeFlags, listen_address, parse_interval};
use crate::probing;
use crate::settings::Settings;
use crate::store::Inventory;
use database::Database;
use probe::ProbeTask;
use sync::SyncTask;

/// Threads for blocking work (reads of the inventory): the reads take turns on one
/// reader, so more threads would only wait, each with its stack and its memory.
const MAX_BLOCKING_THREADS: usize = 16;

/// The options of `digicert serve`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert serve --listen 127.0.0.1:9464 --interval 10m
  digicert serve --listen localhost:9464 --account eu
  digicert serve --listen 0.0.0.0:9464 --interval 1h    # every interface: put it behind a firewall")]
pub struct Args {
    /// Address to listen on: HOST:PORT, the host a name or an address (loopback unless you
    /// say otherwise).
    #[arg(long, default_value = "127.0.0.1:9464", value_parser = listen_address)]
    listen: String,
    /// Time between syncs, with its unit: 30s, 10m, 1h, 1d.
    #[arg(long, default_value = "10m", value_parser = parse_interval)]
    interval: Duration,
    /// A web configuration file in the format Prometheus exporters share (TLS, client
    /// certificates, basic auth users, headers); see the README.
    #[arg(long, value_name = "FILE")]
    web_config: Option<PathBuf>,
    /// Probe the endpoints every interval (30m, 1h), as `digicert probe` does [default:
    /// off]; with the probe options below.
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    probe_interval: Option<Duration>,
    #[command(flatten)]
    probe: ProbeFlags,
}

/// What the handlers and the tasks share.
struct Shared {
    /// The inventory, read by the handlers through a handle of their own (the served
    /// accounts only) while the sync writes through another.
    database: Arc<Database>,
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

/// Runs `digicert serve` until the process is stopped. It starts while the inventory is
/// unavailable (answering 503 until it can be opened), not with one it cannot use.
pub fn run(args: Args, settings: &Settings) -> Result<(), CliError> {
    let Args {
        listen,
        interval,
        web_config,
        probe_interval,
        probe,
    } = args;
    crate::malloc::share_arenas();
    let web =
        web::Web::load(web_config.as_deref()).map_err(|err| CliError::Usage(err.to_string()))?;
    let accounts = settings.accounts_to_sync()?;
    let served: Vec<String> = accounts.names().map(str::to_owned).collect();
    if probe_interval.is_some() && settings.demo() && probe.targets_file.is_none() {
        return Err(CliError::Usage(
            "with --demo, --probe-interval needs --targets FILE: the demo's names are in no \
             DNS (`digicert --demo probe` shows the demo's endpoints)"
                .to_owned(),
        ));
    }
    // Checked before anything starts: the probe's options and roots.
    let prober = probe_interval
        .map(|_| probing::prober(&probe, settings, None))
        .transpose()?;
    let database = Database::open(settings.inventory_to_wait_for()?, served.clone(), interval)?;
    // Each account keeps one client, and so its own rate limiter, across rounds.
    let connections = accounts
        .resolve()
        .map(|(_, account)| {
            let account = account?;
            Ok((account.name, client::connect(account.client)?))
        })
        .collect::<Result<Vec<_>, CliError>>()?;
    let shared = Arc::new(Shared {
        database,
        counts: connections
            .iter()
            .map(|(name, connection)| (name.clone(), connection.counts.clone()))
            .collect(),
        interval,
        cache: metrics::Cache::default(),
    });
    schedule::every(interval, SyncTask::new(Arc::clone(&shared), connections))?;
    if let (Some(probe_interval), Some(prober)) = (probe_interval, prober) {
        let clients = probing::Clients::connect(settings);
        let task = ProbeTask::new(
            Arc::clone(&shared),
            probe,
            prober,
            clients,
            probe_interval,
            served,
        );
        schedule::every(probe_interval, task)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Reads wait for the one reader in tokio's queue, not each on a thread of its own.
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // A host name is resolved here; the first of its addresses that binds is used.
        let listener = tokio::net::TcpListener::bind(listen.as_str()).await?;
        eprintln!(
            "serving {}://{}/metrics, syncing every {}s",
            web.scheme(),
            listener.local_addr()?,
            interval.as_secs()
        );
        web.serve(listener, router(shared)).await
    })?;
    Ok(())
}

/// The server's routes, on what the handlers share.
fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(health::healthz))
        .with_state(Arc::clone(&shared))
        .merge(page::routes(shared))
}

/// Reads the inventory on a blocking thread; at once, with why, while it is unavailable.
async fn read<T: Send + 'static>(
    shared: &Arc<Shared>,
    read: impl FnOnce(&Inventory) -> Result<T, digicert_inventory::Error> + Send + 'static,
) -> Result<T, String> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || shared.database.read(read))
        .await
        .map_err(|err| err.to_string())?
}
