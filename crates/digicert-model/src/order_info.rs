//! `GET /order/certificate/{order_id}`: everything about one order.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::common::{Contact, CustomField, Organization, Product, User};
use crate::enums::{KeyType, OrderStatus, PaymentMethod};
use crate::lenient;

/// The details of one certificate order.
///
/// Fields the documentation marks as "issued orders only" are `None` before issuance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// Order ID.
    #[serde(deserialize_with = "lenient::int")]
    pub id: u64,
    /// The certificate ordered.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub certificate: Option<OrderCertificate>,
    /// Order status.
    pub status: OrderStatus,
    /// Whether this order renews an earlier one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub is_renewal: Option<bool>,
    /// Whether this order has been renewed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub is_renewed: Option<bool>,
    /// The order this one renews; only for renewals.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub renewed_order_id: Option<u64>,
    /// When the order was created.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime",
        serialize_with = "lenient::ser_opt_datetime"
    )]
    pub date_created: Option<DateTime<FixedOffset>>,
    /// The organization of the order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub organization: Option<Organization>,
    /// Years of validity.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub validity_years: Option<u32>,
    /// Whether renewal notifications are switched off.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub disable_renewal_notifications: Option<bool>,
    /// Whether the certificate renews itself (`0`/`1` on the wire).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub auto_renew: Option<bool>,
    /// The container (division) the order belongs to.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub container: Option<Container>,
    /// The product ordered.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub product: Option<Product>,
    /// The organization contact.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub organization_contact: Option<Contact>,
    /// The technical contact.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub technical_contact: Option<Contact>,
    /// The user who placed the order.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub user: Option<User>,
    /// Number of extra names purchased.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub purchased_dns_names: Option<u32>,
    /// Requests made on the order.
    #[serde(default, deserialize_with = "lenient::list")]
    pub requests: Vec<OrderRequest>,
    /// Receipt ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub receipt_id: Option<u64>,
    /// How the token is shipped, for document signing and EV code signing orders.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub cs_provisioning_method: Option<String>,
    /// ID used for express installs.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub public_id: Option<String>,
    /// Whether duplicate certificates are allowed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub allow_duplicates: Option<bool>,
    /// Users who created or were assigned to the order.
    #[serde(default, deserialize_with = "lenient::list")]
    pub user_assignments: Vec<User>,
    /// Whether the order is out of contract.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub is_out_of_contract: Option<bool>,
    /// How the order was paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// Product identifier, such as `ssl_plus`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub product_name_id: Option<String>,
    /// Custom field values.
    #[serde(default, deserialize_with = "lenient::list")]
    pub custom_fields: Vec<CustomField>,
    /// Whether issuance emails are switched off.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub disable_issuance_email: Option<bool>,
    /// Whether the certificate is kept out of public CT logs.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub disable_ct: Option<bool>,
    /// The API key or ACME directory the order came through; absent for other channels.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub api_key: Option<ApiKeyInfo>,
}

/// The certificate of an order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCertificate {
    /// Certificate ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub id: Option<u64>,
    /// Thumbprint.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub thumbprint: Option<String>,
    /// Serial number; issued orders only.
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
    /// Email addresses on the certificate.
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub emails: Vec<String>,
    /// Further names the certificate secures.
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub dns_names: Vec<String>,
    /// When the certificate was created.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime",
        serialize_with = "lenient::ser_opt_datetime"
    )]
    pub date_created: Option<DateTime<FixedOffset>>,
    /// First day of validity; issued orders only.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_date"
    )]
    pub valid_from: Option<NaiveDate>,
    /// Expiry date; issued orders only.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_date"
    )]
    pub valid_till: Option<NaiveDate>,
    /// Days until expiry (negative once expired).
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
    /// The organization on the certificate.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub organization: Option<Organization>,
    /// Organization units on the certificate.
    #[serde(default, deserialize_with = "lenient::string_list")]
    pub organization_units: Vec<String>,
    /// The server platform.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub server_platform: Option<ServerPlatform>,
    /// Signature algorithm.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub signature_hash: Option<String>,
    /// Key size in bits.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub key_size: Option<u32>,
    /// The CA certificate that signed it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_object"
    )]
    pub ca_cert: Option<CaCert>,
    /// The user who requested it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub user_id: Option<u64>,
}

/// A server platform.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerPlatform {
    /// Platform ID (`-1` for "other").
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub id: Option<i64>,
    /// Platform name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub name: Option<String>,
    /// Where installation instructions are.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub install_url: Option<String>,
    /// Where CSR instructions are.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub csr_url: Option<String>,
}

/// The CA certificate that signed an order's certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaCert {
    /// CA certificate ID (text).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub id: Option<String>,
    /// CA name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub name: Option<String>,
}

/// The container (division) an order belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// Container ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub id: Option<u64>,
    /// Container name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub name: Option<String>,
    /// Whether the container is active.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_flag"
    )]
    pub is_active: Option<bool>,
}

/// A request made on an order (new, reissue, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// Request ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub id: Option<u64>,
    /// When it was made.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_datetime",
        serialize_with = "lenient::ser_opt_datetime"
    )]
    pub date: Option<DateTime<FixedOffset>>,
    /// Request type, such as `new_request`.
    #[serde(
        rename = "type",
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub request_type: Option<String>,
    /// Request status, such as `pending`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub status: Option<String>,
    /// Comments.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub comments: Option<String>,
}

/// The API key or ACME directory an order was requested through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyInfo {
    /// The key's name or the ACME directory URL.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_string"
    )]
    pub name: Option<String>,
    /// Which kind of key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<KeyType>,
}
