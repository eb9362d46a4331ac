//! The PostgreSQL schema's identity and migration runner: a marker table that says a schema
//! is an inventory and of which version, and the numbered migrations
//! (`migrations/postgres/`, the same versions as SQLite's) run up to the latest.
//!
//! A database is checked before anything is written to it: one whose schema holds other
//! tables and no marker, or an inventory of a newer version, is refused and left as it was.
//! Migrations run in one transaction under an advisory lock, so that hosts creating the same
//! inventory at once all succeed: the first creates it, the others find it done.

use std::path::PathBuf;

use postgres::Client;

use super::Writes;
use super::error::{id, store_error};
use crate::error::Error;
use crate::migrations::{self, Step};
use crate::repack::{self, MigrationProgress, PackedJson, PackedWrites};
use crate::sql::Dialect;

/// The marker table's `application`.
const APPLICATION: &str = "digicert-inventory";

/// The schema version this build writes.
pub const LATEST: i64 = migrations::latest(migrations::POSTGRES);

/// The marker: which application owns the schema, and its version.
const MARKER: &str = "
CREATE TABLE digicert_inventory (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    application    TEXT NOT NULL,
    schema_version BIGINT NOT NULL
);
";

/// What the connection's schema holds.
enum Found {
    /// No table at all: it becomes an inventory.
    Empty,
    /// An inventory of this version.
    Inventory(i64),
}

/// Refuses a schema that is not an inventory or is of a newer version (reading only), and
/// brings an older or empty one up to date, telling `progress` how a migration goes.
pub(crate) fn prepare(
    client: &mut Client,
    location: &str,
    progress: Option<&MigrationProgress>,
) -> Result<(), Error> {
    if let Found::Inventory(LATEST) = check(client, location)? {
        return Ok(());
    }
    migrate(client, location, progress)
}

/// Reads what the schema holds, refusing what must be left alone.
fn check(client: &mut impl postgres::GenericClient, location: &str) -> Result<Found, Error> {
    let db = |err| store_error(location, err);
    let tables: Vec<String> = client
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() \
             ORDER BY tablename",
            &[],
        )
        .map_err(db)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(db)?;
    if tables.is_empty() {
        return Ok(Found::Empty);
    }
    if !tables.iter().any(|table| table == "digicert_inventory") {
        let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        return Err(Error::NotAnInventory {
            path: PathBuf::from(location),
            detail: format!(
                "a PostgreSQL schema with other tables ({}) and no inventory marker",
                shown.join(", ")
            ),
        });
    }
    let row = client
        .query_opt(
            "SELECT application, schema_version FROM digicert_inventory WHERE id = 1",
            &[],
        )
        .map_err(db)?;
    let Some(row) = row else {
        return Err(Error::NotAnInventory {
            path: PathBuf::from(location),
            detail: "its inventory marker is empty".to_owned(),
        });
    };
    let application: String = row.try_get(0).map_err(db)?;
    let version: i64 = row.try_get(1).map_err(db)?;
    if application != APPLICATION {
        return Err(Error::NotAnInventory {
            path: PathBuf::from(location),
            detail: format!("a schema of another application ({application})"),
        });
    }
    if version > LATEST {
        return Err(Error::NewerSchema {
            path: PathBuf::from(location),
            found: version,
            known: LATEST,
        });
    }
    Ok(Found::Inventory(version))
}

/// Runs the migrations from the schema's version to [`LATEST`] in one transaction, under
/// an advisory lock that other hosts migrating the same schema wait for.
fn migrate(
    client: &mut Client,
    location: &str,
    progress: Option<&MigrationProgress>,
) -> Result<(), Error> {
    let db = |err| store_error(location, err);
    let mut transaction = client.transaction().map_err(db)?;
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(\
             'digicert-inventory migrate ' || current_schema(), 0))",
            &[],
        )
        .map_err(db)?;
    // Read again under the lock: another host may have migrated meanwhile.
    let version = match check(&mut transaction, location)? {
        Found::Empty => {
            transaction.batch_execute(MARKER).map_err(db)?;
            transaction
                .execute(
                    "INSERT INTO digicert_inventory (id, application, schema_version) \
                     VALUES (1, $1, 0)",
                    &[&APPLICATION],
                )
                .map_err(db)?;
            0
        }
        Found::Inventory(version) => version,
    };
    let done = usize::try_from(version).unwrap_or(usize::MAX);
    for migration in migrations::POSTGRES.iter().skip(done) {
        tracing::info!(
            database = location,
            migration = migration.file,
            "migrating the inventory"
        );
        let (before, after) = migration.parts();
        transaction.batch_execute(before).map_err(db)?;
        let mut writes = Writes {
            transaction: &mut transaction,
            location,
        };
        match migration.step {
            Some(Step::PackJson) => {
                repack::pack_json(&mut writes, Dialect::Postgres, progress)?;
            }
            None => {}
        }
        transaction.batch_execute(after).map_err(db)?;
    }
    transaction
        .execute(
            "UPDATE digicert_inventory SET schema_version = $1 WHERE id = 1",
            &[&LATEST],
        )
        .map_err(db)?;
    transaction.commit().map_err(db)
}

impl PackedWrites for Writes<'_, '_> {
    /// One statement for the whole chunk, over arrays.
    fn write_packed(&mut self, account: &str, orders: &[PackedJson]) -> Result<(), Error> {
        let mut order_ids = Vec::with_capacity(orders.len());
        let mut reports = Vec::with_capacity(orders.len());
        let mut infos = Vec::with_capacity(orders.len());
        for order in orders {
            order_ids.push(id(order.order_id, self.location)?);
            reports.push(order.report.as_deref());
            infos.push(order.info.as_deref());
        }
        self.transaction
            .execute(
                "UPDATE orders SET report = t.report, info = t.info, report_json = NULL, \
                 info_json = NULL FROM UNNEST($2::bigint[], $3::bytea[], $4::bytea[]) \
                 AS t(order_id, report, info) \
                 WHERE orders.account = $1 AND orders.order_id = t.order_id",
                &[&account, &order_ids, &reports, &infos],
            )
            .map(drop)
            .map_err(|err| store_error(self.location, err))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)] // Tests fail loudly by design.

    use super::*;
    use crate::PostgresStore;

    /// A fresh database on the test server (`DIGICERT_TEST_POSTGRES`), its URL, and a
    /// client on it; `None` with a notice without a server (a failure under `CI=true`).
    fn database(label: &str) -> Option<(String, Client)> {
        let Ok(admin_url) = std::env::var("DIGICERT_TEST_POSTGRES") else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("DIGICERT_TEST_POSTGRES is not set, and CI=true");
            }
            eprintln!("skipping: DIGICERT_TEST_POSTGRES is not set");
            return None;
        };
        let name = format!("digicert_schema_{label}_{}", std::process::id());
        let mut admin = Client::connect(&admin_url, postgres::NoTls).unwrap();
        // Two statements: neither may run in the transaction a batch of them makes.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let (base, _) = admin_url.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        let client = Client::connect(&url, postgres::NoTls).unwrap();
        Some((url, client))
    }

    /// The database at `version`, as that version's build left it.
    fn at_version(client: &mut Client, version: usize) {
        if version == 0 {
            return;
        }
        client.batch_execute(MARKER).unwrap();
        for migration in &migrations::POSTGRES[..version] {
            client.batch_execute(migration.sql).unwrap();
        }
        client
            .execute(
                "INSERT INTO digicert_inventory VALUES (1, $1, $2)",
                &[&APPLICATION, &(version as i64)],
            )
            .unwrap();
    }

    #[test]
    fn every_earlier_version_migrates_to_the_latest() {
        for version in 0..migrations::POSTGRES.len() {
            let Some((url, mut client)) = database(&format!("v{version}")) else {
                return;
            };
            at_version(&mut client, version);
            drop(PostgresStore::open(&url).unwrap());
            let found: i64 = client
                .query_one("SELECT schema_version FROM digicert_inventory", &[])
                .unwrap()
                .get(0);
            assert_eq!(found, LATEST, "from version {version}");
            // Opening again changes nothing.
            drop(PostgresStore::open(&url).unwrap());
        }
    }

    #[test]
    fn version_1_orders_become_the_default_accounts() {
        let Some((url, mut client)) = database("v1_orders") else {
            return;
        };
        at_version(&mut client, 1);
        client
            .batch_execute(
                "INSERT INTO orders (order_id, status, common_name, dns_names, last_seen, \
                 report_json) VALUES (7, 'issued', 'a.example.com', '[\"a.example.com\"]', \
                 '2026-11-01T00:00:00Z', '{\"order_id\":7,\"x\":1}');
                 INSERT INTO order_names VALUES ('com.example.a', 7);
                 INSERT INTO status_history (order_id, status, certificate_id, seen_at) \
                 VALUES (7, 'issued', 70, '2026-11-01T00:00:00Z');
                 UPDATE sync_state SET watermark = '2026-11-01T00:00:00Z', \
                 last_success = '2026-11-01T00:01:00Z', last_duration_seconds = 2.5;",
            )
            .unwrap();
        drop(PostgresStore::open(&url).unwrap());
        let order = client
            .query_one("SELECT account, order_id, report FROM orders", &[])
            .unwrap();
        assert_eq!(order.get::<_, String>(0), "default");
        assert_eq!(order.get::<_, i64>(1), 7);
        // One order trains no dictionary: its frame needs none.
        let report = crate::codec::Unpacker::without_dictionaries()
            .unpack(order.get::<_, &[u8]>(2))
            .unwrap();
        assert_eq!(report, "{\"order_id\":7,\"x\":1}");
        let name = client
            .query_one("SELECT account, name_key FROM order_names", &[])
            .unwrap();
        assert_eq!(name.get::<_, String>(0), "default");
        let history: String = client
            .query_one("SELECT account FROM status_history", &[])
            .unwrap()
            .get(0);
        assert_eq!(history, "default");
        let state = client
            .query_one("SELECT account, last_duration_seconds FROM sync_state", &[])
            .unwrap();
        assert_eq!(state.get::<_, String>(0), "default");
        assert_eq!(state.get::<_, f64>(1), 2.5);
    }

    #[test]
    fn version_2_last_seen_moves_to_its_own_table() {
        let Some((url, mut client)) = database("v2_seen") else {
            return;
        };
        at_version(&mut client, 2);
        client
            .batch_execute(
                "INSERT INTO orders (account, order_id, status, last_seen, report_json) VALUES \
                 ('eu', 7, 'issued', '2026-11-01T00:00:00Z', '{\"order_id\":7}'), \
                 ('us', 7, 'revoked', '2026-11-02T00:00:00Z', '{\"order_id\":7}');",
            )
            .unwrap();
        drop(PostgresStore::open(&url).unwrap());
        let seen: Vec<(String, i64, String)> = client
            .query(
                "SELECT account, order_id, to_char(last_seen AT TIME ZONE 'UTC', \
                 'YYYY-MM-DD HH24:MI') FROM order_seen ORDER BY account",
                &[],
            )
            .unwrap()
            .iter()
            .map(|row| (row.get(0), row.get(1), row.get(2)))
            .collect();
        assert_eq!(
            seen,
            [
                ("eu".to_owned(), 7, "2026-11-01 00:00".to_owned()),
                ("us".to_owned(), 7, "2026-11-02 00:00".to_owned())
            ]
        );
        let columns: i64 = client
            .query_one(
                "SELECT COUNT(*) FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = 'orders' \
                 AND column_name = 'last_seen'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(columns, 0);
        // Stored as it is: the frames are compressed already.
        let external: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_attribute \
                 WHERE attrelid = 'orders'::regclass AND attname = 'report' \
                 AND attstorage = 'e')",
                &[],
            )
            .unwrap()
            .get(0);
        assert!(external);
    }
}
