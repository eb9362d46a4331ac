//! A local copy of every DigiCert CertCentral order: synced incrementally, queried offline.
//!
//! An [`Inventory`] keeps each order whole (the report row or order details as CertCentral
//! sent them) with indexed columns for the questions people ask: which certificates expire
//! soon, which order covers a name, what an order's status history is. The store is an
//! embedded SQLite file by default ([`SqliteStore`]), behind the small [`Store`] trait.
//!
//! The first sync pulls the order report; later syncs ask only the status changes since the
//! last one and fetch the orders that changed, so a sync right after a sync makes one request.
//! A sync killed at any moment leaves the inventory as it was or with whole batches applied;
//! the watermark moves in the same transaction as the last orders it vouches for.
//!
//! One inventory holds several accounts (each CertCentral key a config profile): a sync fills
//! the account its [`SyncOptions::account`] names (`default` unless told), with that account's
//! own watermark and sync lock, and order ids are unique per account. Queries read every
//! account unless [`Inventory::select_accounts`] narrows them.
//!
//! ```no_run
//! use digicert_api::{Config, blocking};
//! use digicert_inventory::{Inventory, SyncOptions};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Blocking, with the api crate's `ureq` feature (the async client: `sync`, awaited).
//! let client = blocking::Client::with_ureq(Config::new("my-api-key"));
//! let mut inventory = Inventory::open("inventory.sqlite")?;
//! let report = inventory.sync_blocking(&client, &SyncOptions::new())?;
//! println!("{} added, {} changed", report.added, report.changed);
//!
//! for order in inventory.expiring(30, false)? {
//!     println!("{} {:?} in {:?} days", order.order_id, order.common_name, order.days_left);
//! }
//! for order in inventory.find("api.example.com")? {
//!     println!("{} covers it", order.order_id);
//! }
//! # Ok(()) }
//! ```

mod any;
mod check;
mod codec;
mod deploy;
mod deployments;
mod error;
mod extract;
mod find;
mod migrations;
mod order;
mod plan;
#[cfg(feature = "postgres")]
mod postgres;
mod record;
mod repack;
mod sql;
mod sqlite;
mod store;
mod sync;

use std::path::Path;

use chrono::{Days, NaiveDate, Utc};
use digicert_api::transport::{AsyncTransport, BlockingTransport};
use digicert_api::{Client, blocking};

pub use any::AnyStore;
pub use check::Soundness;
pub use deploy::{
    Catalog, CoveringOrder, Deployment, DeploymentFilter, DeploymentState, FoundCertificate,
    KnownCertificate, Lookup, Outcome, ProbeNames, Probed, ServedCertificate, UnknownState,
    classify,
};
pub use error::Error;
pub use find::{Find, name_key, normalize_hex};
pub use order::{HistoryEntry, StoredOrder};
#[cfg(feature = "postgres")]
pub use postgres::{POSTGRES_SCHEMA_VERSION, PostgresStore};
pub use record::{Fingerprint, OrderJson, OrderRecord};
pub use repack::MigrationProgress;
pub use sqlite::{SCHEMA_VERSION, SqliteStore};
pub use store::{
    Applied, Batch, Listing, StatusCount, Store, StoredFingerprint, StoredStatus, SyncFinish,
    SyncState, UnchangedRuns, WriteTuning,
};

/// The account of an inventory used without a config file, and of orders synced before
/// inventories knew accounts.
pub const DEFAULT_ACCOUNT: &str = "default";
pub use sync::{Progress, SyncOptions, SyncReport};

/// The inventory: a store, the sync that fills it, and the queries.
#[derive(Debug)]
pub struct Inventory<S = SqliteStore> {
    store: S,
    /// The accounts queries read; empty for every account.
    accounts: Vec<String>,
    /// Whether `expiring` and `find` return whole orders (their JSON), as `export` does.
    whole: bool,
}

/// The README's examples, compiled and run as doctests so they cannot drift from the code
/// (here, at the top of the library's crates, where every crate they use is in reach).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

impl Inventory<SqliteStore> {
    /// Opens the SQLite inventory at `path`, creating it (mode 0600) if missing, in a folder
    /// that must exist ([`Error::Unavailable`] if not). A file that is not an inventory, or of
    /// a newer schema, is refused and left unchanged.
    ///
    /// ```
    /// # fn run() -> Result<(), digicert_inventory::Error> {
    /// let dir = std::env::temp_dir().join(format!("inventory-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let inventory = digicert_inventory::Inventory::open(dir.join("inventory.sqlite"))?;
    /// assert_eq!(inventory.len()?, 0);
    /// assert!(inventory.sync_state()?.watermark.is_none());
    /// # let _ = std::fs::remove_dir_all(dir);
    /// # Ok(()) }
    /// # run().unwrap();
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Self::with_store(SqliteStore::open(path)?))
    }
}

impl Inventory<AnyStore> {
    /// Opens the inventory `location` names: a PostgreSQL database for a `postgres://` URL
    /// (with the `postgres` feature: `PostgresStore::open`), else an SQLite file (see
    /// [`Inventory::open`]).
    pub fn open_any(location: &str) -> Result<Self, Error> {
        Ok(Self::with_store(AnyStore::open(location)?))
    }

    /// [`Inventory::open_any`], telling `progress` how a migration goes: an inventory of an
    /// earlier schema is migrated in place, in one transaction (killed, the next open starts
    /// it again).
    pub fn open_any_with_progress(
        location: &str,
        progress: Option<&MigrationProgress>,
    ) -> Result<Self, Error> {
        Ok(Self::with_store(AnyStore::open_with_progress(
            location, progress,
        )?))
    }
}

impl<S: Store> Inventory<S> {
    /// An inventory over any store.
    pub fn with_store(store: S) -> Self {
        Self {
            store,
            accounts: Vec::new(),
            whole: false,
        }
    }

    /// Narrows the queries (not the syncs) to these accounts; none means every account.
    ///
    /// ```
    /// # fn run() -> Result<(), digicert_inventory::Error> {
    /// # let dir = std::env::temp_dir().join(format!("inventory-accounts-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let mut inventory = digicert_inventory::Inventory::open(dir.join("inventory.sqlite"))?;
    /// inventory.select_accounts(["eu"]);
    /// assert_eq!(inventory.selected_accounts(), ["eu"]);
    /// assert_eq!(inventory.len()?, 0);
    /// # let _ = std::fs::remove_dir_all(dir);
    /// # Ok(()) }
    /// # run().unwrap();
    /// ```
    pub fn select_accounts<A: Into<String>>(&mut self, accounts: impl IntoIterator<Item = A>) {
        self.accounts = accounts.into_iter().map(Into::into).collect();
    }

    /// The accounts queries read; empty for every account.
    pub fn selected_accounts(&self) -> &[String] {
        &self.accounts
    }

    /// Makes [`Inventory::expiring`] and [`Inventory::find`] return whole orders, with the
    /// last report row and order details CertCentral sent (`report`, `info`), as
    /// [`Inventory::export`] does; by default they return the indexed columns only.
    pub fn whole_orders(&mut self, whole: bool) {
        self.whole = whole;
    }

    /// Every account that holds an order or has finished a sync, in name order (whatever
    /// accounts are selected).
    pub fn accounts(&self) -> Result<Vec<String>, Error> {
        self.store.accounts()
    }

    /// Deletes every row of `account` in one transaction: its orders with their names,
    /// history and sightings, its earlier certificates, its deployments and their history, and
    /// its sync state. Returns how many orders it held. Takes the account's sync lock, so it
    /// fails with [`Error::SyncRunning`] while a sync of the account runs.
    pub fn forget_account(&mut self, account: &str) -> Result<u64, Error> {
        self.store.lock_sync(account)?;
        let forgotten = self.store.forget_account(account);
        self.store.unlock_sync(account);
        forgotten
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to write to.
    fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Syncs through a blocking client: the whole report the first time (or with
    /// [`SyncOptions::full`]), the status changes since the last sync afterwards.
    ///
    /// Fails with [`Error::SyncRunning`] while another sync runs on the same inventory.
    pub fn sync_blocking<T: BlockingTransport + 'static>(
        &mut self,
        client: &blocking::Client<T>,
        options: &SyncOptions,
    ) -> Result<SyncReport, Error> {
        sync::blocking::sync(&mut self.store, client, options)
    }

    /// Syncs through an async client, as [`Inventory::sync_blocking`] does; report pages and
    /// order details are fetched up to the client's concurrency at once.
    ///
    /// ```no_run
    /// # async fn run(client: digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_inventory::Error> {
    /// let mut inventory = digicert_inventory::Inventory::open("inventory.sqlite")?;
    /// let report = inventory.sync(&client, &Default::default()).await?;
    /// println!("{} orders added in {:?}", report.added, report.duration);
    /// # Ok(()) }
    /// ```
    pub async fn sync<T: AsyncTransport>(
        &mut self,
        client: &Client<T>,
        options: &SyncOptions,
    ) -> Result<SyncReport, Error> {
        sync::nonblocking::sync(&mut self.store, client, options).await
    }

    /// The last successful sync of the `default` account.
    pub fn sync_state(&self) -> Result<SyncState, Error> {
        self.store.sync_state(DEFAULT_ACCOUNT)
    }

    /// The last successful sync of `account`.
    pub fn account_sync_state(&self, account: &str) -> Result<SyncState, Error> {
        self.store.sync_state(account)
    }

    /// The last successful sync of every account that has synced (of the selected ones, if
    /// some are selected), by account.
    pub fn sync_states(&self) -> Result<Vec<(String, SyncState)>, Error> {
        let mut states = self.store.sync_states()?;
        states.retain(|(account, _)| self.accounts.is_empty() || self.accounts.contains(account));
        Ok(states)
    }

    /// Number of orders.
    pub fn len(&self) -> Result<u64, Error> {
        self.store.order_count(&self.accounts)
    }

    /// Whether the inventory holds no order.
    pub fn is_empty(&self) -> Result<bool, Error> {
        Ok(self.len()? == 0)
    }

    /// Issued orders whose certificate expires within `days` of today (UTC), soonest first;
    /// with `include_expired`, those already expired too.
    pub fn expiring(&self, days: u32, include_expired: bool) -> Result<Vec<StoredOrder>, Error> {
        self.expiring_from(Utc::now().date_naive(), days, include_expired)
    }

    /// [`Inventory::expiring`], counted from `today`.
    pub fn expiring_from(
        &self,
        today: NaiveDate,
        days: u32,
        include_expired: bool,
    ) -> Result<Vec<StoredOrder>, Error> {
        let until = today
            .checked_add_days(Days::new(u64::from(days)))
            .unwrap_or(NaiveDate::MAX);
        self.store
            .expiring(&self.accounts, today, until, include_expired, self.whole)
    }

    /// The orders a query names (see [`Find::parse`]): a domain (also found through a wildcard
    /// that covers it), a `*.` pattern (every name under it), an order id, or a thumbprint or
    /// serial number in any spelling. Newest order first.
    pub fn find(&self, query: &str) -> Result<Vec<StoredOrder>, Error> {
        self.store
            .find(&self.accounts, &Find::parse(query)?, self.whole)
    }

    /// The statuses the inventory saw for an order id (in each account that has it), with
    /// when; by account, oldest first.
    pub fn history(&self, order_id: u64) -> Result<Vec<HistoryEntry>, Error> {
        self.store.history(&self.accounts, order_id)
    }

    /// Hands every order, whole, to `each`, by account and order id.
    pub fn export(
        &self,
        mut each: impl FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.store.list(
            &self.accounts,
            Listing {
                issued_only: false,
                whole: true,
            },
            &mut each,
        )
    }

    /// Hands every issued order's indexed columns (not the whole order) to `each`.
    pub fn issued(
        &self,
        mut each: impl FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.store.list(
            &self.accounts,
            Listing {
                issued_only: true,
                whole: false,
            },
            &mut each,
        )
    }

    /// Whether the inventory is sound: SQLite's `quick_check` of the file, or PostgreSQL's
    /// `amcheck` of the indexes where it is installed, then the inventory's own rules (every
    /// order with its row of when it was last seen and a status history, no name without its
    /// order). A damaged file's errors are problems found, not a failure.
    pub fn check(&self) -> Result<Soundness, Error> {
        self.store.check()
    }

    /// Number of orders per account and status.
    pub fn status_counts(&self) -> Result<Vec<StatusCount>, Error> {
        self.store.status_counts(&self.accounts)
    }
}
