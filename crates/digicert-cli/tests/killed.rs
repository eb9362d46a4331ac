//! Syncs killed at any moment (SIGKILL), through the binary against `digicert-mock` on both
//! stores: a first sync, a full one mid-way, an incremental one; each leaves whole orders
//! that queries answer from, and the next sync completes the inventory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use digicert_mock::MockServer;
use support::db::TestDb;
use support::inventory::{against, cases, digicert, expected, exported, offline, server};
use support::{exit_code, same_instants, text};

/// Starts `digicert sync` (2 requests in flight) and kills it (SIGKILL) once the server has
/// answered `answers` requests.
fn kill_sync_after_answers(server: &MockServer, backend: &str, db: &Path, answers: usize) {
    let mut child = against(server, backend, db)
        .args(["--concurrency", "2", "sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while server
        .requests()
        .iter()
        .filter(|r| r.status.is_some())
        .count()
        < answers
    {
        assert!(Instant::now() < deadline, "the sync did not get going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the sync ended too soon"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[test]
fn a_sync_killed_mid_way_leaves_whole_pages_and_the_next_sync_completes() {
    for (store, backend) in cases() {
        let server = server(10_000, Duration::from_millis(150));
        let db = store.path();
        kill_sync_after_answers(&server, backend, &db, 4);

        // Whole pages, no watermark: the next sync starts over.
        let partial = exported(&db);
        assert_eq!(
            partial.len() % 1000,
            0,
            "{backend}: {} orders",
            partial.len()
        );
        assert!(partial.len() < 10_000, "{backend}: the kill came too late");

        // The account moves on meanwhile: the next sync must show the current status.
        let revoked = server
            .dataset()
            .order_ids()
            .find(|&id| server.revoke(id))
            .unwrap();
        server.faults().set_latency(Duration::ZERO);
        let output = digicert(&server, backend, &db, &["sync"]);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("sync full"));
        let orders = exported(&db);
        assert_eq!(orders[&revoked], "revoked");
        assert_eq!(orders, expected(&server), "{backend} {}", store.kind());
    }
}

/// A fresh inventory of the kind named.
fn fresh(kind: &str) -> TestDb {
    TestDb::all()
        .into_iter()
        .find(|db| db.kind() == kind)
        .unwrap()
}

/// Each exported order's report row, from `inventory export --format jsonl`.
fn exported_reports(db: &Path) -> HashMap<u64, serde_json::Value> {
    let output = offline(db, &["inventory", "export", "--format", "jsonl"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|line| {
            let mut order: serde_json::Value = serde_json::from_str(line).unwrap();
            (order["order_id"].as_u64().unwrap(), order["report"].take())
        })
        .collect()
}

/// Orders a store holds (committed), 0 while it has no orders table yet.
fn stored(store: &TestDb) -> u64 {
    let count = "SELECT COUNT(*) FROM orders";
    match store {
        TestDb::File(_, path) => rusqlite::Connection::open(path)
            .and_then(|db| db.query_row(count, [], |row| row.get(0)))
            .unwrap_or(0),
        TestDb::Postgres(database) => postgres::Client::connect(&database.url, postgres::NoTls)
            .and_then(|mut client| client.query_one(count, &[]))
            .map_or(0, |row| row.get::<_, i64>(0).unsigned_abs()),
    }
}

/// When a first sync is killed.
#[derive(Debug, Clone, Copy)]
enum Kill {
    /// After this many tenths of a whole first sync's time.
    Tenths(u32),
    /// As soon as its first transaction is committed.
    OnceStored,
}

#[test]
fn a_first_sync_killed_at_any_moment_keeps_whole_orders_and_the_next_sync_completes() {
    // Two of SQLite's transactions of 8 report pages, and a dozen of PostgreSQL's.
    let server = server(12_000, Duration::ZERO);
    let kinds: Vec<&str> = TestDb::all().iter().map(TestDb::kind).collect();
    for kind in kinds {
        // How long a whole first sync takes here; the timed kills fall across it.
        let whole = {
            let store = fresh(kind);
            let started = Instant::now();
            let output = digicert(&server, "async", &store.path(), &["sync"]);
            assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
            started.elapsed()
        };
        for kill in [Kill::Tenths(2), Kill::OnceStored, Kill::Tenths(10)] {
            let store = fresh(kind);
            let db = store.path();
            let mut child = against(&server, "async", &db)
                .arg("sync")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            match kill {
                Kill::Tenths(tenths) => std::thread::sleep(whole * tenths / 10),
                Kill::OnceStored => {
                    while stored(&store) == 0 && child.try_wait().unwrap().is_none() {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                }
            }
            child.kill().unwrap(); // SIGKILL, or nothing if it has ended
            child.wait().unwrap();
            // Whatever is stored is whole: each order exactly as the report sent it.
            let partial = exported_reports(&db);
            let dataset = server.dataset();
            for (id, report) in &partial {
                let row = same_instants(&dataset.report_row(*id).unwrap());
                assert_eq!(same_instants(report), row, "{kind} {kill:?}: order {id}");
            }
            if let Kill::OnceStored = kill {
                assert!(
                    !partial.is_empty() && partial.len() < 12_000,
                    "{kind}: {} orders stored",
                    partial.len()
                );
            }
            // And queried as stored.
            let args = [
                "--format",
                "jsonl",
                "inventory",
                "expiring",
                "--days",
                "400",
            ];
            let output = offline(&db, &args);
            assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
            for id in support::ids(&output.stdout, "order_id") {
                assert!(
                    partial.contains_key(&id),
                    "{kind}: {id} expiring, not stored"
                );
            }
            // The next sync completes it.
            let output = digicert(&server, "async", &db, &["sync"]);
            assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
            assert_eq!(exported(&db), expected(&server), "{kind} {kill:?}");
        }
    }
}

#[test]
fn an_incremental_sync_killed_mid_way_changes_nothing_and_the_next_one_completes() {
    for (store, backend) in cases() {
        let server = server(3_000, Duration::ZERO);
        let db = store.path();
        let output = digicert(&server, backend, &db, &["sync"]);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        let before = exported(&db);
        // Four revocations: fewer than the report's pages, so the sync fetches each.
        let revoked: Vec<u64> = server
            .dataset()
            .order_ids()
            .filter(|&id| server.revoke(id))
            .take(4)
            .collect();
        server.faults().set_latency(Duration::from_millis(400));
        server.clear_requests();
        // Killed once the status changes and one order's details have been answered.
        kill_sync_after_answers(&server, backend, &db, 2);
        assert!(
            server
                .requests()
                .iter()
                .any(|r| r.path_and_query.contains("/status-changes")),
            "{backend}: killed during the order details"
        );
        // The changes go in one transaction with the watermark: nothing of them is stored.
        assert_eq!(exported(&db), before, "{backend} {}", store.kind());

        server.faults().set_latency(Duration::ZERO);
        let output = digicert(&server, backend, &db, &["sync"]);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(
            stderr.starts_with("sync incremental: 0 added, 4 changed"),
            "{backend}: {stderr}"
        );
        let orders = exported(&db);
        for id in &revoked {
            assert_eq!(orders[id], "revoked");
        }
        assert_eq!(orders, expected(&server), "{backend} {}", store.kind());
    }
}
