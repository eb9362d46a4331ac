//! Each injected fault, as a client on loopback sees it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{Client, KEY, content_type, error, server, start};
use digicert_mock::{FaultPlan, MockConfig, MockServer, RateLimit};
use digicert_model::{ErrorBody, StatusChanges, decode_json};
use digicert_transport::TransportErrorKind;

#[test]
fn bursts_of_429_like_digicert() {
    let (server, client) = start();
    server.faults().rate_limit_next(2);
    for _ in 0..2 {
        let response = client.get("/report/order?limit=1").unwrap();
        assert_eq!(error(&response), (429, "request_limit_exceeded".into()));
        let body: ErrorBody = decode_json(response.body()).unwrap();
        assert_eq!(
            body.errors[0].message,
            "Service unavailable, please limit request volume"
        );
        assert!(response.headers().get("retry-after").is_none());
    }
    client.ok("/report/order?limit=1");
    server.faults().rate_limit_next(1);
    server
        .faults()
        .set_retry_after(Some(Duration::from_secs(7)));
    let response = client.get("/report/order?limit=1").unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let statuses: Vec<_> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(200), Some(429)]);
}

#[test]
fn service_unavailable_is_an_html_page() {
    let (server, client) = start();
    server.faults().service_unavailable_next(1);
    let response = client.get("/order/certificate/123456").unwrap();
    assert_eq!(response.status(), 503);
    assert!(content_type(&response).starts_with("text/html"));
    let page = String::from_utf8(response.body().clone()).unwrap();
    assert!(page.starts_with("<html>") && page.contains("Service Unavailable"));
    assert!(decode_json::<ErrorBody>(response.body()).is_err());
    client.ok("/order/certificate/123456");
}

#[test]
fn body_cut_off_mid_way_is_an_io_error() {
    let (server, client) = start();
    server.faults().truncate_next(1);
    let err = client.get("/report/order?limit=100").unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Io, "{err}");
    client.ok("/report/order?limit=100");
    assert_eq!(server.requests()[0].status, Some(200));
}

#[test]
fn cut_body_declares_more_than_it_sends() {
    let server = server();
    server.faults().truncate_next(1);
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET /services/v2/order/certificate/123456 HTTP/1.1\r\nHost: x\r\nX-DC-DEVKEY: {KEY}\r\n\r\n"
    )
    .unwrap();
    let mut received = Vec::new();
    // The server drops the connection: EOF or a reset, after what it sent.
    let _ = stream.read_to_end(&mut received);
    let text = String::from_utf8_lossy(&received);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let declared: usize = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .unwrap()
        .parse()
        .unwrap();
    assert!(!body.is_empty());
    assert!(body.len() < declared, "{} of {declared}", body.len());
    assert!(body.starts_with("{\"id\":123456"), "{body}");
}

#[test]
fn hung_request_times_out_on_the_client() {
    let server = server();
    server.faults().hang_next(1);
    let client = Client::with_timeout(&server, Duration::from_millis(300));
    let started = Instant::now();
    let err = client.get("/report/order?limit=1").unwrap_err();
    assert_eq!(err.kind(), TransportErrorKind::Timeout, "{err}");
    assert!(started.elapsed() >= Duration::from_millis(300));
    client.ok("/report/order?limit=1");
    let records = server.requests();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].status, None, "never answered");
    assert_eq!(records[1].status, Some(200));
}

#[test]
fn latency_is_added_and_spikes_come_every_nth_request() {
    let (server, client) = start();
    client.ok("/order/certificate/123456"); // warm the connection
    server.faults().set_latency(Duration::from_millis(60));
    server
        .faults()
        .set_latency_spike(3, Duration::from_millis(200));
    let mut elapsed = Vec::new();
    for _ in 0..4 {
        let started = Instant::now();
        client.ok("/order/certificate/123456");
        elapsed.push(started.elapsed());
    }
    // Requests 2 to 5; the third request overall is the spike.
    let ms: Vec<u128> = elapsed.iter().map(Duration::as_millis).collect();
    assert!(ms.iter().all(|&ms| ms >= 60), "{ms:?}");
    assert!(ms[1] >= 260, "{ms:?}");
    assert!(ms[0] < 250 && ms[2] < 250 && ms[3] < 250, "{ms:?}");
    server.faults().reset();
    let started = Instant::now();
    client.ok("/order/certificate/123456");
    assert!(started.elapsed() < Duration::from_millis(60));
}

#[test]
fn rate_limiter_counts_per_key_over_a_rolling_window() {
    let (server, client) = start();
    server
        .faults()
        .set_rate_limits(vec![RateLimit::new(5, Duration::from_millis(700))]);
    let started = Instant::now();
    let statuses: Vec<u16> = (0..7)
        .map(|_| {
            client
                .get("/order/certificate/123456")
                .unwrap()
                .status()
                .as_u16()
        })
        .collect();
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "too slow to test the window"
    );
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    // Another key has its own budget (and is then refused for the key itself).
    let other = client
        .send("GET", "/order/certificate/123456", Some("other"))
        .unwrap();
    assert_eq!(
        error(&other),
        (403, "access_denied|access_denied_invalid_key".into())
    );
    std::thread::sleep(Duration::from_millis(750));
    client.ok("/order/certificate/123456");
}

#[test]
fn faults_from_the_configuration_and_status_changes_under_faults() {
    let config = MockConfig::default()
        .with_api_key(KEY)
        .with_faults(FaultPlan {
            rate_limited: 1,
            ..FaultPlan::default()
        });
    let server = MockServer::start_background(config).unwrap();
    let client = Client::new(&server);
    let path = "/order/certificate/status-changes?minutes=60";
    assert_eq!(client.get(path).unwrap().status(), 429);
    let changes: StatusChanges = decode_json(client.ok(path).body()).unwrap();
    assert!(!changes.orders.is_empty());
    assert_eq!(server.request_count(), 2);
    server.clear_requests();
    assert_eq!(server.request_count(), 0);
}
