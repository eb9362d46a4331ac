//! What a store is, as a small trait: SQLite ([`crate::SqliteStore`]) is the embedded
//! default, PostgreSQL ([`crate::AnyStore`] with the `postgres` feature) the shared one;
//! another database can stand in by implementing it.
//!
//! A store knows tables and transactions, nothing of CertCentral: the sync hands it
//! [`Batch`]es of [`OrderRecord`]s, and what each batch changes is decided once, for every
//! store, by the planner (`plan.rs`); a store only reads what it holds and carries the plan
//! out in its own SQL, one transaction per batch.
//!
//! One store holds several accounts (config profiles, each its own CertCentral key): every
//! order, history entry and sync state belongs to one, and an order id is unique per account
//! only. Queries take the accounts to look in; an empty list means every account.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::check::Soundness;
use crate::deploy::{
    CoveringOrder, Deployment, DeploymentFilter, FoundCertificate, KnownCertificate,
};
use crate::error::Error;
use crate::find::Find;
use crate::order::{HistoryEntry, StoredOrder};
use crate::record::{Fingerprint, OrderRecord};

/// The status and certificate a store holds for an order: what a status change is compared
/// with, to decide whether the order needs fetching again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStatus {
    /// Stored status.
    pub status: String,
    /// Stored certificate id.
    pub certificate_id: Option<u64>,
}

/// An order id and the fingerprint ([`crate::OrderJson::fingerprint`]) of the JSON stored
/// for it; none for an order stored before fingerprints were kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredFingerprint {
    /// The order.
    pub order_id: u64,
    /// The fingerprint of its stored JSON.
    pub fingerprint: Option<Fingerprint>,
}

impl StoredFingerprint {
    /// A fingerprint row as stored: bytes of another length (none are written) are no
    /// fingerprint, so the order is written again.
    pub(crate) fn new(order_id: u64, stored: Option<&[u8]>) -> Self {
        Self {
            order_id,
            fingerprint: stored.and_then(|bytes| bytes.try_into().ok()),
        }
    }
}

/// The end of a successful sync, written in the same transaction as its last orders.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncFinish {
    /// The instant up to which every change is now stored: the next sync asks from here.
    pub watermark: DateTime<Utc>,
    /// Whether the report was pulled whole.
    pub full: bool,
    /// How long the sync took, in seconds.
    pub duration_seconds: f64,
}

/// Orders a full pull sent again exactly as the store holds them, as runs of order ids: only
/// when they were seen moves. The sync finds them from the fingerprints it read at its start
/// ([`Store::fingerprints`]), so that a re-pull of 100,000 orders neither builds their records
/// nor sends them to the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnchangedRuns {
    /// Runs of order ids, the first and last of each: every order the store holds from the
    /// first to the last was sent again as stored.
    pub runs: Vec<(u64, u64)>,
    /// How many orders the runs hold.
    pub orders: u64,
}

/// Orders to apply in one transaction, and, with the last batch, the sync's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The account the orders belong to.
    pub account: String,
    /// The orders.
    pub orders: Vec<OrderRecord>,
    /// Orders sent again as stored, to be marked seen at `seen_at` and counted unchanged.
    pub unchanged: UnchangedRuns,
    /// When they were seen.
    pub seen_at: DateTime<Utc>,
    /// Set on a sync's last batch only.
    pub finish: Option<SyncFinish>,
}

/// How a batch changed the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Orders that were not there.
    pub added: u64,
    /// Orders whose status or certificate changed.
    pub changed: u64,
    /// Orders stored again with the same status and certificate.
    pub unchanged: u64,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, other: Self) {
        self.added += other.added;
        self.changed += other.changed;
        self.unchanged += other.unchanged;
    }
}

/// The state of the last successful sync.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncState {
    /// Every change up to here is stored; `None` before the first sync has finished.
    pub watermark: Option<DateTime<Utc>>,
    /// When the last sync finished.
    pub last_success: Option<DateTime<Utc>>,
    /// How long it took, in seconds.
    pub last_duration_seconds: Option<f64>,
}

/// How many orders of one account have one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// The account.
    pub account: String,
    /// The status.
    pub status: String,
    /// How many orders.
    pub count: u64,
}

/// Which orders a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    /// Only issued orders.
    pub issued_only: bool,
    /// With the whole stored order (the JSON), not only the indexed columns.
    pub whole: bool,
}

/// A storage for the inventory: its queries, its sync locks, and [`Store::apply`].
///
/// Every write goes through [`Store::apply`], one transaction per batch. A store may be
/// read (the query methods) while another handle on it syncs. `accounts` arguments name the
/// accounts to read; an empty slice reads every account.
pub trait Store: WriteTuning {
    /// Where the store is, for messages (a file path; never a password).
    fn location(&self) -> String;

    /// Takes the sync lock of `account`, held until [`Store::unlock_sync`]; fails with
    /// [`Error::SyncRunning`] while another sync of that account holds it. The lock ends with
    /// the process (or connection) that holds it.
    fn lock_sync(&mut self, account: &str) -> Result<(), Error>;

    /// Gives the sync lock of `account` back.
    fn unlock_sync(&mut self, account: &str);

    /// Whether the store is sound: the database's own check, then the inventory's rules.
    fn check(&self) -> Result<Soundness, Error>;

    /// The last successful sync of `account`.
    fn sync_state(&self, account: &str) -> Result<SyncState, Error>;

    /// The last successful sync of every account that has synced, by account.
    fn sync_states(&self) -> Result<Vec<(String, SyncState)>, Error>;

    /// Number of orders stored in `accounts`.
    fn order_count(&self, accounts: &[String]) -> Result<u64, Error>;

    /// Every order `account` holds with the fingerprint of its stored JSON, by order id.
    fn fingerprints(&self, account: &str) -> Result<Vec<StoredFingerprint>, Error>;

    /// The stored status and certificate of each of `order_ids` that `account` holds.
    fn stored_statuses(
        &self,
        account: &str,
        order_ids: &[u64],
    ) -> Result<HashMap<u64, StoredStatus>, Error>;

    /// Applies one batch in one transaction: upserts its orders into its account, records
    /// each new status in the history, marks the orders seen again as seen, and writes the
    /// sync's end if the batch carries it.
    fn apply(&mut self, batch: Batch) -> Result<Applied, Error>;

    /// Issued orders whose certificate expires by `until`, from `today` on unless
    /// `include_expired`, soonest first; with the whole order (its JSON) if `whole`, else its
    /// indexed columns only.
    fn expiring(
        &self,
        accounts: &[String],
        today: NaiveDate,
        until: NaiveDate,
        include_expired: bool,
        whole: bool,
    ) -> Result<Vec<StoredOrder>, Error>;

    /// The orders a query matches, newest order first; whole if `whole`.
    fn find(
        &self,
        accounts: &[String],
        query: &Find,
        whole: bool,
    ) -> Result<Vec<StoredOrder>, Error>;

    /// Every account that holds an order or has finished a sync, in name order.
    fn accounts(&self) -> Result<Vec<String>, Error>;

    /// Deletes every row of `account` in one transaction (its orders, their names, history
    /// and sightings, its earlier certificates and lookups, its deployments and their
    /// history, its sync state); returns how many orders it held.
    fn forget_account(&mut self, account: &str) -> Result<u64, Error>;

    /// The statuses seen for one order id, oldest first.
    fn history(&self, accounts: &[String], order_id: u64) -> Result<Vec<HistoryEntry>, Error>;

    /// Hands every order of a listing to `each`, by account and order id.
    fn list(
        &self,
        accounts: &[String],
        listing: Listing,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error>;

    /// Number of orders per account and status.
    fn status_counts(&self, accounts: &[String]) -> Result<Vec<StatusCount>, Error>;

    /// The certificates with these thumbprints (normalized) that `accounts` know: orders'
    /// current ones, earlier ones a sync replaced, and ones a lookup found; each with its
    /// order's current certificate.
    fn known_certificates(
        &self,
        accounts: &[String],
        thumbprints: &[String],
    ) -> Result<Vec<KnownCertificate>, Error>;

    /// The orders of `accounts` whose names include one of `name_keys`, with the key.
    fn orders_covering(
        &self,
        accounts: &[String],
        name_keys: &[String],
    ) -> Result<Vec<(String, CoveringOrder)>, Error>;

    /// Of these thumbprints, those CertCentral was asked about and did not know, as
    /// `(account, thumbprint)`.
    fn looked_up(&self, thumbprints: &[String]) -> Result<Vec<(String, String)>, Error>;

    /// Keeps a probe run's results in one transaction: each endpoint's latest, and a history
    /// row where the state or the served certificate changed. Returns how many changed.
    fn record_deployments(&mut self, deployments: &[Deployment]) -> Result<u64, Error>;

    /// Keeps a run's lookups in one transaction: the certificates found, and the
    /// thumbprints CertCentral did not know, as `(account, thumbprint)`, asked `at`.
    fn record_lookups(
        &mut self,
        found: &[FoundCertificate],
        missed: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<(), Error>;

    /// The latest deployment of each endpoint a filter picks, by target, port and address.
    fn deployments(
        &self,
        accounts: &[String],
        filter: &DeploymentFilter,
    ) -> Result<Vec<Deployment>, Error>;

    /// Where an order's certificates were seen served, and when, oldest first.
    fn deployment_history(
        &self,
        accounts: &[String],
        order_id: u64,
    ) -> Result<Vec<Deployment>, Error>;

    /// When the latest probe of any endpoint ran (by any process on the store).
    fn last_probed_at(&self) -> Result<Option<DateTime<Utc>>, Error>;
}

/// How a sync best writes into a store: a small concern of its own, beside what the store
/// holds. Figures behind each store's answers are in BENCHMARKS.md.
pub trait WriteTuning {
    /// Another handle on the same store for a sync to write its batches through on a thread
    /// of its own, so that fetching and decoding overlap with writing; `None` keeps the
    /// writing on the sync's own thread, through this handle.
    ///
    /// The sync takes the account's lock ([`Store::lock_sync`]) on this handle first; the
    /// writer only [`Store::apply`]s batches, in order, and is dropped before the lock is
    /// given back.
    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error>;

    /// How a sync's writer thread puts batches into transactions: `true` to wait until a
    /// few are queued and write them in one (for a store whose every commit costs much, as
    /// SQLite's, which writes each index page a transaction touched), `false` to write
    /// whatever is queued as soon as it can.
    fn gathers_batches(&self) -> bool;
}
