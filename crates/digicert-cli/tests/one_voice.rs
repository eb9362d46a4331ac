//! One voice (issue 26), the outputs, through the binary against `digicert-mock`: one shape
//! for an inventory order, one spelling for times and hex, references as openssl prints them,
//! errors in the user's words, notes for empty answers, tables padded by display width, and
//! `report --input` filtered as the server filters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{TimeZone, Utc};
use digicert_mock::{MockConfig, MockServer};
use serde_json::Value;
use support::{KEY, exit_code, mock, run_db as run, text};

/// Runs and asserts exit 0; stdout.
fn ok(server: &MockServer, db: &Path, args: &[&str]) -> String {
    let output = run(server, db, args);
    assert_eq!(exit_code(&output), 0, "{args:?}: {}", text(&output.stderr));
    text(&output.stdout)
}

/// Each line of JSON-lines output.
fn lines(jsonl: &str) -> Vec<Value> {
    jsonl
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// A synced inventory in a temporary folder.
fn synced(server: &MockServer) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    ok(server, &db, &["sync"]);
    (dir, db)
}

/// Whether a text is upper-case hex and nothing else.
fn upper_hex(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'A'..=b'F').contains(&byte))
}

#[test]
fn every_inventory_query_writes_one_order_shape_the_readme_documents() {
    let server = mock(300);
    let (_dir, db) = synced(&server);
    let expiring = lines(&ok(
        &server,
        &db,
        &[
            "inventory",
            "expiring",
            "--days",
            "3650",
            "--format",
            "jsonl",
        ],
    ));
    let first = expiring.first().unwrap().clone();
    let id = first["order_id"].as_u64().unwrap().to_string();
    let found = lines(&ok(
        &server,
        &db,
        &["inventory", "find", &id, "--format", "jsonl"],
    ));
    let exported = lines(&ok(
        &server,
        &db,
        &["inventory", "export", "--format", "jsonl"],
    ));
    let exported = exported
        .into_iter()
        .find(|order| order["order_id"] == first["order_id"])
        .unwrap();
    // The same object, whole, from each query.
    assert_eq!(found.len(), 1);
    assert_eq!(found[0], first);
    assert_eq!(exported, first);
    assert!(first["report"].is_object(), "{first}");
    assert!(
        first["info"].is_null(),
        "no details fetched after a full sync: {first}"
    );

    // The README names each field once, in the object's order.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let bullet = readme
        .lines()
        .skip_while(|line| !line.starts_with("- **One object for an order**"))
        .take_while(|line| !line.trim().is_empty() && !line.starts_with("- **Demo"))
        .collect::<Vec<_>>()
        .join(" ");
    let fields = bullet.split("its fields:").nth(1).unwrap();
    let fields = fields.split("`info`").next().unwrap().to_owned() + "`info`";
    let documented: Vec<&str> = fields
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|word| word.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    // Every field, in the order the object writes them.
    let written = ok(
        &server,
        &db,
        &["inventory", "find", &id, "--format", "jsonl"],
    );
    let mut at = 0;
    for field in &documented {
        let found = written[at..]
            .find(&format!("\"{field}\":"))
            .unwrap_or_else(|| panic!("{field} in {written}"));
        at += found;
    }
    let mut keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = documented.clone();
    keys.sort_unstable();
    sorted.sort_unstable();
    assert_eq!(sorted, keys, "{bullet}");
}

#[test]
fn hex_is_upper_case_and_times_are_rfc_3339_utc_in_every_output() {
    let server = mock(200);
    let (_dir, db) = synced(&server);
    let report = lines(&ok(&server, &db, &["report", "--all", "--format", "jsonl"]));
    let exported = lines(&ok(
        &server,
        &db,
        &["inventory", "export", "--format", "jsonl"],
    ));
    let mut compared = 0;
    for order in &exported {
        let row = report
            .iter()
            .find(|row| row["order_id"] == order["order_id"])
            .unwrap();
        for field in ["thumbprint", "serial_number"] {
            if let Some(value) = order[field].as_str() {
                assert!(upper_hex(value), "{field} {value}");
                // The same spelling as CertCentral's report, so a join or a grep finds both.
                assert_eq!(order[field], row[field]);
                compared += 1;
            }
        }
        let last_seen = order["last_seen"].as_str().unwrap();
        assert!(
            last_seen.ends_with('Z') && last_seen.contains('T'),
            "{last_seen}"
        );
    }
    assert!(compared > 100, "{compared}");

    // History: whole seconds with `Z` in the table, RFC 3339 with `Z` in JSON.
    let id = exported[0]["order_id"].as_u64().unwrap().to_string();
    let table = ok(&server, &db, &["inventory", "history", &id]);
    let mut lines = table.lines();
    let column = lines
        .next()
        .unwrap()
        .split_whitespace()
        .position(|header| header == "seen_at")
        .unwrap();
    let seen_at = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(column)
        .unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(seen_at, "%Y-%m-%dT%H:%M:%SZ").is_ok(),
        "{table}"
    );
    let history: Value = serde_json::from_str(&ok(
        &server,
        &db,
        &["inventory", "history", &id, "--format", "json"],
    ))
    .unwrap();
    assert!(
        history[0]["seen_at"].as_str().unwrap().ends_with('Z'),
        "{history}"
    );

    // An error about times says them to the second, in UTC.
    let output = run(&server, &db, &["status-changes", "--from", "2099-01-01"]);
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("(2099-01-01T00:00:00Z)"), "{stderr}");
    let now = stderr.rsplit('(').next().unwrap();
    assert!(!now.contains('.') && now.contains("Z)"), "{stderr}");
}

/// Every time-looking text in `output` (`yyyy-mm-dd` then a time): each must be RFC 3339 in
/// UTC with `Z`, and to the whole second unless `fractions` may be kept. Returns how many.
fn times_in(output: &str, fractions: bool, what: &str) -> usize {
    let bytes = output.as_bytes();
    let digit = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_digit);
    let mut found = 0;
    for start in 0..bytes.len() {
        let looks_like_time = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
            .iter()
            .all(|offset| digit(start + offset))
            && (start == 0 || !digit(start - 1))
            && [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')]
                .iter()
                .all(|(offset, byte)| bytes.get(start + offset) == Some(byte));
        if !looks_like_time {
            continue;
        }
        let end = (start + 19..bytes.len())
            .find(|at| !matches!(bytes[*at], b'0'..=b'9' | b'.' | b':' | b'+' | b'-' | b'Z'))
            .unwrap_or(bytes.len());
        let time = &output[start..end];
        assert!(
            time.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(time).is_ok(),
            "{what}: {time} in {output}"
        );
        assert!(fractions || !time.contains('.'), "{what}: {time}");
        found += 1;
    }
    found
}

#[test]
fn every_time_in_json_and_csv_is_rfc_3339_in_utc_with_z() {
    let server = mock(200);
    let (dir, db) = synced(&server);
    let dataset = server.dataset();
    let reissued = dataset
        .order_ids()
        .find(|id| !dataset.reissues(*id).unwrap().certificates.is_empty())
        .unwrap()
        .to_string();
    let id = dataset.order_ids().next().unwrap().to_string();
    let input = dir.path().join("report.csv");
    let commands: [&[&str]; 8] = [
        &["report", "--all"],
        &["order", &reissued],
        &["reissues", &reissued],
        &["subaccount-orders", "--limit", "20"],
        &["inventory", "export"],
        &["inventory", "find", &id],
        &["inventory", "history", &id],
        &["report", "--input", input.to_str().unwrap()],
    ];
    std::fs::write(
        &input,
        ok(&server, &db, &["report", "--all", "--format", "csv"]),
    )
    .unwrap();
    for command in commands {
        let mut found = 0;
        for format in ["json", "jsonl", "csv"] {
            let output = ok(&server, &db, &[command, &["--format", format]].concat());
            let what = format!("{command:?} --format {format}");
            found += times_in(&output, format != "csv", &what);
        }
        assert!(found > 0, "{command:?}: no time");
    }
}

#[test]
fn references_as_openssl_prints_them_are_taken_and_errors_never_cut_silently() {
    let server = mock(50);
    let (_dir, db) = synced(&server);
    let order = &lines(&ok(
        &server,
        &db,
        &["inventory", "export", "--format", "jsonl"],
    ))[0];
    let id = order["order_id"].as_u64().unwrap();
    let thumbprint = order["thumbprint"].as_str().unwrap();
    let serial = order["serial_number"].as_str().unwrap();
    let colons = thumbprint
        .as_bytes()
        .chunks(2)
        .map(|pair| std::str::from_utf8(pair).unwrap())
        .collect::<Vec<_>>()
        .join(":");
    for reference in [
        format!("SHA1 Fingerprint={colons}"),
        format!("sha1 Fingerprint={}", colons.to_lowercase()),
        format!("serial={serial}"),
        format!("0x{}", serial.to_lowercase()),
    ] {
        let info: Value = serde_json::from_str(&ok(
            &server,
            &db,
            &["order", &reference, "--format", "json"],
        ))
        .unwrap();
        assert_eq!(info["id"], id, "{reference}");
        let found = lines(&ok(
            &server,
            &db,
            &["inventory", "find", &reference, "--format", "jsonl"],
        ));
        assert_eq!(found.len(), 1, "{reference}");
        assert_eq!(found[0]["order_id"], id, "{reference}");
    }
    // An order id written as a serial number (`0x`, `serial=`) is a serial number: no
    // certificate has it, so neither the inventory nor CertCentral's answer for the id is it.
    for reference in [format!("0x{id}"), format!("serial={id}")] {
        let output = run(&server, &db, &["order", &reference]);
        assert_eq!(
            exit_code(&output),
            1,
            "{reference}: {}",
            text(&output.stdout)
        );
        assert!(
            text(&output.stderr).contains("never an order id"),
            "{}",
            text(&output.stderr)
        );
        let found = ok(
            &server,
            &db,
            &["inventory", "find", &reference, "--format", "jsonl"],
        );
        assert_eq!(found, "", "{reference}");
    }
    let long = format!("SHA1 Fingerprint={colons} and then a long sentence pasted by mistake");
    for args in [
        vec!["order", long.as_str()],
        vec!["inventory", "find", long.as_str()],
    ] {
        let output = run(&server, &db, &args);
        assert_eq!(exit_code(&output), 2, "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("SHA1 Fingerprint="), "{stderr}");
        assert!(
            stderr.contains("…`"),
            "a cut input ends with an ellipsis: {stderr}"
        );
    }
}

#[test]
fn counts_read_as_people_write_them_and_errors_name_no_function() {
    let server = mock(30);
    let (_dir, db) = synced(&server);
    let output = run(&server, &db, &["sync"]);
    assert_eq!(exit_code(&output), 0);
    let stderr = text(&output.stderr);
    assert!(stderr.contains(", 1 request,"), "{stderr}");
    let output = run(&server, &db, &["report", "--limit", "1"]);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("showing 1 order from offset 0"), "{stderr}");
    let output = run(&server, &db, &["status-changes", "--minutes", "20000"]);
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--minutes") && stderr.contains("10080"),
        "{stderr}"
    );
    let output = run(&server, &db, &["status-changes", "--from", "2099-01-01"]);
    assert!(!text(&output.stderr).contains("status_changes_between"));
    // An empty window names the options that make one.
    let output = run(&server, &db, &["status-changes", "--minutes", "0"]);
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    for flag in ["`--minutes`", "`--seconds`", "`--from`"] {
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
    // Days counted as people count them, found or not (a note, or --fail-if-any's error).
    for (days, words) in [
        ("1", "within 1 day"),
        ("0", "today"),
        ("2", "within 2 days"),
    ] {
        for command in [&["expiring"][..], &["inventory", "expiring"]] {
            let args = [command, &["--days", days, "--fail-if-any"]].concat();
            let stderr = text(&run(&server, &db, &args).stderr);
            assert!(stderr.contains(words), "{args:?}: {stderr}");
            assert!(
                !stderr.contains(" 1 days") && !stderr.contains(" 0 days"),
                "{stderr}"
            );
        }
    }
}

#[test]
fn empty_answers_say_so_unless_quiet_and_a_missing_named_thing_is_an_error() {
    let server = mock(100);
    let (_dir, db) = synced(&server);
    let output = run(
        &server,
        &db,
        &["inventory", "find", "nothing.example.invalid"],
    );
    assert_eq!(exit_code(&output), 0);
    assert!(
        text(&output.stderr)
            .contains("note: no order in the inventory matches `nothing.example.invalid`"),
        "{}",
        text(&output.stderr)
    );
    let output = run(
        &server,
        &db,
        &["-q", "inventory", "find", "nothing.example.invalid"],
    );
    assert_eq!(exit_code(&output), 0);
    assert_eq!(text(&output.stderr), "");

    let output = run(&server, &db, &["inventory", "history", "99"]);
    assert_eq!(exit_code(&output), 1);
    assert!(
        text(&output.stderr).contains("holds no order 99"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(text(&output.stdout), "");

    let dataset = server.dataset();
    let alone = dataset
        .order_ids()
        .find(|&id| {
            dataset
                .reissues(id)
                .is_some_and(|r| r.certificates.is_empty())
        })
        .unwrap()
        .to_string();
    let output = run(&server, &db, &["reissues", &alone]);
    assert_eq!(exit_code(&output), 0);
    assert!(
        text(&output.stderr).contains(&format!("note: order {alone} has no reissues")),
        "{}",
        text(&output.stderr)
    );
    let output = run(&server, &db, &["-q", "reissues", &alone]);
    assert_eq!(text(&output.stderr), "");
}

/// Terminal columns a character takes, for the test's names: CJK and full-width forms two.
fn columns(c: char) -> usize {
    match u32::from(c) {
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFF00..=0xFF60 => {
            2
        }
        _ => 1,
    }
}

#[test]
fn tables_stay_aligned_after_wide_characters() {
    let server = mock(2_000);
    let (_dir, db) = synced(&server);
    let table = ok(
        &server,
        &db,
        &[
            "inventory",
            "expiring",
            "--days",
            "3650",
            "--include-expired",
        ],
    );
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let start = header.find("common_name").unwrap();
    let mut wide = 0;
    for line in lines {
        // The display width before the last column is the header's.
        let cells: Vec<char> = line.chars().collect();
        let mut width = 0;
        let mut at = 0;
        while width < start {
            width += columns(cells[at]);
            at += 1;
        }
        assert_eq!(width, start, "{line}");
        assert!(cells[at - 1] == ' ' && cells[at] != ' ', "{line}");
        wide += usize::from(line.contains("株式会社サンプル"));
    }
    assert!(wide > 0, "no wide organization name in the table");
}

#[test]
fn report_input_applies_every_filter_as_the_server_does() {
    let server = MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(600)
            .with_reference_time(Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("unused.sqlite");
    let file = dir.path().join("exported.csv");
    std::fs::write(
        &file,
        ok(&server, &db, &["report", "--all", "--format", "csv"]),
    )
    .unwrap();
    let rows = lines(&ok(&server, &db, &["report", "--all", "--format", "jsonl"]));
    let row = rows
        .iter()
        .find(|row| {
            row["status"] == "issued"
                && row["organization_id"].is_u64()
                && row["container_id"].is_u64()
                && row["common_name"].is_string()
                && row["valid_till"].is_string()
        })
        .unwrap_or_else(|| panic!("{}", rows[0]));
    let till = row["valid_till"].as_str().unwrap();
    let month = format!("{}-01...{}-28", &till[..7], &till[..7]);
    let common_name = row["common_name"].as_str().unwrap().to_uppercase();
    let organization = row["organization_id"].to_string();
    let container = row["container_id"].to_string();
    let product = row["product_name_id"].as_str().unwrap();
    let filters: [&[&str]; 6] = [
        &["--common-name", &common_name],
        &["--valid-till", &month],
        &["--valid-till", till],
        &["--product-name-id", product, "--status", "issued"],
        &["--organization-id", &organization],
        &["--container-id", &container],
    ];
    for filter in filters {
        let ids = |args: &[&str]| -> BTreeSet<u64> {
            let mut all = args.to_vec();
            all.extend(filter);
            all.extend(["--format", "jsonl"]);
            lines(&ok(&server, &db, &all))
                .iter()
                .map(|row| row["order_id"].as_u64().unwrap())
                .collect()
        };
        let served = ids(&["report", "--all"]);
        assert!(!served.is_empty(), "{filter:?}");
        let input = file.to_str().unwrap();
        assert_eq!(ids(&["report", "--input", input]), served, "{filter:?}");
        // The CSV copy keeps the same rows.
        let mut args = vec!["report", "--input", input, "--format", "csv"];
        args.extend(filter);
        let csv = ok(&server, &db, &args);
        let copied = csv::Reader::from_reader(csv.as_bytes()).records().count();
        assert_eq!(copied, served.len(), "{filter:?}");
    }
}
