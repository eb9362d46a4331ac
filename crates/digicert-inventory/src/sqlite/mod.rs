//! The embedded store: one SQLite file in WAL mode, so queries read while a sync writes.
//!
//! Everything specific to SQLite stays in this folder: the file (`file.rs`), its schema and
//! migration runner (`schema.rs`), how values and rows are held (`values.rs`), carrying out
//! a batch's plan (`apply.rs`) and the error mapping (`error.rs`). The queries are the
//! shared ones ([`crate::sql`]). A file beside the inventory per account
//! (`<file>.sync-lock-<account>`) carries that account's sync lock: an exclusive SQLite lock
//! on it, which ends with the process that holds it, however that process ends.

mod apply;
mod error;
mod file;
mod schema;
mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode, OpenFlags, params_from_iter};

use crate::check::Soundness;
use crate::codec::Packer;
use crate::error::Error;
use crate::repack::MigrationProgress;
use crate::sql::{self, Dialect, Query};
use crate::store::{Applied, Batch, Store, StoredFingerprint, StoredStatus, WriteTuning};
use error::store_error;
use values::SqliteRow;

/// The inventory schema version this build writes (SQLite's `user_version`).
pub const SCHEMA_VERSION: i64 = schema::LATEST;

/// How long a write waits for another writer's transaction (one batch) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// An inventory in an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Connection,
    /// The sync locks this handle holds, by account.
    sync_locks: HashMap<String, Connection>,
    /// Compresses the JSON of the orders this handle writes.
    packer: Packer,
}

impl SqliteStore {
    /// Opens the inventory at `path`, creating it if missing, readable by its owner only, and
    /// bringing its schema up to date. Its folder must exist: one that does not is
    /// [`Error::Unavailable`] (it may be a network mount not there yet).
    ///
    /// A file that is not an inventory, or one of a newer schema, is refused
    /// ([`Error::NotAnInventory`], [`Error::NewerSchema`]) and left unchanged. An inventory of
    /// an earlier schema is migrated in one transaction (killed, the next open starts again).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with_progress(path, None)
    }

    /// [`SqliteStore::open`], telling `progress` how a migration goes, if one is needed.
    pub fn open_with_progress(
        path: impl AsRef<Path>,
        progress: Option<&MigrationProgress>,
    ) -> Result<Self, Error> {
        let path = path.as_ref().to_owned();
        let fresh = file::create_if_missing(&path)?;
        let mut connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|err| store_error(&path, err))?;
        // Before the check: another process may be creating the same inventory.
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|err| store_error(&path, err))?;
        // Switching to WAL and migrating need the whole file for a moment; SQLite answers
        // "busy" at once, without waiting, when another process is doing the same.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        loop {
            match file::prepare(&mut connection, &path, fresh, progress) {
                Err(err) if error::is_busy(&err) && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                result => break result?,
            }
        }
        Ok(Self {
            path,
            connection,
            sync_locks: HashMap::new(),
            packer: Packer::new(),
        })
    }

    /// The inventory's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file carrying an account's sync lock: the account's name with anything but
    /// ASCII letters, digits, `-` and `_` written as `%XX`, so any name makes one file name.
    fn lock_path(&self, account: &str) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".sync-lock-");
        for byte in account.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' {
                name.push(char::from(byte).to_string());
            } else {
                name.push(format!("%{byte:02X}"));
            }
        }
        PathBuf::from(name)
    }

    fn error(&self, err: rusqlite::Error) -> Error {
        store_error(&self.path, err)
    }

    /// Runs `write` in one write transaction, committed if it succeeds.
    fn in_transaction<T>(
        &mut self,
        write: impl FnOnce(&mut Writes<'_>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let path = self.path.clone();
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|err| store_error(&path, err))?;
        let written = write(&mut Writes {
            connection: &transaction,
            path: &path,
        })?;
        transaction
            .commit()
            .map_err(|err| store_error(&path, err))?;
        Ok(written)
    }
}

/// A write transaction of the file, for the shared writes.
struct Writes<'t> {
    connection: &'t Connection,
    path: &'t Path,
}

impl sql::Transaction for Writes<'_> {
    fn execute(&mut self, sql: &str, values: &[sql::Value]) -> Result<(), Error> {
        self.connection
            .prepare_cached(&Dialect::Sqlite.text(sql))
            .and_then(|mut statement| statement.execute(params_from_iter(values)))
            .map(drop)
            .map_err(|err| store_error(self.path, err))
    }

    fn query<T>(
        &mut self,
        sql: &str,
        values: &[sql::Value],
        map: &dyn Fn(&dyn sql::Row) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let error = |err| store_error(self.path, err);
        let mut statement = self
            .connection
            .prepare_cached(&Dialect::Sqlite.text(sql))
            .map_err(error)?;
        let mut rows = statement.query(params_from_iter(values)).map_err(error)?;
        let mut found = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            found.push(map(&SqliteRow {
                row,
                path: self.path,
            })?);
        }
        Ok(found)
    }

    fn error(&self, source: Box<dyn std::error::Error + Send + Sync>) -> Error {
        Error::Store {
            location: self.path.display().to_string(),
            source,
        }
    }
}

impl sql::Runner for SqliteStore {
    const DIALECT: Dialect = Dialect::Sqlite;

    fn each_row<T: Send + 'static>(
        &self,
        query: Query,
        map: impl Fn(&dyn sql::Row) -> Result<T, Error> + Send + 'static,
        each: &mut dyn FnMut(T) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut statement = self
            .connection
            .prepare(&query.sql)
            .map_err(|e| self.error(e))?;
        let mut rows = statement
            .query(params_from_iter(&query.values))
            .map_err(|e| self.error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            each(map(&SqliteRow {
                row,
                path: &self.path,
            })?)?;
        }
        Ok(())
    }
}

impl WriteTuning for SqliteStore {
    /// Yes: a commit per report page measured slower (BENCHMARKS.md).
    fn gathers_batches(&self) -> bool {
        true
    }

    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error> {
        let writer = Self::open(&self.path)?;
        writer
            .connection
            .execute_batch(file::WRITER_PRAGMAS)
            .map_err(|e| writer.error(e))?;
        Ok(Some(Box::new(writer)))
    }
}

impl Store for SqliteStore {
    sql::shared_queries!();

    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn lock_sync(&mut self, account: &str) -> Result<(), Error> {
        if self.sync_locks.contains_key(account) {
            return Ok(());
        }
        let lock_path = self.lock_path(account);
        file::create_if_missing(&lock_path)?;
        let lock = Connection::open(&lock_path).map_err(|e| self.error(e))?;
        // Not waiting: a second sync says at once that one is running.
        lock.busy_timeout(Duration::ZERO)
            .map_err(|e| self.error(e))?;
        match lock.execute_batch("BEGIN EXCLUSIVE") {
            Ok(()) => {
                self.sync_locks.insert(account.to_owned(), lock);
                Ok(())
            }
            Err(err) if err.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                Err(Error::SyncRunning {
                    location: self.location(),
                    account: account.to_owned(),
                })
            }
            Err(err) => Err(self.error(err)),
        }
    }

    fn unlock_sync(&mut self, account: &str) {
        // Closing the connection ends its transaction and the lock with it.
        self.sync_locks.remove(account);
    }

    fn check(&self) -> Result<Soundness, Error> {
        let mut soundness = Soundness::default();
        let lines = self
            .connection
            .prepare("PRAGMA quick_check")
            .and_then(|mut statement| {
                statement
                    .query_map([], |row| row.get::<_, String>(0))
                    .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            })
            .map_err(|e| self.error(e));
        match lines {
            Ok(lines) => {
                for line in lines.into_iter().filter(|line| line != "ok") {
                    soundness.problem(line);
                }
            }
            Err(err) => soundness.damage("SQLite's quick_check", err)?,
        }
        soundness.checked("SQLite's quick_check of the file (its pages, records and indexes)");
        crate::sql::check_rules(self, &mut soundness)?;
        Ok(soundness)
    }

    fn fingerprints(&self, account: &str) -> Result<Vec<StoredFingerprint>, Error> {
        let mut statement = self
            .connection
            .prepare(&Dialect::Sqlite.text(sql::FINGERPRINTS))
            .map_err(|e| self.error(e))?;
        statement
            .query_map([account], apply::fingerprint_row)
            .and_then(Iterator::collect)
            .map_err(|e| self.error(e))
    }

    fn stored_statuses(
        &self,
        account: &str,
        order_ids: &[u64],
    ) -> Result<HashMap<u64, StoredStatus>, Error> {
        apply::statuses_of(&self.connection, account, order_ids).map_err(|e| self.error(e))
    }

    fn apply(&mut self, batch: Batch) -> Result<Applied, Error> {
        let path = self.path.clone();
        let error = |err| store_error(&path, err);
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(error)?;
        let applied = apply::apply(&transaction, &path, &mut self.packer, &batch)?;
        transaction.commit().map_err(error)?;
        Ok(applied)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    /// The plan of `inventory expiring`, as SQLite explains it.
    fn expiring_plan(accounts: &[String]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("inventory.sqlite")).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let query = sql::expiring_query(
            Dialect::Sqlite,
            accounts,
            Some(today),
            today + chrono::Days::new(30),
            false,
        );
        let mut explain = store
            .connection
            .prepare(&format!("EXPLAIN QUERY PLAN {}", query.sql))
            .unwrap();
        let steps = explain
            .query_map(params_from_iter(&query.values), |row| {
                row.get::<_, String>(3)
            })
            .unwrap();
        steps.collect::<Result<Vec<_>, _>>().unwrap().join("\n")
    }

    #[test]
    fn expiring_reads_its_index_alone_in_order() {
        for accounts in [vec![], vec!["default".to_owned(), "eu".to_owned()]] {
            let plan = expiring_plan(&accounts);
            assert!(
                plan.contains("COVERING INDEX orders_expiring"),
                "{accounts:?}: {plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{accounts:?}: {plan}");
        }
    }
}
