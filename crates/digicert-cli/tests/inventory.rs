//! `digicert sync` and `digicert inventory ...` end to end through the binary, over real HTTP
//! against `digicert-mock`, on both backends: the demo, a sync right after a sync, concurrent
//! syncs, and files that are not inventories (syncs killed mid-way: `killed.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::process::{Output, Stdio};
use std::time::Duration;

use support::db::TestDb;
use support::inventory::{BACKENDS, against, digicert, expected, exported, offline, server};
use support::{command, exit_code, text};

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
        assert!(stderr.contains(", 1 request,"), "{stderr}");
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
        assert_eq!(exit_code(&output), 2, "{args:?}");
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
