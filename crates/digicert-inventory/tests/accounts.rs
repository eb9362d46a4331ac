//! The accounts an inventory holds, and forgetting one, on both stores: every row of the
//! account goes in one transaction (orders, names, history, sightings, sync state, earlier
//! certificates, lookups, deployments and their history), and no row of another account.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use chrono::{NaiveDate, TimeZone, Utc};
use common::TestDb;
use digicert_inventory::{
    AnyStore, Batch, FoundCertificate, Inventory, OrderJson, OrderRecord, Outcome, Probed,
    ServedCertificate, Store, SyncFinish,
};

/// An issued order of `names` with certificate `certificate`.
fn order(order_id: u64, certificate: u64, names: &[&str]) -> OrderRecord {
    OrderRecord {
        common_name: names.first().map(|name| (*name).to_owned()),
        dns_names: names.iter().map(|name| (*name).to_owned()).collect(),
        valid_till: NaiveDate::from_ymd_opt(2027, 6, 1),
        thumbprint: Some(format!("{certificate:040x}")),
        serial_number: Some(format!("5e{certificate:06x}")),
        certificate_id: Some(certificate),
        ..OrderRecord::new(
            order_id,
            "issued",
            OrderJson::Report(format!(r#"{{"order_id":{order_id}}}"#)),
        )
    }
}

/// Applies `orders` to `account`, finishing a sync.
fn sync(store: &mut AnyStore, account: &str, orders: Vec<OrderRecord>) {
    store
        .apply(Batch {
            account: account.to_owned(),
            orders,
            unchanged: Default::default(),
            seen_at: Utc::now(),
            finish: Some(SyncFinish {
                watermark: Utc::now(),
                full: true,
                duration_seconds: 1.0,
            }),
        })
        .unwrap();
}

/// An endpoint serving certificate `certificate`.
fn served(target: &str, certificate: u64) -> Probed {
    Probed {
        target: target.to_owned(),
        port: 443,
        address: "192.0.2.1".to_owned(),
        probed_at: Utc.with_ymd_and_hms(2026, 11, 2, 12, 0, 0).unwrap(),
        duration: None,
        outcome: Outcome::Served(ServedCertificate {
            thumbprint: format!("{certificate:040x}"),
            serial_number: format!("5e{certificate:06x}"),
            not_after: Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap(),
            covers_name: true,
            verified: true,
            verify_error: None,
        }),
    }
}

/// Rows of `account` in each table that keeps rows by account, read through SQL of the
/// store's kind.
fn rows_of(db: &TestDb, account: &str) -> Vec<(&'static str, i64)> {
    const TABLES: [&str; 9] = [
        "orders",
        "order_names",
        "status_history",
        "order_seen",
        "sync_state",
        "certificates",
        "certificate_lookups",
        "deployments",
        "deployment_history",
    ];
    TABLES
        .iter()
        .map(|table| (*table, common::count(db, table, account)))
        .collect()
}

#[test]
fn forgetting_an_account_deletes_every_row_of_it_and_nothing_else() {
    for db in TestDb::all() {
        let mut store = db.open();
        // `old` has orders, a reissue (an earlier certificate kept), a lookup and a
        // deployment; `eu` has the same order ids.
        sync(&mut store, "old", vec![order(7, 70, &["www.old.example"])]);
        sync(
            &mut store,
            "old",
            vec![
                order(7, 71, &["www.old.example"]),
                order(8, 80, &["api.old.example"]),
            ],
        );
        sync(&mut store, "eu", vec![order(7, 170, &["www.eu.example"])]);
        let mut inventory = Inventory::with_store(store);
        inventory
            .record_lookups(
                &[FoundCertificate {
                    account: "old".to_owned(),
                    order_id: 8,
                    thumbprint: format!("{:040x}", 81),
                    serial_number: None,
                    certificate_id: Some(81),
                    source: "reissues",
                }],
                &[("old".to_owned(), format!("{:040x}", 99))],
            )
            .unwrap();
        let deployments = inventory
            .classify(&[served("www.old.example", 70)])
            .unwrap();
        assert_eq!(
            deployments[0].account.as_deref(),
            Some("old"),
            "{}",
            db.kind()
        );
        inventory.record_deployments(&deployments).unwrap();
        let eu_before = rows_of(&db, "eu");
        assert!(
            rows_of(&db, "old").iter().all(|(_, rows)| *rows > 0),
            "{}: {:?}",
            db.kind(),
            rows_of(&db, "old")
        );
        assert_eq!(inventory.accounts().unwrap(), ["eu", "old"]);

        assert_eq!(inventory.forget_account("old").unwrap(), 2, "{}", db.kind());

        let left = rows_of(&db, "old");
        assert!(
            left.iter().all(|(_, rows)| *rows == 0),
            "{}: {left:?}",
            db.kind()
        );
        assert_eq!(rows_of(&db, "eu"), eu_before, "{}", db.kind());
        assert_eq!(inventory.accounts().unwrap(), ["eu"]);
        assert_eq!(inventory.find("7").unwrap().len(), 1);
        // Nothing left to forget: no order, and the account is gone from the list.
        assert_eq!(inventory.forget_account("old").unwrap(), 0);
    }
}

#[test]
fn forgetting_waits_for_no_sync_and_refuses_while_one_runs() {
    for db in TestDb::all() {
        let mut syncing = db.open();
        sync(
            &mut syncing,
            "old",
            vec![order(7, 70, &["www.old.example"])],
        );
        syncing.lock_sync("old").unwrap();
        let mut inventory = db.inventory();
        let err = inventory.forget_account("old").unwrap_err();
        assert!(
            err.to_string().contains("account `old`"),
            "{}: {err}",
            db.kind()
        );
        assert_eq!(inventory.accounts().unwrap(), ["old"], "nothing deleted");
        syncing.unlock_sync("old");
        assert_eq!(inventory.forget_account("old").unwrap(), 1);
    }
}

#[test]
fn the_accounts_held_are_those_with_orders_or_a_finished_sync() {
    for db in TestDb::all() {
        let mut store = db.open();
        assert!(store.accounts().unwrap().is_empty());
        sync(&mut store, "zz", Vec::new());
        store
            .apply(Batch {
                account: "aa".to_owned(),
                orders: vec![order(1, 10, &["a.example"])],
                unchanged: Default::default(),
                seen_at: Utc::now(),
                finish: None,
            })
            .unwrap();
        sync(&mut store, "mm", vec![order(2, 20, &["m.example"])]);
        assert_eq!(
            store.accounts().unwrap(),
            ["aa", "mm", "zz"],
            "{}",
            db.kind()
        );
    }
}
