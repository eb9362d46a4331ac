//! Pulls the whole order report from a background mock, page by page, from blocking code,
//! and prints how long the pages took.
//!
//! ```text
//! cargo run --release -p digicert-mock --example pull_report -- 100000
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // An example fails loudly.

use std::time::{Duration, Instant};

use digicert_mock::{MockConfig, MockServer};
use digicert_transport::BlockingTransport;
use digicert_transport_ureq::UreqTransport;

fn main() {
    let orders: usize = std::env::args()
        .nth(1)
        .map_or(100_000, |text| text.parse().expect("a number of orders"));
    let started = Instant::now();
    let server = MockServer::start_background(MockConfig::default().with_orders(orders)).unwrap();
    println!(
        "{} orders at {} in {:?}",
        orders,
        server.base_url(),
        started.elapsed()
    );

    let transport = UreqTransport::default();
    let mut times = Vec::new();
    let mut bytes = 0;
    for offset in (0..).step_by(1000) {
        let request = http::Request::get(format!(
            "{}/report/order?limit=1000&offset={offset}",
            server.base_url()
        ))
        .header("X-DC-DEVKEY", server.api_key())
        .body(Vec::new())
        .unwrap();
        let sent = Instant::now();
        let response = transport.send(request).unwrap();
        times.push(sent.elapsed());
        assert_eq!(response.status(), 200);
        bytes += response.body().len();
        if offset >= orders {
            break;
        }
    }
    times.sort();
    let total: Duration = times.iter().sum();
    println!(
        "{} pages, {:.1} MB, total {total:?}; per page: median {:?}, max {:?}",
        times.len(),
        bytes as f64 / 1e6,
        times[times.len() / 2],
        times[times.len() - 1],
    );
}
