//! The command as a PKI engineer meets it day to day (issue 13): references as pasted,
//! report filters sent to the server, statuses in any case, notes when more orders exist,
//! `expiring` for monitoring, open-ended and date-only status-change ranges, help with
//! examples, completions and a man page, plain logs in a pipe, file errors with their path,
//! and a closed pipe after `--help`. Every command runs the binary against `digicert-mock`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::io::Read;
use std::process::{Output, Stdio};

use chrono::{Duration, TimeZone, Utc};
use digicert_mock::{MockConfig, MockServer};
use digicert_model::{OrderInfo, OrderStatus, ReportRow, StatusChange, SubaccountOrder};
use support::{KEY, command, exit_code, same_instants, text};

/// A server of the test's own (tests count its requests), with a fixed clock so outputs
/// are stable.
fn server() -> MockServer {
    let config = MockConfig::default()
        .with_api_key(KEY)
        .with_reference_time(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap());
    MockServer::start_background(config).unwrap()
}

/// A server whose data is placed around the real now (for "until now" and "from today").
fn current_server() -> MockServer {
    MockServer::start_background(MockConfig::default().with_api_key(KEY)).unwrap()
}

/// Runs the binary against `server` on `backend`.
fn run_on(server: &MockServer, backend: &str, args: &[&str]) -> Output {
    command()
        .args(["--base-url", server.base_url(), "--api-key", KEY])
        .args(["--no-rate-limit", "--backend", backend])
        .args(args)
        .output()
        .unwrap()
}

/// No panic and no key in the output.
fn clean(output: &Output) {
    assert!(
        !text(&output.stderr).contains("panicked"),
        "{}",
        text(&output.stderr)
    );
    for stream in [&output.stdout, &output.stderr] {
        assert!(!text(stream).contains(KEY), "the key was printed");
    }
}

/// Runs on both backends; asserts the same exit code and stdout; returns the blocking run.
fn both_on(server: &MockServer, args: &[&str]) -> Output {
    let blocking = run_on(server, "blocking", args);
    let asynchronous = run_on(server, "async", args);
    clean(&blocking);
    clean(&asynchronous);
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
    blocking
}

fn ok_on(server: &MockServer, args: &[&str]) -> Output {
    let output = both_on(server, args);
    assert_eq!(exit_code(&output), 0, "{args:?}: {}", text(&output.stderr));
    output
}

fn json_on<T: serde::de::DeserializeOwned>(server: &MockServer, args: &[&str]) -> T {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_slice(&ok_on(server, &all).stdout).unwrap()
}

/// The binary without a server (help, completions, man, files).
fn local(args: &[&str]) -> Output {
    command().args(args).output().unwrap()
}

/// The paths and queries the server received since `before` requests.
fn requests_since(server: &MockServer, before: usize) -> Vec<String> {
    server.requests()[before..]
        .iter()
        .map(|record| record.path_and_query.clone())
        .collect()
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../../fixtures/report/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

// 1 ---------------------------------------------------------------------------------------

#[test]
fn order_takes_thumbprints_and_serials_as_people_paste_them() {
    let server = &server();
    let dataset = server.dataset();
    let id = dataset
        .order_ids()
        .find(|id| dataset.order_info(*id).unwrap().status == OrderStatus::Issued)
        .unwrap();
    let expected = dataset.order_info(id).unwrap();
    let certificate = expected.certificate.clone().unwrap();
    let thumbprint = certificate.thumbprint.unwrap().to_uppercase();
    let serial = certificate.serial_number.unwrap().to_uppercase();
    let pairs = |hex: &str, separator: &str| {
        hex.as_bytes()
            .chunks(2)
            .map(|pair| std::str::from_utf8(pair).unwrap())
            .collect::<Vec<_>>()
            .join(separator)
    };
    for pasted in [
        pairs(&thumbprint, ":"),                // openssl x509 -fingerprint
        pairs(&thumbprint, ":").to_lowercase(), // the same, lower case
        pairs(&serial, " "),                    // a viewer's spaced serial
        format!(" {} ", serial.to_lowercase()), // lower case, stray spaces
    ] {
        let before = server.request_count();
        let order: OrderInfo = json_on(server, &["order", &pasted]);
        assert_eq!(
            same_instants(&order),
            same_instants(&expected),
            "{pasted:?}"
        );
        // What is sent is the normalized reference: no separators, upper case.
        let sent = requests_since(server, before);
        assert!(
            sent.iter()
                .all(|path| path.ends_with(&thumbprint) || path.ends_with(&serial)),
            "{pasted:?}: {sent:?}"
        );
    }
}

// 2 ---------------------------------------------------------------------------------------

#[test]
fn report_filters_are_sent_to_the_server_and_applied_there() {
    let server = &server();
    let every: Vec<ReportRow> = server.dataset().report_rows(&[], 0, usize::MAX).collect();
    let sample = every
        .iter()
        .find(|row| row.status == OrderStatus::Issued)
        .unwrap()
        .clone();
    let common_name = sample.common_name.clone().unwrap();
    let product = sample.product_name_id.clone().unwrap();
    let organization = sample.organization_id.unwrap().to_string();
    let container = sample.container_id.unwrap().to_string();
    let till = sample.valid_till.unwrap().to_string();

    let before = server.request_count();
    let rows: Vec<ReportRow> = json_on(
        server,
        &[
            "report",
            "--all",
            "--limit",
            "50",
            "--common-name",
            &common_name,
        ],
    );
    assert!(rows.contains(&sample));
    assert!(
        rows.iter()
            .all(|row| row.common_name.as_deref() == Some(&common_name))
    );
    let sent = requests_since(server, before);
    assert!(
        sent.iter().all(|path| path.contains(&format!(
            "filters%5Bcommon_name%5D={}",
            common_name.replace('*', "%2A")
        ))),
        "{sent:?}"
    );

    // A server of its own: the async backend's pages fetched ahead may still arrive above.
    let server = &self::server();
    let before = server.request_count();
    let rows: Vec<ReportRow> = json_on(
        server,
        &[
            "report",
            "--status",
            "issued",
            "--product-name-id",
            &product,
            "--organization-id",
            &organization,
            "--container-id",
            &container,
            "--valid-till",
            &format!("{till}...{till}"),
        ],
    );
    let expected: Vec<&ReportRow> = every
        .iter()
        .filter(|row| {
            row.status == OrderStatus::Issued
                && row.product_name_id == sample.product_name_id
                && row.organization_id == sample.organization_id
                && row.container_id == sample.container_id
                && row.valid_till == sample.valid_till
        })
        .collect();
    assert_eq!(rows.iter().collect::<Vec<_>>(), expected);
    let sent = requests_since(server, before);
    for filter in [
        "filters%5Bstatus%5D=issued".to_owned(),
        format!("filters%5Bproduct_name_id%5D={product}"),
        format!("filters%5Borganization_id%5D={organization}"),
        format!("filters%5Bcontainer_id%5D={container}"),
        format!("filters%5Bvalid_till%5D={till}...{till}"),
    ] {
        assert!(
            sent.iter().all(|path| path.contains(&filter)),
            "{filter}: {sent:?}"
        );
    }

    // A malformed date is refused before any request.
    let before = server.request_count();
    let output = run_on(server, "blocking", &["report", "--valid-till", "next week"]);
    assert_eq!(exit_code(&output), 2);
    assert_eq!(server.request_count(), before);
}

// 3 ---------------------------------------------------------------------------------------

#[test]
fn status_is_case_insensitive_and_an_unknown_one_is_warned_about_and_still_sent() {
    let server = &server();
    let lower: Vec<ReportRow> = json_on(server, &["report", "--limit", "50", "--status", "issued"]);
    let upper: Vec<ReportRow> = json_on(server, &["report", "--limit", "50", "--status", "Issued"]);
    assert!(!lower.is_empty());
    assert_eq!(lower, upper);
    let output = ok_on(server, &["report", "--limit", "50", "--status", "ISSUED"]);
    assert!(
        !text(&output.stderr).contains("warning"),
        "{}",
        text(&output.stderr)
    );

    let before = server.request_count();
    let output = ok_on(server, &["report", "--status", "Awaiting_Magic"]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: `awaiting_magic` is not an order status"),
        "{stderr}"
    );
    for known in OrderStatus::KNOWN {
        assert!(stderr.contains(known), "{known} missing from {stderr}");
    }
    assert!(
        requests_since(server, before)
            .iter()
            .all(|path| path.contains("filters%5Bstatus%5D=awaiting_magic")),
        "an unknown status is still sent"
    );
    let quiet = ok_on(server, &["-q", "report", "--status", "awaiting_magic"]);
    assert_eq!(text(&quiet.stderr), "");

    // The same for an exported file.
    let file = fixture("seed_limit3.csv");
    let output = local(&[
        "--format", "jsonl", "report", "--input", &file, "--status", "ISSUED",
    ]);
    assert_eq!(exit_code(&output), 0);
    assert_eq!(text(&output.stdout).lines().count(), 3);
}

// 4 ---------------------------------------------------------------------------------------

#[test]
fn one_page_says_on_stderr_when_more_orders_exist() {
    let server = &server();
    let output = ok_on(server, &["report", "--limit", "1000"]);
    assert_eq!(
        text(&output.stdout).lines().count(),
        1001,
        "header and 1,000 rows"
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("showing 1,000 orders from offset 0; more exist: use --all")
            && stderr.contains("--offset 1000"),
        "{stderr}"
    );
    // The last page, every page, or -q: nothing to say.
    for args in [
        &["report", "--limit", "1000", "--offset", "2000"][..],
        &["report", "--all"],
        &["-q", "report", "--limit", "10"],
    ] {
        let output = ok_on(server, args);
        assert!(!text(&output.stderr).contains("note:"), "{args:?}");
    }
    let total = server.dataset().subaccount_order_ids().len();
    let output = ok_on(server, &["subaccount-orders", "--limit", "7"]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("showing 7 of {total} orders; use --all"))
            || stderr.contains(&format!(
                "showing 7 of {},{:03} orders; use --all",
                total / 1000,
                total % 1000
            )),
        "{stderr}"
    );
}

// 5 ---------------------------------------------------------------------------------------

#[test]
fn expiring_shows_days_left_includes_the_expired_on_request_and_fails_if_asked() {
    let server = &current_server();
    let today = Utc::now().date_naive();
    let output = ok_on(server, &["expiring", "--days", "30"]);
    let table = text(&output.stdout);
    let header = table.lines().next().unwrap();
    assert!(
        header.starts_with("order_id    days_left  valid_till"),
        "{header}"
    );

    let found: Vec<serde_json::Value> = json_on(server, &["expiring", "--days", "30"]);
    assert!(!found.is_empty());
    for order in &found {
        let till: chrono::NaiveDate = order["valid_till"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            order["days_left"].as_i64().unwrap(),
            (till - today).num_days()
        );
        assert!((0..=30).contains(&order["days_left"].as_i64().unwrap()));
        assert_eq!(order["status"], "issued");
    }
    let with_expired: Vec<serde_json::Value> =
        json_on(server, &["expiring", "--days", "30", "--include-expired"]);
    assert!(with_expired.len() > found.len());
    assert!(
        with_expired
            .iter()
            .any(|o| o["days_left"].as_i64().unwrap() < 0)
    );
    assert!(
        with_expired
            .windows(2)
            .all(|pair| pair[0]["days_left"].as_i64() <= pair[1]["days_left"].as_i64()),
        "soonest first"
    );

    // --fail-if-any: exit 3 with the list on stdout when something is found ...
    let output = both_on(
        server,
        &[
            "--format",
            "jsonl",
            "expiring",
            "--days",
            "30",
            "--fail-if-any",
        ],
    );
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).lines().count(), found.len());
    assert!(text(&output.stderr).contains("(--fail-if-any)"));
    // ... and exit 0 when nothing is (the fixture's certificates expired years ago).
    let file = fixture("seed_limit3.csv");
    let output = local(&[
        "expiring",
        "--days",
        "30",
        "--fail-if-any",
        "--input",
        &file,
    ]);
    clean(&output);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let output = local(&[
        "-q",
        "expiring",
        "--days",
        "30",
        "--include-expired",
        "--fail-if-any",
        "--input",
        &file,
    ]);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
}

// 6 ---------------------------------------------------------------------------------------

#[test]
fn status_changes_from_alone_runs_until_now() {
    let server = &current_server();
    let from = (Utc::now() - Duration::days(10)).to_rfc3339();
    let before = server.request_count();
    let open: Vec<StatusChange> = json_on(server, &["status-changes", "--from", &from]);
    assert_eq!(
        server.request_count() - before,
        4,
        "2 windows on each backend"
    );
    let to = Utc::now();
    let mut expected = server
        .dataset()
        .status_changes(
            chrono::DateTime::parse_from_rfc3339(&from)
                .unwrap()
                .to_utc(),
            to,
        )
        .orders;
    let mut got = open;
    expected.sort_by_key(|c| c.order_id);
    got.sort_by_key(|c| c.order_id);
    assert!(!got.is_empty());
    assert_eq!(got, expected);
}

#[test]
fn status_changes_take_dates_without_a_time_as_midnight_utc() {
    let server = &server();
    let before = server.request_count();
    let by_date = ok_on(
        server,
        &[
            "--format",
            "json",
            "status-changes",
            "--from",
            "2026-05-10",
            "--to",
            "2026-05-30",
        ],
    );
    let date_requests = requests_since(server, before);
    let before = server.request_count();
    let by_time = ok_on(
        server,
        &[
            "--format",
            "json",
            "status-changes",
            "--from",
            "2026-05-10T00:00:00Z",
            "--to",
            "2026-05-30T00:00:00Z",
        ],
    );
    // The async backend asks its windows at once, so they may arrive in any order.
    let sorted = |mut paths: Vec<String>| {
        paths.sort();
        paths
    };
    assert_eq!(
        sorted(requests_since(server, before)),
        sorted(date_requests.clone())
    );
    assert!(
        date_requests[0].ends_with("=2026-05-09+18:00:00...2026-05-16+18:00:00"),
        "midnight UTC, in Mountain Time: {date_requests:?}"
    );
    assert_eq!(date_requests.len(), 6, "3 windows on each backend");
    assert_eq!(text(&by_date.stdout), text(&by_time.stdout));
    let changes: Vec<StatusChange> = serde_json::from_slice(&by_date.stdout).unwrap();
    assert!(!changes.is_empty());
    // The help names the zone.
    let help = text(&local(&["status-changes", "--help"]).stdout);
    assert!(help.contains("midnight UTC"), "{help}");
}

// 10 --------------------------------------------------------------------------------------

const SUBCOMMANDS: [&str; 8] = [
    "report",
    "subaccount-orders",
    "order",
    "reissues",
    "status-changes",
    "expiring",
    "completions",
    "man",
];

#[test]
fn subcommand_help_lists_its_own_options_first_globals_apart_and_ends_with_examples() {
    for subcommand in SUBCOMMANDS {
        let output = local(&[subcommand, "--help"]);
        assert_eq!(exit_code(&output), 0);
        let help = text(&output.stdout);
        let globals = help
            .find("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("{help}"));
        let api_key = help.find("--api-key").unwrap();
        assert!(
            api_key > globals,
            "{subcommand}: --api-key outside its heading"
        );
        let examples = help
            .find("\nExamples:\n")
            .unwrap_or_else(|| panic!("{help}"));
        assert!(examples > globals, "{subcommand}: examples come last");
        let shown = help[examples..]
            .lines()
            .filter(|line| line.starts_with("  digicert "))
            .count();
        assert!((2..=3).contains(&shown), "{subcommand}: {shown} examples");
    }
    let report = text(&local(&["report", "--help"]).stdout);
    let options = report.find("\nOptions:\n").unwrap();
    let globals = report.find("\nGlobal options:\n").unwrap();
    for own in ["--limit", "--status", "--common-name", "--input"] {
        let at = report.find(&format!("\n      {own} ")).unwrap();
        assert!(options < at && at < globals, "{own}");
    }
}

#[test]
fn completions_for_each_shell_and_a_man_page_come_from_the_clap_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F _digicert"),
        ("zsh", "#compdef digicert"),
        ("fish", "complete -c digicert"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let output = local(&["completions", shell]);
        assert_eq!(exit_code(&output), 0, "{shell}");
        let script = text(&output.stdout);
        assert!(script.contains(marker), "{shell}");
        assert!(
            script.contains("expiring") && script.contains("fail-if-any"),
            "{shell}"
        );
    }
    assert_eq!(exit_code(&local(&["completions", "tcsh"])), 2);
    let output = local(&["man"]);
    assert_eq!(exit_code(&output), 0);
    let page = text(&output.stdout);
    assert!(page.contains(".TH digicert 1"), "{page}");
    assert!(page.contains("status\\-changes") || page.contains("status-changes"));
    assert!(page.contains("DIGICERT_API_KEY"));
}

#[test]
fn concurrency_with_the_blocking_backend_is_warned_about() {
    let server = &server();
    let warned = run_on(
        server,
        "blocking",
        &["--concurrency", "4", "order", "123456"],
    );
    assert_eq!(exit_code(&warned), 0);
    assert!(
        text(&warned.stderr)
            .contains("warning: --concurrency has no effect with --backend blocking"),
        "{}",
        text(&warned.stderr)
    );
    let fine = run_on(server, "async", &["--concurrency", "4", "order", "123456"]);
    assert_eq!(text(&fine.stderr), "");
    let quiet = run_on(
        server,
        "blocking",
        &["-q", "--concurrency", "4", "order", "123456"],
    );
    assert_eq!(text(&quiet.stderr), "");
}

// 11 --------------------------------------------------------------------------------------

#[test]
fn logs_into_a_pipe_have_no_colours_and_no_progress_line() {
    let server = &server();
    let output = ok_on(server, &["-vv", "report", "--all", "--limit", "500"]);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("DEBUG") || stderr.contains("INFO"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "ANSI escape in {stderr:?}");
    assert!(
        !stderr.contains("orders ("),
        "a progress line in a pipe: {stderr}"
    );
}

// 12 --------------------------------------------------------------------------------------

#[test]
fn input_file_errors_name_the_path_and_are_exit_2() {
    let dir = std::env::temp_dir().join(format!("digicert-daily-use-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.csv");
    let dir_text = dir.to_str().unwrap();
    let missing_text = missing.to_str().unwrap();
    for (args, said) in [
        (
            vec!["report", "--input", dir_text],
            format!("--input {dir_text}: is a directory"),
        ),
        (
            vec!["report", "--input", missing_text],
            format!("--input {missing_text}: no such file"),
        ),
        (
            vec!["expiring", "--days", "3", "--input", missing_text],
            format!("--input {missing_text}: no such file"),
        ),
    ] {
        let output = local(&args);
        assert_eq!(exit_code(&output), 2, "{args:?}");
        assert!(
            text(&output.stderr).contains(&said),
            "{}",
            text(&output.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

// 17 --------------------------------------------------------------------------------------

#[test]
fn help_and_generated_text_into_a_closed_pipe_exit_0_without_a_panic() {
    for args in [
        &["--help"][..],
        &["report", "--help"],
        &["completions", "bash"],
        &["man"],
    ] {
        let mut child = command()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // `| head` gone before the first write
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn subaccount_orders_all_still_match_with_a_progress_total_asked_only_on_a_terminal() {
    let server = &server();
    let before = server.request_count();
    let orders: Vec<SubaccountOrder> =
        json_on(server, &["subaccount-orders", "--all", "--limit", "1000"]);
    assert_eq!(orders.len(), server.dataset().subaccount_order_ids().len());
    let sent = requests_since(server, before);
    assert!(
        sent.iter().all(|path| !path.contains("limit=1&")),
        "no total is asked for when stderr is not a terminal: {sent:?}"
    );
}

// 9 ---------------------------------------------------------------------------------------

/// Whether a cell is a time as tables write them: RFC 3339, UTC, to the second.
fn is_utc_time(cell: &str) -> bool {
    cell.len() == 20
        && cell.ends_with('Z')
        && chrono::DateTime::parse_from_rfc3339(cell)
            .is_ok_and(|t| t.offset().local_minus_utc() == 0)
}

#[test]
fn tables_share_one_vocabulary_and_one_format_per_kind_of_date() {
    let server = &server();
    let dataset = server.dataset();
    let reissued = dataset
        .order_ids()
        .find(|id| {
            dataset
                .reissues(*id)
                .unwrap()
                .certificates
                .iter()
                .any(|c| c.thumbprint.is_some() && c.date_created.is_some())
        })
        .unwrap()
        .to_string();
    let headers = |args: &[&str]| -> Vec<String> {
        let table = text(&ok_on(server, args).stdout);
        table
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    for (args, wanted) in [
        (
            &["report", "--limit", "3"][..],
            &["order_id", "product_name_id", "valid_till"][..],
        ),
        (
            &["subaccount-orders", "--limit", "3"],
            &["order_id", "product_name_id", "date_created"],
        ),
        (
            &["reissues", &reissued],
            &[
                "certificate_id",
                "thumbprint",
                "serial_number",
                "date_created",
            ],
        ),
        (
            &["status-changes", "--from", "2026-05-25"],
            &["order_id", "certificate_id"],
        ),
        (
            &["expiring", "--days", "3000"],
            &["order_id", "days_left", "product_name_id"],
        ),
    ] {
        let header = headers(args);
        for name in wanted {
            assert!(header.contains(&(*name).to_owned()), "{args:?}: {header:?}");
        }
        for vague in ["id", "product", "organization"] {
            assert!(!header.contains(&vague.to_owned()), "{args:?}: {header:?}");
        }
    }
    let order = text(&ok_on(server, &["order", "123456"]).stdout);
    let fields: Vec<&str> = order
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for name in [
        "order_id",
        "product_name_id",
        "organization_name",
        "date_created",
    ] {
        assert!(fields.contains(&name), "{fields:?}");
    }

    // Times are RFC 3339 UTC wherever a table shows one.
    let reissues = text(&ok_on(server, &["reissues", &reissued]).stdout);
    let row: Vec<&str> = reissues
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert!(is_utc_time(row[2]), "{reissues}");
    assert!(row[4].len() >= 40, "a thumbprint: {reissues}");
    let subaccount = text(&ok_on(server, &["subaccount-orders", "--limit", "5"]).stdout);
    for line in subaccount.lines().skip(1) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert!(is_utc_time(cells[4]), "{line}");
    }
    let created = order
        .lines()
        .find(|l| l.starts_with("date_created"))
        .unwrap();
    assert!(
        is_utc_time(created.split_whitespace().nth(1).unwrap()),
        "{created}"
    );
}

#[test]
fn json_lists_are_one_array_jsonl_one_object_per_line_and_order_json_is_its_object() {
    let server = &server();
    for args in [
        &["report", "--limit", "20"][..],
        &["subaccount-orders", "--limit", "20"],
        &["reissues", "123456"],
        &["status-changes", "--from", "2026-05-25"],
        &["expiring", "--days", "3000"],
        &["report", "--limit", "1", "--status", "awaiting_magic"], // an empty list
    ] {
        let mut json_args = vec!["--format", "json"];
        json_args.extend_from_slice(args);
        let array: serde_json::Value = serde_json::from_slice(&ok_on(server, &json_args).stdout)
            .unwrap_or_else(|err| panic!("{args:?}: not one JSON document: {err}"));
        let array = array
            .as_array()
            .unwrap_or_else(|| panic!("{args:?}: not an array"));
        let mut jsonl_args = vec!["--format", "jsonl"];
        jsonl_args.extend_from_slice(args);
        let lines: Vec<serde_json::Value> = text(&ok_on(server, &jsonl_args).stdout)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert!(lines.iter().all(serde_json::Value::is_object), "{args:?}");
        assert_eq!(&lines, array, "{args:?}: the same objects");
    }
    let one: serde_json::Value =
        serde_json::from_slice(&ok_on(server, &["--format", "json", "order", "123456"]).stdout)
            .unwrap();
    let line: serde_json::Value =
        serde_json::from_slice(&ok_on(server, &["--format", "jsonl", "order", "123456"]).stdout)
            .unwrap();
    assert!(one.is_object());
    assert_eq!(one, line);
    assert_eq!(one["id"], 123456);
}

#[test]
fn report_metadata_reads_as_label_value_in_the_table_and_stays_raw_in_csv() {
    let file = fixture("quirk_metadata.csv");
    let table = text(&local(&["report", "--input", &file]).stdout);
    assert!(
        table.lines().next().unwrap().ends_with("metadata"),
        "{table}"
    );
    assert!(
        table.contains("Invoice #=1234; Cost center=CC-9"),
        "{table}"
    );
    assert!(!table.contains('\u{1f}'), "the 0x1f separator is not shown");
    let csv = local(&["--format", "csv", "report", "--input", &file]);
    assert_eq!(exit_code(&csv), 0);
    assert!(
        csv.stdout.contains(&0x1f),
        "the CSV keeps the API's own metadata encoding"
    );
}

/// Runs the binary with stderr on a pseudo-terminal (util-linux `script`); `None` where
/// `script` is missing.
fn on_a_terminal(server: &MockServer, args: &str) -> Option<String> {
    let line = format!(
        "{} --base-url {} --api-key {KEY} --no-rate-limit {args} > /dev/null",
        env!("CARGO_BIN_EXE_digicert"),
        server.base_url()
    );
    let output = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    Some(text(&output.stdout))
}

#[test]
fn on_a_terminal_progress_shows_orders_done_a_whole_rate_and_an_eta_when_the_total_is_known() {
    let server = &server();
    let total = server.dataset().subaccount_order_ids().len();
    let Some(screen) = on_a_terminal(server, "subaccount-orders --all --limit 100") else {
        eprintln!("util-linux `script` is not installed: no terminal to test on");
        return;
    };
    let with_total = format!("/{total} orders (");
    let line = screen
        .split(['\r', '\n'])
        .find(|line| line.contains(&with_total))
        .unwrap_or_else(|| panic!("no progress line with a total: {screen:?}"));
    let rate = line.split(" (").nth(1).unwrap().split("/s").next().unwrap();
    assert!(rate.parse::<u64>().is_ok(), "a whole rate: {line}");
    assert!(line.contains("/s, ETA "), "{line}");
    // A status-change range counts its 7-day windows (20 days: 3 windows).
    let screen = on_a_terminal(
        server,
        "status-changes --from 2026-05-01 --to 2026-05-21T00:00:00Z",
    )
    .unwrap();
    assert!(screen.contains("/3 7-day windows ("), "{screen:?}");
    // The report's total is not known: the count and rate, no ETA.
    let screen = on_a_terminal(server, "report --all --limit 500").unwrap();
    assert!(screen.contains(" orders ("), "{screen:?}");
    assert!(!screen.contains("ETA"), "{screen:?}");
}
