//! A shared store: the inventory in a PostgreSQL database, for a team whose hosts should all
//! give the same answers while only one of them syncs each account.
//!
//! Everything specific to PostgreSQL stays in this folder: the URL and password (`url.rs`),
//! the connection's own thread (`connection.rs`), the schema's identity and migration runner
//! (`schema.rs`), how values and rows are held (`values.rs`), carrying out a batch's plan
//! (`apply.rs`), the sync lock and its fence (`lock.rs`) and the error mapping (`error.rs`).
//! The queries are the shared ones ([`crate::sql`]). The sync lock is a session-level
//! advisory lock on the store's connection: another host's `lock_sync` fails at once while
//! it is held, and it ends with the connection, however the holder ends; a sync whose lock
//! ended with its connection writes nothing more.

mod apply;
mod check;
mod connection;
mod copy;
mod error;
mod lock;
mod schema;
mod url;
mod values;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use crate::check::Soundness;
use crate::codec::Packer;
use crate::error::Error;
use crate::repack::MigrationProgress;
use crate::sql::{self, Dialect};
use crate::store::{Applied, Batch, Store, StoredFingerprint, StoredStatus, WriteTuning};
use connection::{Connection, WRITE_TIMEOUT};
use error::store_error;
use postgres::types::ToSql;

pub use schema::LATEST as POSTGRES_SCHEMA_VERSION;

/// An inventory in a PostgreSQL database (the schema the connection's `search_path` names
/// first, `public` by default).
///
/// The connection runs on a thread of its own (the `postgres` client may not be called from
/// inside a tokio runtime); a listing's callback must not call the same store again: collect
/// first, or use a second handle.
pub struct PostgresStore {
    location: String,
    /// The URL as given, password and all: a sync's writer opens a connection of its own.
    /// Never printed (`location` is what messages show).
    url: String,
    connection: Connection,
    /// The accounts whose sync lock this handle holds.
    locked: HashSet<String>,
    /// The accounts this handle writes for a sync, with the server process that holds their
    /// sync lock (this handle's own, or, for a sync's writer, the handle that locked).
    fenced: HashMap<String, i32>,
    /// Compresses the JSON of the orders this handle writes, on the connection's thread.
    packer: Arc<Mutex<Packer>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/dbname?sslmode=...`),
    /// and checks and brings up to date its schema, creating the inventory's tables in an
    /// empty one.
    ///
    /// The password comes from the URL, `PGPASSWORD` or the password file (`PGPASSFILE`, else
    /// `~/.pgpass`, ignored if others may read it). `sslmode` is `disable`, `prefer` (the
    /// default) or `require`; with TLS the server's certificate is always verified, against
    /// the system's roots, the Mozilla roots and those of a `sslrootcert=FILE` parameter.
    ///
    /// A schema holding other tables and no inventory marker, or an inventory of a newer
    /// schema, is refused ([`Error::NotAnInventory`], [`Error::NewerSchema`]) and left
    /// unchanged. Messages name the database without its password. A schema of an earlier
    /// version is migrated in one transaction (killed, the next open starts again).
    pub fn open(url: &str) -> Result<Self, Error> {
        Self::open_with_progress(url, None)
    }

    /// [`PostgresStore::open`], telling `progress` how a migration goes, if one is needed.
    pub fn open_with_progress(
        url: &str,
        progress: Option<&MigrationProgress>,
    ) -> Result<Self, Error> {
        let location = url::redact(url);
        let connection = Connection::open(url, &location, progress.cloned())?;
        Ok(Self {
            location,
            url: url.to_owned(),
            connection,
            locked: HashSet::new(),
            fenced: HashMap::new(),
            packer: Arc::new(Mutex::new(Packer::new())),
        })
    }

    /// Runs `write` in one transaction on the connection, committed if it succeeds.
    fn in_transaction<T: Send + 'static>(
        &mut self,
        write: impl FnOnce(&mut Writes<'_, '_>) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        self.connection
            .call_within(Some(WRITE_TIMEOUT), move |client, location| {
                let mut transaction = client
                    .transaction()
                    .map_err(|err| store_error(location, err))?;
                let written = write(&mut Writes {
                    transaction: &mut transaction,
                    location,
                })?;
                transaction
                    .commit()
                    .map_err(|err| store_error(location, err))?;
                Ok(written)
            })
    }

    /// Runs one advisory-lock function on the account's sync key.
    fn sync_lock(&self, function: &str, account: &str) -> Result<bool, Error> {
        let statement = lock::sync_lock_statement(function);
        let account = account.to_owned();
        self.connection.call(move |client, location| {
            client
                .query_one(&statement, &[&account])
                .and_then(|row| row.try_get::<_, bool>(0))
                .map_err(|err| store_error(location, err))
        })
    }
}

/// A transaction on the connection, for the shared writes.
struct Writes<'t, 'c> {
    transaction: &'t mut postgres::Transaction<'c>,
    location: &'t str,
}

impl sql::Transaction for Writes<'_, '_> {
    fn execute(&mut self, statement: &str, values: &[sql::Value]) -> Result<(), Error> {
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(values::as_sql).collect();
        self.transaction
            .execute(statement, &params)
            .map(drop)
            .map_err(|err| store_error(self.location, err))
    }

    fn query<T>(
        &mut self,
        statement: &str,
        values: &[sql::Value],
        map: &dyn Fn(&dyn sql::Row) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(values::as_sql).collect();
        let rows = self
            .transaction
            .query(statement, &params)
            .map_err(|err| store_error(self.location, err))?;
        rows.iter()
            .map(|row| {
                map(&values::PgRow {
                    row,
                    location: self.location,
                })
            })
            .collect()
    }

    fn error(&self, source: Box<dyn std::error::Error + Send + Sync>) -> Error {
        store_error(self.location, source)
    }
}

impl sql::Runner for PostgresStore {
    const DIALECT: Dialect = Dialect::Postgres;

    fn each_row<T: Send + 'static>(
        &self,
        query: sql::Query,
        map: impl Fn(&dyn sql::Row) -> Result<T, Error> + Send + 'static,
        each: &mut dyn FnMut(T) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.connection.each_row(query, map, each)
    }
}

impl WriteTuning for PostgresStore {
    /// No: the server writes while the sync decodes the next pages, and the sync's end then
    /// waits for one page, not eight (BENCHMARKS.md).
    fn gathers_batches(&self) -> bool {
        false
    }

    /// A second connection: a full sync's batches are written on it while this one's caller
    /// fetches the next pages (measured faster; BENCHMARKS.md).
    /// Its writes are fenced by this handle's sync locks.
    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error> {
        let mut writer = Self::open(&self.url)?;
        writer.fenced = self.fenced.clone();
        Ok(Some(Box::new(writer)))
    }
}

impl Store for PostgresStore {
    sql::shared_queries!();

    fn location(&self) -> String {
        self.location.clone()
    }

    fn lock_sync(&mut self, account: &str) -> Result<(), Error> {
        if self.locked.contains(account) {
            return Ok(());
        }
        if !self.sync_lock("pg_try_advisory_lock", account)? {
            return Err(Error::SyncRunning {
                location: self.location(),
                account: account.to_owned(),
            });
        }
        self.locked.insert(account.to_owned());
        self.fenced
            .insert(account.to_owned(), self.connection.pid());
        Ok(())
    }

    fn unlock_sync(&mut self, account: &str) {
        if !self.locked.remove(account) {
            return;
        }
        self.fenced.remove(account);
        if let Err(err) = self.sync_lock("pg_advisory_unlock", account) {
            tracing::warn!(
                error = %err,
                "the sync lock could not be given back; it ends with the connection"
            );
        }
    }

    fn check(&self) -> Result<Soundness, Error> {
        let mut soundness = self.connection.call_within(None, check::indexes)?;
        crate::sql::check_rules(self, &mut soundness)?;
        Ok(soundness)
    }

    fn fingerprints(&self, account: &str) -> Result<Vec<StoredFingerprint>, Error> {
        let account = account.to_owned();
        self.connection.call(move |client, location| {
            let rows = client
                .query(sql::FINGERPRINTS, &[&account])
                .map_err(|err| store_error(location, err))?;
            apply::fingerprint_rows(&rows, location)
        })
    }

    fn stored_statuses(
        &self,
        account: &str,
        order_ids: &[u64],
    ) -> Result<HashMap<u64, StoredStatus>, Error> {
        let account = account.to_owned();
        let order_ids = order_ids.to_vec();
        self.connection.call(move |client, location| {
            apply::statuses_of(client, &account, &order_ids, location)
        })
    }

    fn apply(&mut self, batch: Batch) -> Result<Applied, Error> {
        let holder = self.fenced.get(&batch.account).copied();
        let packer = Arc::clone(&self.packer);
        self.connection
            .call_within(Some(WRITE_TIMEOUT), move |client, location| {
                // Only this handle's calls lock it, one at a time.
                let mut packer = packer.lock().unwrap_or_else(PoisonError::into_inner);
                let applied = apply::apply(client, location, &mut packer, &batch, holder);
                // Freed on a thread of its own: freeing a first sync's batch (up to 8 report
                // pages of records) took about 10 ms, which the next transaction waited for
                // on this thread (BENCHMARKS.md). Without a thread, it is freed here.
                let _ = std::thread::Builder::new()
                    .name("inventory-free".to_owned())
                    .spawn(move || drop(batch));
                applied
            })
    }
}
