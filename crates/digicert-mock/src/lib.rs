//! A fake DigiCert CertCentral on loopback, for demos, end-to-end tests and benchmarks.
//!
//! [`MockServer`] serves the five order endpoints under `/services/v2` on 127.0.0.1 from a
//! deterministic [`Dataset`] (2,500 orders by default, 100,000 and more if asked), which
//! tests can change while it runs ([below](#orders-that-change-while-the-server-runs)),
//! answering with exactly what the `digicert-model` types serialize to and its
//! [`ReportWriter`] writes. Every request needs the configured key in `X-DC-DEVKEY`; errors
//! carry DigiCert's body `{"errors":[{"code","message"}]}`.
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /report/order?limit=&offset=&filters[status]=` | CSV page, newest order first; `limit` 1-1000 |
//! | `GET /account/subaccount/order?limit=&offset=` | orders of sub-accounts, `{orders, page}` |
//! | `GET /order/certificate/{id, thumbprint or serial}` | order details |
//! | `GET /order/certificate/{id}/reissue` | `{certificates}` |
//! | `GET /order/certificate/status-changes?minutes=&seconds=&filters[status_last_updated]=` | `{orders}`, or `{}` |
//!
//! Every certificate an order has or had is real: the SHA-1 over its DER is the thumbprint
//! the endpoints show, and its serial number, validity and names are theirs, issued by the
//! fixed [`MockCa`] ("digicert-mock Test CA"). Tests get the DER and PEM of any order's
//! certificates ([`MockServer::certificates`], [`Dataset::certificates`]), the CA certificate
//! for a client's roots, and the one private key all the certificates share. Order info by
//! thumbprint or serial number finds the order by its current certificate and by every
//! certificate a reissue replaced.
//!
//! For deployment probes, [`TlsEndpoints`] serves chosen certificate chains on loopback, per
//! address (127.0.0.x, all on one port) and per server name, and counts the handshakes each
//! address saw; [`MockServer::start_demo_endpoints`] points a few of the orders' host names
//! at nodes serving current, stale, unknown, expired and wrong-name certificates, a node
//! answering with a TLS alert and one refusing connections.
//!
//! The status-changes window counts `minutes` and `seconds` back from the request's arrival
//! and reads `filters[status_last_updated]` in US Mountain Time (America/Denver), both ends
//! included; longer than seven days is a 400 `time_frame_too_long`.
//!
//! ## Orders that change while the server runs
//!
//! As generated, each order has one status change, at [`Dataset::status_last_updated`] (a
//! share of them in the week before the reference time). While the server runs, a test can
//! change the orders, and every endpoint answers from the new state from the next request on
//! (report pages, sub-account orders, order info by ID, thumbprint or serial number,
//! reissues, status changes). Each change is recorded as a status change at its time, to the
//! second:
//!
//! | [`MockServer`] method | does | recorded as |
//! |---|---|---|
//! | [`add_orders(n)`](MockServer::add_orders) `-> Vec<u64>` | `n` new orders with the newest IDs, issued now, valid 397 days from today | `issued` |
//! | [`revoke(id)`](MockServer::revoke) `-> bool` | revokes a certificate in force | `revoked` |
//! | [`reissue(id)`](MockServer::reissue) `-> bool` | new certificate ID, thumbprint, serial number, valid from today | `issued`, new certificate ID |
//! | [`set_status(id, status)`](MockServer::set_status) `-> bool` | any status, now | that status |
//! | [`record_change_at(id, status, at)`](MockServer::record_change_at) `-> bool` | any status, at any time (backdated, e.g. on a DST edge) | that status |
//! | [`change_log()`](MockServer::change_log) `-> Vec<ChangeRecord>` | every change so far: order ID, certificate ID, status, time | |
//!
//! An order's status is that of its latest change by time; the status-changes endpoint lists
//! each order that changed within the window, newest ID first, with its latest status and
//! certificate ID within the window. [`Dataset`] has the same methods, and `_at` variants of
//! the first three for changes at a chosen time. Changes cost nothing to unchanged orders:
//! they sit in a small overlay consulted per order, so report pages of 100,000 orders stay
//! as fast as before.
//!
//! ```no_run
//! use digicert_mock::{MockConfig, MockServer};
//!
//! let server = MockServer::start_background(MockConfig::default())?;
//! let new = server.add_orders(2);
//! assert!(server.revoke(new[0]));
//! // `GET .../order/certificate/status-changes?minutes=5` now lists both new orders,
//! // the first as revoked; the report starts with them.
//! assert_eq!(server.change_log().len(), 3);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Faults can be switched on per test while the server runs, through
//! [`MockServer::faults`]: added latency and latency spikes, bursts of 429
//! `request_limit_exceeded`, 503 with an HTML page, bodies cut off mid-way, requests never
//! answered, and a per-key rate limiter like DigiCert's. The server records every request
//! ([`MockServer::requests`]) so tests can count and time them.
//!
//! For answers the fake never gives (a proxy's HTML page with `200 OK`, a redirect, a
//! chunked body of any size), [`RawServer`] answers every request with fixed raw bytes.
//!
//! For the network between a client and its database, [`Relay`] is a loopback TCP relay the
//! test controls: it cuts every connection or one, refuses new ones, or delays the bytes.
//!
//! From async code, on the test's runtime:
//!
//! ```no_run
//! use std::time::Duration;
//! use digicert_mock::{MockConfig, MockServer};
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = MockServer::start(MockConfig::default().with_api_key("test-key")).await?;
//! let url = format!("{}/report/order?limit=10", server.base_url());
//! // ... send GET `url` with header `X-DC-DEVKEY: test-key` ...
//! server.faults().rate_limit_next(2); // the next two requests answer 429
//! server.faults().set_latency(Duration::from_millis(20));
//! assert!(server.request_count() <= 1);
//! # Ok(()) }
//! ```
//!
//! From blocking code (a CLI test, a benchmark), on a thread of its own:
//!
//! ```no_run
//! use digicert_mock::{MockConfig, MockServer};
//!
//! let server = MockServer::start_background(MockConfig::default().with_orders(100_000))?;
//! println!("serving {} orders at {}", server.dataset().len(), server.base_url());
//! drop(server); // stops it
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! [`ReportWriter`]: digicert_model::ReportWriter

mod certs;
mod cut;
mod dataset;
mod demo;
mod faults;
mod log;
mod raw;
mod relay;
mod routes;
mod runner;
mod server;
mod tls;
mod window;

pub use certs::{CertificateError, IssuedCertificate, MockCa};
pub use dataset::{ChangeRecord, Dataset, DatasetConfig, ReportFilter};
pub use demo::{DemoEndpoints, DemoNode, DemoSite, DemoState};
pub use faults::{FaultPlan, Faults, LatencySpike, RateLimit};
pub use log::RequestRecord;
pub use raw::RawServer;
pub use relay::Relay;
pub use server::{MockConfig, MockServer};
pub use tls::{Handshake, TlsEndpoints, TlsEntry};
