//! Faults over real HTTP through the `digicert` binary, with its default retry policy, on
//! both backends: `report --all` and `subaccount-orders --all` under 429 bursts, 503 HTML
//! pages, bodies cut off, a request never answered and latency spikes (switched on once the
//! server has seen the first request) yield every order exactly once; a server that stops
//! answering ends in exit 1 after timeout x attempts plus backoff, with the orders before it
//! an unbroken prefix. And the client's rate limiter at DigiCert's limits, against the mock's
//! own limiter at the same limits.
//!
//! `tests/faults.rs` of `digicert-api` covers the same faults with short backoff and the
//! failure of each one; this file keeps one run per fault, listing and backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::process::{Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use digicert_mock::{MockConfig, MockServer, RateLimit};
use support::{KEY, command, exit_code, ids, text};

#[derive(Debug, Clone, Copy)]
enum Listing {
    Report,
    Subaccounts,
}

impl Listing {
    fn args(self) -> [&'static str; 4] {
        match self {
            Self::Report => ["report", "--all", "--limit", "100"],
            Self::Subaccounts => ["subaccount-orders", "--all", "--limit", "50"],
        }
    }

    fn id_field(self) -> &'static str {
        match self {
            Self::Report => "order_id",
            Self::Subaccounts => "id",
        }
    }

    fn expected(self, server: &MockServer) -> Vec<u64> {
        match self {
            Self::Report => server.dataset().order_ids().collect(),
            Self::Subaccounts => server.dataset().subaccount_order_ids().collect(),
        }
    }
}

fn server(orders: usize) -> MockServer {
    MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(orders))
        .unwrap()
}

/// One run of a listing: which, its output, the orders it had to yield, how long it took.
struct Run {
    case: String,
    output: Output,
    expected: Vec<u64>,
    ids: Vec<u64>,
    elapsed: Duration,
}

/// Runs `listing` on `backend` against a fresh server of 1,000 orders, switching `fault` on
/// as soon as the server has seen the first request.
fn run(
    backend: &str,
    listing: Listing,
    extra: &[&str],
    fault: &(dyn Fn(&MockServer) + Sync),
) -> Run {
    let server = server(1000);
    let started = Instant::now();
    let child = command()
        .args(["--base-url", server.base_url(), "--api-key", KEY])
        .args(["--backend", backend, "--format", "jsonl"])
        .args(extra)
        .args(listing.args())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while server.request_count() == 0 && started.elapsed() < Duration::from_secs(10) {
        thread::sleep(Duration::from_millis(1));
    }
    fault(&server);
    let output = child.wait_with_output().unwrap();
    let elapsed = started.elapsed();
    exit_code(&output);
    Run {
        case: format!("{backend}/{listing:?}"),
        ids: ids(&output.stdout, listing.id_field()),
        expected: listing.expected(&server),
        output,
        elapsed,
    }
}

/// Every listing on every backend at once, each on its own server.
fn under_fault(extra: &[&str], fault: impl Fn(&MockServer) + Sync) -> Vec<Run> {
    thread::scope(|scope| {
        let runs: Vec<_> = ["blocking", "async"]
            .into_iter()
            .flat_map(|backend| {
                [Listing::Report, Listing::Subaccounts].map(|listing| (backend, listing))
            })
            .map(|(backend, listing)| {
                let fault = &fault;
                scope.spawn(move || run(backend, listing, extra, fault))
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    })
}

/// Exit 0 and every order exactly once, in order.
fn assert_complete(runs: &[Run]) {
    for run in runs {
        let stderr = text(&run.output.stderr);
        assert_eq!(run.output.status.code(), Some(0), "{}: {stderr}", run.case);
        assert_eq!(
            run.ids.len(),
            run.expected.len(),
            "{}: order count",
            run.case
        );
        assert!(
            run.ids == run.expected,
            "{}: a gap or a duplicate",
            run.case
        );
        println!(
            "{}: {} orders, all once, {:?}",
            run.case,
            run.ids.len(),
            run.elapsed
        );
    }
}

#[test]
fn bursts_of_429() {
    assert_complete(&under_fault(&[], |server| {
        server.faults().rate_limit_next(2)
    }));
}

#[test]
fn html_503s() {
    assert_complete(&under_fault(&[], |server| {
        server.faults().service_unavailable_next(2);
    }));
}

#[test]
fn bodies_cut_off_mid_way() {
    assert_complete(&under_fault(&[], |server| server.faults().truncate_next(2)));
}

#[test]
fn a_request_never_answered() {
    let runs = under_fault(&["--timeout", "1"], |server| server.faults().hang_next(1));
    assert_complete(&runs);
}

#[test]
fn latency_spikes() {
    assert_complete(&under_fault(&[], |server| {
        server
            .faults()
            .set_latency_spike(3, Duration::from_millis(300));
    }));
}

/// The CLI's policy: 5 attempts, backoff from 500 ms doubling (jittered down to half).
const ATTEMPTS: u64 = 5;
const MOST_BACKOFF: Duration = Duration::from_millis(500 + 1000 + 2000 + 4000);

#[test]
fn a_server_that_stops_answering_is_exit_1_within_timeout_times_attempts() {
    let runs = under_fault(&["--timeout", "1"], |server| {
        server.faults().hang_next(u32::MAX);
    });
    let least = Duration::from_secs(ATTEMPTS) + MOST_BACKOFF / 2;
    let most = Duration::from_secs(ATTEMPTS) + MOST_BACKOFF + Duration::from_secs(3);
    for run in &runs {
        let stderr = text(&run.output.stderr);
        assert_eq!(run.output.status.code(), Some(1), "{}: {stderr}", run.case);
        assert!(
            stderr.contains(&format!("gave up after {ATTEMPTS} attempts: timed out")),
            "{}: {stderr}",
            run.case
        );
        assert!(
            run.expected.starts_with(&run.ids),
            "{}: the orders before the error are not an unbroken prefix",
            run.case
        );
        assert!(
            run.elapsed >= least && run.elapsed <= most,
            "{}: {:?} outside {least:?}..{most:?}",
            run.case,
            run.elapsed
        );
        println!(
            "{}: {} orders, then after {:?}: {}",
            run.case,
            run.ids.len(),
            run.elapsed,
            stderr.trim()
        );
    }
}

/// 151 pages through the async backend, 8 pages at a time, with the client's limiter at
/// its default (DigiCert's limits) against the mock's limiter at the same limits.
#[test]
fn the_rate_limiter_at_digicerts_limits() {
    // 150 pages of 10 and a short last one.
    let server = server(1505);
    server.faults().set_rate_limits(RateLimit::digicert());
    let started = Instant::now();
    let output = command()
        .args(["--base-url", server.base_url(), "--api-key", KEY])
        .args([
            "--backend",
            "async",
            "--concurrency",
            "8",
            "--format",
            "jsonl",
        ])
        .args(["report", "--all", "--limit", "10"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let got = ids(&output.stdout, "order_id");
    assert!(
        got == Listing::Report.expected(&server),
        "a gap or a duplicate"
    );
    let requests = server.requests();
    let refused = requests.iter().filter(|r| r.status == Some(429)).count();
    let busiest = server.busiest(Duration::from_secs(5));
    println!(
        "{} orders, {} requests, at most {busiest} in any 5 s, {refused} answered 429, {elapsed:?}",
        got.len(),
        requests.len()
    );
    assert_eq!(refused, 0, "the server's limiter refused requests");
    assert!(busiest <= 100, "{busiest} requests within 5 seconds");
    // Over 100 requests: the limiter must have waited about 5 s, and not much more.
    assert!(
        elapsed >= Duration::from_secs(5),
        "{elapsed:?}: the limiter did not wait"
    );
    assert!(elapsed < Duration::from_secs(12), "{elapsed:?}");
}
