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
//! enum values are kept as text ([`OrderStatus::Unknown`]). Decoding never panics;
//! a [`DecodeError`] says what failed and where.
//!
//! # Nothing is lost
//!
//! Every object type keeps what it does not hold as typed fields in its `extra`
//! member ([`Extra`]): fields the model does not know, and values kept in the form
//! they were sent in. Serializing an object writes them back, so for any body the
//! model accepts, decoding and then serializing gives back the same JSON value, up
//! to the order of keys. The order report keeps unknown columns the same way
//! ([`ReportRow::extra`]), and a [`ReportWriter`] writes them back in their place.
//!
//! A value that does not fit the type of an optional field (`"auto_renew": "soon"`, a date
//! in another format, `"certificate": "n/a"`) never fails the object: the field reads as
//! `None`, the value is kept as sent ([`Extra::kept`]) and written back, and one
//! warning (through `tracing`, once per field and run) names the field and its JSON path.
//!
//! Only the fields without which an object means nothing are strict, and fail the
//! object (with the JSON path and an excerpt) when missing or unreadable:
//!
//! | type | strict fields | why |
//! |---|---|---|
//! | [`OrderInfo`], [`SubaccountOrder`] | `id`, `status` | the order's identity and state |
//! | [`ReissuedCertificate`] | `id`, `status` | the certificate's identity and state |
//! | [`StatusChange`] | `order_id`, `status` | what changed, and to what |
//! | [`ApiErrorEntry`] | `code` | what DigiCert refused |
//! | [`Page`] | `total`, `limit`, `offset` when sent | paging cannot go on without them |
//! | pages ([`SubaccountOrdersPage`], [`Reissues`], [`StatusChanges`], [`ErrorBody`]) | the list itself | reading none would hide a broken answer |
//! | [`ReportRow`] | `order_id`, `status` (and the `date_created` column in the header) | the order's identity and state |
//!
//! A status is never unreadable: an unknown one is kept as [`OrderStatus::Unknown`].
//!
//! ```
//! use digicert_model::{decode_json, OrderInfo, OrderStatus};
//!
//! let order: OrderInfo = decode_json(br#"{
//!     "id": "123456", "status": "issued", "auto_renew": 10,
//!     "business_unit": "Web", "risk_score": 7,
//!     "certificate": {"id": "cert123", "common_name": "example.com"}
//! }"#)?;
//! assert_eq!(order.id, 123456);
//! assert_eq!(order.status, OrderStatus::Issued);
//! assert_eq!(order.auto_renew, Some(10));
//! // A value that does not fit: absent, kept as sent.
//! let certificate = order.certificate.as_ref().unwrap();
//! assert_eq!(certificate.id, None);
//! assert_eq!(certificate.extra.kept("id"), Some(&serde_json::json!("cert123")));
//! // A field the model does not know.
//! assert_eq!(order.extra.get("risk_score"), Some(&serde_json::json!(7)));
//! // Written back, everything is there as it was sent.
//! let written = serde_json::to_value(&order).unwrap();
//! assert_eq!(written["id"], "123456");
//! assert_eq!(written["certificate"]["id"], "cert123");
//! assert_eq!(written["risk_score"], 7);
//! # Ok::<(), digicert_model::DecodeError>(())
//! ```

mod api_error;
mod common;
mod decimal;
mod enums;
mod error;
mod extra;
mod field;
mod json;
mod lenient;
mod object;
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
pub use extra::Extra;
pub use json::decode_json;
pub use order_info::{
    ApiKeyInfo, CaCert, Container, OrderCertificate, OrderInfo, OrderRequest, ServerPlatform,
    ShipInfo, Validity,
};
pub use reissue::{ReissuedCertificate, Reissues};
pub use report::{ReportExtra, ReportReader, ReportRecord, ReportRow, ReportWriter};
pub use status_changes::{StatusChange, StatusChanges};
pub use subaccount::{
    OrderPrice, Page, Subaccount, SubaccountCertificate, SubaccountOrder, SubaccountOrdersPage,
};
