//! `GET /order/certificate/{order_id}/reissue`: the reissues of an order.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::enums::OrderStatus;
use crate::extra::Extra;
use crate::object::json_object;
use crate::order_info::ServerPlatform;

json_object! {
    /// The reissues of an order.
    #[derive(Default)]
    pub struct Reissues {
        /// One entry per reissued certificate.
        pub certificates: Vec<ReissuedCertificate>; strict,
    }
}

json_object! {
    /// A certificate reissued for an order.
    pub struct ReissuedCertificate {
        /// Certificate ID.
        pub id: u64,
        /// Thumbprint; once issued.
        pub thumbprint: Option<String>,
        /// Serial number; once issued.
        pub serial_number: Option<String>,
        /// The name the certificate secures.
        pub common_name: Option<String>,
        /// Further names the certificate secures.
        pub dns_names: Vec<String>,
        /// Status of the reissue request: `issued`, `pending`, `rejected`, or a newer value.
        pub status: OrderStatus,
        /// When the reissue was requested.
        pub date_created: Option<DateTime<FixedOffset>>,
        /// Expiry date; once issued.
        pub valid_till: Option<NaiveDate>,
        /// Days until expiry.
        pub days_remaining: Option<i64>,
        /// The certificate signing request.
        pub csr: Option<String>,
        /// Key size in bits.
        pub key_size: Option<u32>,
        /// The user who requested the reissue.
        pub user_id: Option<u64>,
        /// That user's email address.
        pub email: Option<String>,
        /// That user's first name.
        pub firstname: Option<String>,
        /// That user's last name.
        pub lastname: Option<String>,
        /// Receipt ID of the reissue (documented as text, it carries a number).
        pub receipt_id: Option<u64>,
        /// Number of names added and charged for (`0` when added free).
        pub purchased_dns_names: Option<u32>,
        /// Number of wildcard names added and charged for.
        pub purchased_wildcard_names: Option<u32>,
        /// When the certificate was issued; issued reissues only.
        pub date_issued: Option<DateTime<FixedOffset>>,
        /// First day of validity.
        pub valid_from: Option<NaiveDate>,
        /// Signature algorithm.
        pub signature_hash: Option<String>,
        /// The server platform.
        pub server_platform: Option<ServerPlatform>,
        /// ID of the CA certificate that signed it.
        pub ca_cert_id: Option<String>,
        /// Sub-ID of the certificate within the order.
        pub sub_id: Option<String>,
        /// ID used for express installs.
        pub public_id: Option<String>,
        /// Whether the certificate is archived.
        pub archived: Option<bool>,
    }
}

impl ReissuedCertificate {
    /// A reissued certificate with its identity and status, and nothing else known yet.
    pub fn new(id: u64, status: OrderStatus) -> Self {
        Self {
            id,
            thumbprint: None,
            serial_number: None,
            common_name: None,
            dns_names: Vec::new(),
            status,
            date_created: None,
            valid_till: None,
            days_remaining: None,
            csr: None,
            key_size: None,
            user_id: None,
            email: None,
            firstname: None,
            lastname: None,
            receipt_id: None,
            purchased_dns_names: None,
            purchased_wildcard_names: None,
            date_issued: None,
            valid_from: None,
            signature_hash: None,
            server_platform: None,
            ca_cert_id: None,
            sub_id: None,
            public_id: None,
            archived: None,
            extra: Extra::default(),
        }
    }
}
