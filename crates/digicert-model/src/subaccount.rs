//! `GET /account/subaccount/order`: orders placed by sub-accounts, one page at a time.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::common::Product;
use crate::decimal::Decimal;
use crate::enums::OrderStatus;
use crate::lenient;

/// One page of sub-account orders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubaccountOrdersPage {
    /// The orders on this page.
    #[serde(default, deserialize_with = "lenient::list")]
    pub orders: Vec<SubaccountOrder>,
    /// Where this page sits in the whole list.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub page: Option<Page>,
}

/// Paging details of a list answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    /// Number of items in the whole list.
    #[serde(default, deserialize_with = "lenient::int")]
    pub total: u64,
    /// Page size used.
    #[serde(default, deserialize_with = "lenient::int")]
    pub limit: u64,
    /// Offset of the first item of this page.
    #[serde(default, deserialize_with = "lenient::int")]
    pub offset: u64,
}

/// An order placed by a sub-account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubaccountOrder {
    /// Order ID.
    #[serde(deserialize_with = "lenient::int")]
    pub id: u64,
    /// The certificate; only for orders of direct sub-accounts.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub certificate: Option<SubaccountCertificate>,
    /// The sub-account that placed the order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub subaccount: Option<Subaccount>,
    /// The product ordered.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub product: Option<Product>,
    /// The price paid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub order_price: Option<OrderPrice>,
    /// Order status.
    pub status: OrderStatus,
    /// Number of names in the certificate's `dns_names`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub number_of_sans: Option<u32>,
    /// When the order was created.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime",
        serialize_with = "lenient::ser_opt_datetime"
    )]
    pub date_created: Option<DateTime<FixedOffset>>,
    /// When the certificate was issued; only for issued orders.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime",
        serialize_with = "lenient::ser_opt_datetime"
    )]
    pub date_issued: Option<DateTime<FixedOffset>>,
    /// Years of validity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub validity_years: Option<u32>,
}

/// The certificate of a sub-account order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubaccountCertificate {
    /// Certificate ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub id: Option<u64>,
    /// Thumbprint; only once issued.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub thumbprint: Option<String>,
    /// Serial number; only once issued.
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
    /// Expiry date; only once issued.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_date"
    )]
    pub valid_till: Option<NaiveDate>,
    /// Organization units on the certificate.
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub organization_units: Vec<String>,
    /// Signature algorithm.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub signature_hash: Option<String>,
}

/// The sub-account that placed an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subaccount {
    /// Sub-account ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub account_id: Option<u64>,
    /// Sub-account type, such as `enterprise`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub account_type: Option<String>,
    /// The sub-account's main organization.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub organization_name: Option<String>,
}

/// The price of an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPrice {
    /// Total cost, exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Decimal>,
    /// Currency, such as `USD`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub currency: Option<String>,
}
