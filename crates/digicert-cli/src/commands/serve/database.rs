//! The inventory as `serve` holds it through outages: handles that are opened again after
//! they are lost, with capped exponential backoff and jitter, and one record of the outage,
//! logged when it starts and when it ends (not once per round or scrape).
//!
//! Scrapes read through one handle, the reader, which a thread of its own opens again when
//! it is lost; while there is an outage or the reader is being opened, a scrape answers at
//! once, without touching the network. Scrapes do not queue behind a read the database is
//! slow to answer: one waits at most [`READ_WAIT`] for the reader, then answers that the
//! inventory is busy (the stuck read itself ends within the store's own deadline, which
//! starts an outage). Each periodic task (the sync) has a handle of its
//! own, which it opens again itself, on its own thread, when its backoff allows. A handle
//! opened before the last outage started is opened again before it is used, whether or not
//! its own connection failed: it is not trusted to have survived.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::thread;
use std::time::{Duration, Instant};

use digicert_inventory::Error;

use super::backoff::Backoff;
use crate::store::{self, Inventory};

/// The first wait before opening a lost handle again.
const FIRST_WAIT: Duration = Duration::from_millis(250);

/// The longest wait between attempts, for intervals longer than twice this.
const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// The longest a scrape waits for the reader while another read holds it.
const READ_WAIT: Duration = Duration::from_secs(5);

/// How often a waiting scrape looks whether the reader is free.
const READ_POLL: Duration = Duration::from_millis(20);

/// The inventory `serve` reads and writes, and whether it can be reached now.
#[derive(Debug)]
pub struct Database {
    location: PathBuf,
    /// The longest wait between attempts to open a handle again: at most half an interval,
    /// so that a sync runs, and ends, within one interval after the database is back.
    cap: Duration,
    /// The outage going on, if any.
    outage: Mutex<Option<Outage>>,
    /// How many outages have started.
    outages: AtomicU64,
    /// The handle scrapes read through.
    reader: Mutex<Handle>,
    /// Told when the reader may need opening again.
    reader_wanted: Condvar,
}

/// An outage: since when, and what the first failure said.
#[derive(Debug)]
struct Outage {
    since: Instant,
    reason: String,
}

/// A handle on the inventory, closed while the database cannot be reached.
#[derive(Debug)]
pub struct Handle {
    /// The accounts its queries read; none for every account.
    accounts: Vec<String>,
    inventory: Option<Inventory>,
    /// How many outages had started when it was opened.
    opened_after: u64,
    backoff: Backoff,
    /// When it may try to open again.
    next_attempt: Instant,
}

impl Database {
    /// The inventory at `location`, its reader reading `accounts`, opened again within
    /// `interval` of the database's return. Starts even if the inventory is unavailable (that
    /// outage logged); fails on anything else (a file that is not an inventory, a newer
    /// schema, a refused password).
    pub fn open(
        location: &Path,
        accounts: Vec<String>,
        interval: Duration,
    ) -> Result<Arc<Self>, Error> {
        let cap = (interval / 2).min(LONGEST_WAIT);
        let database = Arc::new(Self {
            location: location.to_owned(),
            cap,
            outage: Mutex::new(None),
            outages: AtomicU64::new(0),
            reader: Mutex::new(Handle::new(accounts, cap)),
            reader_wanted: Condvar::new(),
        });
        {
            let mut reader = lock(&database.reader);
            match database.open_inventory(&reader.accounts) {
                Err(err) if !err.is_unavailable() => return Err(err),
                opened => reader.take(&database, opened),
            }
        }
        let keeper = Arc::clone(&database);
        thread::Builder::new()
            .name("inventory-reader".to_owned())
            .spawn(move || keeper.keep_reader())
            .map_err(|source| Error::Io {
                path: location.to_owned(),
                source,
            })?;
        Ok(database)
    }

    /// A new handle for a periodic task, reading every account; opened at its first use.
    pub fn handle(&self) -> Handle {
        self.handle_reading(Vec::new())
    }

    /// A new handle for a periodic task, reading `accounts`; opened at its first use.
    pub fn handle_reading(&self, accounts: Vec<String>) -> Handle {
        Handle::new(accounts, self.cap)
    }

    /// Reads through the reader; a failure says why, at once while the inventory is
    /// unavailable or the reader is being opened again.
    pub fn read<T>(&self, read: impl FnOnce(&Inventory) -> Result<T, Error>) -> Result<T, String> {
        if let Some(why) = self.unavailable() {
            return Err(why);
        }
        let Some(mut reader) = self.reader_within(READ_WAIT) else {
            return Err(format!(
                "the inventory is busy: another read has waited more than {} s for the \
                 database",
                READ_WAIT.as_secs()
            ));
        };
        let Some(inventory) = reader.usable(self) else {
            self.reader_wanted.notify_one();
            // An outage may have started while this waited for the reader.
            return Err(self
                .unavailable()
                .unwrap_or_else(|| "the inventory is being opened again".to_owned()));
        };
        match read(inventory) {
            Ok(value) => Ok(value),
            Err(err) => {
                if closes(&err) {
                    reader.lost(self, &err);
                }
                Err(err.to_string())
            }
        }
    }

    /// The reader, once no other read holds it, or `None` after waiting `wait`.
    fn reader_within(&self, wait: Duration) -> Option<MutexGuard<'_, Handle>> {
        let deadline = Instant::now() + wait;
        loop {
            match self.reader.try_lock() {
                Ok(reader) => return Some(reader),
                Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    thread::sleep(READ_POLL);
                }
                Err(TryLockError::WouldBlock) => return None,
            }
        }
    }

    /// Opens the reader again whenever it is lost or was opened before the last outage, for
    /// as long as the process lives. The reader's lock is not held while connecting, so
    /// scrapes meanwhile answer at once.
    fn keep_reader(&self) {
        loop {
            let (wait, accounts) = {
                let mut reader = lock(&self.reader);
                while reader.usable(self).is_some() {
                    reader = self
                        .reader_wanted
                        .wait(reader)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                reader.inventory = None;
                (reader.retry_in(), reader.accounts.clone())
            };
            thread::sleep(wait);
            let opened = self.open_inventory(&accounts);
            lock(&self.reader).take(self, opened);
        }
    }

    /// A new inventory, reading `accounts`.
    fn open_inventory(&self, accounts: &[String]) -> Result<Inventory, Error> {
        // Unattended: a migration says how it goes in the log, not with a bar.
        let mut inventory = store::open(&self.location, true)?;
        inventory.select_accounts(accounts.iter().cloned());
        Ok(inventory)
    }

    /// Why the inventory is unavailable, during an outage.
    fn unavailable(&self) -> Option<String> {
        lock(&self.outage)
            .as_ref()
            .map(|outage| outage.reason.clone())
    }

    /// How many outages have started.
    fn outages(&self) -> u64 {
        self.outages.load(Ordering::SeqCst)
    }

    /// Records that a handle failed as when the database cannot be reached: an outage starts
    /// now (logged, and the reader opened again) unless one is going on. A sync lock lost
    /// with its connection is no outage (the database may be answering): it is logged as what
    /// it is, and only the handle that held it is opened again.
    fn lost(&self, err: &Error) {
        if let Error::LockLost { .. } = err {
            tracing::warn!(
                error = %err,
                "the sync lock was lost with its connection; the sync's connections are \
                 opened again"
            );
            return;
        }
        let mut outage = lock(&self.outage);
        if outage.is_some() {
            return;
        }
        tracing::warn!(
            error = %err,
            "the inventory is unavailable; /metrics and /healthz answer 503, and it is opened \
             again as soon as it can be"
        );
        *outage = Some(Outage {
            since: Instant::now(),
            reason: match err {
                // Its own words say it is unavailable, and where.
                Error::Unavailable { location, source } => {
                    format!("the inventory {location} is unavailable: {source}")
                }
                other => format!("the inventory is unavailable: {other}"),
            },
        });
        self.outages.fetch_add(1, Ordering::SeqCst);
        self.reader_wanted.notify_one();
    }

    /// Records that a handle was opened: the outage, if any, is over (and that is logged).
    fn reachable(&self) {
        if let Some(outage) = lock(&self.outage).take() {
            tracing::warn!(
                seconds = outage.since.elapsed().as_secs_f64(),
                "the inventory is reachable again: the outage is over"
            );
        }
    }
}

impl Handle {
    /// A closed handle, to be opened at once; waits at most `cap` between attempts.
    fn new(accounts: Vec<String>, cap: Duration) -> Self {
        Self {
            accounts,
            inventory: None,
            opened_after: 0,
            backoff: Backoff::new(FIRST_WAIT, cap),
            next_attempt: Instant::now(),
        }
    }

    /// The inventory, opened first if it is closed (or was opened before the last outage)
    /// and its wait is over; `None` while it cannot be opened (the outage recorded in
    /// `database`).
    pub fn open(&mut self, database: &Database) -> Option<&mut Inventory> {
        if self.usable(database).is_none() {
            if !self.retry_in().is_zero() {
                return None;
            }
            let opened = database.open_inventory(&self.accounts);
            self.take(database, opened);
        }
        self.inventory.as_mut()
    }

    /// Closes the handle after a failure that [`closes`] it, to be opened again after its
    /// backoff; the outage is recorded in `database`.
    pub fn lost(&mut self, database: &Database, err: &Error) {
        self.inventory = None;
        self.next_attempt = Instant::now() + self.backoff.failed();
        database.lost(err);
    }

    /// How long until it may try to open again (zero when it may now).
    pub fn retry_in(&self) -> Duration {
        self.next_attempt.saturating_duration_since(Instant::now())
    }

    /// The inventory, if it is open and was opened after the last outage started.
    fn usable(&self, database: &Database) -> Option<&Inventory> {
        self.inventory
            .as_ref()
            .filter(|_| self.opened_after == database.outages())
    }

    /// Takes an attempt to open: the inventory, or the failure, which leaves the handle
    /// closed until its backoff allows another attempt.
    fn take(&mut self, database: &Database, opened: Result<Inventory, Error>) {
        match opened {
            Ok(inventory) => {
                self.inventory = Some(inventory);
                self.opened_after = database.outages();
                self.backoff.succeeded();
                database.reachable();
            }
            Err(err) => self.lost(database, &err),
        }
    }
}

/// Whether a failure of the inventory closes the handle it came through: the database
/// cannot be reached, or the sync lock went with its connection.
pub fn closes(err: &Error) -> bool {
    err.is_unavailable() || matches!(err, Error::LockLost { .. })
}

/// Locks a mutex, whatever a panicking holder left.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_sync_lock_is_no_outage() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("inventory.sqlite");
        let database = Database::open(&db, Vec::new(), Duration::from_secs(60)).unwrap();
        database.lost(&Error::LockLost {
            location: db.display().to_string(),
            account: "default".to_owned(),
        });
        assert_eq!(database.outages(), 0);
        assert_eq!(database.unavailable(), None);
    }

    #[test]
    fn an_outage_says_once_that_the_inventory_is_unavailable() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("absent").join("inventory.sqlite");
        let database = Database::open(&db, Vec::new(), Duration::from_secs(60)).unwrap();
        let why = database.unavailable().unwrap();
        assert_eq!(why.matches("unavailable").count(), 1, "{why}");
        assert!(why.contains("does not exist"), "{why}");
    }
}
