//! The storage an inventory needs, as a small trait: SQLite ([`crate::SqliteStore`]) is the
//! embedded default; another database can stand in by implementing it.
//!
//! A store knows tables and transactions, nothing of CertCentral: the sync logic hands it
//! [`Batch`]es of [`OrderRecord`]s, each applied in one transaction.
//!
//! One store holds several accounts (config profiles, each its own CertCentral key): every
//! order, history entry and sync state belongs to one, and an order id is unique per account
//! only. Queries take the accounts to look in; an empty list means every account.

use std::collections::HashMap;
use std::hash::Hasher;

use chrono::{DateTime, NaiveDate, Utc};
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::error::Error;
use crate::find::{Find, name_key};
use crate::order::{HistoryEntry, StoredOrder};

/// One order as the sync hands it to the store: the indexed columns and the whole order as
/// JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Order id.
    pub order_id: u64,
    /// Status, as CertCentral writes it (`issued`, `revoked`, ...).
    pub status: String,
    /// The certificate's common name.
    pub common_name: Option<String>,
    /// The further names on the certificate.
    pub dns_names: Vec<String>,
    /// First day of validity.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity.
    pub valid_till: Option<NaiveDate>,
    /// Product, such as `ssl_plus`.
    pub product_name_id: Option<String>,
    /// Thumbprint, normalized (lower-case hex, no separators).
    pub thumbprint: Option<String>,
    /// Serial number, normalized (lower-case hex, no separators).
    pub serial_number: Option<String>,
    /// Organization name.
    pub organization: Option<String>,
    /// The current certificate's id.
    pub certificate_id: Option<u64>,
    /// The whole order as the endpoint sent it, as JSON.
    pub json: OrderJson,
}

impl OrderRecord {
    /// An order known only by its id, status and JSON; every indexed column empty.
    ///
    /// ```
    /// use digicert_inventory::{OrderJson, OrderRecord};
    ///
    /// let order = OrderRecord {
    ///     common_name: Some("www.example.com".to_owned()),
    ///     ..OrderRecord::new(7, "issued", OrderJson::Report("{}".to_owned()))
    /// };
    /// assert_eq!(order.name_keys().len(), 1);
    /// ```
    pub fn new(order_id: u64, status: impl Into<String>, json: OrderJson) -> Self {
        Self {
            order_id,
            status: status.into(),
            common_name: None,
            dns_names: Vec::new(),
            valid_from: None,
            valid_till: None,
            product_name_id: None,
            thumbprint: None,
            serial_number: None,
            organization: None,
            certificate_id: None,
            json,
        }
    }

    /// The keys the order is found by ([`name_key`]): its common name and DNS names, each
    /// once.
    pub fn name_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .common_name
            .iter()
            .chain(&self.dns_names)
            .filter(|name| !name.trim().is_empty())
            .map(|name| name_key(name))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// The whole order, as JSON, and which endpoint it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderJson {
    /// A row of the order report.
    Report(String),
    /// The order details (`GET /order/certificate/{id}`).
    Info(String),
}

impl OrderJson {
    /// The JSON text, whichever endpoint sent it.
    pub fn text(&self) -> &str {
        match self {
            Self::Report(json) | Self::Info(json) => json,
        }
    }

    /// The fingerprint a store keeps of the last JSON it stored for an order: 128-bit
    /// SipHash-1-3 of the endpoint and the text. An order sent again with the fingerprint
    /// stored is unchanged, found so without reading its row (a re-pull of 100,000 orders read
    /// every 2 KiB row back to compare it). It tells an order's versions apart (two differ
    /// with the same fingerprint once in 2^128); it is no defence against a forger.
    ///
    /// The stored columns are made from the JSON ([`OrderRecord`]); a release that makes them
    /// differently must change the prefix hashed here, so that every order is written again.
    /// (Version 1 was SHA-256; its fingerprints match none of these, so the first full sync
    /// after the upgrade writes every order again, once.)
    ///
    /// ```
    /// use digicert_inventory::OrderJson;
    ///
    /// let report = OrderJson::Report("{}".to_owned());
    /// assert_eq!(report.digest(), OrderJson::Report("{}".to_owned()).digest());
    /// assert_ne!(report.digest(), OrderJson::Info("{}".to_owned()).digest());
    /// ```
    pub fn digest(&self) -> Digest {
        match self {
            Self::Report(json) => report_digest(json.as_bytes()),
            Self::Info(json) => digest(b"digicert-inventory 2 info\n", json.as_bytes()),
        }
    }
}

/// The fingerprint of an order's JSON ([`OrderJson::digest`]).
pub type Digest = [u8; 16];

/// [`OrderJson::digest`] of a report row's JSON, from its bytes.
pub(crate) fn report_digest(json: &[u8]) -> Digest {
    digest(b"digicert-inventory 2 report\n", json)
}

fn digest(source: &[u8], json: &[u8]) -> Digest {
    let mut hasher = SipHasher13::new();
    hasher.write(source);
    hasher.write(json);
    hasher.finish128().as_bytes()
}

/// What the store holds of an order, to decide whether a status change needs a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// Stored status.
    pub status: String,
    /// Stored certificate id.
    pub certificate_id: Option<u64>,
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

/// Orders a full pull sent again exactly as the store holds them: only when they were seen
/// moves. The sync finds them from the fingerprints it read at its start
/// ([`Store::fingerprints`]), so that a re-pull of 100,000 orders neither builds their records
/// nor sends them to the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeenAgain {
    /// Runs of order ids, the first and last of each: every order the store holds from the
    /// first to the last was sent again as stored.
    pub runs: Vec<(u64, u64)>,
    /// How many orders the runs hold.
    pub orders: u64,
}

/// An order id and the fingerprint ([`OrderJson::digest`]) of the JSON stored for it; none
/// for an order stored before fingerprints were kept.
pub type Fingerprint = (u64, Option<Digest>);

/// Orders to apply in one transaction, and, with the last batch, the sync's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The account the orders belong to.
    pub account: String,
    /// The orders.
    pub orders: Vec<OrderRecord>,
    /// Orders sent again as stored, to be marked seen at `seen_at` and counted unchanged.
    pub seen_again: SeenAgain,
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

/// A storage for the inventory.
///
/// Every write goes through [`Store::apply`], one transaction per batch. A store may be
/// read (the query methods) while another handle on it syncs. `accounts` arguments name the
/// accounts to read; an empty slice reads every account.
pub trait Store {
    /// Where the store is, for messages (a file path; never a password).
    fn location(&self) -> String;

    /// Takes the sync lock of `account`, held until [`Store::unlock_sync`]; fails with
    /// [`Error::SyncRunning`] while another sync of that account holds it. The lock ends with
    /// the process (or connection) that holds it.
    fn lock_sync(&mut self, account: &str) -> Result<(), Error>;

    /// Gives the sync lock of `account` back.
    fn unlock_sync(&mut self, account: &str);

    /// The last successful sync of `account`.
    fn sync_state(&self, account: &str) -> Result<SyncState, Error>;

    /// The last successful sync of every account that has synced, by account.
    fn sync_states(&self) -> Result<Vec<(String, SyncState)>, Error>;

    /// Number of orders stored in `accounts`.
    fn order_count(&self, accounts: &[String]) -> Result<u64, Error>;

    /// Every order `account` holds with the fingerprint of its stored JSON, by order id.
    fn fingerprints(&self, account: &str) -> Result<Vec<Fingerprint>, Error>;

    /// The stored status and certificate of each of `order_ids` that `account` holds.
    fn known(&self, account: &str, order_ids: &[u64]) -> Result<HashMap<u64, Known>, Error>;

    /// Applies one batch in one transaction: upserts its orders into its account, records
    /// each new status in the history, marks the orders seen again as seen, and writes the
    /// sync's end if the batch carries it.
    fn apply(&mut self, batch: Batch) -> Result<Applied, Error>;

    /// Another handle on the same store for a sync to write its batches through on a thread
    /// of its own, so that fetching and decoding overlap with writing. `None` (the default):
    /// the sync writes through this handle, on its own thread.
    ///
    /// The sync takes the account's lock ([`Store::lock_sync`]) on this handle first; the
    /// writer only [`Store::apply`]s batches, in order, and is dropped before the lock is
    /// given back.
    /// `None` keeps the writing on the sync's own thread.
    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error>;

    /// How a sync's writer thread puts batches into transactions: `true` to wait until a
    /// few are queued and write them in one (for a store whose every commit costs much,
    /// as SQLite's, which writes each index page a transaction touched), `false` to write
    /// whatever is queued as soon as it can.
    fn gathers_batches(&self) -> bool;

    /// Issued orders whose certificate expires by `until`, from `today` on unless
    /// `include_expired`, soonest first; indexed columns only (not the whole order).
    fn expiring(
        &self,
        accounts: &[String],
        today: NaiveDate,
        until: NaiveDate,
        include_expired: bool,
    ) -> Result<Vec<StoredOrder>, Error>;

    /// The orders a query matches, newest order first; indexed columns only.
    fn find(&self, accounts: &[String], query: &Find) -> Result<Vec<StoredOrder>, Error>;

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
}
