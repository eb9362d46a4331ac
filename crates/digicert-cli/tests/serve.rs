//! `digicert serve` through the binary against `digicert-mock`: health before and after the
//! first sync, the metrics of every issued order, and no key in anything served or logged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use digicert_mock::{FaultPlan, MockConfig, MockServer};
use support::{KEY, command};

/// A plain HTTP/1.1 GET: the status code and the body.
fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serve_syncs_reports_health_and_exports_every_issued_order() {
    let server = MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(2_000)
            .with_faults(FaultPlan {
                latency: Duration::from_millis(300),
                ..FaultPlan::default()
            }),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = command()
        .args([
            "--base-url",
            server.base_url(),
            "--api-key",
            KEY,
            "--no-rate-limit",
        ])
        .arg("--db")
        .arg(dir.path().join("inventory.sqlite"))
        .args(["serve", "--listen", "127.0.0.1:0", "--interval", "1h"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{first}");

    // The first sync is still pulling (300 ms a page): not healthy yet.
    assert_eq!(get(&addr, "/healthz").0, 503);
    let deadline = Instant::now() + Duration::from_secs(60);
    while get(&addr, "/healthz").0 != 200 {
        assert!(Instant::now() < deadline, "no successful sync");
        std::thread::sleep(Duration::from_millis(50));
    }

    let (status, metrics) = get(&addr, "/metrics");
    assert_eq!(status, 200);
    let dataset = server.dataset();
    let issued = dataset
        .order_ids()
        .filter(|&id| {
            let row = dataset.report_row(id).unwrap();
            row.status.as_str() == "issued" && row.valid_till.is_some()
        })
        .count();
    let samples = metrics
        .lines()
        .filter(|line| {
            line.starts_with(
                "digicert_certificate_not_after_timestamp_seconds{account=\"default\",",
            )
        })
        .count();
    assert_eq!(samples, issued);
    let orders: u64 = metrics
        .lines()
        .filter(|line| line.starts_with("digicert_orders{"))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(orders, 2_000);
    for name in [
        "digicert_sync_last_success_timestamp_seconds{account=\"default\"} ",
        "digicert_sync_duration_seconds{account=\"default\"} ",
        "digicert_api_requests_total{account=\"default\",endpoint=\"order_report\",code=\"200\"} ",
    ] {
        assert!(metrics.contains(name), "{name} missing");
    }
    assert!(!metrics.contains(KEY));
    assert_eq!(get(&addr, "/nothing").0, 404);

    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(
        !rest.contains(KEY) && !first.contains(KEY),
        "the key was logged"
    );
}
