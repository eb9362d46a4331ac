//! The malformed corpus (`fixtures/malformed/`) through the `digicert` binary: each file as
//! `report --input FILE`, and served as a `200 OK` answer (from a loopback server) to
//! `order 1`, `status-changes --minutes 5` and `subaccount-orders`. Whatever the model makes
//! of a file decides the outcome: its result is exit 0, its error is exit 1 with the model's
//! message on stderr; a body that is not JSON at all is an "unexpected answer". Never exit 101.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use digicert_mock::RawServer;
use digicert_model::{
    DecodeError, OrderInfo, ReportReader, StatusChanges, SubaccountOrdersPage, decode_json,
};
use support::{command, digicert_at, exit_code, text};

fn corpus() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/malformed");
    let mut files: Vec<PathBuf> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().is_some_and(|name| name != "README.md"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "the corpus is missing");
    files
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The report's rows as the model reads them, or its first error.
fn model_report(body: &[u8]) -> Result<usize, String> {
    let rows = ReportReader::new(body).and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
    rows.map(|rows| rows.len()).map_err(|err| err.to_string())
}

/// Runs `report --input` on one file; checks the outcome against the model's; returns a
/// summary line.
fn report_input(path: &Path) -> String {
    let body = fs::read(path).unwrap();
    let output = command()
        .args(["--format", "jsonl", "report", "--input"])
        .arg(path)
        .output()
        .unwrap();
    let code = exit_code(&output);
    let stderr = text(&output.stderr);
    match model_report(&body) {
        Ok(rows) => {
            assert_eq!(code, 0, "{}: {stderr}", name(path));
            assert_eq!(text(&output.stdout).lines().count(), rows, "{}", name(path));
        }
        Err(message) => {
            assert_eq!(code, 1, "{}", name(path));
            assert!(
                stderr.contains(&message),
                "{}: `{stderr}` lacks `{message}`",
                name(path)
            );
        }
    }
    // CSV out takes the conversion's own path; it must end the same way.
    let csv = command()
        .args(["--format", "csv", "report", "--input"])
        .arg(path)
        .output()
        .unwrap();
    assert_eq!(exit_code(&csv), code, "{} as csv", name(path));
    assert_eq!(text(&csv.stderr), stderr, "{} as csv", name(path));
    format!("exit {code}: {}", stderr.trim())
}

#[test]
fn every_file_as_report_input_is_exit_1_with_the_problem_or_exit_0_when_valid() {
    let mut summary = String::new();
    for path in corpus() {
        writeln!(summary, "{}: {}", name(&path), report_input(&path)).unwrap();
    }
    insta::assert_snapshot!(summary);
}

/// A command, the endpoint name its errors use, and the model's decoder for its answer.
type Case = (
    &'static [&'static str],
    &'static str,
    fn(&[u8]) -> Result<(), DecodeError>,
);

const COMMANDS: [Case; 3] = [
    (&["order", "1"], "order info", |body| {
        decode_json::<OrderInfo>(body).map(drop)
    }),
    (
        &["status-changes", "--minutes", "5"],
        "status changes",
        |body| decode_json::<StatusChanges>(body).map(drop),
    ),
    (&["subaccount-orders"], "sub-account orders", |body| {
        decode_json::<SubaccountOrdersPage>(body).map(drop)
    }),
];

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        Some("csv") => "text/csv",
        _ => "application/octet-stream",
    }
}

/// Serves `body` as `200 OK` to each command on each backend; checks each outcome against
/// the model's; returns a summary line per command.
fn served(commands: &[Case], body: &[u8], content_type: &str, label: &str) -> String {
    let server = RawServer::ok(content_type, body).unwrap();
    let looks_like_json = matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    );
    let mut summary = String::new();
    for &(args, endpoint, decode) in commands {
        let mut lines = Vec::new();
        for backend in ["blocking", "async"] {
            let mut all = vec!["--backend", backend, "--format", "jsonl"];
            all.extend_from_slice(args);
            let output = digicert_at(&server.base_url(), &all);
            let code = exit_code(&output);
            let stderr = text(&output.stderr);
            match decode(body) {
                Ok(()) => assert_eq!(code, 0, "{label} {args:?} {backend}: {stderr}"),
                Err(err) => {
                    assert_eq!(code, 1, "{label} {args:?} {backend}");
                    let named = if looks_like_json {
                        format!("could not decode the {endpoint} answer: {err}")
                    } else {
                        "unexpected answer 200 OK".to_owned()
                    };
                    assert!(
                        stderr.contains(&named),
                        "{label} {args:?} {backend}: `{stderr}`"
                    );
                }
            }
            lines.push(format!("exit {code}: {}", stderr.trim()));
        }
        assert_eq!(
            lines[0], lines[1],
            "{label} {args:?}: the backends disagree"
        );
        writeln!(summary, "{label} to {}: {}", args[0], lines[0]).unwrap();
    }
    // Nothing but the one request per run: a 200 is never retried.
    assert_eq!(server.requests().len(), commands.len() * 2, "{label}");
    summary
}

#[test]
fn every_file_served_as_an_answer_is_exit_1_with_the_problem_or_exit_0_when_valid() {
    let mut summary = String::new();
    for path in corpus() {
        let body = fs::read(&path).unwrap();
        summary.push_str(&served(&COMMANDS, &body, content_type(&path), &name(&path)));
    }
    insta::assert_snapshot!(summary);
}

/// About 20 MB: a report of 5,000 rows with a 4 KB CSR each, or a sub-account page of
/// 5,000 orders with a 4 KB unknown field each.
fn big_body(report: bool) -> Vec<u8> {
    let filler = "Q".repeat(4096);
    let items: Vec<String> = (1..=5000)
        .map(|id| match report {
            true => format!("\"{id}\",\"2020-02-02 02:02:02\",\"issued\",\"{filler}\"\n"),
            false => format!(r#"{{"id":{id},"status":"pending","x_filler":"{filler}"}}"#),
        })
        .collect();
    match report {
        true => format!("order_id,date_created,status,csr\n{}", items.concat()),
        false => format!(
            r#"{{"orders":[{}],"page":{{"total":5000}}}}"#,
            items.join(",")
        ),
    }
    .into_bytes()
}

#[test]
fn bodies_of_many_megabytes() {
    // A 20 MB report file reads to the end; cut inside its last value, it is exit 1.
    let report = big_body(true);
    assert!(report.len() > 20_000_000);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let (whole, cut) = (
        dir.join("malformed-20mb.csv"),
        dir.join("malformed-20mb-cut.csv"),
    );
    fs::write(&whole, &report).unwrap();
    fs::write(&cut, &report[..report.len() - 100]).unwrap();
    assert!(report_input(&whole).starts_with("exit 0"));
    let failed = report_input(&cut);
    assert!(failed.contains("ends inside a quoted value"), "{failed}");

    // A 20 MB page as an answer decodes; cut short (its Content-Length says so), it is
    // exit 1 with a message of one short line, not 20 MB of it.
    let page = big_body(false);
    assert!(page.len() > 20_000_000);
    let subaccounts = &COMMANDS[2..];
    let summary = served(subaccounts, &page, "application/json", "20 MB page");
    assert!(
        summary
            .lines()
            .any(|line| line.contains("subaccount-orders: exit 0")),
        "{summary}"
    );
    let cut_page = &page[..page.len() - 100];
    let summary = served(
        subaccounts,
        cut_page,
        "application/json",
        "20 MB page cut short",
    );
    assert!(summary.lines().all(|line| line.len() < 400), "{summary}");
    assert!(summary.contains("EOF while parsing"), "{summary}");
    fs::remove_file(whole).unwrap();
    fs::remove_file(cut).unwrap();
}
