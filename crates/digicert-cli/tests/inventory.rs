//! `digicert sync` and `digicert inventory ...` end to end through the binary, over real HTTP
//! against `digicert-mock`, on both backends: the demo, a sync right after a sync, a sync
//! killed mid-way, concurrent syncs, and files that are not inventories.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use digicert_mock::{FaultPlan, MockConfig, MockServer};
use support::db::TestDb;
use support::{KEY, command, exit_code, text};

const BACKENDS: [&str; 2] = ["blocking", "async"];

/// Every backend on every store (PostgreSQL when configured), each pair on a fresh one.
fn cases() -> Vec<(TestDb, &'static str)> {
    BACKENDS
        .iter()
        .flat_map(|&backend| TestDb::all().into_iter().map(move |db| (db, backend)))
        .collect()
}

fn server(orders: usize, latency: Duration) -> MockServer {
    MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(orders)
            .with_faults(FaultPlan {
                latency,
                ..FaultPlan::default()
            }),
    )
    .unwrap()
}

/// `digicert --db <db>` against `server` with `backend`, arguments to follow.
fn against(server: &MockServer, backend: &str, db: &Path) -> Command {
    let mut command = command();
    command
        .args([
            "--base-url",
            server.base_url(),
            "--api-key",
            KEY,
            "--no-rate-limit",
        ])
        .args(["--backend", backend, "--db"])
        .arg(db);
    command
}

/// `digicert --db <db> <args>` against `server` with `backend`.
fn digicert(server: &MockServer, backend: &str, db: &Path, args: &[&str]) -> Output {
    against(server, backend, db).args(args).output().unwrap()
}

/// `digicert --db <db> <args>`, no server.
fn offline(db: &Path, args: &[&str]) -> Output {
    command().arg("--db").arg(db).args(args).output().unwrap()
}

/// Each exported order's id and status, from `inventory export --format jsonl`; asserts no
/// order appears twice.
fn exported(db: &Path) -> HashMap<u64, String> {
    let output = offline(db, &["inventory", "export", "--format", "jsonl"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let mut orders = HashMap::new();
    for line in text(&output.stdout).lines() {
        let order: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = order["order_id"].as_u64().unwrap();
        let status = order["status"].as_str().unwrap().to_owned();
        assert!(orders.insert(id, status).is_none(), "order {id} twice");
    }
    orders
}

/// The mock's orders and their statuses.
fn expected(server: &MockServer) -> HashMap<u64, String> {
    let dataset = server.dataset();
    dataset
        .order_ids()
        .map(|id| {
            let status = dataset.report_row(id).unwrap().status;
            (id, status.as_str().to_owned())
        })
        .collect()
}

#[test]
fn demo_sync_then_the_queries() {
    let dir = tempfile::tempdir().unwrap();
    // No --db: the demo's inventory goes to the data directory.
    let output = command()
        .env("XDG_DATA_HOME", dir.path())
        .args(["--demo", "sync"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("sync full: 2500 added, 0 changed, 0 unchanged"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let db = dir.path().join("digicert/demo.sqlite");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    let output = offline(&db, &["inventory", "export", "--format", "jsonl"]);
    assert_eq!(exit_code(&output), 0);
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2500);
    for field in [
        "order_id",
        "status",
        "common_name",
        "dns_names",
        "valid_from",
        "valid_till",
        "product_name_id",
        "thumbprint",
        "serial_number",
        "organization",
        "last_seen",
    ] {
        assert!(
            lines.iter().all(|line| line.get(field).is_some()),
            "{field}"
        );
    }

    // `json` gives each order whole: the report row as it was sent.
    let output = offline(&db, &["inventory", "export", "--format", "json"]);
    let all: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(all.len(), 2500);
    assert!(
        all.iter()
            .all(|order| order["report"]["order_id"] == order["order_id"])
    );
    assert!(all[0]["report"].get("csr").is_some());

    let output = offline(&db, &["inventory", "expiring", "--days", "30"]);
    assert_eq!(exit_code(&output), 0);
    let table = text(&output.stdout);
    assert!(table.starts_with("account"), "{table}");
    assert!(table.lines().next().unwrap().contains("days_left"));
    let days: Vec<i64> = table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().nth(4).unwrap().parse().unwrap())
        .collect();
    assert!(!days.is_empty());
    assert!(
        days.windows(2).all(|pair| pair[0] <= pair[1]),
        "soonest first"
    );
    assert!(days.iter().all(|day| (0..=30).contains(day)));

    // find by a name the inventory holds, by its order id and by its thumbprint with colons.
    let first = &lines[lines.len() - 1];
    let name = first["common_name"]
        .as_str()
        .unwrap()
        .trim_start_matches("*.");
    let id = first["order_id"].as_u64().unwrap();
    let output = offline(&db, &["inventory", "find", name, "--format", "jsonl"]);
    assert!(
        support::ids(&output.stdout, "order_id").contains(&id),
        "{name}"
    );
    let output = offline(
        &db,
        &["inventory", "find", &id.to_string(), "--format", "jsonl"],
    );
    assert_eq!(support::ids(&output.stdout, "order_id"), [id]);
    if let Some(thumbprint) = first["thumbprint"].as_str() {
        let colons: Vec<String> = thumbprint
            .to_uppercase()
            .as_bytes()
            .chunks(2)
            .map(|pair| String::from_utf8(pair.to_vec()).unwrap())
            .collect();
        let output = offline(
            &db,
            &["inventory", "find", &colons.join(":"), "--format", "jsonl"],
        );
        assert_eq!(support::ids(&output.stdout, "order_id"), [id]);
    }

    let output = offline(
        &db,
        &["inventory", "history", &id.to_string(), "--format", "jsonl"],
    );
    assert_eq!(support::ids(&output.stdout, "order_id"), [id]);

    let output = offline(&db, &["inventory", "find", "no such thing"]);
    assert_eq!(exit_code(&output), 2);
}

#[test]
fn a_sync_right_after_a_sync_makes_one_request_on_both_backends() {
    for backend in BACKENDS {
        let server = server(2_500, Duration::ZERO);
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("inventory.sqlite");
        let output = digicert(&server, backend, &db, &["sync"]);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("2500 added"));
        server.clear_requests();
        let output = digicert(&server, backend, &db, &["sync"]);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(
            stderr.starts_with("sync incremental: 0 added, 0 changed"),
            "{stderr}"
        );
        assert!(stderr.contains(", 1 requests,"), "{stderr}");
        let requests = server.requests();
        assert_eq!(requests.len(), 1, "{backend}: {requests:?}");
        assert!(requests[0].path_and_query.contains("/status-changes?"));
        assert_eq!(exported(&db), expected(&server));
        // A revocation and a new order: one status-change request and two order details.
        let revoked = server
            .dataset()
            .order_ids()
            .find(|&id| server.revoke(id))
            .unwrap();
        server.add_orders(1);
        let output = digicert(&server, backend, &db, &["sync"]);
        let stderr = text(&output.stderr);
        assert!(
            stderr.starts_with("sync incremental: 1 added, 1 changed, ")
                && stderr.contains(", 3 requests,"),
            "{stderr}"
        );
        let orders = exported(&db);
        assert_eq!(orders[&revoked], "revoked");
        assert_eq!(orders, expected(&server));
        let output = offline(
            &db,
            &[
                "inventory",
                "history",
                &revoked.to_string(),
                "--format",
                "jsonl",
            ],
        );
        assert!(
            text(&output.stdout)
                .lines()
                .last()
                .unwrap()
                .contains("\"revoked\"")
        );
        // --full pulls the report again, and changes nothing.
        let output = digicert(&server, backend, &db, &["sync", "--full"]);
        assert!(text(&output.stderr).contains("sync full: 0 added, 0 changed, 2501 unchanged"));
    }
}

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

#[test]
fn a_first_sync_killed_at_any_moment_keeps_whole_orders_and_the_next_sync_completes() {
    let server = server(6_000, Duration::ZERO);
    let kinds: Vec<&str> = TestDb::all().iter().map(TestDb::kind).collect();
    for kind in kinds {
        // How long a whole first sync takes here; the kills fall across it.
        let whole = {
            let store = fresh(kind);
            let started = Instant::now();
            let output = digicert(&server, "async", &store.path(), &["sync"]);
            assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
            started.elapsed()
        };
        let mut cut = 0;
        for tenths in [1, 4, 7, 10] {
            let store = fresh(kind);
            let db = store.path();
            let mut child = against(&server, "async", &db)
                .arg("sync")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(whole * tenths / 10);
            child.kill().unwrap(); // SIGKILL, or nothing if it has ended
            child.wait().unwrap();
            // Whatever is stored is whole: each order exactly as the report sent it.
            let partial = exported_reports(&db);
            let dataset = server.dataset();
            for (id, report) in &partial {
                let row = serde_json::to_value(dataset.report_row(*id).unwrap()).unwrap();
                assert_eq!(*report, row, "{kind} at {tenths}/10: order {id}");
            }
            cut += usize::from(!partial.is_empty() && partial.len() < 6_000);
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
            assert_eq!(exported(&db), expected(&server), "{kind} at {tenths}/10");
        }
        assert!(cut > 0, "{kind}: no kill fell inside the first sync");
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

#[test]
fn concurrent_syncs_one_runs_the_other_says_so() {
    for store in TestDb::all() {
        let server = server(5_000, Duration::from_millis(100));
        let db = store.path();
        let children: Vec<_> = BACKENDS
            .iter()
            .map(|backend| {
                against(&server, backend, &db)
                    .arg("sync")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect();
        let mut succeeded = 0;
        for output in &outputs {
            match exit_code(output) {
                0 => succeeded += 1,
                1 => assert!(
                    text(&output.stderr)
                        .contains("another sync of account `default` is running on"),
                    "{}",
                    text(&output.stderr)
                ),
                code => panic!("exit {code}"),
            }
        }
        assert!(succeeded >= 1);
        assert_eq!(exported(&db), expected(&server));
    }
}

#[test]
fn a_file_that_is_not_an_inventory_is_refused_before_any_request() {
    let server = server(100, Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "shopping list\n".repeat(100)).unwrap();
    let before = std::fs::read(&notes).unwrap();
    for args in [&["sync"][..], &["inventory", "export"][..]] {
        let output = digicert(&server, "blocking", &notes, args);
        assert_eq!(exit_code(&output), 1, "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&notes.display().to_string()), "{stderr}");
        assert!(stderr.contains("is not a digicert inventory"), "{stderr}");
    }
    assert_eq!(std::fs::read(&notes).unwrap(), before);
    assert_eq!(server.request_count(), 0);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing created beside it"
    );

    let missing = dir.path().join("missing.sqlite");
    let output = offline(&missing, &["inventory", "expiring", "--days", "30"]);
    assert_eq!(exit_code(&output), 2);
    assert!(text(&output.stderr).contains("run `digicert sync` first"));
    assert!(!missing.exists());
}
