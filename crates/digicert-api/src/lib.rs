//! The DigiCert CertCentral order endpoints, for a blocking or an async client.
//!
//! Each endpoint is defined once (request building and response decoding, no
//! I/O) and served by two clients with the same methods and the same results:
//! [`blocking::Client`] over any [`transport::BlockingTransport`] and [`Client`]
//! over any [`transport::AsyncTransport`]. Both share every step but sending and
//! sleeping: retries with backoff and `Retry-After`, a client-side rate limit at
//! DigiCert's published limits, paging, and decoding with [`digicert_model`].
//!
//! | endpoint | method |
//! |---|---|
//! | `GET /report/order` (CSV) | `order_report`, `order_report_all` |
//! | `GET /account/subaccount/order` | `subaccount_orders`, `subaccount_orders_all` |
//! | `GET /order/certificate/{id, thumbprint or serial}` | `order_info` |
//! | `GET /order/certificate/{order_id}/reissue` | `reissues` |
//! | `GET /order/certificate/status-changes` | `status_changes`, `status_changes_between` |
//!
//! Blocking and async, side by side (the backends come from
//! `digicert-transport-ureq` and `digicert-transport-reqwest`, or the `ureq` and
//! `reqwest` features' constructors):
//!
//! ```no_run
//! use digicert_api::transport::{AsyncTransport, BlockingTransport};
//! use digicert_api::{blocking, Client, Config, Error, OrderRef};
//!
//! // Blocking, over any BlockingTransport (digicert_transport_ureq::UreqTransport, say):
//! fn show(transport: impl BlockingTransport + 'static) -> Result<(), Error> {
//!     let client = blocking::Client::new(transport, Config::new("my-api-key"));
//!     let order = client.order_info(&OrderRef::parse("123456")?)?;
//!     println!("{} is {}", order.id, order.status);
//!     Ok(())
//! }
//!
//! // Async, the same call awaited, over any AsyncTransport (digicert_transport_reqwest::ReqwestTransport):
//! async fn show_async(transport: impl AsyncTransport) -> Result<(), Error> {
//!     let client = Client::new(transport, Config::new("my-api-key"));
//!     let order = client.order_info(&OrderRef::parse("123456")?).await?;
//!     println!("{} is {}", order.id, order.status);
//!     Ok(())
//! }
//! ```
//!
//! Errors are one type, [`Error`]: DigiCert's own codes and messages
//! ([`Error::is_not_found`], [`Error::is_rate_limited`]), an answer that is not
//! the documented body, input refused before sending, transport failures,
//! decode failures with their place, and retries exhausted. No message ever
//! contains the API key.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod api_key;
pub mod blocking;
mod client;
mod config;
mod core;
mod endpoint;
mod endpoints;
mod error;
mod paging;
mod query;
mod rate_limit;
mod retry;
mod status_window;

pub use api_key::ApiKey;
pub use client::Client;
pub use config::{Config, Region};
pub use endpoints::MAX_PAGE_SIZE;
pub use endpoints::order_info::OrderRef;
pub use endpoints::report::{ReportPage, ReportQuery};
pub use endpoints::status_changes::{MAX_WINDOW_MINUTES, StatusChangesQuery};
pub use endpoints::subaccount_orders::SubaccountOrdersQuery;
pub use error::Error;
pub use rate_limit::{RateLimit, Window};
pub use retry::RetryPolicy;
pub use status_window::merge as merge_status_changes;

/// The date and time types in this API (`DateTime<Utc>` in
/// [`Client::status_changes_between`], the model's dates), so callers need not depend on
/// the same `chrono` version themselves.
pub use chrono;
/// The model crate: every type the endpoints return.
pub use digicert_model as model;
/// The transport crate: the traits a backend implements.
pub use digicert_transport as transport;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("digicert-api/", env!("CARGO_PKG_VERSION"));
