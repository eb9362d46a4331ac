//! The embedded store: one SQLite file in WAL mode, so queries read while a sync writes.
//!
//! Everything specific to SQLite's dialect stays in this module. A second file beside the
//! inventory (`<file>.sync-lock`) carries the sync lock: an exclusive SQLite lock on it, which
//! ends with the process that holds it, however that process ends.

mod schema;

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, ToSql, params};
use serde_json::value::RawValue;

use crate::error::Error;
use crate::find::{Find, name_key};
use crate::order::{HistoryEntry, StoredOrder, days_left};
use crate::store::{Applied, Batch, Known, Listing, OrderJson, OrderRecord, Store, SyncState};

/// The inventory schema version this build writes (SQLite's `user_version`).
pub const SCHEMA_VERSION: i64 = schema::LATEST;

/// How long a write waits for another writer's transaction (one batch) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The columns a query reads, in [`stored_order`]'s order; the last two are the JSON.
const COLUMNS: &str = "order_id, status, common_name, dns_names, valid_from, valid_till, \
     product_name_id, thumbprint, serial_number, organization, certificate_id, last_seen";

/// A sync's writer connection ([`Store::writer`]): a page cache that holds the indexes being
/// written (32 MiB at most, taken only as pages are touched; SQLite's default is 2 MiB, and a
/// full sync then reads back and rewrites index pages all the time), and a checkpoint every
/// 8,192 pages of WAL (64 MiB), not every 1,000.
const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -32768; PRAGMA wal_autocheckpoint = 8192; \
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
    /// Open while this handle holds the sync lock.
    sync_lock: Option<Connection>,
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
            sync_lock: None,
        })
    }

    /// The inventory's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file carrying the sync lock.
    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".sync-lock");
        PathBuf::from(name)
    }

    fn error(&self, err: rusqlite::Error) -> Error {
        schema::store_error(&self.path, err)
    }

    /// Runs a query of stored orders.
    fn orders(
        &self,
        sql: &str,
        values: &[&dyn ToSql],
        today: NaiveDate,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut statement = self.connection.prepare(sql).map_err(|e| self.error(e))?;
        let mut rows = statement.query(values).map_err(|e| self.error(e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(e))? {
            each(stored_order(row, today).map_err(|e| self.error(e))?)?;
        }
        Ok(())
    }

    fn collect(
        &self,
        sql: &str,
        values: &[&dyn ToSql],
        today: NaiveDate,
    ) -> Result<Vec<StoredOrder>, Error> {
        let mut found = Vec::new();
        self.orders(sql, values, today, &mut |order| {
            found.push(order);
            Ok(())
        })?;
        Ok(found)
    }
}

/// Creates the file (mode 0600) and its directory if missing; true if the file is empty,
/// as a file just created is.
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
    let dns_names: String = row.get(3)?;
    let valid_till = date_column(row, 5)?;
    let last_seen: String = row.get(11)?;
    Ok(StoredOrder {
        order_id: row.get(0)?,
        status: row.get(1)?,
        common_name: row.get(2)?,
        dns_names: serde_json::from_str(&dns_names).map_err(|_| column_error(3, "a name list"))?,
        valid_from: date_column(row, 4)?,
        valid_till,
        days_left: days_left(valid_till, today),
        product_name_id: row.get(6)?,
        thumbprint: row.get(7)?,
        serial_number: row.get(8)?,
        organization: row.get(9)?,
        certificate_id: row.get(10)?,
        last_seen: parse_instant(&last_seen).ok_or_else(|| column_error(11, "an instant"))?,
        report: json_column(row, 12)?,
        info: json_column(row, 13)?,
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

    fn lock_sync(&mut self) -> Result<(), Error> {
        if self.sync_lock.is_some() {
            return Ok(());
        }
        let lock_path = self.lock_path();
        create_if_missing(&lock_path)?;
        let lock = Connection::open(&lock_path).map_err(|e| self.error(e))?;
        // Not waiting: a second sync says at once that one is running.
        lock.busy_timeout(Duration::ZERO)
            .map_err(|e| self.error(e))?;
        match lock.execute_batch("BEGIN EXCLUSIVE") {
            Ok(()) => {
                self.sync_lock = Some(lock);
                Ok(())
            }
            Err(err) if err.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) => {
                Err(Error::SyncRunning {
                    location: self.location(),
                })
            }
            Err(err) => Err(self.error(err)),
        }
    }

    fn unlock_sync(&mut self) {
        // Closing the connection ends its transaction and the lock with it.
        self.sync_lock = None;
    }

    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error> {
        let writer = Self::open(&self.path)?;
        writer
            .connection
            .execute_batch(WRITER_PRAGMAS)
            .map_err(|e| writer.error(e))?;
        Ok(Some(Box::new(writer)))
    }

    fn sync_state(&self) -> Result<SyncState, Error> {
        let state = self
            .connection
            .query_row(
                "SELECT watermark, last_success, last_duration_seconds FROM sync_state WHERE id = 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, Option<String>>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, Option<f64>>(2)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.error(e))?;
        let Some((watermark, last_success, last_duration_seconds)) = state else {
            return Ok(SyncState::default());
        };
        Ok(SyncState {
            watermark: watermark.as_deref().and_then(parse_instant),
            last_success: last_success.as_deref().and_then(parse_instant),
            last_duration_seconds,
        })
    }

    fn order_count(&self) -> Result<u64, Error> {
        self.connection
            .query_row("SELECT COUNT(*) FROM orders", [], |row| row.get(0))
            .map_err(|e| self.error(e))
    }

    fn known(&self, order_ids: &[u64]) -> Result<HashMap<u64, Known>, Error> {
        let mut statement = self
            .connection
            .prepare("SELECT status, certificate_id FROM orders WHERE order_id = ?1")
            .map_err(|e| self.error(e))?;
        let mut known = HashMap::new();
        for &order_id in order_ids {
            let found = statement
                .query_row([order_id], |row| {
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
                    "UPDATE sync_state SET watermark = ?1, last_success = ?2, \
                     last_duration_seconds = ?3, last_full = CASE WHEN ?4 THEN ?2 ELSE last_full END \
                     WHERE id = 1",
                    params![
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
        today: NaiveDate,
        until: NaiveDate,
        include_expired: bool,
    ) -> Result<Vec<StoredOrder>, Error> {
        let from = if include_expired {
            NaiveDate::MIN.to_string()
        } else {
            today.to_string()
        };
        let sql = format!(
            "SELECT {COLUMNS}, {} FROM orders \
             WHERE status = 'issued' AND valid_till >= ?1 AND valid_till <= ?2 \
             ORDER BY valid_till, order_id",
            json_columns(false)
        );
        self.collect(&sql, &[&from, &until.to_string()], today)
    }

    fn find(&self, query: &Find) -> Result<Vec<StoredOrder>, Error> {
        let mut parts = Vec::new();
        let mut values: Vec<Box<dyn ToSql>> = Vec::new();
        for key in query.exact_keys() {
            values.push(Box::new(key));
            parts.push(format!(
                "SELECT order_id FROM order_names WHERE name_key = ?{}",
                values.len()
            ));
        }
        if let Some(prefix) = query.pattern_prefix() {
            // Every key that starts with the prefix: from it up to the prefix with its final
            // `.` raised to `/`, the next character.
            let end = format!("{}/", &prefix[..prefix.len() - 1]);
            values.push(Box::new(prefix));
            values.push(Box::new(end));
            parts.push(format!(
                "SELECT order_id FROM order_names WHERE name_key >= ?{} AND name_key < ?{}",
                values.len() - 1,
                values.len()
            ));
        }
        if let Some(hex) = query.hex() {
            values.push(Box::new(hex.to_owned()));
            let at = values.len();
            parts.push(format!(
                "SELECT order_id FROM orders WHERE thumbprint = ?{at}"
            ));
            parts.push(format!(
                "SELECT order_id FROM orders WHERE serial_number = ?{at}"
            ));
        }
        if let Some(order_id) = query.order_id() {
            values.push(Box::new(order_id));
            parts.push(format!("SELECT ?{}", values.len()));
        }
        let sql = format!(
            "SELECT {COLUMNS}, {} FROM orders WHERE order_id IN ({}) ORDER BY order_id DESC",
            json_columns(false),
            parts.join(" UNION ")
        );
        let values: Vec<&dyn ToSql> = values.iter().map(|value| value.as_ref()).collect();
        self.collect(&sql, &values, Utc::now().date_naive())
    }

    fn history(&self, order_id: u64) -> Result<Vec<HistoryEntry>, Error> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT status, certificate_id, seen_at FROM status_history \
                 WHERE order_id = ?1 ORDER BY seen_at, rowid",
            )
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([order_id], |row| {
                let seen_at: String = row.get(2)?;
                Ok(HistoryEntry {
                    order_id,
                    status: row.get(0)?,
                    certificate_id: row.get(1)?,
                    seen_at: parse_instant(&seen_at)
                        .ok_or_else(|| column_error(2, "an instant"))?,
                })
            })
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }

    fn list(
        &self,
        listing: Listing,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let filter = if listing.issued_only {
            "WHERE status = 'issued'"
        } else {
            ""
        };
        // One pass over the table in order id order (its rowid): through the status index,
        // SQLite would look every issued order up by id and then sort them all.
        let sql = format!(
            "SELECT {COLUMNS}, {} FROM orders NOT INDEXED {filter} ORDER BY order_id",
            json_columns(listing.whole)
        );
        self.orders(&sql, &[], Utc::now().date_naive(), each)
    }

    fn status_counts(&self) -> Result<Vec<(String, u64)>, Error> {
        let mut statement = self
            .connection
            .prepare("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status")
            .map_err(|e| self.error(e))?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(|e| self.error(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.error(e))
    }
}

/// Upserts a batch's orders, recording each new status in the history.
fn apply_orders(connection: &Connection, batch: &Batch) -> rusqlite::Result<Applied> {
    let seen_at = instant(batch.seen_at);
    let mut select =
        connection.prepare("SELECT status, certificate_id FROM orders WHERE order_id = ?1")?;
    let upsert = |json_column: &str| {
        format!(
            "INSERT INTO orders (order_id, status, common_name, dns_names, valid_from, valid_till, \
             product_name_id, thumbprint, serial_number, organization, certificate_id, last_seen, \
             {json_column}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, \
             common_name = excluded.common_name, dns_names = excluded.dns_names, \
             valid_from = excluded.valid_from, valid_till = excluded.valid_till, \
             product_name_id = excluded.product_name_id, thumbprint = excluded.thumbprint, \
             serial_number = excluded.serial_number, organization = excluded.organization, \
             certificate_id = excluded.certificate_id, last_seen = excluded.last_seen, \
             {json_column} = excluded.{json_column}"
        )
    };
    let mut upsert_report = connection.prepare(&upsert("report_json"))?;
    let mut upsert_info = connection.prepare(&upsert("info_json"))?;
    let mut history = connection.prepare(
        "INSERT INTO status_history (order_id, status, certificate_id, seen_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut forget_names = connection.prepare("DELETE FROM order_names WHERE order_id = ?1")?;
    let mut add_name = connection
        .prepare("INSERT OR IGNORE INTO order_names (name_key, order_id) VALUES (?1, ?2)")?;
    let mut applied = Applied::default();
    // By order id: the report lists the newest (highest id) first, and rows inserted before
    // the rows already stored leave pages half empty; ascending, each page fills up. The
    // sort is stable, so an order listed twice is still stored as listed last.
    let mut orders: Vec<&OrderRecord> = batch.orders.iter().collect();
    orders.sort_by_key(|order| order.order_id);
    for order in orders {
        let before: Option<(String, Option<u64>)> = select
            .query_row([order.order_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let (statement, json) = match &order.json {
            OrderJson::Report(json) => (&mut upsert_report, json),
            OrderJson::Info(json) => (&mut upsert_info, json),
        };
        statement.execute(params![
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
            seen_at,
            json,
        ])?;
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
                order.order_id,
                order.status,
                order.certificate_id,
                seen_at
            ])?;
        }
        if before.is_some() {
            forget_names.execute([order.order_id])?;
        }
        for name in names(order) {
            add_name.execute(params![name, order.order_id])?;
        }
    }
    Ok(applied)
}

/// The name keys an order is found by: its common name and DNS names.
fn names(order: &OrderRecord) -> Vec<String> {
    let mut keys: Vec<String> = order
        .common_name
        .iter()
        .chain(&order.dns_names)
        .filter(|name| !name.trim().is_empty())
        .map(|name| name_key(name))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}
