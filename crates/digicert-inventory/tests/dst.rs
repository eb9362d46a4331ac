//! An incremental sync whose window spans Denver's last clock change: CertCentral takes the
//! status-change window in US Mountain Time, so the hour that repeats (autumn) or is skipped
//! (spring) is where a careless client loses or double-counts changes. Every change recorded
//! around the edge must reach the inventory, over real HTTP, on both clients.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use chrono::{DateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::America::Denver;
use common::TestDb;
use digicert_api::model::OrderStatus;
use digicert_api::{Client, Config, blocking};
use digicert_inventory::{
    AnyStore, Batch, Inventory, OrderJson, OrderRecord, Store, SyncFinish, SyncOptions, SyncReport,
};
use digicert_mock::{MockConfig, MockServer};

/// Orders the fake CertCentral holds.
const ORDERS: usize = 1_000;

/// The last instant before `now` at which Denver's UTC offset changed: the first second of
/// the new offset.
fn last_clock_change(now: DateTime<Utc>) -> DateTime<Utc> {
    let offset = |at: DateTime<Utc>| Denver.offset_from_utc_datetime(&at.naive_utc()).fix();
    let mut at = Utc.timestamp_opt(now.timestamp(), 0).unwrap();
    let current = offset(at);
    // Hour steps back to the first hour with the other offset, then seconds forward.
    while offset(at) == current {
        at -= TimeDelta::hours(1);
    }
    while offset(at) != current {
        at += TimeDelta::seconds(1);
    }
    at
}

/// A record the inventory holds for an order id the fake CertCentral does not have.
fn stand_in(order_id: u64) -> OrderRecord {
    OrderRecord::new(order_id, "issued", OrderJson::Report("{}".to_owned()))
}

/// An inventory holding the server's orders as a full sync leaves them, padded with orders
/// of no interest so that a status-change window per week stays cheaper than the report
/// (the sync would pull the report instead), and last synced at `watermark`.
fn filled(db: &TestDb, server: &MockServer, watermark: DateTime<Utc>) -> Inventory<AnyStore> {
    let mut store = db.open();
    let dataset = server.dataset();
    let mut orders: Vec<OrderRecord> = dataset
        .order_ids()
        .map(|id| {
            let row = dataset.report_row(id).unwrap();
            OrderRecord {
                status: row.status.as_str().to_owned(),
                certificate_id: row.certificate_tracker_id,
                ..stand_in(id)
            }
        })
        .collect();
    let weeks = (Utc::now() - watermark).num_days() / 6 + 2;
    let padding = u64::try_from(weeks).unwrap() * 1_000;
    orders.extend((0..padding).map(|n| stand_in(900_000_000 + n)));
    store
        .apply(Batch {
            account: "default".to_owned(),
            orders,
            unchanged: Default::default(),
            seen_at: Utc::now(),
            finish: Some(SyncFinish {
                watermark,
                full: true,
                duration_seconds: 0.0,
            }),
        })
        .unwrap();
    Inventory::with_store(store)
}

fn sync(
    inventory: &mut Inventory<AnyStore>,
    server: &MockServer,
    blocking_client: bool,
) -> SyncReport {
    let config = Config::new(server.api_key())
        .with_base_url(server.base_url())
        .unwrap()
        .rate_limit(None);
    if blocking_client {
        let client = blocking::Client::with_ureq(config);
        return inventory
            .sync_blocking(&client, &SyncOptions::new())
            .unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::with_reqwest(config).unwrap();
    runtime
        .block_on(inventory.sync(&client, &SyncOptions::new()))
        .unwrap()
}

#[test]
fn changes_around_denvers_last_clock_change_all_reach_the_inventory() {
    let edge = last_clock_change(Utc::now());
    // Around the edge: the last second of the old offset, the first of the new, and the
    // local hour on both sides of it (repeated in autumn, skipped in spring).
    let moments = [
        edge - TimeDelta::hours(1),
        edge - TimeDelta::minutes(30),
        edge - TimeDelta::seconds(1),
        edge,
        edge + TimeDelta::seconds(1),
        edge + TimeDelta::minutes(30),
        edge + TimeDelta::minutes(59) + TimeDelta::seconds(59),
        edge + TimeDelta::hours(1),
    ];
    let cases = [true, false].into_iter().flat_map(|blocking_client| {
        TestDb::all()
            .into_iter()
            .map(move |db| (db, blocking_client))
    });
    for (db, blocking_client) in cases {
        let server =
            MockServer::start_background(MockConfig::default().with_orders(ORDERS)).unwrap();
        let mut inventory = filled(&db, &server, edge - TimeDelta::days(2));
        // Orders issued now whose latest change becomes the revocation (an order that
        // changes again later keeps its later status).
        let status = |id: u64| server.dataset().report_row(id).unwrap().status;
        let mut candidates = server.dataset().order_ids();
        let changed: Vec<u64> = moments
            .iter()
            .map(|&at| {
                candidates
                    .by_ref()
                    .filter(|&id| status(id) == OrderStatus::Issued)
                    .find(|&id| {
                        assert!(server.record_change_at(id, OrderStatus::Revoked, at));
                        status(id) == OrderStatus::Revoked
                    })
                    .unwrap()
            })
            .collect();
        server.clear_requests();
        let report = sync(&mut inventory, &server, blocking_client);
        assert!(!report.full, "{report:?}");
        let pages = server
            .requests()
            .iter()
            .filter(|request| request.path_and_query.contains("/report/order"))
            .count();
        assert_eq!(pages, 0, "no report page");
        for (order_id, at) in changed.iter().zip(&moments) {
            let order = inventory.find(&order_id.to_string()).unwrap().remove(0);
            assert_eq!(
                order.status,
                "revoked",
                "order {order_id}, changed at {at} ({} in Denver)",
                at.with_timezone(&Denver)
            );
            let history = inventory.history(*order_id).unwrap();
            assert_eq!(history.last().unwrap().status, "revoked");
        }
        assert_eq!(report.changed, moments.len() as u64, "{report:?}");
    }
}
