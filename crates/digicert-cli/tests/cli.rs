//! The `digicert` binary end to end, over real HTTP against `digicert-mock`,
//! with both backends giving byte-identical output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::process::{Command, Output};
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use digicert_mock::{MockConfig, MockServer};
use digicert_model::{
    OrderInfo, OrderStatus, ReportReader, ReportRow, ReportWriter, StatusChange, SubaccountOrder,
};
use support::same_instants;

/// A key no output may ever contain.
const KEY: &str = "cli-test-key-5f1e9c0d7a";

/// One server for the whole file, with a fixed clock so outputs are stable.
fn server() -> &'static MockServer {
    static SERVER: OnceLock<MockServer> = OnceLock::new();
    SERVER.get_or_init(new_server)
}

/// A server like the shared one, for a test that counts the requests it gets.
fn new_server() -> MockServer {
    let config = MockConfig::default()
        .with_api_key(KEY)
        .with_reference_time(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap());
    MockServer::start_background(config).unwrap()
}

fn digicert(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_digicert"))
        .args(args)
        .env_remove("DIGICERT_API_KEY")
        .env_remove("DIGICERT_BASE_URL")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Runs a command against the test server with each backend; asserts they agree.
fn both(args: &[&str]) -> Output {
    both_on(server(), args)
}

/// Runs a command against `server` with each backend; asserts they agree.
fn both_on(server: &MockServer, args: &[&str]) -> Output {
    let mut outputs = ["blocking", "async"].map(|backend| {
        let mut all = vec![
            "--base-url",
            server.base_url(),
            "--api-key",
            KEY,
            "--no-rate-limit",
            "--backend",
            backend,
        ];
        all.extend_from_slice(args);
        digicert(&all)
    });
    let [blocking, asynchronous] = &outputs;
    assert_eq!(
        blocking.status.code(),
        asynchronous.status.code(),
        "{args:?}"
    );
    assert_eq!(
        text(&blocking.stdout),
        text(&asynchronous.stdout),
        "the backends disagree on {args:?}"
    );
    assert_no_key(blocking);
    assert_no_key(asynchronous);
    let [blocking, _] = &mut outputs;
    std::mem::replace(blocking, digicert(&["--version"]))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn assert_no_key(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        assert!(
            !text(stream).contains(KEY),
            "the key was printed: {}",
            text(stream)
        );
    }
}

fn ok(args: &[&str]) -> String {
    let output = both(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn json<T: serde::de::DeserializeOwned>(args: &[&str]) -> T {
    serde_json::from_str(&ok(args)).unwrap()
}

#[test]
fn report_all_pulls_every_order_in_the_apis_order() {
    let rows: Vec<ReportRow> = json(&["--format", "json", "report", "--all", "--limit", "400"]);
    let expected: Vec<u64> = server().dataset().order_ids().collect();
    assert_eq!(
        rows.iter().map(|r| r.order_id).collect::<Vec<_>>(),
        expected
    );
    // The same rows as CSV, in the report's own columns, and as JSON lines.
    let csv = ok(&["--format", "csv", "report", "--all", "--limit", "400"]);
    let from_csv: Vec<ReportRow> = ReportReader::new(csv.as_bytes())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(from_csv, rows);
    let lines = ok(&["--format", "jsonl", "report", "--all"]);
    assert_eq!(lines.lines().count(), rows.len());
    assert_eq!(
        serde_json::from_str::<ReportRow>(lines.lines().next().unwrap()).unwrap(),
        rows[0]
    );
}

#[test]
fn report_page_and_status_filter() {
    let rows: Vec<ReportRow> = json(&[
        "--format", "json", "report", "--limit", "10", "--offset", "5",
    ]);
    let expected: Vec<u64> = server().dataset().order_ids().skip(5).take(10).collect();
    assert_eq!(
        rows.iter().map(|r| r.order_id).collect::<Vec<_>>(),
        expected
    );
    let revoked: Vec<ReportRow> =
        json(&["--format", "json", "report", "--all", "--status", "revoked"]);
    assert!(!revoked.is_empty());
    assert!(revoked.iter().all(|r| r.status == OrderStatus::Revoked));
    insta::assert_snapshot!(ok(&["report", "--limit", "5"]));
}

#[test]
fn report_from_an_exported_file() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/report/seed_limit3.csv"
    );
    let output = digicert(&["--format", "json", "report", "--input", fixture]);
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(text(&output.stdout));
    // CSV back out is what the model writes; reading it again gives the same rows.
    let output = digicert(&[
        "--format", "csv", "report", "--input", fixture, "--status", "issued",
    ]);
    let rows: Vec<ReportRow> = ReportReader::new(output.stdout.as_slice())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3);
    // A broken file is exit 1 with the place of the problem.
    let broken = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/report/invalid/bad_date.csv"
    );
    let output = digicert(&["report", "--input", broken]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("record 1 (line 2), column `date_created`"),
        "{}",
        text(&output.stderr)
    );
}

/// `--format csv` on a file writes exactly what the model's typed rows write, in the file's
/// own column layout (unknown columns in their place), with and without a status filter,
/// for every report fixture (quirks included); a report written as CertCentral writes them
/// comes out byte for byte as it went in.
#[test]
fn csv_conversion_writes_what_typed_rows_write() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/report");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "csv") {
            continue;
        }
        let file = path.to_str().unwrap();
        let input = std::fs::read(&path).unwrap();
        for status in [None, Some("issued")] {
            let reader = ReportReader::new(input.as_slice()).unwrap();
            let mut expected = ReportWriter::with_columns(Vec::new(), reader.columns().to_vec())
                .unwrap()
                .utc_times();
            for row in reader {
                let row = row.unwrap();
                if status.is_none_or(|status| row.status.as_str() == status) {
                    expected.write_row(&row).unwrap();
                }
            }
            let mut args = vec!["--format", "csv", "report", "--input", file];
            args.extend(status.map(|status| ["--status", status]).iter().flatten());
            let output = digicert(&args);
            assert_eq!(output.status.code(), Some(0), "{file}");
            assert_eq!(
                text(&output.stdout),
                text(&expected.into_inner().unwrap()),
                "{file} {status:?}"
            );
            let api_quoted = !file.contains("crlf_bom");
            if status.is_none() && api_quoted {
                // The same rows, read back: only the times' spelling (UTC with `Z`) differs.
                let rows = |csv: &[u8]| -> Vec<ReportRow> {
                    ReportReader::new(csv)
                        .unwrap()
                        .map(Result::unwrap)
                        .collect()
                };
                assert_eq!(rows(&output.stdout), rows(&input), "{file} changed");
            }
        }
    }
}

#[test]
fn subaccount_orders_all_matches_the_total() {
    let orders: Vec<SubaccountOrder> = json(&[
        "--format",
        "json",
        "subaccount-orders",
        "--all",
        "--limit",
        "100",
    ]);
    let total = server()
        .dataset()
        .subaccount_orders(0, 1)
        .page
        .unwrap()
        .total;
    assert_eq!(orders.len() as u64, total);
    let page: Vec<SubaccountOrder> =
        json(&["--format", "json", "subaccount-orders", "--limit", "7"]);
    assert_eq!(page, orders[..7]);
}

#[test]
fn one_order_by_id_thumbprint_or_serial() {
    let dataset = server().dataset();
    let id = dataset
        .order_ids()
        .find(|id| dataset.order_info(*id).unwrap().status == OrderStatus::Issued)
        .unwrap();
    let by_id: OrderInfo = json(&["--format", "json", "order", &id.to_string()]);
    let certificate = by_id.certificate.clone().unwrap();
    let by_thumbprint: OrderInfo = json(&[
        "--format",
        "json",
        "order",
        certificate.thumbprint.as_deref().unwrap(),
    ]);
    let by_serial: OrderInfo = json(&[
        "--format",
        "json",
        "order",
        &certificate.serial_number.clone().unwrap().to_lowercase(),
    ]);
    assert_eq!(
        same_instants(&by_id),
        same_instants(&dataset.order_info(id).unwrap())
    );
    assert_eq!(by_thumbprint, by_id);
    assert_eq!(by_serial, by_id);
    insta::assert_snapshot!("order_table", ok(&["order", "123456"]));
    insta::assert_snapshot!("order_json", ok(&["--format", "json", "order", "123456"]));
}

#[test]
fn reissues_of_an_order() {
    let dataset = server().dataset();
    let id = dataset
        .order_ids()
        .find(|id| !dataset.reissues(*id).unwrap().certificates.is_empty())
        .unwrap();
    let certificates: Vec<digicert_model::ReissuedCertificate> =
        json(&["--format", "json", "reissues", &id.to_string()]);
    assert_eq!(
        same_instants(&certificates),
        same_instants(&dataset.reissues(id).unwrap().certificates)
    );
}

#[test]
fn status_changes_in_the_last_minutes() {
    // `--minutes` counts back from the server's clock, so use a server whose dataset is current.
    let server = MockServer::start_background(MockConfig::default().with_api_key(KEY)).unwrap();
    let before = Utc::now();
    let output = digicert(&[
        "--base-url",
        server.base_url(),
        "--api-key",
        KEY,
        "--format",
        "json",
        "status-changes",
        "--minutes",
        "10080",
    ]);
    let after = Utc::now();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let changes: Vec<StatusChange> = serde_json::from_slice(&output.stdout).unwrap();
    let week = chrono::Duration::minutes(10080);
    let dataset = server.dataset();
    let updated = |id: u64| dataset.status_last_updated(id).unwrap();
    assert!(!changes.is_empty());
    for change in &changes {
        let at = updated(change.order_id);
        assert!(
            at >= before - week && at <= after,
            "{change:?} changed at {at}"
        );
    }
    let returned: std::collections::HashSet<u64> = changes.iter().map(|c| c.order_id).collect();
    for id in dataset.order_ids() {
        if updated(id) >= after - week && updated(id) <= before {
            assert!(
                returned.contains(&id),
                "order {id} changed in the window but is missing"
            );
        }
    }
}

#[test]
fn status_changes_over_a_long_range_are_split_and_merged() {
    // A server of its own: the test counts every request it gets.
    let server = new_server();
    let reference = server.dataset().reference_time();
    let from = reference - chrono::Duration::days(20);
    let output = both_on(
        &server,
        &[
            "--format",
            "json",
            "status-changes",
            "--from",
            &from.to_rfc3339(),
            "--to",
            &reference.to_rfc3339(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let merged: Vec<StatusChange> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(server.request_count(), 6, "3 windows for each backend");
    let mut expected = server.dataset().status_changes(from, reference).orders;
    let mut got = merged.clone();
    expected.sort_by_key(|c| c.order_id);
    got.sort_by_key(|c| c.order_id);
    assert_eq!(got, expected, "one entry per order changed in the 20 days");
}

#[test]
fn expiring_lists_issued_orders_soonest_first() {
    // The expiry window counts from the real today, so use a server whose clock is now.
    let server = MockServer::start_background(MockConfig::default().with_api_key(KEY)).unwrap();
    let output = digicert(&[
        "--base-url",
        server.base_url(),
        "--api-key",
        KEY,
        "--format",
        "json",
        "expiring",
        "--days",
        "30",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let rows: Vec<ReportRow> = serde_json::from_slice(&output.stdout).unwrap();
    let today = Utc::now().date_naive();
    let until = today + chrono::Days::new(30);
    let mut expected: Vec<(chrono::NaiveDate, u64)> = server
        .dataset()
        .order_ids()
        .filter_map(|id| server.dataset().report_row(id))
        .filter(|r| r.status == OrderStatus::Issued)
        .filter_map(|r| {
            r.valid_till
                .filter(|t| *t >= today && *t <= until)
                .map(|t| (t, r.order_id))
        })
        .collect();
    expected.sort_unstable();
    assert!(
        !expected.is_empty(),
        "the dataset should have orders expiring soon"
    );
    let got: Vec<(chrono::NaiveDate, u64)> = rows
        .iter()
        .map(|r| (r.valid_till.unwrap(), r.order_id))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn refused_input_is_exit_2_before_any_request() {
    let before = server().request_count();
    for args in [
        &["order", "../../account"][..],
        &["order", "12%2F34"],
        &["status-changes", "--minutes", "10081"],
        &[
            "status-changes",
            "--from",
            "2026-01-01T00:00:00Z",
            "--to",
            "2025-01-01T00:00:00Z",
        ],
        &["report", "--limit", "1001"],
        &["status-changes"],
    ] {
        let output = both(args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
        assert!(!text(&output.stderr).is_empty());
    }
    assert_eq!(server().request_count(), before, "nothing may be sent");
    let output = digicert(&["order", "1"]);
    assert_eq!(output.status.code(), Some(2), "no key");
    assert!(text(&output.stderr).contains("DIGICERT_API_KEY"));
}

#[test]
fn api_and_network_failures_are_exit_1_with_digicerts_code() {
    let output = both(&["order", "987654321"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("not_found|order"), "{stderr}");

    let output = digicert(&[
        "--base-url",
        server().base_url(),
        "--api-key",
        "wrong-key",
        "order",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("access_denied|access_denied_invalid_key"));

    // Nothing listens on port 9 of loopback: connection refused, retried, then exit 1.
    let output = digicert(&[
        "--base-url",
        "http://127.0.0.1:9/services/v2",
        "--api-key",
        KEY,
        "--timeout",
        "2",
        "order",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_no_key(&output);
}

#[test]
fn the_key_never_appears_at_any_log_level() {
    let server = server();
    let commands: [&[&str]; 7] = [
        &["report", "--all", "--limit", "1000"],
        &["subaccount-orders", "--limit", "5"],
        &["order", "123456"],
        &["order", "999999999"],
        &["reissues", "123456"],
        &["status-changes", "--minutes", "60"],
        &["expiring", "--days", "30"],
    ];
    for args in commands {
        for backend in ["blocking", "async"] {
            let mut all = vec![
                "-vvv",
                "--backend",
                backend,
                "--base-url",
                server.base_url(),
                "--format",
                "json",
            ];
            all.extend_from_slice(args);
            let output = Command::new(env!("CARGO_BIN_EXE_digicert"))
                .args(&all)
                .env("DIGICERT_API_KEY", KEY)
                .env("RUST_LOG", "trace")
                .output()
                .unwrap();
            assert!(
                !output.stderr.is_empty() || output.status.success(),
                "{args:?}"
            );
            assert_no_key(&output);
        }
    }
    // --help shows the environment variable but not its value.
    let output = Command::new(env!("CARGO_BIN_EXE_digicert"))
        .arg("--help")
        .env("DIGICERT_API_KEY", KEY)
        .output()
        .unwrap();
    assert!(text(&output.stdout).contains("DIGICERT_API_KEY"));
    assert_no_key(&output);
}

#[test]
fn the_demo_runs_without_a_key() {
    let output = digicert(&["--demo", "--format", "jsonl", "report", "--all"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(text(&output.stdout).lines().count() > 1000);
}
