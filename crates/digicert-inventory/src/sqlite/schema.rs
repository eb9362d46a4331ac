//! The SQLite file's identity and schema: an application id that marks an inventory, and
//! numbered migrations counted in `user_version`.
//!
//! A file is checked before anything is written to it: a file that is not an inventory, or an
//! inventory of a newer schema, is refused and left exactly as it was.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, TransactionBehavior, params};

use super::Writes;
use super::error::store_error;
use crate::error::Error;
use crate::migrations::{self, Step};
use crate::repack::{self, MigrationProgress, PackedJson, PackedWrites};
use crate::sql::Dialect;

/// `PRAGMA application_id` of an inventory: "DCIv".
pub(crate) const APPLICATION_ID: i32 = 0x4443_4976;

/// The schema version this build writes.
pub const LATEST: i64 = migrations::latest(migrations::SQLITE);

/// Refuses a file that is not an inventory or is of a newer schema, reading only.
///
/// `fresh` is true for a file that was empty when opened: it becomes an inventory. So does a
/// database that holds nothing at all (no table, no application id, version 0): another
/// process that is creating the same inventory leaves one until its migration commits.
pub(crate) fn check(connection: &Connection, path: &Path, fresh: bool) -> Result<i64, Error> {
    // The reads in one read transaction, so they see one state of the file: read one by one,
    // the application id could come from before another process's migration commits and the
    // version or the tables from after it ("another application (id 0x0)").
    connection
        .execute_batch("BEGIN")
        .map_err(|err| store_error(path, err))?;
    let checked = identify(connection, path, fresh);
    // Only reads were made; nothing to keep. Fails only when no transaction is left open.
    let _ = connection.execute_batch("ROLLBACK");
    checked
}

/// [`check`]'s reads.
fn identify(connection: &Connection, path: &Path, fresh: bool) -> Result<i64, Error> {
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

/// Runs the migrations from the file's version to [`LATEST`] in one transaction, telling
/// `progress` how their steps go.
pub(crate) fn migrate(
    connection: &mut Connection,
    path: &Path,
    progress: Option<&MigrationProgress>,
) -> Result<(), Error> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|err| store_error(path, err))?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let version: i64 = transaction
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|err| store_error(path, err))?;
    let done = usize::try_from(version).unwrap_or(usize::MAX);
    for migration in migrations::SQLITE.iter().skip(done) {
        tracing::info!(path = %path.display(), migration = migration.file, "migrating the inventory");
        let (before, after) = migration.parts();
        transaction
            .execute_batch(before)
            .map_err(|err| store_error(path, err))?;
        let mut writes = Writes {
            connection: &transaction,
            path,
        };
        match migration.step {
            Some(Step::PackJson) => repack::pack_json(&mut writes, Dialect::Sqlite, progress)?,
            None => {}
        }
        transaction
            .execute_batch(after)
            .map_err(|err| store_error(path, err))?;
    }
    transaction
        .pragma_update(None, "application_id", APPLICATION_ID)
        .and_then(|()| transaction.pragma_update(None, "user_version", LATEST))
        .and_then(|()| transaction.commit())
        .map_err(|err| store_error(path, err))
}

impl PackedWrites for Writes<'_> {
    /// Copies each order into the new table (`orders_v6`, version 6's), its JSON packed: a
    /// statement per order, SQLite runs in this process.
    fn write_packed(&mut self, account: &str, orders: &[PackedJson]) -> Result<(), Error> {
        let mut update = self
            .connection
            .prepare_cached(
                "INSERT INTO orders_v6 (account, order_id, status, common_name, dns_names, \
                 valid_from, valid_till, product_name_id, thumbprint, serial_number, \
                 organization, certificate_id, report, info) \
                 SELECT account, order_id, status, common_name, dns_names, valid_from, \
                 valid_till, product_name_id, thumbprint, serial_number, organization, \
                 certificate_id, ?1, ?2 FROM orders WHERE account = ?3 AND order_id = ?4",
            )
            .map_err(|err| store_error(self.path, err))?;
        for order in orders {
            update
                .execute(params![order.report, order.info, account, order.order_id])
                .map_err(|err| store_error(self.path, err))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    /// A file at `version`, as that version's build left it.
    fn at_version(path: &Path, version: usize) -> Connection {
        let connection = Connection::open(path).unwrap();
        for migration in &migrations::SQLITE[..version] {
            connection.execute_batch(migration.sql).unwrap();
        }
        connection
            .pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        connection
            .pragma_update(None, "user_version", version as i64)
            .unwrap();
        connection
    }

    #[test]
    fn every_earlier_version_migrates_to_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        for version in 0..migrations::SQLITE.len() {
            let path = dir.path().join(format!("v{version}.sqlite"));
            let mut connection = at_version(&path, version);
            assert_eq!(
                check(&connection, &path, version == 0).unwrap(),
                version as i64
            );
            migrate(&mut connection, &path, None).unwrap();
            assert_eq!(check(&connection, &path, false).unwrap(), LATEST);
            // Migrating again is a no-op.
            migrate(&mut connection, &path, None).unwrap();
        }
    }

    #[test]
    fn version_1_orders_become_the_default_accounts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        let mut connection = at_version(&path, 1);
        connection
            .execute_batch(
                "INSERT INTO orders (order_id, status, common_name, dns_names, last_seen, \
                 report_json) VALUES (7, 'issued', 'a.example.com', '[\"a.example.com\"]', \
                 '2026-11-01T00:00:00.000000Z', '{\"order_id\":7,\"x\":1}');
                 INSERT INTO order_names VALUES ('com.example.a', 7);
                 INSERT INTO status_history VALUES (7, 'issued', 70, '2026-11-01T00:00:00.000000Z');
                 UPDATE sync_state SET watermark = '2026-11-01T00:00:00.000000Z', \
                 last_success = '2026-11-01T00:01:00.000000Z', last_duration_seconds = 2.5;",
            )
            .unwrap();
        migrate(&mut connection, &path, None).unwrap();
        let (account, order_id, name, report): (String, u64, String, Vec<u8>) = connection
            .query_row(
                "SELECT account, order_id, common_name, report FROM orders",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!(
            (account.as_str(), order_id, name.as_str()),
            ("default", 7, "a.example.com")
        );
        // One order trains no dictionary: its frame needs none.
        let report = crate::codec::Unpacker::without_dictionaries()
            .unpack(&report)
            .unwrap();
        assert_eq!(report, "{\"order_id\":7,\"x\":1}");
        let name: (String, String, u64) = connection
            .query_row(
                "SELECT name_key, account, order_id FROM order_names",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(name, ("com.example.a".to_owned(), "default".to_owned(), 7));
        let history: (String, u64, Option<u64>) = connection
            .query_row(
                "SELECT account, order_id, certificate_id FROM status_history",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(history, ("default".to_owned(), 7, Some(70)));
        let state: (String, String, f64) = connection
            .query_row(
                "SELECT account, watermark, last_duration_seconds FROM sync_state",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            state,
            (
                "default".to_owned(),
                "2026-11-01T00:00:00.000000Z".to_owned(),
                2.5
            )
        );
    }

    #[test]
    fn version_2_last_seen_moves_to_its_own_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.sqlite");
        let mut connection = at_version(&path, 2);
        connection
            .execute_batch(
                "INSERT INTO orders (account, order_id, status, last_seen, report_json) VALUES \
                 ('eu', 7, 'issued', '2026-11-01T00:00:00.000000Z', '{\"order_id\":7}'), \
                 ('us', 7, 'revoked', '2026-11-02T00:00:00.000000Z', '{\"order_id\":7}');",
            )
            .unwrap();
        migrate(&mut connection, &path, None).unwrap();
        let seen: Vec<(String, u64, String)> = connection
            .prepare("SELECT account, order_id, last_seen FROM order_seen ORDER BY account")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            seen,
            [
                ("eu".to_owned(), 7, "2026-11-01T00:00:00.000000Z".to_owned()),
                ("us".to_owned(), 7, "2026-11-02T00:00:00.000000Z".to_owned())
            ]
        );
        let status: String = connection
            .query_row(
                "SELECT status FROM orders WHERE account = 'us' AND order_id = 7",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(status, "revoked");
        let columns: i64 = connection
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('orders') WHERE name = 'last_seen'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(columns, 0);
    }

    #[test]
    fn a_version_1_inventory_that_never_synced_has_no_sync_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        let mut connection = at_version(&path, 1);
        migrate(&mut connection, &path, None).unwrap();
        let states: i64 = connection
            .query_row("SELECT COUNT(*) FROM sync_state", [], |row| row.get(0))
            .unwrap();
        assert_eq!(states, 0);
    }
}
