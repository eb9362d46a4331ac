//! The PostgreSQL store when its network fails, through a loopback relay the test controls
//! ([`Relay`]; a real server, `DIGICERT_TEST_POSTGRES`): a lost connection is
//! [`Error::Unavailable`] and a new store works once the server can be reached again; a sync
//! whose lock connection alone is cut stops before its next write, another host takes the
//! account over, and the inventory ends as CertCentral has it, nothing lost, nothing doubled.

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{PgDatabase, take_lock};
use digicert_api::transport::BlockingTransport;
use digicert_api::{Config, blocking};
use digicert_inventory::{DEFAULT_ACCOUNT, Error, Inventory, PostgresStore, Store, SyncOptions};
use digicert_mock::{FaultPlan, MockConfig, MockServer, Relay};

#[test]
fn a_lost_connection_is_unavailable_and_a_new_store_works_once_the_server_is_back() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let (relay, through) = Relay::in_front_of(&database.url).unwrap();
    let store = PostgresStore::open(&through).unwrap();
    assert_eq!(store.order_count(&[]).unwrap(), 0);

    relay.refuse_new(true);
    assert_eq!(relay.cut_all(), 1);
    for _ in 0..2 {
        // The store does not connect again by itself: every call says so.
        let err = store.order_count(&[]).unwrap_err();
        assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");
        assert!(err.is_unavailable());
        assert!(err.to_string().contains("is unavailable"), "{err}");
    }
    let err = PostgresStore::open(&through).unwrap_err();
    assert!(matches!(err, Error::Unavailable { .. }), "{err:?}");

    relay.refuse_new(false);
    let store = PostgresStore::open(&through).unwrap();
    assert_eq!(store.order_count(&[]).unwrap(), 0);
}

/// A blocking client of `server`.
fn client(server: &MockServer) -> blocking::Client<impl BlockingTransport + 'static> {
    blocking::Client::with_ureq(
        Config::new(server.api_key())
            .with_base_url(server.base_url())
            .unwrap()
            .rate_limit(None),
    )
}

/// Orders in the database, read directly.
fn stored(database: &PgDatabase, table: &str) -> i64 {
    database
        .client()
        .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

#[test]
fn a_sync_whose_lock_connection_is_cut_stops_before_its_next_write_and_another_host_takes_over() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    // Five report pages, each a while apart: the first is written long before the last
    // arrives.
    let server =
        MockServer::start_background(MockConfig::default().with_orders(4_500).with_faults(
            FaultPlan {
                latency: Duration::from_millis(400),
                ..FaultPlan::default()
            },
        ))
        .unwrap();
    let (relay, through) = Relay::in_front_of(&database.url).unwrap();
    let relay = Arc::new(relay);
    // Host A through the relay: its first connection (0) holds the sync lock, its sync's
    // writer gets the next one. Host B straight to the server.
    let mut host_a = Inventory::with_store(PostgresStore::open(&through).unwrap());
    let host_b = Arc::new(Mutex::new(PostgresStore::open(&database.url).unwrap()));
    assert_eq!(relay.relayed(), 1);

    // After A's first write: cut A's lock connection only, and let B take the lock before A
    // writes again; the orders A had stored then.
    let at_cut = Arc::new(Mutex::new(None));
    let progress = {
        let (relay, host_b, at_cut) =
            (Arc::clone(&relay), Arc::clone(&host_b), Arc::clone(&at_cut));
        move |_stored: u64| {
            let mut at_cut = at_cut.lock().unwrap();
            if at_cut.is_some() {
                return;
            }
            assert!(relay.cut(0), "A's lock connection was open");
            let mut host_b = host_b.lock().unwrap();
            take_lock(&mut *host_b, DEFAULT_ACCOUNT);
            *at_cut = Some(host_b.order_count(&[]).unwrap());
        }
    };
    let options = SyncOptions::new().progress(progress);
    let err = host_a
        .sync_blocking(&client(&server), &options)
        .unwrap_err();
    assert!(matches!(err, Error::LockLost { .. }), "{err:?}");
    assert!(
        err.to_string().contains("stopped before writing more"),
        "{err}"
    );
    // The writer's connection (1) lived on: the fence, not a dead connection, stopped it.
    assert_eq!(relay.relayed(), 2);
    let at_cut = at_cut.lock().unwrap().expect("A wrote before the cut");
    assert!((1..4_500).contains(&at_cut), "{at_cut}");
    // Nothing written by A after its lock was gone; no sync finished.
    assert_eq!(stored(&database, "orders") as u64, at_cut);
    assert_eq!(stored(&database, "sync_state"), 0);

    // B, holding the lock, syncs the account whole.
    drop(options);
    let mut host_b = Inventory::with_store(
        Arc::into_inner(host_b)
            .and_then(|host_b| host_b.into_inner().ok())
            .unwrap(),
    );
    let report = host_b
        .sync_blocking(&client(&server), &SyncOptions::new())
        .unwrap();
    assert!(report.full);
    assert_eq!(report.added + report.unchanged + report.changed, 4_500);

    // A, on a new connection as `serve` would open, syncs after B: incrementally.
    let mut host_a = Inventory::with_store(PostgresStore::open(&through).unwrap());
    let report = host_a
        .sync_blocking(&client(&server), &SyncOptions::new())
        .unwrap();
    assert!(!report.full, "{report:?}");

    // Every order of the mock once, with one history entry (its one status), one seen row.
    let ids: BTreeSet<u64> = {
        let mut ids = BTreeSet::new();
        host_a
            .export(|order| {
                assert!(ids.insert(order.order_id), "order {} twice", order.order_id);
                Ok(())
            })
            .unwrap();
        ids
    };
    let expected: BTreeSet<u64> = server.dataset().order_ids().collect();
    assert_eq!(ids, expected);
    assert_eq!(stored(&database, "order_seen"), 4_500);
    assert_eq!(stored(&database, "status_history"), 4_500);
    assert!(host_a.check().unwrap().is_sound());
}
