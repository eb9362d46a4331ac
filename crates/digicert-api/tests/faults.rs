//! Faults over real HTTP, on both backends (`blocking::Client::with_ureq` and
//! `Client::with_reqwest`) against `digicert-mock` on loopback: 429 bursts, 503 with an HTML
//! page, connections closed mid-body, requests never answered, latency spikes, bodies over
//! the size cap. Every walk over all pages either yields every order exactly once or ends in
//! one clear error after an unbroken prefix: never a gap, never a duplicate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use digicert_api::transport::TransportErrorKind;
use digicert_api::{
    Client, Config, Error, RateLimit, ReportQuery, RetryPolicy, SubaccountOrdersQuery, Window,
    blocking,
};
use digicert_mock::{MockConfig, MockServer, RawServer};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

const KEY: &str = "faults-test-key";
/// Orders in each test's dataset.
const ORDERS: usize = 1000;
/// Attempts per request in these tests.
const ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, Copy)]
enum Backend {
    Ureq,
    Reqwest,
}

#[derive(Debug, Clone, Copy)]
enum Listing {
    Report,
    Subaccounts,
}

impl Listing {
    fn page_size(self) -> u32 {
        match self {
            Self::Report => 100,
            Self::Subaccounts => 40,
        }
    }

    /// Every id the listing must yield, in order.
    fn expected(self, server: &MockServer) -> Vec<u64> {
        match self {
            Self::Report => server.dataset().order_ids().collect(),
            Self::Subaccounts => server.dataset().subaccount_order_ids().collect(),
        }
    }
}

/// Every backend with every listing.
const CASES: [(Backend, Listing); 4] = [
    (Backend::Ureq, Listing::Report),
    (Backend::Ureq, Listing::Subaccounts),
    (Backend::Reqwest, Listing::Report),
    (Backend::Reqwest, Listing::Subaccounts),
];

fn server(orders: usize) -> MockServer {
    MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(orders))
        .unwrap()
}

/// Short backoff, a 1-second timeout, no client-side rate limit.
fn config(server: &MockServer) -> Config {
    Config::new(KEY)
        .with_base_url(server.base_url())
        .unwrap()
        .retry(
            RetryPolicy::default()
                .with_max_attempts(ATTEMPTS)
                .with_initial_delay(Duration::from_millis(20))
                .with_max_delay(Duration::from_millis(200)),
        )
        .rate_limit(None)
        .timeout(Duration::from_secs(1))
}

/// What a walk over every page gave.
#[derive(Debug, Default)]
struct Walk {
    /// Ids before the first error.
    ids: Vec<u64>,
    error: Option<Error>,
    /// Items that came after the error (there must be none).
    after_error: usize,
}

/// Collects a walk's items; calls `inject` once, after the first page's items.
struct Recorder<'a> {
    walk: Walk,
    inject_after: usize,
    inject: Option<&'a (dyn Fn() + Sync)>,
}

impl Recorder<'_> {
    fn push(&mut self, item: Result<u64, Error>) {
        match item {
            _ if self.walk.error.is_some() => self.walk.after_error += 1,
            Ok(id) => self.walk.ids.push(id),
            Err(err) => self.walk.error = Some(err),
        }
        if self.walk.ids.len() == self.inject_after {
            if let Some(inject) = self.inject.take() {
                inject();
            }
        }
    }
}

/// Walks every page of `listing`, `page` orders each, with `backend`; `inject` runs after
/// the first page.
fn walk(
    backend: Backend,
    listing: Listing,
    page: u32,
    config: Config,
    inject: &(dyn Fn() + Sync),
) -> Walk {
    let mut recorder = Recorder {
        walk: Walk::default(),
        inject_after: page as usize,
        inject: Some(inject),
    };
    match backend {
        Backend::Ureq => {
            let client = blocking::Client::with_ureq(config);
            let items: Box<dyn Iterator<Item = Result<u64, Error>>> = match listing {
                Listing::Report => Box::new(
                    client
                        .order_report_all(ReportQuery::new().limit(page))
                        .map(|row| row.map(|row| row.order_id)),
                ),
                Listing::Subaccounts => Box::new(
                    client
                        .subaccount_orders_all(SubaccountOrdersQuery::new().limit(page))
                        .map(|order| order.map(|order| order.id)),
                ),
            };
            items.for_each(|item| recorder.push(item));
        }
        Backend::Reqwest => {
            let client = Client::with_reqwest(config).unwrap();
            runtime().block_on(async {
                let mut items: BoxStream<'_, Result<u64, Error>> = match listing {
                    Listing::Report => client
                        .order_report_all(ReportQuery::new().limit(page))
                        .map(|row| row.map(|row| row.order_id))
                        .boxed(),
                    Listing::Subaccounts => client
                        .subaccount_orders_all(SubaccountOrdersQuery::new().limit(page))
                        .map(|order| order.map(|order| order.id))
                        .boxed(),
                };
                while let Some(item) = items.next().await {
                    recorder.push(item);
                }
            });
        }
    }
    recorder.walk
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs every case at once, each on a server of its own with `fault` switched on after the
/// first page; returns each case's walk and the orders it should have yielded.
fn under_fault(fault: impl Fn(&MockServer) + Sync) -> Vec<(String, Walk, Vec<u64>)> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = CASES
            .iter()
            .map(|&(backend, listing)| {
                let fault = &fault;
                scope.spawn(move || {
                    let server = server(ORDERS);
                    let page = listing.page_size();
                    let walk = walk(backend, listing, page, config(&server), &|| fault(&server));
                    (
                        format!("{backend:?}/{listing:?}"),
                        walk,
                        listing.expected(&server),
                    )
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    })
}

/// Every order exactly once, in order, and no error.
fn assert_complete(runs: &[(String, Walk, Vec<u64>)]) {
    for (case, walk, expected) in runs {
        assert!(walk.error.is_none(), "{case}: {:?}", walk.error);
        assert_eq!(walk.ids.len(), expected.len(), "{case}: order count");
        assert!(
            &walk.ids == expected,
            "{case}: a gap, a duplicate or a reordering"
        );
        println!("{case}: {} orders, all once", walk.ids.len());
    }
}

/// An unbroken prefix of the orders, then exactly one error whose message has `wanted`.
fn assert_clean_failure(runs: &[(String, Walk, Vec<u64>)], wanted: &[&str]) {
    for (case, walk, expected) in runs {
        let error = walk
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{case}: no error"));
        let message = error.to_string();
        for part in wanted {
            assert!(
                message.contains(part),
                "{case}: `{part}` not in `{message}`"
            );
        }
        assert!(!message.contains(KEY), "{case}: the key leaked");
        assert!(
            expected.starts_with(&walk.ids),
            "{case}: the orders before the error are not a prefix (a gap or a duplicate)"
        );
        assert_eq!(walk.after_error, 0, "{case}: items after the error");
        println!("{case}: {} orders, then: {message}", walk.ids.len());
    }
}

#[test]
fn bursts_of_429_are_retried_and_lose_nothing() {
    assert_complete(&under_fault(|server| server.faults().rate_limit_next(2)));
    assert_clean_failure(
        &under_fault(|server| server.faults().rate_limit_next(u32::MAX)),
        &[
            &format!("gave up after {ATTEMPTS} attempts"),
            "429 Too Many Requests",
            "request_limit_exceeded",
        ],
    );
}

#[test]
fn html_503s_are_retried_and_lose_nothing() {
    assert_complete(&under_fault(|server| {
        server.faults().service_unavailable_next(2);
    }));
    assert_clean_failure(
        &under_fault(|server| server.faults().service_unavailable_next(u32::MAX)),
        &[
            &format!("gave up after {ATTEMPTS} attempts"),
            "503 Service Unavailable (text/html",
            "<title>503 Service Unavailable</title>",
        ],
    );
}

#[test]
fn bodies_cut_off_mid_way_are_retried_and_lose_nothing() {
    assert_complete(&under_fault(|server| server.faults().truncate_next(2)));
    assert_clean_failure(
        &under_fault(|server| server.faults().truncate_next(u32::MAX)),
        &[&format!("gave up after {ATTEMPTS} attempts"), "I/O error"],
    );
}

#[test]
fn latency_spikes_lose_nothing() {
    assert_complete(&under_fault(|server| {
        server
            .faults()
            .set_latency_spike(3, Duration::from_millis(300));
    }));
}

#[test]
fn a_request_never_answered_times_out_and_is_retried() {
    assert_complete(&under_fault(|server| server.faults().hang_next(1)));
}

#[test]
fn a_server_that_never_answers_fails_within_timeout_times_attempts() {
    let started = Instant::now();
    let runs = under_fault(|server| server.faults().hang_next(u32::MAX));
    let elapsed = started.elapsed();
    assert_clean_failure(
        &runs,
        &[&format!("gave up after {ATTEMPTS} attempts"), "timed out"],
    );
    // 3 attempts of 1 s, backoff of at most 20 + 40 ms, the cases side by side.
    let bound = Duration::from_secs(u64::from(ATTEMPTS)) + Duration::from_millis(60);
    assert!(
        elapsed >= Duration::from_secs(u64::from(ATTEMPTS)),
        "{elapsed:?}"
    );
    assert!(elapsed < bound + Duration::from_secs(2), "{elapsed:?}");
    println!("never answered: gave up after {elapsed:?} (bound {bound:?} + slack)");
}

/// A body over the configured cap is refused, named with the cap, and not retried.
#[test]
fn a_body_over_the_size_cap_is_a_clear_error_and_not_retried() {
    const CAP: u64 = 100_000;
    // Declared: the mock's page of 1,000 report rows, about 1 MB with its Content-Length.
    let mock = server(ORDERS);
    // Undeclared: a chunked body of 300 KB, caught while it is read.
    let chunk = vec![b'x'; 100_000];
    let mut chunked = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let raw = RawServer::start(chunked).unwrap();

    let query = ReportQuery::new().limit(1000);
    for (name, base_url) in [
        ("declared", mock.base_url().to_owned()),
        ("chunked", raw.base_url()),
    ] {
        let config = Config::new(KEY)
            .with_base_url(&base_url)
            .unwrap()
            .rate_limit(None)
            .max_response_bytes(CAP);
        let results = [
            (
                "ureq",
                blocking::Client::with_ureq(config.clone()).order_report(&query),
            ),
            (
                "reqwest",
                runtime().block_on(Client::with_reqwest(config).unwrap().order_report(&query)),
            ),
        ];
        for (backend, result) in results {
            let err = result.expect_err("a body over the cap was accepted");
            let Error::Transport(transport) = &err else {
                panic!("{name}/{backend}: not a transport error: {err:?}");
            };
            assert_eq!(
                transport.kind(),
                TransportErrorKind::BodyTooLarge,
                "{name}/{backend}"
            );
            let message = err.to_string();
            assert!(
                message.contains(&format!("exceeds the limit of {CAP} bytes")),
                "{name}/{backend}: {message}"
            );
            println!("{name}/{backend}: {message}");
        }
    }
    assert_eq!(mock.request_count(), 2, "one request per backend: no retry");
    assert_eq!(raw.requests().len(), 2, "one request per backend: no retry");
}

/// Many pages at 16 in flight, with bursts of 429 over and over: the client's limiter keeps
/// the server's log under the limit, the server's own limiter never refuses, nothing is lost.
#[test]
fn concurrent_pages_under_repeated_429_bursts_keep_the_limit_and_lose_nothing() {
    const LIMIT: u32 = 50;
    const BURST: u32 = 5;
    let server = server(3000);
    server
        .faults()
        .set_rate_limits(vec![digicert_mock::RateLimit::new(
            LIMIT,
            Duration::from_secs(1),
        )]);
    let config = Config::new(KEY)
        .with_base_url(server.base_url())
        .unwrap()
        .concurrency(16)
        .rate_limit(Some(RateLimit::new([Window {
            requests: LIMIT,
            per: Duration::from_secs(1),
        }])))
        .retry(
            RetryPolicy::default()
                .with_max_attempts(10)
                .with_initial_delay(Duration::from_millis(20))
                .with_max_delay(Duration::from_millis(200)),
        );
    let done = AtomicBool::new(false);
    let mut injected: usize = 0;
    let started = Instant::now();
    let walk = std::thread::scope(|scope| {
        let bursts = scope.spawn(|| {
            let mut consumed: usize = 0;
            let mut last: u32 = 0;
            while !done.load(Ordering::SeqCst) {
                server.faults().update(|plan| {
                    consumed += (last - plan.rate_limited) as usize;
                    plan.rate_limited = BURST;
                });
                last = BURST;
                std::thread::sleep(Duration::from_millis(300));
            }
            server.faults().update(|plan| {
                consumed += (last - plan.rate_limited) as usize;
                plan.rate_limited = 0;
            });
            consumed
        });
        let walk = walk(Backend::Reqwest, Listing::Report, 25, config, &|| {});
        done.store(true, Ordering::SeqCst);
        injected = bursts.join().unwrap();
        walk
    });
    let elapsed = started.elapsed();
    let expected = Listing::Report.expected(&server);
    assert!(walk.error.is_none(), "{:?}", walk.error);
    assert!(walk.ids == expected, "a gap, a duplicate or a reordering");
    let refused = server
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    let busiest = server.busiest(Duration::from_secs(1));
    println!(
        "{} orders, {} requests, {refused} answered 429 ({injected} injected), busiest second {busiest}, {elapsed:?}",
        walk.ids.len(),
        server.request_count()
    );
    assert!(injected > 0, "no burst hit the walk");
    assert_eq!(
        refused, injected,
        "the server's own limiter refused requests"
    );
    assert!(
        busiest <= LIMIT as usize,
        "{busiest} requests in one second"
    );
}
