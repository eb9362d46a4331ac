//! The PostgreSQL store on a real server (`DIGICERT_TEST_POSTGRES`; skipped with a notice
//! without it, a failure under `CI=true`): creation, refusal of databases that are not
//! inventories, the sync lock across connections, the password kept out of every message,
//! and calls from inside an async runtime.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use chrono::Utc;
use common::{PgDatabase, with_dbname};
use digicert_inventory::{
    Batch, Error, Inventory, OrderJson, OrderRecord, POSTGRES_SCHEMA_VERSION, PostgresStore, Store,
};

fn record(order_id: u64, status: &str, name: &str) -> OrderRecord {
    OrderRecord {
        common_name: Some(name.to_owned()),
        dns_names: vec![name.to_owned()],
        certificate_id: Some(order_id * 10),
        ..OrderRecord::new(
            order_id,
            status,
            OrderJson::Report(format!(
                r#"{{"order_id":{order_id},"status":"{status}","common_name":"{name}"}}"#
            )),
        )
    }
}

fn batch(orders: Vec<OrderRecord>) -> Batch {
    Batch {
        account: "default".to_owned(),
        orders,
        unchanged: Default::default(),
        seen_at: Utc::now(),
        finish: None,
    }
}

/// The tables of the database's public schema.
fn tables(database: &PgDatabase) -> Vec<String> {
    database
        .client()
        .query(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn an_empty_database_becomes_an_inventory_and_reopens_unchanged() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let mut store = PostgresStore::open(&database.url).unwrap();
    store
        .apply(batch(vec![record(1, "issued", "a.example.com")]))
        .unwrap();
    drop(store);
    let store = PostgresStore::open(&database.url).unwrap();
    assert_eq!(store.order_count(&[]).unwrap(), 1);
    let version: i64 = database
        .client()
        .query_one("SELECT schema_version FROM digicert_inventory", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, POSTGRES_SCHEMA_VERSION);
    assert!(tables(&database).contains(&"orders".to_owned()));
}

#[test]
fn hosts_creating_the_same_inventory_at_once_all_succeed() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let opened: Vec<Result<PostgresStore, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| PostgresStore::open(&database.url)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for store in &opened {
        assert!(store.is_ok(), "{store:?}");
    }
    let markers: i64 = database
        .client()
        .query_one("SELECT COUNT(*) FROM digicert_inventory", &[])
        .unwrap()
        .get(0);
    assert_eq!(markers, 1);
}

#[test]
fn another_applications_database_is_refused_and_left_unchanged() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    database
        .client()
        .batch_execute("CREATE TABLE orders (id INTEGER); INSERT INTO orders VALUES (7);")
        .unwrap();
    let err = PostgresStore::open(&database.url).unwrap_err();
    assert!(matches!(err, Error::NotAnInventory { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&database.name), "{message}");
    assert!(message.contains("no inventory marker"), "{message}");
    assert_eq!(tables(&database), ["orders"]);
    let count: i64 = database
        .client()
        .query_one("SELECT COUNT(*) FROM orders", &[])
        .unwrap()
        .get(0);
    assert_eq!(count, 1);
}

#[test]
fn a_newer_schema_is_refused_and_left_unchanged() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    drop(PostgresStore::open(&database.url).unwrap());
    database
        .client()
        .execute(
            "UPDATE digicert_inventory SET schema_version = $1",
            &[&(POSTGRES_SCHEMA_VERSION + 1)],
        )
        .unwrap();
    let before = tables(&database);
    let err = PostgresStore::open(&database.url).unwrap_err();
    match &err {
        Error::NewerSchema { found, known, .. } => {
            assert_eq!(
                (*found, *known),
                (POSTGRES_SCHEMA_VERSION + 1, POSTGRES_SCHEMA_VERSION)
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(&database.name), "{err}");
    assert_eq!(tables(&database), before);
    let version: i64 = database
        .client()
        .query_one("SELECT schema_version FROM digicert_inventory", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, POSTGRES_SCHEMA_VERSION + 1);
}

#[test]
fn one_sync_lock_across_connections_ending_with_the_holder() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let mut first = PostgresStore::open(&database.url).unwrap();
    let mut second = PostgresStore::open(&database.url).unwrap();
    first.lock_sync("us").unwrap();
    let err = second.lock_sync("us").unwrap_err();
    assert!(matches!(err, Error::SyncRunning { .. }), "{err:?}");
    assert!(
        err.to_string().contains("another sync of account `us`"),
        "{err}"
    );
    // Another account's lock is another lock.
    second.lock_sync("eu").unwrap();
    // Reading and writing still work while the lock is held.
    first
        .apply(batch(vec![record(1, "issued", "a.example.com")]))
        .unwrap();
    assert_eq!(second.order_count(&[]).unwrap(), 1);
    // Given back, it can be taken again.
    first.unlock_sync("us");
    second.lock_sync("us").unwrap();
    assert!(matches!(
        first.lock_sync("us"),
        Err(Error::SyncRunning { .. })
    ));
    assert!(matches!(
        first.lock_sync("eu"),
        Err(Error::SyncRunning { .. })
    ));
    // A holder that goes away (its connection closed) loses them.
    drop(second);
    for account in ["us", "eu"] {
        common::take_lock(&mut first, account);
    }
}

#[test]
fn the_password_is_in_no_location_or_message() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let secret = "hunter2-Sekr3t";
    // The test server trusts every local connection, so any password is accepted.
    let with_password = database
        .url
        .replacen("://postgres@", &format!("://postgres:{secret}@"), 1);
    assert!(with_password.contains(secret), "{with_password}");
    let store = PostgresStore::open(&with_password).unwrap();
    assert!(!store.location().contains(secret), "{}", store.location());
    assert!(store.location().contains(&database.name));
    assert!(!format!("{store:?}").contains(secret));
    // A database that does not exist: the error names it, without the password.
    let missing = with_dbname(&with_password, "no_such_database_here");
    let err = PostgresStore::open(&missing).unwrap_err();
    let message = format!("{err} {err:?}");
    assert!(message.contains("no_such_database_here"), "{message}");
    assert!(!message.contains(secret), "{message}");
}

#[test]
fn the_store_answers_from_inside_an_async_runtime() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let count = runtime.block_on(async {
        let mut store = PostgresStore::open(&database.url).unwrap();
        store
            .apply(batch(vec![
                record(1, "issued", "a.example.com"),
                record(2, "issued", "b.example.com"),
            ]))
            .unwrap();
        Inventory::with_store(store).len().unwrap()
    });
    assert_eq!(count, 2);
}

#[test]
fn an_order_twice_in_one_batch_is_stored_once_as_its_last_copy() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let mut store = PostgresStore::open(&database.url).unwrap();
    let applied = store
        .apply(batch(vec![
            record(5, "pending", "a.example.com"),
            record(5, "issued", "b.example.com"),
        ]))
        .unwrap();
    assert_eq!((applied.added, applied.changed), (1, 1));
    let inventory = Inventory::with_store(store);
    assert_eq!(inventory.len().unwrap(), 1);
    let found = inventory.find("b.example.com").unwrap();
    assert_eq!(found[0].status, "issued");
    assert!(inventory.find("a.example.com").unwrap().is_empty());
    assert_eq!(common::statuses(&inventory, 5), ["pending", "issued"]);
}

#[test]
fn sslmode_require_refuses_a_server_without_tls() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    // The test server has no TLS: `require` must not fall back to a plain connection, and
    // `disable` connects.
    let secret = "n0t-pr1nted";
    let url = database
        .url
        .replacen("://postgres@", &format!("://postgres:{secret}@"), 1);
    let err = PostgresStore::open(&format!("{url}?sslmode=require")).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("TLS"), "{message}");
    assert!(message.contains("sslmode=require"), "{message}");
    assert!(!message.contains(secret), "{message}");
    let store = PostgresStore::open(&format!("{url}?sslmode=disable")).unwrap();
    // The store keeps the URL for its sync writer's connection, and never shows it.
    let shown = format!("{store:?} {}", store.location());
    assert!(!shown.contains(secret), "{shown}");
    drop(store);
    // A CA file that is not there is named.
    let err = PostgresStore::open(&format!("{url}?sslrootcert=/nonexistent/ca.pem")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
}
