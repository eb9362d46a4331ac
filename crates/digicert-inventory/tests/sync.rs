//! Sync end to end over real HTTP against `digicert-mock`, on both clients: the first sync,
//! a sync right after a sync, changed orders, the choice of a full re-pull, concurrent syncs
//! and queries during a sync.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use common::TestDb;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use digicert_api::{Client, Config, blocking};
use digicert_inventory::{
    AnyStore, Batch, Error, Inventory, OrderJson, OrderRecord, Store, SyncFinish, SyncOptions,
    SyncReport,
};
use digicert_mock::{FaultPlan, MockConfig, MockServer};

#[derive(Debug, Clone, Copy)]
enum Backend {
    Blocking,
    Async,
}

const BOTH: [Backend; 2] = [Backend::Blocking, Backend::Async];

/// Every client on every store, each pair on a fresh store.
fn cases() -> Vec<(TestDb, Backend)> {
    BOTH.iter()
        .flat_map(|&backend| TestDb::all().into_iter().map(move |db| (db, backend)))
        .collect()
}

fn server(orders: usize, latency: Duration) -> MockServer {
    MockServer::start_background(
        MockConfig::default()
            .with_orders(orders)
            .with_faults(FaultPlan {
                latency,
                ..FaultPlan::default()
            }),
    )
    .unwrap()
}

fn config(server: &MockServer) -> Config {
    Config::new(server.api_key())
        .with_base_url(server.base_url())
        .unwrap()
        .rate_limit(None)
}

fn sync(
    inventory: &mut Inventory<AnyStore>,
    server: &MockServer,
    backend: Backend,
    options: &SyncOptions,
) -> Result<SyncReport, Error> {
    match backend {
        Backend::Blocking => {
            inventory.sync_blocking(&blocking::Client::with_ureq(config(server)), options)
        }
        Backend::Async => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let client = Client::with_reqwest(config(server).concurrency(4)).unwrap();
            runtime.block_on(inventory.sync(&client, options))
        }
    }
}

/// The request paths the server saw since it was last cleared, without the query.
fn paths(server: &MockServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .map(|request| {
            let path = request.path_and_query;
            path.split('?').next().unwrap_or_default().to_owned()
        })
        .collect()
}

/// Waits until the server has answered every request and no more arrive (the blocking
/// client's read-ahead of one page past the end may land after a pull returns), then clears
/// its request log.
fn settle_and_clear(server: &MockServer) {
    loop {
        let before = server.requests();
        std::thread::sleep(Duration::from_millis(150));
        let after = server.requests();
        if before.len() == after.len() && after.iter().all(|r| r.status.is_some()) {
            break;
        }
    }
    server.clear_requests();
}

/// Moves the watermark back, as if the last sync had been `ago` earlier.
fn set_watermark_back(db: &TestDb, ago: TimeDelta) {
    let mut store = db.open();
    store
        .apply(Batch {
            account: "default".to_owned(),
            orders: Vec::new(),
            unchanged: Default::default(),
            seen_at: Utc::now(),
            finish: Some(SyncFinish {
                watermark: Utc::now() - ago,
                full: false,
                duration_seconds: 0.0,
            }),
        })
        .unwrap();
}

/// Stores another status for some orders, as if they had changed since the last sync.
fn tamper(db: &TestDb, order_ids: &[u64]) {
    let mut store = db.open();
    let orders = order_ids
        .iter()
        .map(|&order_id| {
            OrderRecord::new(order_id, "needs_approval", OrderJson::Info("{}".to_owned()))
        })
        .collect();
    store
        .apply(Batch {
            account: "default".to_owned(),
            orders,
            unchanged: Default::default(),
            seen_at: Utc::now(),
            finish: None,
        })
        .unwrap();
}

/// Orders the mock lists as changed in the last `ago`.
fn changed_recently(server: &MockServer, ago: TimeDelta) -> Vec<u64> {
    let to = Utc::now();
    server
        .dataset()
        .status_changes(to - ago, to)
        .orders
        .into_iter()
        .map(|change| change.order_id)
        .collect()
}

#[test]
fn the_first_sync_stores_every_order_whole() {
    for (db, backend) in cases() {
        let server = server(2_500, Duration::ZERO);
        let mut inventory = db.inventory();
        let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        assert!(report.full, "{backend:?} {}", db.kind());
        assert_eq!(report.added, 2_500, "{backend:?} {}", db.kind());
        assert_eq!(inventory.len().unwrap(), 2_500);
        let mut seen = HashSet::new();
        inventory
            .export(|order| {
                let row = server.dataset().report_row(order.order_id).unwrap();
                assert_eq!(order.status, row.status.as_str());
                let stored: serde_json::Value =
                    serde_json::from_str(order.report.unwrap().get()).unwrap();
                assert_eq!(stored, serde_json::to_value(&row).unwrap());
                assert!(seen.insert(order.order_id));
                Ok(())
            })
            .unwrap();
        let expected: HashSet<u64> = server.dataset().order_ids().collect();
        assert_eq!(seen, expected);
        assert!(inventory.sync_state().unwrap().watermark.is_some());
    }
}

#[test]
fn a_sync_right_after_a_sync_makes_one_request() {
    for (db, backend) in cases() {
        let server = server(2_500, Duration::ZERO);
        let mut inventory = db.inventory();
        sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        settle_and_clear(&server);
        let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        assert!(!report.full, "{backend:?} {}", db.kind());
        assert_eq!((report.added, report.changed, report.fetched), (0, 0, 0));
        assert_eq!(
            paths(&server),
            ["/services/v2/order/certificate/status-changes"],
            "{backend:?} {}",
            db.kind()
        );
    }
}

#[test]
fn changed_orders_are_fetched_and_nothing_else() {
    for (db, backend) in cases() {
        let server = server(5_000, Duration::ZERO);
        let mut inventory = db.inventory();
        sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        // The last sync was two days ago, and three orders changed since then.
        let recent = changed_recently(&server, TimeDelta::days(2));
        assert!(recent.len() > 3, "{} changes", recent.len());
        let changed = &recent[..3];
        set_watermark_back(&db, TimeDelta::days(2));
        tamper(&db, changed);
        settle_and_clear(&server);
        let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        assert!(!report.full, "{backend:?}: {report:?}");
        assert_eq!(report.fetched, 3);
        assert_eq!(report.changed, 3);
        // The window also covers the 5 minutes of overlap before the watermark.
        assert!(report.status_changes >= recent.len() as u64);
        let mut fetched: Vec<String> = paths(&server);
        assert_eq!(
            fetched.remove(0),
            "/services/v2/order/certificate/status-changes"
        );
        fetched.sort();
        let mut expected: Vec<String> = changed
            .iter()
            .map(|id| format!("/services/v2/order/certificate/{id}"))
            .collect();
        expected.sort();
        assert_eq!(fetched, expected, "{backend:?} {}", db.kind());
        for &order_id in changed {
            let order = inventory.find(&order_id.to_string()).unwrap().remove(0);
            let status = server.dataset().report_row(order_id).unwrap().status;
            assert_eq!(order.status, status.as_str());
            let history: Vec<String> = inventory
                .history(order_id)
                .unwrap()
                .into_iter()
                .map(|entry| entry.status)
                .collect();
            assert_eq!(
                history,
                [status.as_str(), "needs_approval", status.as_str()]
            );
        }
        assert_eq!(inventory.len().unwrap(), 5_000);
    }
}

#[test]
fn many_changes_take_a_full_pull_instead() {
    for (db, backend) in cases() {
        let server = server(2_500, Duration::ZERO);
        let mut inventory = db.inventory();
        sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        let recent = changed_recently(&server, TimeDelta::days(2));
        assert!(recent.len() > 4, "{} changes", recent.len());
        set_watermark_back(&db, TimeDelta::days(2));
        tamper(&db, &recent[..4]);
        settle_and_clear(&server);
        let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        assert!(report.full, "{backend:?} {}", db.kind());
        assert!(report.full_reason.unwrap().contains("4 changed orders"));
        assert_eq!(report.changed, 4);
        // One status-change window, then report pages, and no order details.
        let paths = paths(&server);
        assert_eq!(paths[0], "/services/v2/order/certificate/status-changes");
        assert!(
            paths[1..].iter().all(|p| p.ends_with("/report/order")),
            "{paths:?}"
        );
        assert!(paths.len() >= 4, "{paths:?}");
    }
}

#[test]
fn a_long_gap_takes_a_full_pull_without_asking_changes() {
    for (db, backend) in cases() {
        let server = server(2_500, Duration::ZERO);
        let mut inventory = db.inventory();
        sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        set_watermark_back(&db, TimeDelta::days(365));
        settle_and_clear(&server);
        let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        assert!(report.full);
        // Why, in the user's words: the time to the second in UTC with `Z`, counts spelled.
        let reason = report.full_reason.clone().unwrap();
        let at = reason
            .strip_prefix("the last sync was at ")
            .and_then(|rest| rest.split(':').next().map(|_| &rest[..20]))
            .unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
            "{reason}"
        );
        assert!(
            reason.ends_with("catching up takes 53 windows of status changes, more requests than the report's 3 pages"),
            "{reason}"
        );
        assert_eq!(report.unchanged, 2_500);
        assert!(
            paths(&server).iter().all(|p| p.ends_with("/report/order")),
            "{backend:?} {}",
            db.kind()
        );
    }
}

#[test]
fn a_full_re_pull_rewrites_what_changed_and_marks_the_rest_seen() {
    for (db, backend) in cases() {
        let server = server(2_500, Duration::ZERO);
        let mut inventory = db.inventory();
        sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        let mut order_ids = Vec::new();
        inventory
            .export(|order| {
                order_ids.push(order.order_id);
                Ok(())
            })
            .unwrap();
        // Three orders stored otherwise than the report lists them: far apart, so that the
        // unchanged orders between them are marked seen in runs around them.
        let tampered = [order_ids[0], order_ids[1_000], order_ids[2_499]];
        tamper(&db, &tampered);
        let before = Utc::now();
        let report = sync(
            &mut inventory,
            &server,
            backend,
            &SyncOptions::new().full(true),
        )
        .unwrap();
        let what = format!("{backend:?} {}", db.kind());
        assert_eq!(
            (report.added, report.changed, report.unchanged),
            (0, 3, 2_497),
            "{what}"
        );
        let mut seen = 0;
        inventory
            .export(|order| {
                assert!(order.last_seen >= before, "{what}: {order:?}");
                let report = order.report.as_ref().expect("the report row is kept");
                let row: serde_json::Value = serde_json::from_str(report.get()).unwrap();
                assert_eq!(row["order_id"], order.order_id, "{what}");
                assert_eq!(row["status"], order.status.as_str(), "{what}");
                seen += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, 2_500, "{what}");
        for order_id in tampered {
            let history = inventory.history(order_id).unwrap();
            assert_eq!(history.len(), 3, "{what}: {history:?}");
            assert_eq!(history[1].status, "needs_approval", "{what}");
            assert_eq!(history[2].status, history[0].status, "{what}");
        }
    }
}

#[test]
fn a_second_sync_while_one_runs_says_so() {
    for db in TestDb::all() {
        let server = server(100, Duration::ZERO);
        let mut holder = db.open();
        holder.lock_sync("default").unwrap();
        let mut inventory = db.inventory();
        for backend in BOTH {
            let err = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap_err();
            assert!(matches!(err, Error::SyncRunning { .. }), "{err:?}");
        }
        assert_eq!(
            server.request_count(),
            0,
            "no request while another sync runs"
        );
        holder.unlock_sync("default");
        sync(
            &mut inventory,
            &server,
            Backend::Blocking,
            &SyncOptions::new(),
        )
        .unwrap();
        assert_eq!(inventory.len().unwrap(), 100);
    }
}

#[test]
fn concurrent_syncs_leave_a_correct_inventory_and_queries_keep_working() {
    for db in TestDb::all() {
        let server = server(5_000, Duration::from_millis(60));
        drop(db.inventory());
        let outcomes = std::thread::scope(|scope| {
            let syncs: Vec<_> = BOTH
                .iter()
                .map(|&backend| {
                    let (server, db) = (&server, &db);
                    scope.spawn(move || {
                        let mut inventory = db.inventory();
                        sync(&mut inventory, server, backend, &SyncOptions::new())
                    })
                })
                .collect();
            // Queries answer while the syncs write.
            let reader = db.inventory();
            let mut reads = 0;
            while !syncs.iter().all(|sync| sync.is_finished()) {
                reader.len().unwrap();
                reader.expiring(30, false).unwrap();
                reads += 1;
                std::thread::sleep(Duration::from_millis(5));
            }
            assert!(reads > 0);
            syncs
                .into_iter()
                .map(|sync| sync.join().unwrap())
                .collect::<Vec<_>>()
        });
        let succeeded = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert!(succeeded >= 1, "{outcomes:?}");
        for outcome in &outcomes {
            if let Err(err) = outcome {
                assert!(matches!(err, Error::SyncRunning { .. }), "{err:?}");
            }
        }
        let inventory = db.inventory();
        assert_eq!(inventory.len().unwrap(), 5_000);
    }
}

/// Revokes and reissues the first orders that allow it; returns (revoked, reissued).
fn revoke_and_reissue(server: &MockServer) -> (u64, u64) {
    let ids: Vec<u64> = server.dataset().order_ids().collect();
    let mut candidates = ids.into_iter();
    let revoked = candidates.by_ref().find(|&id| server.revoke(id)).unwrap();
    let reissued = candidates.find(|&id| server.reissue(id)).unwrap();
    (revoked, reissued)
}

#[test]
fn an_incremental_sync_follows_the_mocks_changes() {
    for (db, backend) in cases() {
        let server = server(3_000, Duration::ZERO);
        let mut inventory = db.inventory();
        sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        let (revoked, reissued) = revoke_and_reissue(&server);
        let added = server.add_orders(2);
        let old_thumbprint = inventory.find(&reissued.to_string()).unwrap()[0]
            .thumbprint
            .clone();
        settle_and_clear(&server);
        let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        assert!(!report.full, "{backend:?}: {report:?}");
        assert_eq!((report.added, report.changed, report.fetched), (2, 2, 4));
        let paths = paths(&server);
        assert_eq!(paths.len(), 5, "{paths:?}");
        assert_eq!(inventory.len().unwrap(), 3_002);
        for id in added {
            let order = inventory.find(&id.to_string()).unwrap().remove(0);
            assert_eq!(order.status, "issued");
        }
        let order = inventory.find(&revoked.to_string()).unwrap().remove(0);
        assert_eq!(order.status, "revoked");
        let history: Vec<String> = inventory
            .history(revoked)
            .unwrap()
            .into_iter()
            .map(|entry| entry.status)
            .collect();
        assert_eq!(history.last().map(String::as_str), Some("revoked"));
        let order = inventory.find(&reissued.to_string()).unwrap().remove(0);
        let info = server.dataset().order_info(reissued).unwrap();
        assert_eq!(order.certificate_id, info.certificate.as_ref().unwrap().id);
        assert_ne!(order.thumbprint, old_thumbprint);
        if let Some(thumbprint) = order.thumbprint {
            assert_eq!(
                inventory.find(&thumbprint.to_uppercase()).unwrap()[0].order_id,
                reissued
            );
        }
        // Everything the inventory holds agrees with a fresh full pull.
        let fresh_db = db.fresh();
        let mut fresh = fresh_db.inventory();
        sync(&mut fresh, &server, backend, &SyncOptions::new()).unwrap();
        let statuses = |inventory: &Inventory<AnyStore>| {
            let mut all = Vec::new();
            inventory
                .export(|order| {
                    all.push((
                        order.order_id,
                        order.status,
                        order.certificate_id,
                        order.valid_till,
                    ));
                    Ok(())
                })
                .unwrap();
            all
        };
        assert_eq!(
            statuses(&inventory),
            statuses(&fresh),
            "{backend:?} {}",
            db.kind()
        );
        // And a sync right after finds nothing to fetch.
        settle_and_clear(&server);
        let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
        assert_eq!(report.fetched, 0);
        assert_eq!(server.request_count(), 1);
    }
}

/// The incremental target, as request counts: 50 changes among 100,000 orders take
/// one status-change request and 50 order details, no report page. The inventory is filled
/// from the mock's own rows (as a full sync would leave it) to keep the test quick.
#[test]
fn fifty_changes_among_a_hundred_thousand_orders_take_fifty_one_requests() {
    for db in TestDb::all() {
        let server = server(100_000, Duration::ZERO);
        {
            let mut store = db.open();
            let dataset = server.dataset();
            let ids: Vec<u64> = dataset.order_ids().collect();
            for chunk in ids.chunks(10_000) {
                let orders = chunk
                    .iter()
                    .map(|&id| {
                        let row = dataset.report_row(id).unwrap();
                        OrderRecord {
                            common_name: row.common_name.clone(),
                            dns_names: row.dns_names.clone(),
                            valid_from: row.valid_from,
                            valid_till: row.valid_till,
                            product_name_id: row.product_name_id.clone(),
                            organization: row.organization_name.clone(),
                            certificate_id: row.certificate_tracker_id,
                            ..OrderRecord::new(
                                id,
                                row.status.as_str(),
                                OrderJson::Report("{}".to_owned()),
                            )
                        }
                    })
                    .collect();
                store
                    .apply(Batch {
                        account: "default".to_owned(),
                        orders,
                        unchanged: Default::default(),
                        seen_at: Utc::now(),
                        finish: None,
                    })
                    .unwrap();
            }
        }
        set_watermark_back(&db, TimeDelta::zero());
        let revoked: Vec<u64> = server
            .dataset()
            .order_ids()
            .filter(|&id| server.revoke(id))
            .take(50)
            .collect();
        assert_eq!(revoked.len(), 50);
        let mut inventory = db.inventory();
        for backend in BOTH {
            settle_and_clear(&server);
            let report = sync(&mut inventory, &server, backend, &SyncOptions::new()).unwrap();
            let paths = paths(&server);
            let windows = paths
                .iter()
                .filter(|p| p.ends_with("/status-changes"))
                .count();
            let pages = paths
                .iter()
                .filter(|p| p.ends_with("/report/order"))
                .count();
            match backend {
                // The first sync fetches the 50 revoked orders.
                Backend::Blocking => {
                    assert_eq!((windows, pages, paths.len()), (1, 0, 51), "{paths:?}");
                    assert_eq!((report.changed, report.fetched), (50, 50));
                }
                // The next one, right after, finds them stored as they are.
                Backend::Async => assert_eq!((windows, pages, paths.len()), (1, 0, 1)),
            }
        }
        for id in revoked {
            assert_eq!(
                inventory.find(&id.to_string()).unwrap()[0].status,
                "revoked"
            );
        }
    }
}

/// Several processes syncing one account on a schedule: a round within the window of the
/// last success (whoever made it) does nothing, sends nothing, and says so.
#[test]
fn a_sync_skips_when_the_account_was_synced_within_the_window() {
    for (db, backend) in cases() {
        let server = server(500, Duration::ZERO);
        let scheduled = SyncOptions::new().skip_if_synced_within(Duration::from_secs(3_600));
        // Nothing synced yet: the first scheduled round syncs.
        let mut first = db.inventory();
        let report = sync(&mut first, &server, backend, &scheduled).unwrap();
        assert_eq!((report.skipped, report.added), (None, 500));
        // Another process's round, within the hour: skipped, no request.
        settle_and_clear(&server);
        let mut second = db.inventory();
        let report = sync(&mut second, &server, backend, &scheduled).unwrap();
        let last = first.sync_state().unwrap().last_success;
        assert_eq!(report.skipped, last, "{report:?}");
        assert_eq!(server.request_count(), 0);
        // Without the option, or once the window has passed, it syncs.
        let report = sync(&mut second, &server, backend, &SyncOptions::new()).unwrap();
        assert_eq!(report.skipped, None);
        assert_eq!(server.request_count(), 1);
        let soon = SyncOptions::new().skip_if_synced_within(Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        let report = sync(&mut second, &server, backend, &soon).unwrap();
        assert_eq!(report.skipped, None);
    }
}
