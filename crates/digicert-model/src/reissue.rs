//! `GET /order/certificate/{order_id}/reissue`: the reissues of an order.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::enums::OrderStatus;
use crate::lenient;

/// The reissues of an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reissues {
    /// One entry per reissued certificate.
    #[serde(default, deserialize_with = "lenient::list")]
    pub certificates: Vec<ReissuedCertificate>,
}

/// A certificate reissued for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReissuedCertificate {
    /// Certificate ID.
    #[serde(deserialize_with = "lenient::int")]
    pub id: u64,
    /// Thumbprint; once issued.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub thumbprint: Option<String>,
    /// Serial number; once issued.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub serial_number: Option<String>,
    /// The name the certificate secures.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub common_name: Option<String>,
    /// Further names the certificate secures.
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub dns_names: Vec<String>,
    /// Status of the reissue request: `issued`, `pending`, `rejected`, or a newer value.
    pub status: OrderStatus,
    /// When the reissue was requested.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime",
        serialize_with = "lenient::ser_opt_datetime"
    )]
    pub date_created: Option<DateTime<FixedOffset>>,
    /// Expiry date; once issued.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_date"
    )]
    pub valid_till: Option<NaiveDate>,
    /// Days until expiry.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub days_remaining: Option<i64>,
    /// The certificate signing request.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub csr: Option<String>,
    /// Key size in bits.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub key_size: Option<u32>,
    /// The user who requested the reissue.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub user_id: Option<u64>,
    /// That user's email address.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub email: Option<String>,
    /// That user's first name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub firstname: Option<String>,
    /// That user's last name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub lastname: Option<String>,
    /// Receipt ID of the reissue (documented as text, it carries a number).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub receipt_id: Option<u64>,
    /// Number of names added and charged for (`0` when added free).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub purchased_dns_names: Option<u32>,
    /// Number of wildcard names added and charged for.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub purchased_wildcard_names: Option<u32>,
}
