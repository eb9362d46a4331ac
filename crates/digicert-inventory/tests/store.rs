//! The stores on real files and a real PostgreSQL server (each test on both, see
//! `common/`): creation, refusal of files that are not inventories, migrations, the sync lock,
//! and the queries.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use common::TestDb;

use std::fs;
use std::path::Path;

use chrono::{NaiveDate, TimeZone, Utc};
use digicert_inventory::{
    AnyStore, Batch, Error, Inventory, OrderJson, OrderRecord, SCHEMA_VERSION, SqliteStore, Store,
    SyncFinish, UnchangedRuns,
};

fn record(order_id: u64, status: &str, names: &[&str], till: &str) -> OrderRecord {
    OrderRecord {
        order_id,
        status: status.to_owned(),
        common_name: names.first().map(|name| (*name).to_owned()),
        dns_names: names.iter().map(|name| (*name).to_owned()).collect(),
        valid_from: Some(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
        valid_till: NaiveDate::parse_from_str(till, "%Y-%m-%d").ok(),
        product_name_id: Some("ssl_plus".to_owned()),
        thumbprint: Some(format!("{order_id:040x}")),
        serial_number: Some(format!("0a{order_id:030x}")),
        organization: Some("Example, \"Inc\"".to_owned()),
        certificate_id: Some(order_id * 10),
        json: OrderJson::Report(format!(
            r#"{{"order_id":{order_id},"status":"{status}","extra_column":"kept"}}"#
        )),
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

/// A file's bytes and modification time, to show it was not touched.
fn snapshot(path: &Path) -> (Vec<u8>, std::time::SystemTime) {
    (
        fs::read(path).unwrap(),
        fs::metadata(path).unwrap().modified().unwrap(),
    )
}

#[test]
fn a_new_inventory_is_created_private_in_wal_mode_at_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deeper/still/inventory.sqlite");
    // A folder that is not there is not made (a typo, or a mount not there yet).
    let missing = Inventory::open(&path).unwrap_err();
    assert!(missing.is_unavailable(), "{missing}");
    assert!(missing.to_string().contains("does not exist"), "{missing}");
    assert!(!dir.path().join("deeper").exists());
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let inventory = Inventory::open(&path).unwrap();
    assert_eq!(inventory.len().unwrap(), 0);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let connection = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = connection
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn migrates_an_empty_file_to_the_latest_version_and_reopens_without_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.sqlite");
    fs::write(&path, b"").unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    store
        .apply(batch(vec![record(
            1,
            "issued",
            &["a.example.com"],
            "2027-01-01",
        )]))
        .unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.order_count(&[]).unwrap(), 1);
    let connection = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_text_file_is_refused_named_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    fs::write(&path, "these are my notes, not a database\n".repeat(200)).unwrap();
    let before = snapshot(&path);
    let err = Inventory::open(&path).unwrap_err();
    assert!(matches!(err, Error::NotAnInventory { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("not an SQLite database"), "{message}");
    assert_eq!(snapshot(&path), before);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no file beside it"
    );
}

#[test]
fn another_applications_database_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .execute_batch("CREATE TABLE orders (id INTEGER); INSERT INTO orders VALUES (7);")
            .unwrap();
    }
    let before = snapshot(&path);
    let err = Inventory::open(&path).unwrap_err();
    assert!(matches!(err, Error::NotAnInventory { .. }), "{err:?}");
    assert!(err.to_string().contains("another application"), "{err}");
    assert_eq!(snapshot(&path), before);
}

#[test]
fn a_newer_schema_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.sqlite");
    drop(Inventory::open(&path).unwrap());
    {
        let connection = rusqlite::Connection::open(&path).unwrap();
        connection
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        connection
            .pragma_update(None, "journal_mode", "DELETE")
            .unwrap();
    }
    let before = snapshot(&path);
    let err = Inventory::open(&path).unwrap_err();
    match &err {
        Error::NewerSchema { found, known, .. } => {
            assert_eq!((*found, *known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(snapshot(&path), before);
}

#[test]
fn one_sync_lock_at_a_time() {
    for db in TestDb::all() {
        let mut first = db.open();
        let mut second = db.open();
        first.lock_sync("default").unwrap();
        let err = second.lock_sync("default").unwrap_err();
        assert!(matches!(err, Error::SyncRunning { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("another sync of account `default` is running"),
            "{err}"
        );
        // Reading and writing batches still work while the lock is held.
        first
            .apply(batch(vec![record(
                1,
                "issued",
                &["a.example.com"],
                "2027-01-01",
            )]))
            .unwrap();
        assert_eq!(second.order_count(&[]).unwrap(), 1);
        first.unlock_sync("default");
        second.lock_sync("default").unwrap();
    }
}

#[test]
fn the_watermark_moves_with_the_last_batch_only() {
    for db in TestDb::all() {
        let mut store = db.open();
        store
            .apply(batch(vec![record(
                1,
                "issued",
                &["a.example.com"],
                "2027-01-01",
            )]))
            .unwrap();
        assert_eq!(store.sync_state("default").unwrap().watermark, None);
        let watermark = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        store
            .apply(Batch {
                account: "default".to_owned(),
                orders: vec![record(2, "issued", &["b.example.com"], "2027-01-01")],
                unchanged: Default::default(),
                seen_at: Utc::now(),
                finish: Some(SyncFinish {
                    watermark,
                    full: true,
                    duration_seconds: 1.5,
                }),
            })
            .unwrap();
        let state = store.sync_state("default").unwrap();
        assert_eq!(state.watermark, Some(watermark));
        assert_eq!(state.last_duration_seconds, Some(1.5));
    }
}

/// A store of `db`'s kind holding five orders.
fn filled(db: &TestDb) -> Inventory<AnyStore> {
    let mut store = db.open();
    store
        .apply(batch(vec![
            record(
                101,
                "issued",
                &["*.example.com", "example.com"],
                "2026-12-10",
            ),
            record(102, "issued", &["api.example.com"], "2026-12-01"),
            record(103, "issued", &["deep.api.example.com"], "2026-11-01"),
            record(104, "revoked", &["www.example.org"], "2026-12-05"),
            record(105, "issued", &["shop.example.net"], "2027-06-01"),
        ]))
        .unwrap();
    Inventory::with_store(store)
}

fn ids(orders: &[digicert_inventory::StoredOrder]) -> Vec<u64> {
    orders.iter().map(|order| order.order_id).collect()
}

#[test]
fn find_by_name_wildcard_and_pattern() {
    for db in TestDb::all() {
        let inventory = filled(&db);
        // Exact, and through the wildcard that covers it.
        assert_eq!(ids(&inventory.find("api.example.com").unwrap()), [102, 101]);
        assert_eq!(
            ids(&inventory.find("API.Example.COM.").unwrap()),
            [102, 101]
        );
        assert_eq!(ids(&inventory.find("other.example.com").unwrap()), [101]);
        assert_eq!(ids(&inventory.find("example.com").unwrap()), [101]);
        // A wildcard covers one label only.
        assert_eq!(
            ids(&inventory.find("x.deep.example.com").unwrap()),
            Vec::<u64>::new()
        );
        // A pattern finds every name under it.
        assert_eq!(
            ids(&inventory.find("*.example.com").unwrap()),
            [103, 102, 101]
        );
        assert_eq!(ids(&inventory.find("*.api.example.com").unwrap()), [103]);
        assert!(inventory.find("nowhere.example.io").unwrap().is_empty());
    }
}

#[test]
fn find_by_order_id_thumbprint_and_serial_in_any_spelling() {
    for db in TestDb::all() {
        let inventory = filled(&db);
        assert_eq!(ids(&inventory.find("104").unwrap()), [104]);
        let thumbprint = format!("{:040X}", 103);
        assert_eq!(ids(&inventory.find(&thumbprint).unwrap()), [103]);
        let colons: Vec<String> = thumbprint
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8(pair.to_vec()).unwrap())
            .collect();
        assert_eq!(ids(&inventory.find(&colons.join(":")).unwrap()), [103]);
        assert_eq!(ids(&inventory.find(&colons.join(" ")).unwrap()), [103]);
        let serial = format!("0A{:030X}", 105);
        assert_eq!(ids(&inventory.find(&serial).unwrap()), [105]);
        assert_eq!(ids(&inventory.find(&serial.to_lowercase()).unwrap()), [105]);
        assert!(matches!(
            inventory.find("not a thing"),
            Err(Error::InvalidQuery(_))
        ));
    }
}

#[test]
fn expiring_lists_issued_orders_soonest_first() {
    for db in TestDb::all() {
        let inventory = filled(&db);
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let soon = inventory.expiring_from(today, 30, false).unwrap();
        assert_eq!(ids(&soon), [102, 101]);
        assert_eq!(soon[0].days_left, Some(11));
        let with_expired = inventory.expiring_from(today, 30, true).unwrap();
        assert_eq!(ids(&with_expired), [103, 102, 101]);
        assert_eq!(with_expired[0].days_left, Some(-19));
    }
}

#[test]
fn history_records_each_new_status_once() {
    for db in TestDb::all() {
        let mut store = db.open();
        let first = store
            .apply(batch(vec![record(
                7,
                "pending",
                &["a.example.com"],
                "2027-01-01",
            )]))
            .unwrap();
        assert_eq!((first.added, first.changed, first.unchanged), (1, 0, 0));
        let again = store
            .apply(batch(vec![record(
                7,
                "pending",
                &["a.example.com"],
                "2027-01-01",
            )]))
            .unwrap();
        assert_eq!((again.added, again.changed, again.unchanged), (0, 0, 1));
        let issued = store
            .apply(batch(vec![record(
                7,
                "issued",
                &["a.example.com"],
                "2027-01-01",
            )]))
            .unwrap();
        assert_eq!((issued.added, issued.changed, issued.unchanged), (0, 1, 0));
        let inventory = Inventory::with_store(store);
        let history: Vec<String> = inventory
            .history(7)
            .unwrap()
            .into_iter()
            .map(|entry| entry.status)
            .collect();
        assert_eq!(history, ["pending", "issued"]);
        assert!(inventory.history(8).unwrap().is_empty());
    }
}

#[test]
fn an_order_sent_again_unchanged_is_only_seen_again() {
    for db in TestDb::all() {
        let mut store = db.open();
        let order = record(
            7,
            "issued",
            &["a.example.com", "b.example.com"],
            "2027-01-01",
        );
        store.apply(batch(vec![order.clone()])).unwrap();
        let later = Utc::now() + chrono::TimeDelta::minutes(5);
        let again = store
            .apply(Batch {
                seen_at: later,
                ..batch(vec![
                    order.clone(),
                    record(8, "issued", &["c.example.com"], "2027-01-01"),
                ])
            })
            .unwrap();
        assert_eq!((again.added, again.unchanged), (1, 1), "{}", db.kind());
        let mut inventory = Inventory::with_store(store);
        let found = inventory.find("b.example.com").unwrap();
        assert_eq!(ids(&found), [7], "{}: names kept", db.kind());
        let seen = found[0].last_seen;
        assert!(
            (seen - later).num_milliseconds().abs() < 1,
            "{}: {seen} {later}",
            db.kind()
        );
        assert_eq!(inventory.history(7).unwrap().len(), 1);
        // The same status with another JSON (a new column, say) is stored whole again.
        let mut changed = order.clone();
        changed.json = OrderJson::Report(
            r#"{"order_id":7,"status":"issued","extra_column":"kept","new_column":"x"}"#.to_owned(),
        );
        changed.dns_names = vec!["d.example.com".to_owned()];
        changed.common_name = Some("d.example.com".to_owned());
        drop(inventory);
        let mut store = db.open();
        let applied = store.apply(batch(vec![changed])).unwrap();
        assert_eq!(applied.unchanged, 1);
        inventory = Inventory::with_store(store);
        assert!(
            inventory.find("b.example.com").unwrap().is_empty(),
            "{}",
            db.kind()
        );
        assert_eq!(ids(&inventory.find("d.example.com").unwrap()), [7]);
        let mut exported = Vec::new();
        inventory
            .export(|order| {
                exported.push(order);
                Ok(())
            })
            .unwrap();
        let json = serde_json::to_value(&exported[0]).unwrap();
        assert_eq!(json["report"]["new_column"], "x", "{}", db.kind());
    }
}

#[test]
fn an_order_sent_as_stored_then_changed_in_one_batch_keeps_the_change() {
    for db in TestDb::all() {
        let mut store = db.open();
        let issued = record(5, "issued", &["b.example.com"], "2027-01-01");
        store.apply(batch(vec![issued.clone()])).unwrap();
        // The first copy is the order exactly as stored, the second a revocation.
        let revoked = record(5, "revoked", &["c.example.com"], "2027-01-01");
        let applied = store
            .apply(batch(vec![issued.clone(), revoked.clone()]))
            .unwrap();
        assert_eq!(
            (applied.unchanged, applied.changed),
            (1, 1),
            "{}",
            db.kind()
        );
        // Sent again as now stored: nothing changes.
        let applied = store.apply(batch(vec![revoked])).unwrap();
        assert_eq!(applied.unchanged, 1, "{}", db.kind());
        let inventory = Inventory::with_store(store);
        let found = inventory.find("c.example.com").unwrap();
        assert_eq!(ids(&found), [5], "{}", db.kind());
        assert_eq!(found[0].status, "revoked", "{}", db.kind());
        assert!(inventory.find("b.example.com").unwrap().is_empty());
        assert_eq!(
            common::statuses(&inventory, 5),
            ["issued", "revoked"],
            "{}",
            db.kind()
        );
    }
}

/// What [`resend`] did: the counts it applied (added, changed, unchanged), the orders seen
/// by it, and the revoked orders, by order id.
#[derive(Debug, PartialEq)]
struct Resent {
    counts: (u64, u64, u64),
    seen_now: Vec<u64>,
    revoked: Vec<u64>,
}

/// Stores orders 1 to `stored`, issued, an hour ago; then sends `sent` (order ids and
/// statuses, in that order) and `seen_again` now.
fn resend(db: &TestDb, stored: u64, sent: &[(u64, &str)], seen_again: UnchangedRuns) -> Resent {
    let mut store = db.open();
    let order = |id, status| record(id, status, &["a.example.com"], "2027-01-01");
    let first = Utc::now() - chrono::TimeDelta::hours(1);
    store
        .apply(Batch {
            seen_at: first,
            ..batch((1..=stored).map(|id| order(id, "issued")).collect())
        })
        .unwrap();
    let later = Utc::now();
    let applied = store
        .apply(Batch {
            seen_at: later,
            unchanged: seen_again,
            ..batch(sent.iter().map(|&(id, status)| order(id, status)).collect())
        })
        .unwrap();
    let mut resent = Resent {
        counts: (applied.added, applied.changed, applied.unchanged),
        seen_now: Vec::new(),
        revoked: Vec::new(),
    };
    Inventory::with_store(store)
        .export(|order| {
            let now = (order.last_seen - later).num_milliseconds().abs() < 1;
            assert!(
                now || (order.last_seen - first).num_milliseconds().abs() < 1,
                "{}: order {} seen {}",
                db.kind(),
                order.order_id,
                order.last_seen
            );
            if now {
                resent.seen_now.push(order.order_id);
            }
            if order.status == "revoked" {
                resent.revoked.push(order.order_id);
            }
            Ok(())
        })
        .unwrap();
    resent.seen_now.sort_unstable();
    resent.revoked.sort_unstable();
    resent
}

#[test]
fn a_re_pull_moves_when_seen_only_for_the_orders_it_sends() {
    for db in TestDb::all() {
        // 1, 2 and 5 as stored, 3 revoked, 4 not sent: the orders stored unchanged are
        // consecutive on both sides of 3 and 4, which must keep when they were seen.
        let sent = [(5, "issued"), (3, "revoked"), (2, "issued"), (1, "issued")];
        let expected = Resent {
            counts: (0, 1, 3),
            seen_now: vec![1, 2, 3, 5],
            revoked: vec![3],
        };
        assert_eq!(
            resend(&db, 5, &sent, UnchangedRuns::default()),
            expected,
            "{}",
            db.kind()
        );
    }
}

#[test]
fn orders_seen_again_move_when_seen_by_their_runs_only() {
    for db in TestDb::all() {
        // A full pull found 1, 2, 5 and 6 sent as stored; 3 revoked; 4 and 7 not sent.
        let seen_again = UnchangedRuns {
            runs: vec![(1, 2), (5, 6)],
            orders: 4,
        };
        let expected = Resent {
            counts: (0, 1, 4),
            seen_now: vec![1, 2, 3, 5, 6],
            revoked: vec![3],
        };
        assert_eq!(
            resend(&db, 7, &[(3, "revoked")], seen_again),
            expected,
            "{}",
            db.kind()
        );
    }
}

#[test]
fn orders_sent_far_apart_are_seen_without_the_orders_between() {
    for db in TestDb::all() {
        // Two orders with eighteen stored between them, as order details fetched in an
        // incremental sync: 1 as stored, 20 revoked.
        let sent = [(1, "issued"), (20, "revoked")];
        let expected = Resent {
            counts: (0, 1, 1),
            seen_now: vec![1, 20],
            revoked: vec![20],
        };
        assert_eq!(
            resend(&db, 20, &sent, UnchangedRuns::default()),
            expected,
            "{}",
            db.kind()
        );
    }
}

#[test]
fn export_gives_each_order_whole() {
    for db in TestDb::all() {
        let inventory = filled(&db);
        let mut orders = Vec::new();
        inventory
            .export(|order| {
                orders.push(order);
                Ok(())
            })
            .unwrap();
        assert_eq!(ids(&orders), [101, 102, 103, 104, 105]);
        let json = serde_json::to_value(&orders[0]).unwrap();
        assert_eq!(json["report"]["extra_column"], "kept");
        assert_eq!(json["dns_names"][0], "*.example.com");
        assert_eq!(json["organization"], "Example, \"Inc\"");
        assert!(json["last_seen"].is_string());
        // One shape for every order: `info` is there, null, when none was fetched.
        assert!(json["info"].is_null() && json.get("info").is_some());
        assert_eq!(json["account"], "default");
        let counts: Vec<_> = inventory
            .status_counts()
            .unwrap()
            .into_iter()
            .map(|count| (count.account, count.status, count.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("default".to_owned(), "issued".to_owned(), 4),
                ("default".to_owned(), "revoked".to_owned(), 1)
            ]
        );
    }
}

fn account_batch(account: &str, orders: Vec<OrderRecord>, watermark: Option<i64>) -> Batch {
    Batch {
        account: account.to_owned(),
        orders,
        unchanged: Default::default(),
        seen_at: Utc::now(),
        finish: watermark.map(|hour| SyncFinish {
            watermark: Utc
                .with_ymd_and_hms(2026, 11, 1, hour as u32, 0, 0)
                .unwrap(),
            full: true,
            duration_seconds: 1.0,
        }),
    }
}

#[test]
fn the_same_order_id_in_two_accounts_is_two_orders() {
    for db in TestDb::all() {
        let mut store = db.open();
        let us = record(7, "issued", &["us.example.com"], "2027-01-01");
        let mut eu = record(7, "revoked", &["eu.example.com"], "2027-02-01");
        eu.certificate_id = Some(99);
        store
            .apply(account_batch("us", vec![us], Some(10)))
            .unwrap();
        store
            .apply(account_batch("eu", vec![eu], Some(11)))
            .unwrap();
        // Seen again in one account: the other's order is not touched.
        let applied = store
            .apply(account_batch(
                "us",
                vec![record(7, "issued", &["us.example.com"], "2027-01-01")],
                None,
            ))
            .unwrap();
        assert_eq!(
            (applied.added, applied.changed, applied.unchanged),
            (0, 0, 1)
        );

        assert_eq!(store.order_count(&[]).unwrap(), 2);
        assert_eq!(store.order_count(&["eu".to_owned()]).unwrap(), 1);
        assert_eq!(
            store.stored_statuses("eu", &[7]).unwrap()[&7].status,
            "revoked"
        );
        assert_eq!(
            store.stored_statuses("us", &[7]).unwrap()[&7].status,
            "issued"
        );
        assert!(store.stored_statuses("default", &[7]).unwrap().is_empty());

        // Each account has its own watermark; one that never synced has none.
        let states = store.sync_states().unwrap();
        let accounts: Vec<_> = states.iter().map(|(account, _)| account.as_str()).collect();
        assert_eq!(accounts, ["eu", "us"]);
        assert_eq!(
            store.sync_state("eu").unwrap().watermark,
            Some(Utc.with_ymd_and_hms(2026, 11, 1, 11, 0, 0).unwrap())
        );
        assert_eq!(store.sync_state("default").unwrap().watermark, None);

        let mut inventory = Inventory::with_store(store);
        let found = inventory.find("7").unwrap();
        let accounts: Vec<_> = found.iter().map(|o| o.account.as_str()).collect();
        assert_eq!(accounts, ["eu", "us"]);
        assert_eq!(inventory.history(7).unwrap().len(), 2);
        inventory.select_accounts(["us"]);
        let found = inventory.find("eu.example.com").unwrap();
        assert!(found.is_empty(), "{found:?}");
        let found = inventory.find("us.example.com").unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].account, "us");
        let history = inventory.history(7).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].account, "us");
        assert_eq!(inventory.len().unwrap(), 1);
        let expiring = inventory
            .expiring_from(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), 365, false)
            .unwrap();
        assert_eq!(expiring.len(), 1);
        assert_eq!(expiring[0].account, "us");
        let states = inventory.sync_states().unwrap();
        assert_eq!(states.len(), 1);
        assert_eq!(states[0].0, "us");
    }
}

#[test]
fn sync_locks_are_per_account() {
    for db in TestDb::all() {
        let mut first = db.open();
        let mut second = db.open();
        first.lock_sync("us").unwrap();
        // Another account, even one whose name needs escaping in a file name, is free.
        second.lock_sync("eu/../division \"b\"").unwrap();
        let err = second.lock_sync("us").unwrap_err();
        assert!(err.to_string().contains("account `us`"), "{err}");
        first.unlock_sync("us");
        second.lock_sync("us").unwrap();
        #[allow(irrefutable_let_patterns)] // Without the `postgres` feature, SQLite only.
        if let TestDb::Sqlite(dir, _) = &db {
            for entry in fs::read_dir(dir.path()).unwrap() {
                let name = entry.unwrap().file_name();
                assert!(!name.to_string_lossy().contains('/'));
            }
        }
    }
}
