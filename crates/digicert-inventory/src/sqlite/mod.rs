//! The embedded store: one SQLite file in WAL mode, so queries read while a sync writes.
//!
//! Everything specific to SQLite's dialect stays in this module. A file beside the inventory
//! per account (`<file>.sync-lock-<account>`) carries that account's sync lock: an exclusive
//! SQLite lock on it, which ends with the process that holds it, however that process ends.

mod schema;

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, ToSql, params};
use serde_json::value::RawValue;

use crate::error::Error;
use crate::find::Find;
use crate::order::{HistoryEntry, StoredOrder, days_left};
use crate::store::{
    Applied, Batch, Digest, Fingerprint, Known, Listing, OrderJson, OrderRecord, StatusCount,
    Store, SyncState,
};
use crate::unchanged::{Stored, StoredRange, range_limit, unchanged_orders, unchanged_runs};

/// The inventory schema version this build writes (SQLite's `user_version`).
pub const SCHEMA_VERSION: i64 = schema::LATEST;

/// How long a write waits for another writer's transaction (one batch) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The columns a query of `orders` reads, in [`stored_order`]'s order; the last two are the
/// JSON. When the order was last seen is looked up in its own table by the order's key.
const COLUMNS: &str = "account, order_id, status, common_name, dns_names, valid_from, valid_till, \
     product_name_id, thumbprint, serial_number, organization, certificate_id, \
     (SELECT last_seen FROM order_seen AS seen \
     WHERE seen.account = orders.account AND seen.order_id = orders.order_id)";

/// A sync's writer connection ([`Store::writer`]): a page cache for the indexes being
/// written (16 MiB at most, taken only as pages are touched; with SQLite's default 2 MiB a
/// full sync kept reading back and spilling index pages), and a checkpoint every 8,192 pages
/// of WAL rather than every 1,000 (each checkpoint copies and syncs the file).
const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 8192; \
     PRAGMA temp_store = MEMORY;";

/// The page size of a new inventory. An order's row (its whole JSON: about 2.2 KiB from the
/// report) does not fit twice in SQLite's default 4 KiB page, so each took a page of its own,
/// half of it empty; at 16 KiB seven share one, and a full sync writes 40% fewer bytes.
const PAGE_SIZE: u32 = 16_384;

/// An inventory in an SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    connection: Connection,
    /// The sync locks this handle holds, by account.
    sync_locks: HashMap<String, Connection>,
}

impl SqliteStore {
    /// Opens the inventory at `path`, creating it (and its directory) if missing, readable by
    /// its owner only, and bringing its schema up to date.
    ///
    /// A file that is not an inventory, or one of a newer schema, is refused
    /// ([`Error::NotAnInventory`], [`Error::NewerSchema`]) and left unchanged.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_owned();
        let fresh = create_if_missing(&path)?;
        let mut connection = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|err| schema::store_error(&path, err))?;
        // Before the check: another process may be creating the same inventory.
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|err| schema::store_error(&path, err))?;
        // Switching to WAL and migrating need the whole file for a moment; SQLite answers
        // "busy" at once, without waiting, when another process is doing the same.
        let deadline = Instant::now() + BUSY_TIMEOUT;
        loop {
            match prepare(&mut connection, &path, fresh) {
                Err(err) if err.is_busy() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                result => break result?,
            }
        }
        Ok(Self {
            path,
            connection,
            sync_locks: HashMap::new(),
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
        schema::store_error(&self.path, err)
    }

    /// Runs a query of stored orders.
    fn orders(
        &self,
        query: &Query,
        today: NaiveDate,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut statement = self
            .connection
            .prepare(&query.sql)
            .map_err(|e| self.error(e))?;
        let mut rows = statement
            .query(query.values().as_slice())
            .map_err(|e| self.error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            each(stored_order(row, today).map_err(|e| self.error(e))?)?;
        }
        Ok(())
    }

    fn collect(&self, query: &Query, today: NaiveDate) -> Result<Vec<StoredOrder>, Error> {
        let mut found = Vec::new();
        self.orders(query, today, &mut |order| {
            found.push(order);
            Ok(())
        })?;
        Ok(found)
    }
}

/// SQL with its values bound by position, built a clause at a time.
#[derive(Default)]
struct Query {
    sql: String,
    values: Vec<Box<dyn ToSql>>,
}

impl Query {
    fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Binds a value; its placeholder (`?N`).
    fn bind(&mut self, value: impl ToSql + 'static) -> String {
        self.values.push(Box::new(value));
        format!("?{}", self.values.len())
    }

    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// ` AND <column> IN (...)` for a non-empty list of accounts; nothing for every account.
    fn accounts(&mut self, column: &str, accounts: &[String]) {
        if accounts.is_empty() {
            return;
        }
        let placeholders: Vec<String> = accounts.iter().map(|a| self.bind(a.clone())).collect();
        self.sql
            .push_str(&format!(" AND {column} IN ({})", placeholders.join(", ")));
    }

    fn values(&self) -> Vec<&dyn ToSql> {
        self.values.iter().map(|value| value.as_ref()).collect()
    }
}

/// Checks the file is an inventory, switches it to WAL and brings its schema up to date.
fn prepare(connection: &mut Connection, path: &Path, fresh: bool) -> Result<(), Error> {
    let version = schema::check(connection, path, fresh)?;
    if version == 0 {
        // Only a database without pages takes it (and only before WAL); on any other it
        // does nothing.
        connection
            .pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(|err| schema::store_error(path, err))?;
    }
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|err| schema::store_error(path, err))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "the inventory is not in WAL mode");
    }
    connection
        .pragma_update(None, "synchronous", "NORMAL")
        .map_err(|err| schema::store_error(path, err))?;
    if version < schema::LATEST {
        schema::migrate(connection, path)?;
    }
    Ok(())
}

/// Creates the file (mode 0600) and its directory if missing; true if the file is empty,
/// as a file just created is.
fn create_if_missing(path: &Path) -> Result<bool, Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir(parent).map_err(io)?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(true),
        Err(err) if err.kind() == ErrorKind::AlreadyExists => {
            Ok(fs::metadata(path).map_err(io)?.len() == 0)
        }
        Err(err) => Err(io(err)),
    }
}

/// Creates a directory and its parents, readable by the owner only where new.
fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Instants as stored: RFC 3339 in UTC with microseconds, so text order is time order.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// A conversion failure of one stored column.
fn column_error(index: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        rusqlite::types::Type::Text,
        format!("not {what}").into(),
    )
}

fn date_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<NaiveDate>> {
    row.get::<_, Option<String>>(index)?
        .map(|text| {
            // `YYYY-MM-DD`, as stored; `FromStr` reads it without parsing a format string.
            text.parse::<NaiveDate>()
                .map_err(|_| column_error(index, "a date"))
        })
        .transpose()
}

fn json_column(row: &Row<'_>, index: usize) -> rusqlite::Result<Option<Box<RawValue>>> {
    row.get::<_, Option<String>>(index)?
        .map(|text| RawValue::from_string(text).map_err(|_| column_error(index, "JSON")))
        .transpose()
}

/// One row of [`COLUMNS`] (and the two JSON columns) as a stored order.
fn stored_order(row: &Row<'_>, today: NaiveDate) -> rusqlite::Result<StoredOrder> {
    let dns_names: String = row.get(4)?;
    let valid_till = date_column(row, 6)?;
    let last_seen: String = row.get(12)?;
    Ok(StoredOrder {
        account: row.get(0)?,
        order_id: row.get(1)?,
        status: row.get(2)?,
        common_name: row.get(3)?,
        dns_names: serde_json::from_str(&dns_names).map_err(|_| column_error(4, "a name list"))?,
        valid_from: date_column(row, 5)?,
        valid_till,
        days_left: days_left(valid_till, today),
        product_name_id: row.get(7)?,
        thumbprint: row.get(8)?,
        serial_number: row.get(9)?,
        organization: row.get(10)?,
        certificate_id: row.get(11)?,
        last_seen: parse_instant(&last_seen).ok_or_else(|| column_error(12, "an instant"))?,
        report: json_column(row, 13)?,
        info: json_column(row, 14)?,
    })
}

/// The JSON columns, whole or not.
fn json_columns(whole: bool) -> &'static str {
    if whole {
        "report_json, info_json"
    } else {
        "NULL, NULL"
    }
}

impl Store for SqliteStore {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    fn lock_sync(&mut self, account: &str) -> Result<(), Error> {
        if self.sync_locks.contains_key(account) {
            return Ok(());
        }
        let lock_path = self.lock_path(account);
        create_if_missing(&lock_path)?;
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

    /// Yes: a commit per report page measured slower (a re-pull of 100,000 orders: 1.9 s
    /// and 2.4 s of CPU, against 1.7 s and 2.1 s).
    fn gathers_batches(&self) -> bool {
        true
    }

    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error> {
        let writer = Self::open(&self.path)?;
        writer
            .connection
            .execute_batch(WRITER_PRAGMAS)
            .map_err(|e| writer.error(e))?;
        Ok(Some(Box::new(writer)))
    }

    fn sync_state(&self, account: &str) -> Result<SyncState, Error> {
        Ok(self
            .sync_states_where(Some(account))?
            .into_iter()
            .next()
            .map(|(_, state)| state)
            .unwrap_or_default())
    }

    fn sync_states(&self) -> Result<Vec<(String, SyncState)>, Error> {
        self.sync_states_where(None)
    }

    fn order_count(&self, accounts: &[String]) -> Result<u64, Error> {
        let mut query = Query::new("SELECT COUNT(*) FROM orders WHERE 1");
        query.accounts("account", accounts);
        self.connection
            .query_row(&query.sql, query.values().as_slice(), |row| row.get(0))
            .map_err(|e| self.error(e))
    }

    fn fingerprints(&self, account: &str) -> Result<Vec<Fingerprint>, Error> {
        let mut statement = self
            .connection
            .prepare("SELECT order_id, digest FROM order_seen WHERE account = ?1 ORDER BY order_id")
            .map_err(|e| self.error(e))?;
        statement
            .query_map([account], |row| {
                let digest: Option<Vec<u8>> = row.get(1)?;
                Ok((
                    row.get(0)?,
                    digest.and_then(|digest| digest.try_into().ok()),
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.error(e))
    }

    fn known(&self, account: &str, order_ids: &[u64]) -> Result<HashMap<u64, Known>, Error> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT status, certificate_id FROM orders WHERE account = ?1 AND order_id = ?2",
            )
            .map_err(|e| self.error(e))?;
        let mut known = HashMap::new();
        for &order_id in order_ids {
            let found = statement
                .query_row(params![account, order_id], |row| {
                    Ok(Known {
                        status: row.get(0)?,
                        certificate_id: row.get(1)?,
                    })
                })
                .optional()
                .map_err(|e| self.error(e))?;
            if let Some(found) = found {
                known.insert(order_id, found);
            }
        }
        Ok(known)
    }

    fn apply(&mut self, batch: Batch) -> Result<Applied, Error> {
        let path = self.path.clone();
        let error = |err| schema::store_error(&path, err);
        let transaction = self
            .connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(error)?;
        let applied = apply_orders(&transaction, &batch).map_err(error)?;
        if let Some(finish) = &batch.finish {
            transaction
                .execute(
                    "INSERT INTO sync_state (account, watermark, last_success, \
                     last_duration_seconds, last_full) \
                     VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 THEN ?3 END) \
                     ON CONFLICT (account) DO UPDATE SET watermark = excluded.watermark, \
                     last_success = excluded.last_success, \
                     last_duration_seconds = excluded.last_duration_seconds, \
                     last_full = COALESCE(excluded.last_full, last_full)",
                    params![
                        batch.account,
                        instant(finish.watermark),
                        instant(batch.seen_at),
                        finish.duration_seconds,
                        finish.full
                    ],
                )
                .map_err(error)?;
        }
        transaction.commit().map_err(error)?;
        Ok(applied)
    }

    fn expiring(
        &self,
        accounts: &[String],
        today: NaiveDate,
        until: NaiveDate,
        include_expired: bool,
    ) -> Result<Vec<StoredOrder>, Error> {
        let from = (!include_expired).then_some(today);
        self.collect(&expiring_query(accounts, from, until), today)
    }

    fn find(&self, accounts: &[String], find: &Find) -> Result<Vec<StoredOrder>, Error> {
        let mut query = Query::default();
        let mut parts = Vec::new();
        for key in find.exact_keys() {
            let key = query.bind(key);
            parts.push(format!(
                "SELECT account, order_id FROM order_names WHERE name_key = {key}"
            ));
        }
        if let Some(prefix) = find.pattern_prefix() {
            // Every key that starts with the prefix: from it up to the prefix with its final
            // `.` raised to `/`, the next character.
            let end = query.bind(format!("{}/", &prefix[..prefix.len() - 1]));
            let start = query.bind(prefix);
            parts.push(format!(
                "SELECT account, order_id FROM order_names \
                 WHERE name_key >= {start} AND name_key < {end}"
            ));
        }
        if let Some(hex) = find.hex() {
            let hex = query.bind(hex.to_owned());
            parts.push(format!(
                "SELECT account, order_id FROM orders WHERE thumbprint = {hex}"
            ));
            parts.push(format!(
                "SELECT account, order_id FROM orders WHERE serial_number = {hex}"
            ));
        }
        if let Some(order_id) = find.order_id() {
            let order_id = query.bind(order_id);
            parts.push(format!(
                "SELECT account, order_id FROM orders WHERE order_id = {order_id}"
            ));
        }
        // The hits first, then each one's order by its key: with `(account, order_id) IN
        // (...)`, SQLite walked every order in id order and tested each against the hits.
        query.sql = format!(
            "WITH hit (hit_account, hit_order_id) AS ({}) \
             SELECT {COLUMNS}, {} FROM hit CROSS JOIN orders \
             ON account = hit_account AND order_id = hit_order_id WHERE 1",
            parts.join(" UNION "),
            json_columns(false)
        );
        query.accounts("account", accounts);
        query.push(" ORDER BY order_id DESC, account");
        self.collect(&query, Utc::now().date_naive())
    }

    fn history(&self, accounts: &[String], order_id: u64) -> Result<Vec<HistoryEntry>, Error> {
        let mut query = Query::new(
            "SELECT account, status, certificate_id, seen_at FROM status_history \
             WHERE order_id = ?1",
        );
        query.bind(order_id);
        query.accounts("account", accounts);
        query.push(" ORDER BY account, seen_at, rowid");
        let mut statement = self
            .connection
            .prepare(&query.sql)
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(query.values().as_slice(), |row| {
                let seen_at: String = row.get(3)?;
                Ok(HistoryEntry {
                    account: row.get(0)?,
                    order_id,
                    status: row.get(1)?,
                    certificate_id: row.get(2)?,
                    seen_at: parse_instant(&seen_at)
                        .ok_or_else(|| column_error(3, "an instant"))?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    fn list(
        &self,
        accounts: &[String],
        listing: Listing,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut query = Query::new(format!(
            "SELECT {COLUMNS}, {} FROM orders WHERE 1",
            json_columns(listing.whole)
        ));
        if listing.issued_only {
            // `+`: not through the status index, which would look every issued order up
            // and then sort them all; the listing walks the orders in key order.
            query.push(" AND +status = 'issued'");
        }
        query.accounts("account", accounts);
        query.push(" ORDER BY account, order_id");
        self.orders(&query, Utc::now().date_naive(), each)
    }

    fn status_counts(&self, accounts: &[String]) -> Result<Vec<StatusCount>, Error> {
        let mut query = Query::new("SELECT account, status, COUNT(*) FROM orders WHERE 1");
        query.accounts("account", accounts);
        query.push(" GROUP BY account, status ORDER BY account, status");
        let mut statement = self
            .connection
            .prepare(&query.sql)
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map(query.values().as_slice(), |row| {
                Ok(StatusCount {
                    account: row.get(0)?,
                    status: row.get(1)?,
                    count: row.get(2)?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }
}

impl SqliteStore {
    /// The sync state of one account, or of every account that has synced.
    fn sync_states_where(&self, account: Option<&str>) -> Result<Vec<(String, SyncState)>, Error> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT account, watermark, last_success, last_duration_seconds FROM sync_state \
                 WHERE ?1 IS NULL OR account = ?1 ORDER BY account",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([account], |row| {
                let watermark: Option<String> = row.get(1)?;
                let last_success: Option<String> = row.get(2)?;
                Ok((
                    row.get(0)?,
                    SyncState {
                        watermark: watermark.as_deref().and_then(parse_instant),
                        last_success: last_success.as_deref().and_then(parse_instant),
                        last_duration_seconds: row.get(3)?,
                    },
                ))
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }
}

/// Issued orders whose certificate expires from `from` (any time if `None`) to `until`,
/// soonest first: read from the `orders_expiring` index alone (schema version 4).
fn expiring_query(accounts: &[String], from: Option<NaiveDate>, until: NaiveDate) -> Query {
    let from = from.unwrap_or(NaiveDate::MIN);
    let mut query = Query::new(format!(
        "SELECT {COLUMNS}, {} FROM orders WHERE status = 'issued'",
        json_columns(false)
    ));
    let (from, until) = (query.bind(from.to_string()), query.bind(until.to_string()));
    query.push(&format!(
        " AND valid_till >= {from} AND valid_till <= {until}"
    ));
    query.accounts("account", accounts);
    query.push(" ORDER BY valid_till, order_id, account");
    query
}

/// Upserts a batch's orders, recording each new status in the history.
fn apply_orders(connection: &Connection, batch: &Batch) -> rusqlite::Result<Applied> {
    let seen_at = instant(batch.seen_at);
    let account = &batch.account;
    // By order id: the report lists the newest (highest id) first, and rows inserted before
    // the rows already stored leave pages half empty; ascending, each page fills up. The
    // sort is stable, so an order listed twice is still stored as listed last.
    let mut orders: Vec<&OrderRecord> = batch.orders.iter().collect();
    orders.sort_by_key(|order| order.order_id);
    let digests: Vec<Digest> = orders.iter().map(|order| order.json.digest()).collect();
    let stored = stored_digests(connection, account, &orders)?;
    let unchanged = unchanged_orders(
        orders.iter().map(|order| order.order_id).zip(&digests),
        &stored.rows,
    );
    // An order sent again exactly as stored (a re-pull of an order that did not change):
    // only when it was seen moves, one statement for each run of such orders; neither its
    // row, its indexes nor its names are read or rewritten.
    let mut seen_again = connection.prepare(
        "UPDATE order_seen SET last_seen = ?1 WHERE account = ?2 AND order_id BETWEEN ?3 AND ?4",
    )?;
    let runs = unchanged_runs(&stored, &unchanged);
    for (first, last) in runs.iter().chain(&batch.seen_again.runs) {
        seen_again.execute(params![seen_at, account, first, last])?;
    }
    let mut applied = Applied {
        unchanged: batch.seen_again.orders
            + orders
                .iter()
                .filter(|order| unchanged.contains(&order.order_id))
                .count() as u64,
        ..Applied::default()
    };
    // The orders held before their first write in this batch (every stored order has its
    // row in `order_seen`, written with it): only these have a row to read.
    let mut present: HashSet<u64> = stored.rows.iter().map(|(order_id, _)| *order_id).collect();
    let mut select = connection.prepare(
        "SELECT status, certificate_id FROM orders WHERE account = ?1 AND order_id = ?2",
    )?;
    let mut seen = connection.prepare(
        "INSERT INTO order_seen (account, order_id, last_seen, digest) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (account, order_id) DO UPDATE SET last_seen = excluded.last_seen, \
         digest = excluded.digest",
    )?;
    let upsert = |json_column: &str| {
        format!(
            "INSERT INTO orders (account, order_id, status, common_name, dns_names, valid_from, \
             valid_till, product_name_id, thumbprint, serial_number, organization, certificate_id, \
             {json_column}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (account, order_id) DO UPDATE SET status = excluded.status, \
             common_name = excluded.common_name, dns_names = excluded.dns_names, \
             valid_from = excluded.valid_from, valid_till = excluded.valid_till, \
             product_name_id = excluded.product_name_id, thumbprint = excluded.thumbprint, \
             serial_number = excluded.serial_number, organization = excluded.organization, \
             certificate_id = excluded.certificate_id, {json_column} = excluded.{json_column}"
        )
    };
    let mut upsert_report = connection.prepare(&upsert("report_json"))?;
    let mut upsert_info = connection.prepare(&upsert("info_json"))?;
    let mut history = connection.prepare(
        "INSERT INTO status_history (account, order_id, status, certificate_id, seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut forget_names =
        connection.prepare("DELETE FROM order_names WHERE account = ?1 AND order_id = ?2")?;
    let mut add_name = connection.prepare(
        "INSERT OR IGNORE INTO order_names (name_key, account, order_id) VALUES (?1, ?2, ?3)",
    )?;
    for (order, digest) in orders.into_iter().zip(&digests) {
        if unchanged.contains(&order.order_id) {
            continue;
        }
        let (statement, json) = match &order.json {
            OrderJson::Report(json) => (&mut upsert_report, json),
            OrderJson::Info(json) => (&mut upsert_info, json),
        };
        let before: Option<(String, Option<u64>)> = if present.insert(order.order_id) {
            None
        } else {
            select
                .query_row(params![account, order.order_id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()?
        };
        statement.execute(params![
            account,
            order.order_id,
            order.status,
            order.common_name,
            serde_json::to_string(&order.dns_names).unwrap_or_else(|_| "[]".to_owned()),
            order.valid_from.map(|d| d.to_string()),
            order.valid_till.map(|d| d.to_string()),
            order.product_name_id,
            order.thumbprint,
            order.serial_number,
            order.organization,
            order.certificate_id,
            json,
        ])?;
        seen.execute(params![account, order.order_id, seen_at, &digest[..]])?;
        let same = before.as_ref().is_some_and(|(status, certificate_id)| {
            *status == order.status && *certificate_id == order.certificate_id
        });
        match (&before, same) {
            (None, _) => applied.added += 1,
            (Some(_), false) => applied.changed += 1,
            (Some(_), true) => applied.unchanged += 1,
        }
        if !same {
            history.execute(params![
                account,
                order.order_id,
                order.status,
                order.certificate_id,
                seen_at
            ])?;
        }
        if before.is_some() {
            forget_names.execute(params![account, order.order_id])?;
        }
        for name in order.name_keys() {
            add_name.execute(params![name, account, order.order_id])?;
        }
    }
    Ok(applied)
}

/// The fingerprints stored for the account's orders from the batch's lowest order id to its
/// highest (sorted by id), in one range read; only the batch's own orders when that range
/// holds many more ([`crate::unchanged`]).
fn stored_digests(
    connection: &Connection,
    account: &str,
    orders: &[&OrderRecord],
) -> rusqlite::Result<StoredRange> {
    let (Some(first), Some(last)) = (orders.first(), orders.last()) else {
        return Ok(StoredRange {
            rows: Vec::new(),
            whole: true,
        });
    };
    let limit = range_limit(orders.len());
    let mut range = connection.prepare(
        "SELECT order_id, digest FROM order_seen \
         WHERE account = ?1 AND order_id BETWEEN ?2 AND ?3 ORDER BY order_id LIMIT ?4",
    )?;
    let rows = range
        .query_map(
            params![account, first.order_id, last.order_id, limit + 1],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?
        .collect::<rusqlite::Result<Vec<Stored>>>()?;
    if rows.len() <= limit {
        return Ok(StoredRange { rows, whole: true });
    }
    let mut one = connection
        .prepare("SELECT order_id, digest FROM order_seen WHERE account = ?1 AND order_id = ?2")?;
    let mut ids: Vec<u64> = orders.iter().map(|order| order.order_id).collect();
    ids.dedup();
    let mut rows = Vec::with_capacity(ids.len());
    for order_id in ids {
        let row = one
            .query_row(params![account, order_id], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        rows.extend(row);
    }
    Ok(StoredRange { rows, whole: false })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The plan of `inventory expiring`, as SQLite explains it.
    fn expiring_plan(accounts: &[String]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("inventory.sqlite")).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let query = expiring_query(accounts, Some(today), today + chrono::Days::new(30));
        let mut explain = store
            .connection
            .prepare(&format!("EXPLAIN QUERY PLAN {}", query.sql))
            .unwrap();
        let steps = explain
            .query_map(query.values().as_slice(), |row| row.get::<_, String>(3))
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
