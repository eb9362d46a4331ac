//! The sync task of `serve`: each round syncs every served account, then makes the
//! exposition of what it stored. An account whose sync CertCentral fails backs off (rounds
//! skipped, up to [`LONGEST_API_WAIT`] apart) rather than asking again every round; a
//! database that cannot be reached ends the round, and the next starts as soon as the
//! inventory can be opened again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use digicert_inventory::{Error, SyncOptions};

use super::backoff::Backoff;
use super::database::{Handle, closes};
use super::schedule::{Next, Task};
use super::{Shared, metrics};
use crate::client::Connection;
use crate::store::Inventory;

/// The longest wait between attempts to sync an account that CertCentral keeps failing, for
/// intervals shorter than this.
const LONGEST_API_WAIT: Duration = Duration::from_secs(300);

/// The sync of every served account, a round per interval.
pub struct SyncTask {
    shared: Arc<Shared>,
    /// The sync's own handle on the inventory (its connection holds the sync locks).
    handle: Handle,
    accounts: Vec<Account>,
}

/// A served account, its client, and how it backs off from a failing API.
struct Account {
    name: String,
    /// Its client, kept across rounds (and so its rate limiter).
    connection: Connection,
    backoff: Backoff,
    /// No attempt before this instant, after CertCentral failed.
    not_before: Option<Instant>,
}

impl SyncTask {
    /// Syncs each of `connections` (account name, client) into the shared inventory.
    pub fn new(shared: Arc<Shared>, connections: Vec<(String, Connection)>) -> Self {
        let interval = shared.interval;
        let accounts = connections
            .into_iter()
            .map(|(name, connection)| Account {
                name,
                connection,
                backoff: Backoff::new(interval, interval.max(LONGEST_API_WAIT)),
                not_before: None,
            })
            .collect();
        let handle = shared.database.handle();
        Self {
            shared,
            handle,
            accounts,
        }
    }
}

impl Task for SyncTask {
    fn name(&self) -> &'static str {
        "sync"
    }

    fn round(&mut self) -> Next {
        let database = &self.shared.database;
        let Some(inventory) = self.handle.open(database) else {
            return Next::After(self.handle.retry_in());
        };
        let mut lost = None;
        for account in &mut self.accounts {
            match account.sync(inventory, self.shared.interval) {
                Ok(()) => {}
                Err(err) if closes(&err) => {
                    lost = Some((account.name.as_str(), err));
                    break;
                }
                Err(err) => tracing::warn!(account = account.name, error = %err, "sync failed"),
            }
        }
        if let Some((account, err)) = lost {
            // Logged once for the whole outage, by the database.
            tracing::debug!(account, error = %err, "sync failed");
            self.handle.lost(database, &err);
            return Next::After(self.handle.retry_in());
        }
        // The exposition of what the round stored, made now rather than by the first scrape
        // after it.
        let made = database.read(|inventory| metrics::exposition(&self.shared, inventory));
        if let Err(err) = made {
            tracing::debug!(error = %err, "metrics: reading the inventory failed");
        }
        Next::Interval
    }
}

impl Account {
    /// Syncs the account unless it is backing off; the failures of the inventory are
    /// returned, those of CertCentral and another host's sync are handled here.
    ///
    /// Several `serve` processes (hosts on one shared database) share the rounds: a process
    /// skips the round when another is syncing the account right now, or synced it within the
    /// last half interval, so the API sees about one sync per interval per account, whichever
    /// process makes it.
    fn sync(&mut self, inventory: &mut Inventory, interval: Duration) -> Result<(), Error> {
        let account = self.name.as_str();
        if self.not_before.is_some_and(|at| Instant::now() < at) {
            tracing::debug!(account, "CertCentral failed lately: not this round");
            return Ok(());
        }
        let options = SyncOptions::new()
            .account(account)
            .skip_if_synced_within(interval / 2);
        match self.connection.api.sync_inventory(inventory, &options) {
            Ok(report) if report.skipped.is_some() => tracing::info!(
                account,
                last_success = %report.skipped.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default(),
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
            Err(Error::SyncRunning { .. }) => tracing::info!(
                account,
                "another process is syncing this account; skipping this round"
            ),
            Err(Error::Api(err)) => {
                let wait = self.backoff.failed();
                self.not_before = Some(Instant::now() + wait);
                tracing::warn!(
                    account,
                    error = %err,
                    retry_in_seconds = wait.as_secs_f64(),
                    "sync failed: CertCentral did not answer as it should; backing off"
                );
                return Ok(());
            }
            Err(err) => return Err(err),
        }
        self.backoff.succeeded();
        self.not_before = None;
        Ok(())
    }
}
