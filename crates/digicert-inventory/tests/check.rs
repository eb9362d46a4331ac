//! `Inventory::check` on both stores (see `common/`): a synced inventory is sound; a broken
//! rule is a problem; a damaged SQLite file is a problem for the check and, for every other
//! query, an error that says to move the file aside and sync again; PostgreSQL's amcheck runs
//! where it is installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};

use common::TestDb;
use digicert_api::{Config, blocking};
use digicert_inventory::{AnyStore, Error, Inventory, SyncOptions};
use digicert_mock::{MockConfig, MockServer};

/// A store synced from a mock of `orders` orders.
fn synced(db: &TestDb, orders: usize) -> Inventory<AnyStore> {
    let server = MockServer::start_background(MockConfig::default().with_orders(orders)).unwrap();
    let client = blocking::Client::with_ureq(
        Config::new(server.api_key())
            .with_base_url(server.base_url())
            .unwrap()
            .rate_limit(None),
    );
    let mut inventory = db.inventory();
    inventory
        .sync_blocking(&client, &SyncOptions::new())
        .unwrap();
    inventory
}

/// Runs a statement on the store directly, behind the inventory's back.
fn tamper(db: &TestDb, statement: &str) {
    match db {
        TestDb::Sqlite(_, path) => {
            rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(statement)
                .unwrap();
        }
        #[cfg(feature = "postgres")]
        TestDb::Postgres(database) => database.client().batch_execute(statement).unwrap(),
    }
}

#[test]
fn a_new_and_a_synced_inventory_are_sound() {
    for db in TestDb::all() {
        let soundness = db.inventory().check().unwrap();
        assert!(soundness.is_sound(), "{}: {soundness:?}", db.kind());
        let soundness = synced(&db, 300).check().unwrap();
        assert!(soundness.is_sound(), "{}: {soundness:?}", db.kind());
        assert!(
            soundness
                .checked
                .iter()
                .any(|checked| checked.contains("the inventory's rules")),
            "{soundness:?}"
        );
        let engine = match db.kind() {
            "sqlite" => "quick_check",
            _ => "amcheck",
        };
        assert!(
            soundness
                .checked
                .iter()
                .any(|checked| checked.contains(engine)),
            "{}: {soundness:?}",
            db.kind()
        );
    }
}

#[test]
fn a_broken_rule_is_a_problem() {
    for db in TestDb::all() {
        let inventory = synced(&db, 200);
        tamper(
            &db,
            "DELETE FROM order_seen WHERE order_id = (SELECT MAX(order_id) FROM orders); \
             DELETE FROM status_history WHERE order_id = (SELECT MIN(order_id) FROM orders)",
        );
        let soundness = inventory.check().unwrap();
        assert!(!soundness.is_sound(), "{}", db.kind());
        assert_eq!(
            soundness.problems,
            [
                "1 order without its row of when it was last seen",
                "1 order without a status history"
            ],
            "{}",
            db.kind()
        );
    }
}

#[test]
fn a_damaged_sqlite_file_is_unsound_and_every_query_says_to_move_it_aside() {
    let db = TestDb::sqlite();
    let TestDb::Sqlite(_, path) = &db else {
        unreachable!()
    };
    drop(synced(&db, 2_000));
    // Every page past the first three (the header, the schema) overwritten.
    let mut file = OpenOptions::new().write(true).open(path).unwrap();
    let length = file.metadata().unwrap().len();
    let page = 16_384;
    assert!(length > 8 * page, "{length}");
    file.seek(SeekFrom::Start(3 * page)).unwrap();
    file.write_all(&vec![0xA5; (length - 3 * page) as usize])
        .unwrap();
    drop(file);

    let inventory = Inventory::open(path).unwrap();
    let err = inventory.export(|_| Ok(())).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err:?}");
    let message = err.to_string();
    for words in [
        "is damaged",
        "malformed",
        "move it aside",
        "digicert sync",
        "digicert inventory check",
    ] {
        assert!(message.contains(words), "{words}: {message}");
    }
    assert!(message.contains(&path.display().to_string()), "{message}");

    let soundness = inventory.check().unwrap();
    assert!(!soundness.is_sound());
    assert!(!soundness.problems.is_empty());
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_runs_amcheck_on_every_index_where_it_is_installed() {
    let Some(database) = common::PgDatabase::create() else {
        return;
    };
    let db = TestDb::Postgres(database);
    let inventory = synced(&db, 100);
    tamper(&db, "CREATE EXTENSION amcheck");
    let soundness = inventory.check().unwrap();
    assert!(soundness.is_sound(), "{soundness:?}");
    let indexes = soundness
        .checked
        .iter()
        .find(|checked| checked.contains("amcheck (bt_index_check)"))
        .unwrap_or_else(|| panic!("{soundness:?}"));
    assert!(
        !indexes.contains("on the inventory's 0 indexes"),
        "{indexes}"
    );
}
