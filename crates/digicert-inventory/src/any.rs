//! A store chosen at run time from where it is: a `postgres://` URL names a PostgreSQL
//! database, anything else an SQLite file.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use crate::check::Soundness;
use crate::deploy::{
    CoveringOrder, Deployment, DeploymentFilter, FoundCertificate, KnownCertificate,
};
use crate::error::Error;
use crate::find::Find;
use crate::order::{HistoryEntry, StoredOrder};
#[cfg(feature = "postgres")]
use crate::postgres::PostgresStore;
use crate::repack::MigrationProgress;
use crate::sqlite::SqliteStore;
use crate::store::{
    Applied, Batch, Listing, StatusCount, Store, StoredFingerprint, StoredStatus, SyncState,
    WriteTuning,
};

/// Either store, as `--db` names it.
#[derive(Debug)]
pub enum AnyStore {
    /// An SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database (the `postgres` feature).
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

impl AnyStore {
    /// Opens the store `location` names: a PostgreSQL database for a `postgres://` or
    /// `postgresql://` URL, else the SQLite file at that path.
    pub fn open(location: &str) -> Result<Self, Error> {
        Self::open_with_progress(location, None)
    }

    /// [`AnyStore::open`], telling `progress` how a migration goes, if one is needed.
    pub fn open_with_progress(
        location: &str,
        progress: Option<&MigrationProgress>,
    ) -> Result<Self, Error> {
        if is_url(location) {
            return open_postgres(location, progress);
        }
        Ok(Self::Sqlite(SqliteStore::open_with_progress(
            Path::new(location),
            progress,
        )?))
    }

    /// Whether `location` names a database server rather than a file.
    pub fn is_url(location: &str) -> bool {
        is_url(location)
    }
}

fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

#[cfg(feature = "postgres")]
fn open_postgres(url: &str, progress: Option<&MigrationProgress>) -> Result<AnyStore, Error> {
    Ok(AnyStore::Postgres(PostgresStore::open_with_progress(
        url, progress,
    )?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(url: &str, _: Option<&MigrationProgress>) -> Result<AnyStore, Error> {
    Err(Error::Store {
        location: url.split('@').next_back().unwrap_or_default().to_owned(),
        source: "this build has no PostgreSQL support (the `postgres` feature)".into(),
    })
}

/// Calls `$call` on whichever store there is.
macro_rules! each_store {
    ($self:expr, $store:ident => $call:expr) => {
        match $self {
            AnyStore::Sqlite($store) => $call,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($store) => $call,
        }
    };
}

impl WriteTuning for AnyStore {
    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error> {
        each_store!(self, store => store.writer())
    }

    fn gathers_batches(&self) -> bool {
        each_store!(self, store => store.gathers_batches())
    }
}

impl Store for AnyStore {
    fn location(&self) -> String {
        each_store!(self, store => store.location())
    }

    fn lock_sync(&mut self, account: &str) -> Result<(), Error> {
        each_store!(self, store => store.lock_sync(account))
    }

    fn unlock_sync(&mut self, account: &str) {
        each_store!(self, store => store.unlock_sync(account))
    }

    fn check(&self) -> Result<Soundness, Error> {
        each_store!(self, store => store.check())
    }

    fn sync_state(&self, account: &str) -> Result<SyncState, Error> {
        each_store!(self, store => store.sync_state(account))
    }

    fn sync_states(&self) -> Result<Vec<(String, SyncState)>, Error> {
        each_store!(self, store => store.sync_states())
    }

    fn order_count(&self, accounts: &[String]) -> Result<u64, Error> {
        each_store!(self, store => store.order_count(accounts))
    }

    fn fingerprints(&self, account: &str) -> Result<Vec<StoredFingerprint>, Error> {
        each_store!(self, store => store.fingerprints(account))
    }

    fn stored_statuses(
        &self,
        account: &str,
        order_ids: &[u64],
    ) -> Result<HashMap<u64, StoredStatus>, Error> {
        each_store!(self, store => store.stored_statuses(account, order_ids))
    }

    fn apply(&mut self, batch: Batch) -> Result<Applied, Error> {
        each_store!(self, store => store.apply(batch))
    }

    fn expiring(
        &self,
        accounts: &[String],
        today: NaiveDate,
        until: NaiveDate,
        include_expired: bool,
        whole: bool,
    ) -> Result<Vec<StoredOrder>, Error> {
        each_store!(self, store => store.expiring(accounts, today, until, include_expired, whole))
    }

    fn find(
        &self,
        accounts: &[String],
        query: &Find,
        whole: bool,
    ) -> Result<Vec<StoredOrder>, Error> {
        each_store!(self, store => store.find(accounts, query, whole))
    }

    fn accounts(&self) -> Result<Vec<String>, Error> {
        each_store!(self, store => store.accounts())
    }

    fn forget_account(&mut self, account: &str) -> Result<u64, Error> {
        each_store!(self, store => store.forget_account(account))
    }

    fn history(&self, accounts: &[String], order_id: u64) -> Result<Vec<HistoryEntry>, Error> {
        each_store!(self, store => store.history(accounts, order_id))
    }

    fn list(
        &self,
        accounts: &[String],
        listing: Listing,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        each_store!(self, store => store.list(accounts, listing, each))
    }

    fn status_counts(&self, accounts: &[String]) -> Result<Vec<StatusCount>, Error> {
        each_store!(self, store => store.status_counts(accounts))
    }

    fn known_certificates(
        &self,
        accounts: &[String],
        thumbprints: &[String],
    ) -> Result<Vec<KnownCertificate>, Error> {
        each_store!(self, store => store.known_certificates(accounts, thumbprints))
    }

    fn orders_covering(
        &self,
        accounts: &[String],
        name_keys: &[String],
    ) -> Result<Vec<(String, CoveringOrder)>, Error> {
        each_store!(self, store => store.orders_covering(accounts, name_keys))
    }

    fn looked_up(&self, thumbprints: &[String]) -> Result<Vec<(String, String)>, Error> {
        each_store!(self, store => store.looked_up(thumbprints))
    }

    fn record_deployments(&mut self, deployments: &[Deployment]) -> Result<u64, Error> {
        each_store!(self, store => store.record_deployments(deployments))
    }

    fn record_lookups(
        &mut self,
        found: &[FoundCertificate],
        missed: &[(String, String)],
        at: DateTime<Utc>,
    ) -> Result<(), Error> {
        each_store!(self, store => store.record_lookups(found, missed, at))
    }

    fn deployments(
        &self,
        accounts: &[String],
        filter: &DeploymentFilter,
    ) -> Result<Vec<Deployment>, Error> {
        each_store!(self, store => store.deployments(accounts, filter))
    }

    fn deployment_history(
        &self,
        accounts: &[String],
        order_id: u64,
    ) -> Result<Vec<Deployment>, Error> {
        each_store!(self, store => store.deployment_history(accounts, order_id))
    }

    fn last_probed_at(&self) -> Result<Option<DateTime<Utc>>, Error> {
        each_store!(self, store => store.last_probed_at())
    }
}
