//! Keeping the inventory current: the planning core both clients share, and a thin driver for
//! each (`blocking.rs`, `nonblocking.rs`) that only sends the requests the core asks for.
//!
//! A sync without a watermark, or asked `full`, pulls the whole report. Otherwise it asks the
//! status changes since the watermark (less an overlap), and fetches the details of each
//! changed order the store does not already hold with that status and certificate. When that
//! would take more requests than pulling the report, it pulls the report instead.

pub(crate) mod blocking;
mod fingerprints;
pub(crate) mod nonblocking;
mod writer;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use digicert_api::MAX_PAGE_SIZE;
use digicert_api::model::{OrderInfo, ReportRow, StatusChanges};

use crate::DEFAULT_ACCOUNT;
use crate::error::Error;
use crate::extract::{
    REPORT_JSON_CAPACITY, change_key, from_order_info, from_report_row, report_json,
};
use crate::record::{OrderRecord, report_fingerprint};
use crate::store::{Applied, Batch, Store, SyncFinish};
use fingerprints::Fingerprints;
use writer::Writer;

/// Order details stored per transaction in an incremental sync.
const INFO_BATCH: usize = 100;

/// The shortest a status-change window gets (7 days less the hour a clock change can take).
const SHORTEST_WINDOW_SECONDS: i64 = 7 * 86_400 - 3_600;

/// Called with the number of orders stored so far, as a sync goes.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// How to sync.
///
/// ```
/// use std::time::Duration;
/// use digicert_inventory::SyncOptions;
///
/// let options = SyncOptions::new()
///     .account("eu")
///     .full(true)
///     .overlap(Duration::from_secs(600));
/// assert!(options.is_full());
/// assert_eq!(options.account_name(), "eu");
/// ```
#[derive(Clone)]
pub struct SyncOptions {
    account: String,
    full: bool,
    skip_if_synced_within: Option<Duration>,
    overlap: Duration,
    progress: Option<Progress>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            account: DEFAULT_ACCOUNT.to_owned(),
            full: false,
            skip_if_synced_within: None,
            overlap: Duration::from_secs(5 * 60),
            progress: None,
        }
    }
}

impl fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncOptions")
            .field("account", &self.account)
            .field("full", &self.full)
            .field("skip_if_synced_within", &self.skip_if_synced_within)
            .field("overlap", &self.overlap)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl SyncOptions {
    /// The `default` account, incremental where possible, 5 minutes of overlap, no
    /// progress.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account the client's key belongs to (a config profile's name): the orders are
    /// stored under it, with its own watermark and sync lock.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = account.into();
        self
    }

    /// The account synced.
    pub fn account_name(&self) -> &str {
        &self.account
    }

    /// Pull the whole report even if an incremental sync is possible.
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// For several processes (hosts on one database) that each sync an account on a
    /// schedule: do nothing when the account's last successful sync, by any of them, finished
    /// less than `within` ago ([`SyncReport::skipped`]). Checked under the account's sync
    /// lock, so of processes that start a round at the same moment one syncs.
    pub fn skip_if_synced_within(mut self, within: Duration) -> Self {
        self.skip_if_synced_within = Some(within);
        self
    }

    /// How far before the last watermark status changes are asked again (clock skew,
    /// changes recorded late).
    pub fn overlap(mut self, overlap: Duration) -> Self {
        self.overlap = overlap;
        self
    }

    /// Called with the number of orders stored so far.
    pub fn progress(mut self, progress: impl Fn(u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// Whether a full pull is asked.
    pub fn is_full(&self) -> bool {
        self.full
    }
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SyncReport {
    /// Whether the whole report was pulled.
    pub full: bool,
    /// Why the report was pulled whole, for an incremental sync that chose to.
    pub full_reason: Option<String>,
    /// Orders that were not in the inventory.
    pub added: u64,
    /// Orders whose status or certificate changed.
    pub changed: u64,
    /// Orders seen again as they were.
    pub unchanged: u64,
    /// Status changes CertCentral listed (incremental syncs).
    pub status_changes: u64,
    /// Orders whose details were fetched.
    pub fetched: u64,
    /// Every change up to this instant is now stored.
    pub watermark: DateTime<Utc>,
    /// The sync did nothing: the account's last sync (by this process or another) finished
    /// at this instant, within [`SyncOptions::skip_if_synced_within`].
    pub skipped: Option<DateTime<Utc>>,
    /// How long the sync took.
    pub duration: Duration,
}

/// What the core asks a driver to do first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Plan {
    /// Nothing to do: the account was synced at this instant, recently enough.
    Skip(DateTime<Utc>),
    /// Pull every report page.
    Full,
    /// Ask the status changes between these instants.
    Changes {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// What the core asks after the status changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// Pull every report page after all: fewer requests.
    Full,
    /// Fetch these orders' details.
    Fetch(Vec<u64>),
}

/// One sync in progress: holds the store's sync lock, buffers orders into batches, and keeps
/// the counts. Dropped without [`Session::finish`], it leaves the watermark where it was.
pub(crate) struct Session<'s, S: Store> {
    store: &'s mut S,
    account: String,
    /// The thread that writes the batches, when the store gives a second handle.
    writer: Option<Writer>,
    started_at: DateTime<Utc>,
    started: Instant,
    /// In a full pull: what the store held at its start, to find the orders sent as stored.
    fingerprints: Option<Fingerprints>,
    /// The JSON of the report row at hand.
    json: Vec<u8>,
    /// Orders to store with the next batch.
    pending: Vec<OrderRecord>,
    progress: Option<Progress>,
    stored: u64,
    report: SyncReport,
}

impl<'s, S: Store> Session<'s, S> {
    /// Takes the sync lock and plans the sync.
    pub(crate) fn begin(store: &'s mut S, options: &SyncOptions) -> Result<(Self, Plan), Error> {
        store.lock_sync(&options.account)?;
        let now = Utc::now();
        let mut session = Self {
            store,
            account: options.account.clone(),
            writer: None,
            started_at: now,
            started: Instant::now(),
            fingerprints: None,
            json: Vec::new(),
            pending: Vec::new(),
            progress: options.progress.clone(),
            stored: 0,
            report: SyncReport {
                full: true,
                full_reason: None,
                added: 0,
                changed: 0,
                unchanged: 0,
                status_changes: 0,
                fetched: 0,
                watermark: now,
                skipped: None,
                duration: Duration::ZERO,
            },
        };
        let plan = session.plan(options, now)?;
        session.report.full = plan == Plan::Full;
        if plan == Plan::Full {
            session.start_full()?;
        }
        Ok((session, plan))
    }

    /// Readies a full pull: reads the stored fingerprints and hands the writing to a thread of
    /// its own, when the store gives a handle for it.
    fn start_full(&mut self) -> Result<(), Error> {
        if self.fingerprints.is_none() {
            let reading = Instant::now();
            let stored = self.store.fingerprints(&self.account)?;
            tracing::debug!(
                orders = stored.len(),
                seconds = reading.elapsed().as_secs_f64(),
                "stored fingerprints read"
            );
            self.fingerprints = Some(Fingerprints::new(stored));
        }
        if self.writer.is_none()
            && let Some(store) = self.store.writer()?
        {
            let gather = self.store.gathers_batches();
            self.writer = Some(Writer::start(
                Box::new(store),
                gather,
                self.progress.clone(),
                self.started,
            )?);
        }
        Ok(())
    }

    fn plan(&mut self, options: &SyncOptions, now: DateTime<Utc>) -> Result<Plan, Error> {
        let state = self.store.sync_state(&self.account)?;
        if let (Some(within), Some(last_success)) =
            (options.skip_if_synced_within, state.last_success)
            && TimeDelta::from_std(within).is_ok_and(|within| now - last_success < within)
        {
            return Ok(Plan::Skip(last_success));
        }
        if options.full {
            return Ok(Plan::Full);
        }
        let Some(watermark) = state.watermark else {
            return Ok(Plan::Full);
        };
        let overlap = TimeDelta::from_std(options.overlap).unwrap_or(TimeDelta::minutes(5));
        let from = (watermark - overlap).min(now);
        let windows = windows_needed(from, now);
        let pages = report_pages(self.own_orders()?);
        if windows > pages {
            let counted = |count: u64, noun: &str| {
                format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
            };
            self.report.full_reason = Some(format!(
                "the last sync was at {}: catching up takes {} of status changes, more \
                 requests than the report's {}",
                watermark.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                counted(windows, "window"),
                counted(pages, "page"),
            ));
            return Ok(Plan::Full);
        }
        Ok(Plan::Changes { from, to: now })
    }

    /// The orders among `changes` to fetch, or a full pull if that takes fewer requests.
    pub(crate) fn changes(&mut self, changes: &StatusChanges) -> Result<Next, Error> {
        let mut seen = HashSet::new();
        let keys: Vec<_> = changes
            .orders
            .iter()
            .map(change_key)
            .filter(|(order_id, _, _)| seen.insert(*order_id))
            .collect();
        self.report.status_changes = keys.len() as u64;
        let ids: Vec<u64> = keys.iter().map(|(order_id, _, _)| *order_id).collect();
        let known = self.store.stored_statuses(&self.account, &ids)?;
        let wanted: Vec<u64> = keys
            .iter()
            .filter(|(order_id, status, certificate_id)| {
                known.get(order_id).is_none_or(|known| {
                    known.status != *status || known.certificate_id != *certificate_id
                })
            })
            .map(|(order_id, _, _)| *order_id)
            .collect();
        self.report.unchanged += (keys.len() - wanted.len()) as u64;
        let pages = report_pages(self.own_orders()?);
        if wanted.len() as u64 > pages {
            self.report.full = true;
            self.report.unchanged = 0;
            self.report.full_reason = Some(format!(
                "{} changed orders take more requests than the {pages} report pages",
                wanted.len()
            ));
            self.start_full()?;
            return Ok(Next::Full);
        }
        Ok(Next::Fetch(wanted))
    }

    /// Stores a report row, or only marks it seen if the store holds it as sent; every page's
    /// worth is one transaction.
    pub(crate) fn report_row(&mut self, row: ReportRow) -> Result<(), Error> {
        if self.pending.capacity() == 0 {
            self.pending.reserve_exact(MAX_PAGE_SIZE as usize);
            self.json.reserve_exact(REPORT_JSON_CAPACITY);
        }
        report_json(&row, &mut self.json)?;
        let json = &self.json;
        let as_stored = self
            .fingerprints
            .as_mut()
            .is_some_and(|prints| prints.sent_as_stored(row.order_id, || report_fingerprint(json)));
        if !as_stored {
            self.pending.push(from_report_row(row, &self.json)?);
        }
        let seen = self
            .fingerprints
            .as_ref()
            .map_or(0, Fingerprints::seen_count);
        if self.pending.len() + seen >= MAX_PAGE_SIZE as usize {
            self.flush()?;
        }
        Ok(())
    }

    /// Stores an order's details.
    pub(crate) fn order_info(&mut self, info: &OrderInfo) -> Result<(), Error> {
        self.report.fetched += 1;
        self.pending.push(from_order_info(info)?);
        if self.pending.len() >= INFO_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// An order that a status change named but CertCentral no longer finds.
    pub(crate) fn order_gone(&mut self, order_id: u64) {
        tracing::warn!(order_id, "a changed order was not found; left as stored");
    }

    /// Orders the account holds.
    fn own_orders(&self) -> Result<u64, Error> {
        self.store.order_count(std::slice::from_ref(&self.account))
    }

    fn flush(&mut self) -> Result<(), Error> {
        self.apply(None)
    }

    fn apply(&mut self, finish: Option<SyncFinish>) -> Result<(), Error> {
        let orders = std::mem::take(&mut self.pending);
        let unchanged = self
            .fingerprints
            .as_mut()
            .map(Fingerprints::unchanged_runs)
            .unwrap_or_default();
        let batch = Batch {
            account: self.account.clone(),
            orders,
            unchanged,
            seen_at: Utc::now(),
            finish,
        };
        if let Some(writer) = &mut self.writer {
            let applied = writer.send(batch)?;
            self.count(applied);
            return Ok(());
        }
        let count = batch.orders.len() as u64 + batch.unchanged.orders;
        let applied = self.store.apply(batch)?;
        self.count(applied);
        self.stored += count;
        if let Some(progress) = &self.progress {
            progress(self.stored);
        }
        Ok(())
    }

    fn count(&mut self, applied: Applied) {
        self.report.added += applied.added;
        self.report.changed += applied.changed;
        self.report.unchanged += applied.unchanged;
    }

    /// The report of a sync that did nothing (the lock is given back as the session ends).
    pub(crate) fn skipped(mut self, last_success: DateTime<Utc>) -> Result<SyncReport, Error> {
        let state = self.store.sync_state(&self.account)?;
        self.report.full = false;
        self.report.skipped = Some(last_success);
        self.report.watermark = state.watermark.unwrap_or(last_success);
        self.report.duration = self.started.elapsed();
        Ok(self.report.clone())
    }

    /// Stores what is left and moves the watermark, in one transaction.
    pub(crate) fn finish(mut self) -> Result<SyncReport, Error> {
        let duration = self.started.elapsed();
        self.apply(Some(SyncFinish {
            watermark: self.started_at,
            full: self.report.full,
            duration_seconds: duration.as_secs_f64(),
        }))?;
        if let Some(writer) = self.writer.take() {
            let applied = writer.finish()?;
            self.count(applied);
        }
        self.report.watermark = self.started_at;
        self.report.duration = self.started.elapsed();
        Ok(self.report.clone())
    }
}

impl<S: Store> Drop for Session<'_, S> {
    fn drop(&mut self) {
        // The writer ends (its queued batches written, whole) before the lock is given back.
        drop(self.writer.take());
        self.store.unlock_sync(&self.account);
    }
}

/// Status-change requests that cover `from..=to`, at most.
fn windows_needed(from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
    let seconds = (to - from).num_seconds().max(0);
    (seconds / SHORTEST_WINDOW_SECONDS + 1).unsigned_abs()
}

/// Report pages a full pull of `orders` takes (the last one short, perhaps empty).
fn report_pages(orders: u64) -> u64 {
    orders / u64::from(MAX_PAGE_SIZE) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_more_than_whole_pages() {
        assert_eq!(report_pages(0), 1);
        assert_eq!(report_pages(999), 1);
        assert_eq!(report_pages(1000), 2);
        assert_eq!(report_pages(100_000), 101);
    }

    #[test]
    fn one_window_per_week() {
        let now = Utc::now();
        assert_eq!(windows_needed(now, now), 1);
        assert_eq!(windows_needed(now - TimeDelta::minutes(10), now), 1);
        assert_eq!(windows_needed(now - TimeDelta::days(8), now), 2);
        assert_eq!(windows_needed(now - TimeDelta::days(365), now), 53);
    }
}
