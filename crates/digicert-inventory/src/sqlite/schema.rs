//! The SQLite file's identity and schema: an application id that marks an inventory, and
//! numbered migrations counted in `user_version`.
//!
//! A file is checked before anything is written to it: a file that is not an inventory, or an
//! inventory of a newer schema, is refused and left exactly as it was.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, TransactionBehavior};

use crate::error::Error;

/// `PRAGMA application_id` of an inventory: "DCIv".
pub(crate) const APPLICATION_ID: i32 = 0x4443_4976;

/// The migrations, oldest first; the schema version is how many have run.
pub(crate) const MIGRATIONS: &[&str] = &[V1];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// Version 1: orders with their indexed columns and whole JSON, the names for `find`, the
/// status history, and the sync state.
const V1: &str = "
CREATE TABLE orders (
    order_id        INTEGER PRIMARY KEY,
    status          TEXT NOT NULL,
    common_name     TEXT,
    dns_names       TEXT NOT NULL DEFAULT '[]',
    valid_from      TEXT,
    valid_till      TEXT,
    product_name_id TEXT,
    thumbprint      TEXT,
    serial_number   TEXT,
    organization    TEXT,
    certificate_id  INTEGER,
    last_seen       TEXT NOT NULL,
    report_json     TEXT,
    info_json       TEXT
);
CREATE INDEX orders_expiring ON orders (status, valid_till);
CREATE INDEX orders_thumbprint ON orders (thumbprint);
CREATE INDEX orders_serial_number ON orders (serial_number);

CREATE TABLE order_names (
    name_key TEXT NOT NULL,
    order_id INTEGER NOT NULL,
    PRIMARY KEY (name_key, order_id)
) WITHOUT ROWID;
CREATE INDEX order_names_order ON order_names (order_id);

CREATE TABLE status_history (
    order_id       INTEGER NOT NULL,
    status         TEXT NOT NULL,
    certificate_id INTEGER,
    seen_at        TEXT NOT NULL
);
CREATE INDEX status_history_order ON status_history (order_id, seen_at);

CREATE TABLE sync_state (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    watermark             TEXT,
    last_success          TEXT,
    last_duration_seconds REAL,
    last_full             TEXT
);
INSERT INTO sync_state (id) VALUES (1);
";

/// Refuses a file that is not an inventory or is of a newer schema, reading only.
///
/// `fresh` is true for a file that was empty when opened: it becomes an inventory. So does a
/// database that holds nothing at all (no table, no application id, version 0): another
/// process that is creating the same inventory leaves one until its migration commits.
pub(crate) fn check(connection: &Connection, path: &Path, fresh: bool) -> Result<i64, Error> {
    let read = |pragma: &str| -> Result<i64, Error> {
        connection
            .pragma_query_value(None, pragma, |row| row.get::<_, i64>(0))
            .map_err(|err| match err.sqlite_error_code() {
                Some(ErrorCode::NotADatabase) => Error::NotAnInventory {
                    path: path.to_owned(),
                    detail: "not an SQLite database".to_owned(),
                },
                _ => store_error(path, err),
            })
    };
    let application_id = read("application_id")?;
    let version = read("user_version")?;
    if application_id == 0 && version == 0 && (fresh || holds_nothing(connection, path)?) {
        return Ok(0);
    }
    if application_id != i64::from(APPLICATION_ID) {
        return Err(Error::NotAnInventory {
            path: path.to_owned(),
            detail: format!("an SQLite database of another application (id {application_id:#x})"),
        });
    }
    if version > LATEST {
        return Err(Error::NewerSchema {
            path: path.to_owned(),
            found: version,
            known: LATEST,
        });
    }
    Ok(version)
}

/// Whether the database has no schema object at all.
fn holds_nothing(connection: &Connection, path: &Path) -> Result<bool, Error> {
    connection
        .query_row("SELECT COUNT(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
        .map(|objects| objects == 0)
        .map_err(|err| store_error(path, err))
}

/// Runs the migrations from the file's version to [`LATEST`] in one transaction.
pub(crate) fn migrate(connection: &mut Connection, path: &Path) -> Result<(), Error> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|err| store_error(path, err))?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let version: i64 = transaction
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|err| store_error(path, err))?;
    let done = usize::try_from(version).unwrap_or(usize::MAX);
    for migration in MIGRATIONS.iter().skip(done) {
        transaction
            .execute_batch(migration)
            .map_err(|err| store_error(path, err))?;
    }
    transaction
        .pragma_update(None, "application_id", APPLICATION_ID)
        .and_then(|()| transaction.pragma_update(None, "user_version", LATEST))
        .and_then(|()| transaction.commit())
        .map_err(|err| store_error(path, err))
}

/// A database error, naming the file.
pub(crate) fn store_error(path: &Path, err: rusqlite::Error) -> Error {
    Error::Store {
        location: path.display().to_string(),
        source: Box::new(err),
    }
}
