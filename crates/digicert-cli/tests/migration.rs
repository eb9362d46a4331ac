//! An inventory of an earlier schema, killed while `digicert` migrates it as it opens: it is
//! left as it was or migrated whole, and the next open migrates it, every order's JSON kept
//! byte for byte. On a file (the version 4 fixture, grown) and on a PostgreSQL database
//! (made at version 4 from the migrations' own files).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::db::PgDatabase;
use support::{command, exit_code, same_instants, text};

/// Each order's report row, by account and order id.
type Reports = BTreeMap<(String, u64), String>;

/// The inventory crate's folder.
fn inventory_crate() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../digicert-inventory")
}

/// The version 4 fixture, grown to `copies` times its orders (ids moved up by a million).
fn old_file(dir: &Path, copies: u64) -> PathBuf {
    let path = dir.join("inventory.sqlite");
    std::fs::copy(
        inventory_crate().join("tests/fixtures/inventory-v4.sqlite"),
        &path,
    )
    .unwrap();
    let connection = rusqlite::Connection::open(&path).unwrap();
    let copies = format!(
        "WITH RECURSIVE copy(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM copy WHERE n < {}) ",
        copies - 1
    );
    connection
        .execute_batch(&format!(
            "BEGIN;
             INSERT INTO orders (account, order_id, status, common_name, dns_names, valid_from,
                 valid_till, product_name_id, thumbprint, serial_number, organization,
                 certificate_id, report_json, info_json)
             {copies} SELECT account, order_id + n * 1000000, status, common_name, dns_names,
                 valid_from, valid_till, product_name_id, thumbprint, serial_number,
                 organization, certificate_id, report_json, info_json FROM orders, copy;
             INSERT INTO order_seen (account, order_id, last_seen, digest)
             {copies} SELECT account, order_id + n * 1000000, last_seen, digest
                 FROM order_seen, copy;
             COMMIT;"
        ))
        .unwrap();
    path
}

/// The report rows the old file holds.
fn old_reports(path: &Path) -> Reports {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut statement = connection
        .prepare("SELECT account, order_id, report_json FROM orders")
        .unwrap();
    statement
        .query_map([], |row| Ok(((row.get(0)?, row.get(1)?), row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The report rows `inventory export` gives, as text.
fn exported(db: &str) -> Reports {
    let output = command()
        .args(["--db", db, "--format", "jsonl", "inventory", "export"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|line| {
            let order: serde_json::Value = serde_json::from_str(line).unwrap();
            let key = (
                order["account"].as_str().unwrap().to_owned(),
                order["order_id"].as_u64().unwrap(),
            );
            // The row as stored: the export writes it as it is, but for its times' spelling.
            let fields: std::collections::HashMap<String, Box<serde_json::value::RawValue>> =
                serde_json::from_str(line).unwrap();
            (key, fields["report"].get().to_owned())
        })
        .collect()
}

/// Each row as JSON with its times as instants in UTC (the export spells them with `Z`).
fn instants(reports: Reports) -> BTreeMap<(String, u64), serde_json::Value> {
    reports
        .into_iter()
        .map(|(key, row)| {
            let row: serde_json::Value = serde_json::from_str(&row).unwrap();
            (key, same_instants(&row))
        })
        .collect()
}

/// Opens the inventory at `db` in `digicert` (a query that reads almost nothing) and kills
/// the process after `after`.
fn open_and_kill(db: &str, after: Duration) {
    let mut child = command()
        .args(["--db", db, "inventory", "find", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    child.kill().unwrap(); // SIGKILL, or nothing if it has ended
    child.wait().unwrap();
}

/// How long `digicert` takes to open (and migrate) a copy made by `make`.
fn migration_time(make: impl Fn() -> String) -> Duration {
    let db = make();
    let started = Instant::now();
    let output = command()
        .args(["--db", &db, "inventory", "find", "1"])
        .output()
        .unwrap();
    assert!(
        matches!(exit_code(&output), 0 | 2),
        "{}",
        text(&output.stderr)
    );
    started.elapsed()
}

#[test]
fn a_file_killed_while_migrating_is_left_as_it_was_or_migrated_and_opens_again() {
    let dir = tempfile::tempdir().unwrap();
    let original = old_file(dir.path(), 150);
    let expected = old_reports(&original);
    let copy = dir.path().join("copy.sqlite");
    let make = || {
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.path().join(format!("copy.sqlite{suffix}")));
        }
        std::fs::copy(&original, &copy).unwrap();
        copy.display().to_string()
    };
    let whole = migration_time(make);
    let mut left_as_it_was = 0;
    for tenths in [1, 3, 5, 7, 9] {
        let db = make();
        open_and_kill(&db, whole * tenths / 10);
        let connection = rusqlite::Connection::open(&copy).unwrap();
        let check: String = connection
            .query_row("PRAGMA integrity_check", [], |row| row.get(0))
            .unwrap();
        assert_eq!(check, "ok", "killed at {tenths}/10");
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert!(matches!(version, 4 | 6), "killed at {tenths}/10: {version}");
        if version == 4 {
            left_as_it_was += 1;
            drop(connection);
            assert_eq!(old_reports(&copy), expected, "killed at {tenths}/10");
        }
        assert_eq!(
            instants(exported(&db)),
            instants(expected.clone()),
            "killed at {tenths}/10"
        );
    }
    assert!(left_as_it_was > 0, "no kill fell inside a migration");
}

/// A version 4 PostgreSQL inventory of `orders` orders, made from the migrations' files.
fn old_database(database: &PgDatabase, orders: u64) {
    let mut client = database.client();
    client
        .batch_execute(
            "CREATE TABLE digicert_inventory (id INTEGER PRIMARY KEY CHECK (id = 1), \
             application TEXT NOT NULL, schema_version BIGINT NOT NULL); \
             INSERT INTO digicert_inventory VALUES (1, 'digicert-inventory', 4);",
        )
        .unwrap();
    let folder = inventory_crate().join("migrations/postgres");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().as_ref() < "0005")
        .collect();
    files.sort();
    for file in files {
        client
            .batch_execute(&std::fs::read_to_string(file).unwrap())
            .unwrap();
    }
    client
        .batch_execute(&format!(
            "INSERT INTO orders (account, order_id, status, common_name, dns_names, report_json)
             SELECT 'default', n, 'issued', 'host' || n || '.example.com', '[]',
                 '{{\"order_id\":' || n || ',\"status\":\"issued\",\"note\":\"' ||
                 repeat('order ' || n || ' ', 40) || '\"}}'
             FROM generate_series(1, {orders}) AS n;
             INSERT INTO order_seen (account, order_id, last_seen)
             SELECT 'default', n, now() FROM generate_series(1, {orders}) AS n;"
        ))
        .unwrap();
}

#[test]
fn a_database_killed_while_migrating_is_left_as_it_was_or_migrated_and_opens_again() {
    let Some(first) = PgDatabase::create() else {
        return;
    };
    old_database(&first, 20_000);
    let reports = |database: &PgDatabase| -> Reports {
        database
            .client()
            .query("SELECT account, order_id, report_json FROM orders", &[])
            .unwrap()
            .iter()
            .map(|row| ((row.get(0), row.get::<_, i64>(1) as u64), row.get(2)))
            .collect()
    };
    let expected = reports(&first);
    let whole = migration_time(|| first.url.clone());
    let mut left_as_it_was = 0;
    for tenths in [1, 3, 5, 7, 9] {
        let database = PgDatabase::create().unwrap();
        old_database(&database, 20_000);
        open_and_kill(&database.url, whole * tenths / 10);
        let version: i64 = database
            .client()
            .query_one("SELECT schema_version FROM digicert_inventory", &[])
            .unwrap()
            .get(0);
        assert!(matches!(version, 4 | 6), "killed at {tenths}/10: {version}");
        if version == 4 {
            left_as_it_was += 1;
            assert_eq!(reports(&database), expected, "killed at {tenths}/10");
        }
        assert_eq!(exported(&database.url), expected, "killed at {tenths}/10");
    }
    assert!(left_as_it_was > 0, "no kill fell inside a migration");
}
