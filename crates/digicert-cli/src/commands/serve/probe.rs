//! The deployment probe task of `serve --probe-interval`: each round probes the targets
//! (`--targets`, else every name of the served accounts' issued, unexpired orders),
//! classifies what it found, looks unknown certificates up, records the results, and makes
//! the exposition of them. With several hosts on one database, one probes per interval: a
//! round is skipped while another host's run holds the probe lock, or when the latest probe
//! recorded is under half an interval old.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use digicert_inventory::{Error, Probed};
use digicert_probe::Prober;

use super::database::{Handle, closes};
use super::schedule::{Next, Task};
use super::{Shared, metrics};
use crate::error::CliError;
use crate::flags::ProbeFlags;
use crate::probing::{self, Clients};
use crate::store::Inventory;

/// The probe of the endpoints, a round per probe interval.
pub struct ProbeTask {
    shared: Arc<Shared>,
    /// The probe's own handle on the inventory (its connection holds the probe lock).
    handle: Handle,
    run: ProbeRun,
}

/// What a round probes with.
struct ProbeRun {
    flags: ProbeFlags,
    prober: Prober,
    /// The clients lookups ask with, one per served account.
    clients: Clients,
    interval: Duration,
}

impl ProbeTask {
    /// Probes as `flags` ask, every `interval`, reading the names of `accounts`.
    pub fn new(
        shared: Arc<Shared>,
        flags: ProbeFlags,
        prober: Prober,
        clients: Clients,
        interval: Duration,
        accounts: Vec<String>,
    ) -> Self {
        let handle = shared.database.handle_reading(accounts);
        Self {
            shared,
            handle,
            run: ProbeRun {
                flags,
                prober,
                clients,
                interval,
            },
        }
    }
}

impl ProbeRun {
    /// One run, unless another host runs one, or ran one within half an interval (looked at
    /// under the lock, so that of hosts starting a round at once one probes).
    fn probe(&mut self, inventory: &mut Inventory) -> Result<(), Error> {
        match inventory.lock_probe() {
            Ok(()) => {}
            Err(Error::SyncRunning { .. }) => {
                tracing::info!("another process is probing; skipping this round");
                return Ok(());
            }
            Err(err) => return Err(err),
        }
        let run = self.run_unless_recent(inventory);
        inventory.unlock_probe();
        run
    }

    fn run_unless_recent(&mut self, inventory: &mut Inventory) -> Result<(), Error> {
        let half = TimeDelta::from_std(self.interval / 2).unwrap_or(TimeDelta::MAX);
        if let Some(last) = inventory.last_probed_at()?
            && Utc::now() - last < half
        {
            tracing::info!(
                last_probe = %last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "the endpoints were probed within half an interval (by another process); skipping this round"
            );
            return Ok(());
        }
        self.run(inventory)
    }

    /// Probes, classifies, looks up and records.
    fn run(&mut self, inventory: &mut Inventory) -> Result<(), Error> {
        let targets = match probing::targets(&[], &self.flags, inventory) {
            Ok(targets) => targets,
            Err(err) => return inventory_error(err),
        };
        let observations = match probing::observe(&self.prober, targets.targets, true) {
            Ok(observations) => observations,
            Err(err) => return inventory_error(err),
        };
        let probed: Vec<Probed> = observations.iter().map(probing::probed).collect();
        let mut deployments = inventory.classify(&probed)?;
        let lookups = inventory.lookups(&deployments, self.flags.lookups)?;
        let looked_up = match lookups.is_empty() {
            true => probing::LookedUp::default(),
            false => match probing::look_up(inventory, &lookups, &self.clients) {
                Ok(looked_up) => looked_up,
                Err(err) => return inventory_error(err),
            },
        };
        if looked_up.found > 0 {
            deployments = inventory.classify(&probed)?;
        }
        let changed = inventory.record_deployments(&deployments)?;
        tracing::info!(
            changed,
            summary = probing::summary(&deployments, targets.wildcards, looked_up),
            "probe done"
        );
        Ok(())
    }
}

/// A failure of a run: the inventory's is returned (it may close the handle), any other
/// logged.
fn inventory_error(err: CliError) -> Result<(), Error> {
    match err {
        CliError::Inventory(err) => Err(err),
        other => {
            tracing::warn!(error = %other, "probe failed");
            Ok(())
        }
    }
}

impl Task for ProbeTask {
    fn name(&self) -> &'static str {
        "probe"
    }

    fn round(&mut self) -> Next {
        let database = Arc::clone(&self.shared.database);
        let Some(inventory) = self.handle.open(&database) else {
            return Next::After(self.handle.retry_in());
        };
        match self.run.probe(inventory) {
            Ok(()) => {}
            Err(err) if closes(&err) => {
                // Logged once for the whole outage, by the database.
                tracing::debug!(error = %err, "probe failed");
                self.handle.lost(&database, &err);
                return Next::After(self.handle.retry_in());
            }
            Err(err) => tracing::warn!(error = %err, "probe failed"),
        }
        let made = database.read(|inventory| metrics::exposition(&self.shared, inventory));
        if let Err(err) = made {
            tracing::debug!(error = %err, "metrics: reading the inventory failed");
        }
        Next::Interval
    }
}
