//! `digicert serve` through the binary against `digicert-mock`: health before and after the
//! first sync, the metrics of every issued order, and no key in anything served or logged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::time::{Duration, Instant};

use digicert_mock::{FaultPlan, MockConfig, MockServer};
use support::KEY;
use support::serve::{Serve, get};

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
    let db = dir.path().join("inventory.sqlite");
    let serve = Serve::start(&server, db.to_str().unwrap(), "1h");
    let addr = serve.addr.clone();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    // The first sync is still pulling (300 ms a page): not healthy yet.
    assert_eq!(get(&addr, "/healthz").0, 503);
    serve.wait_healthy();

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
    // Serial numbers as CertCentral spells them (upper-case hex), as every output does.
    let serials: Vec<&str> = metrics
        .lines()
        .filter_map(|line| line.split("serial_number=\"").nth(1))
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    assert_eq!(serials.len(), issued);
    assert!(
        serials.iter().all(|serial| !serial.is_empty()
            && serial
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))),
        "{serials:?}"
    );
    assert_eq!(get(&addr, "/nothing").0, 404);

    let log = serve.stop();
    assert!(log.contains("serving http://127.0.0.1:"), "{log}");
    assert!(!log.contains(KEY), "the key was logged");
}

/// Two `serve` processes on one inventory, as two hosts on one database: both serve the same
/// metrics, and CertCentral sees one sync per interval: one full pull in all, and no more
/// status-change requests than intervals passed.
fn two_hosts_share_the_syncs(db: &str) {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(2_000))
            .unwrap();
    let interval = Duration::from_secs(4);
    let started = Instant::now();
    let first = Serve::start(&server, db, "4s");
    first.wait_healthy();
    // The second host comes up a second into the first's interval.
    std::thread::sleep(Duration::from_secs(1));
    let second = Serve::start(&server, db, "4s");
    second.wait_healthy();
    std::thread::sleep(Duration::from_secs(9));
    let elapsed = started.elapsed();
    let samples = first.certificates();
    assert!(samples.len() > 1_000, "{}", samples.len());
    assert_eq!(
        samples,
        second.certificates(),
        "both hosts serve the same orders"
    );
    let requests = server.requests();
    let count = |path: &str| {
        requests
            .iter()
            .filter(|request| request.path_and_query.contains(path))
            .count()
    };
    // One full sync, by one host: the report's first page was asked once.
    assert_eq!(
        count("/report/order?limit=1000&offset=0"),
        1,
        "{requests:?}"
    );
    let changes = count("/status-changes");
    let intervals = (elapsed.as_secs_f64() / interval.as_secs_f64()).ceil() as usize;
    assert!(
        (1..=intervals).contains(&changes),
        "{changes} status-change requests in {elapsed:?} ({intervals} intervals)"
    );

    // The syncing host goes away: the other takes over within an interval and stays healthy.
    first.stop();
    server.clear_requests();
    std::thread::sleep(interval + interval / 2);
    let taken_over = server
        .requests()
        .iter()
        .filter(|request| request.path_and_query.contains("/status-changes"))
        .count();
    assert!(taken_over >= 1, "no sync after the first host stopped");
    assert_eq!(get(&second.addr, "/healthz").0, 200);
    let log = second.stop();
    assert!(log.contains("skipping this round"), "{log}");
}

#[test]
fn two_serve_processes_on_one_sqlite_file_share_the_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    two_hosts_share_the_syncs(db.to_str().unwrap());
}

#[test]
fn two_serve_processes_on_one_postgres_database_share_the_syncs() {
    let Some(database) = support::db::PgDatabase::create() else {
        return;
    };
    two_hosts_share_the_syncs(&database.url);
}
