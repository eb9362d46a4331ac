//! Types and decoders for the DigiCert CertCentral order endpoints.
//!
//! This crate is the ground floor of `digicert-rs`: it knows what CertCentral
//! sends, and nothing of how it is fetched. No HTTP, no runtime, no I/O beyond
//! `std::io::Read` and `Write`, so it serves equally to read a report exported
//! by hand or a body fetched by any client.
//!
//! | endpoint | type | decoder |
//! |---|---|---|
//! | `GET /report/order` (CSV) | [`ReportRow`] | [`ReportReader`] (streaming), [`ReportWriter`] |
//! | `GET /account/subaccount/order` | [`SubaccountOrdersPage`] | [`decode_json`] |
//! | `GET /order/certificate/{id}` | [`OrderInfo`] | [`decode_json`] |
//! | `GET /order/certificate/{id}/reissue` | [`Reissues`] | [`decode_json`] |
//! | `GET /order/certificate/status-changes` | [`StatusChanges`] | [`decode_json`] |
//! | any error answer | [`ErrorBody`] | [`decode_json`] |
//!
//! Decoding follows what the API really sends, not only what it documents:
//! numbers may arrive as strings and strings as numbers, flags as `0`/`1`, an
//! empty object as `[]`, a single error object where a list belongs; unknown
//! fields are ignored and unknown enum values are kept as text
//! ([`OrderStatus::Unknown`]). Every type serializes back to JSON with the API's
//! field names. Decoding never panics; a [`DecodeError`] says what failed and
//! where.
//!
//! ```
//! use digicert_model::{decode_json, OrderInfo, OrderStatus};
//!
//! let order: OrderInfo = decode_json(br#"{"id": "123456", "status": "issued", "auto_renew": 0}"#)?;
//! assert_eq!(order.id, 123456);
//! assert_eq!(order.status, OrderStatus::Issued);
//! assert_eq!(order.auto_renew, Some(false));
//! # Ok::<(), digicert_model::DecodeError>(())
//! ```

mod api_error;
mod common;
mod decimal;
mod enums;
mod error;
mod json;
mod lenient;
mod order_info;
mod reissue;
pub mod report;
mod status_changes;
mod subaccount;

pub use api_error::{ApiErrorEntry, ErrorBody, ErrorCode};
pub use common::{Contact, CustomField, Organization, Product, User};
pub use decimal::{Decimal, DecimalError};
pub use enums::{KeyType, OrderStatus, PayType, PaymentMethod, ProductType, ValidationType};
pub use error::DecodeError;
pub use json::decode_json;
pub use order_info::{
    ApiKeyInfo, CaCert, Container, OrderCertificate, OrderInfo, OrderRequest, ServerPlatform,
};
pub use reissue::{ReissuedCertificate, Reissues};
pub use report::{ReportReader, ReportRecord, ReportRow, ReportWriter};
pub use status_changes::{StatusChange, StatusChanges};
pub use subaccount::{
    OrderPrice, Page, Subaccount, SubaccountCertificate, SubaccountOrder, SubaccountOrdersPage,
};
