//! `GET /order/certificate/{order_id}`: everything about one order.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::common::{Contact, CustomField, Organization, Product, User};
use crate::decimal::Decimal;
use crate::enums::{KeyType, OrderStatus, PaymentMethod};
use crate::extra::Extra;
use crate::object::json_object;

json_object! {
    /// The details of one certificate order.
    ///
    /// Fields the documentation marks as "issued orders only" are `None` before issuance.
    pub struct OrderInfo {
        /// Order ID.
        pub id: u64,
        /// The certificate ordered.
        pub certificate: Option<OrderCertificate>,
        /// Order status.
        pub status: OrderStatus,
        /// Whether this order renews an earlier one.
        pub is_renewal: Option<bool>,
        /// Whether this order has been renewed.
        pub is_renewed: Option<bool>,
        /// The order this one renews; only for renewals.
        pub renewed_order_id: Option<u64>,
        /// When the order was created.
        pub date_created: Option<DateTime<FixedOffset>>,
        /// The organization of the order.
        pub organization: Option<Organization>,
        /// Years of validity.
        pub validity_years: Option<u32>,
        /// Whether renewal notifications are switched off.
        pub disable_renewal_notifications: Option<bool>,
        /// Automatic renewals left: `0` is off, `n` renews the order `n` more times (seed 002
        /// documents an `int`; DigiCert's own clients use it as a count).
        pub auto_renew: Option<u32>,
        /// The container (division) the order belongs to.
        pub container: Option<Container>,
        /// The product ordered.
        pub product: Option<Product>,
        /// The organization contact.
        pub organization_contact: Option<Contact>,
        /// The technical contact.
        pub technical_contact: Option<Contact>,
        /// The user who placed the order.
        pub user: Option<User>,
        /// Number of extra names purchased.
        pub purchased_dns_names: Option<u32>,
        /// Requests made on the order.
        pub requests: Vec<OrderRequest>,
        /// Receipt ID.
        pub receipt_id: Option<u64>,
        /// How the token is shipped, for document signing and EV code signing orders.
        pub cs_provisioning_method: Option<String>,
        /// ID used for express installs.
        pub public_id: Option<String>,
        /// Whether duplicate certificates are allowed.
        pub allow_duplicates: Option<bool>,
        /// Users who created or were assigned to the order.
        pub user_assignments: Vec<User>,
        /// Whether the order is out of contract.
        pub is_out_of_contract: Option<bool>,
        /// How the order was paid.
        pub payment_method: Option<PaymentMethod>,
        /// Product identifier, such as `ssl_plus`.
        pub product_name_id: Option<String>,
        /// Custom field values.
        pub custom_fields: Vec<CustomField>,
        /// Whether issuance emails are switched off.
        pub disable_issuance_email: Option<bool>,
        /// Whether the certificate is kept out of public CT logs.
        pub disable_ct: Option<bool>,
        /// The API key or ACME directory the order came through; absent for other channels.
        pub api_key: Option<ApiKeyInfo>,
        /// How long the order runs (a multi-year plan may cover several certificates).
        pub order_validity: Option<Validity>,
        /// When the order (not the current certificate) ends.
        pub order_valid_till: Option<NaiveDate>,
        /// Whether the order is a multi-year plan.
        pub is_multi_year_plan: Option<bool>,
        /// Whether the order has duplicate certificates.
        pub has_duplicates: Option<bool>,
        /// How many duplicate certificates the order has.
        pub duplicates_count: Option<u32>,
        /// Whether the order has been reissued.
        pub has_reissues: Option<bool>,
        /// How many times the order has been reissued.
        pub reissues_count: Option<u32>,
        /// The order's price, exact.
        pub price: Option<Decimal>,
        /// Number of names on the certificate.
        pub number_of_sans: Option<u32>,
        /// The business unit the order belongs to (its name).
        pub business_unit: Option<String>,
        /// Where a hardware token is shipped (document signing and EV code signing orders).
        pub ship_info: Option<ShipInfo>,
        /// Whether the renewal notice 90 days before expiry is sent.
        pub send_minus_90: Option<bool>,
        /// Whether the renewal notice 60 days before expiry is sent.
        pub send_minus_60: Option<bool>,
        /// Whether the renewal notice 30 days before expiry is sent.
        pub send_minus_30: Option<bool>,
        /// Whether the renewal notice 7 days before expiry is sent.
        pub send_minus_7: Option<bool>,
        /// Whether the renewal notice 3 days before expiry is sent.
        pub send_minus_3: Option<bool>,
        /// Whether the notice 7 days after expiry is sent.
        pub send_plus_7: Option<bool>,
    }
}

json_object! {
    /// A validity period: in years, in days, or up to a custom date.
    #[derive(Default)]
    pub struct Validity {
        /// Years of validity.
        pub years: Option<u32>,
        /// Days of validity.
        pub days: Option<u32>,
        /// A custom end date.
        pub custom_expiration_date: Option<NaiveDate>,
    }
}

json_object! {
    /// Where and how a hardware token is shipped.
    #[derive(Default)]
    pub struct ShipInfo {
        /// Recipient's name.
        pub name: Option<String>,
        /// Address, first line.
        pub addr1: Option<String>,
        /// Address, second line.
        pub addr2: Option<String>,
        /// City.
        pub city: Option<String>,
        /// State or province.
        pub state: Option<String>,
        /// Postal code.
        pub zip: Option<String>,
        /// Country (two-letter code).
        pub country: Option<String>,
        /// Shipping method, such as `STANDARD` or `EXPEDITED`.
        pub method: Option<String>,
    }
}

json_object! {
    /// The certificate of an order.
    #[derive(Default)]
    pub struct OrderCertificate {
        /// Certificate ID.
        pub id: Option<u64>,
        /// Thumbprint.
        pub thumbprint: Option<String>,
        /// Serial number; issued orders only.
        pub serial_number: Option<String>,
        /// The name the certificate secures.
        pub common_name: Option<String>,
        /// Email addresses on the certificate.
        pub emails: Vec<String>,
        /// Further names the certificate secures.
        pub dns_names: Vec<String>,
        /// When the certificate was created.
        pub date_created: Option<DateTime<FixedOffset>>,
        /// First day of validity; issued orders only.
        pub valid_from: Option<NaiveDate>,
        /// Expiry date; issued orders only.
        pub valid_till: Option<NaiveDate>,
        /// Days until expiry (negative once expired).
        pub days_remaining: Option<i64>,
        /// The certificate signing request.
        pub csr: Option<String>,
        /// The organization on the certificate.
        pub organization: Option<Organization>,
        /// Organization units on the certificate.
        pub organization_units: Vec<String>,
        /// The server platform.
        pub server_platform: Option<ServerPlatform>,
        /// Signature algorithm.
        pub signature_hash: Option<String>,
        /// Key size in bits.
        pub key_size: Option<u32>,
        /// The CA certificate that signed it.
        pub ca_cert: Option<CaCert>,
        /// The user who requested it.
        pub user_id: Option<u64>,
        /// When the certificate was issued; issued orders only.
        pub date_issued: Option<DateTime<FixedOffset>>,
        /// How long the certificate is valid.
        pub cert_validity: Option<Validity>,
    }
}

json_object! {
    /// A server platform.
    #[derive(Default)]
    pub struct ServerPlatform {
        /// Platform ID (`-1` for "other").
        pub id: Option<i64>,
        /// Platform name.
        pub name: Option<String>,
        /// Where installation instructions are.
        pub install_url: Option<String>,
        /// Where CSR instructions are.
        pub csr_url: Option<String>,
    }
}

json_object! {
    /// The CA certificate that signed an order's certificate.
    #[derive(Default)]
    pub struct CaCert {
        /// CA certificate ID (text).
        pub id: Option<String>,
        /// CA name.
        pub name: Option<String>,
    }
}

json_object! {
    /// The container (division) an order belongs to.
    #[derive(Default)]
    pub struct Container {
        /// Container ID.
        pub id: Option<u64>,
        /// Container name.
        pub name: Option<String>,
        /// Whether the container is active.
        pub is_active: Option<bool>,
    }
}

json_object! {
    /// A request made on an order (new, reissue, ...).
    #[derive(Default)]
    pub struct OrderRequest {
        /// Request ID.
        pub id: Option<u64>,
        /// When it was made.
        pub date: Option<DateTime<FixedOffset>>,
        /// Request type, such as `new_request`.
        pub request_type: Option<String> as "type",
        /// Request status, such as `pending`.
        pub status: Option<String>,
        /// Comments.
        pub comments: Option<String>,
    }
}

json_object! {
    /// The API key or ACME directory an order was requested through.
    #[derive(Default)]
    pub struct ApiKeyInfo {
        /// The key's name or the ACME directory URL.
        pub name: Option<String>,
        /// Which kind of key.
        pub key_type: Option<KeyType>,
    }
}

impl OrderInfo {
    /// An order with its identity and status, and nothing else known yet.
    ///
    /// ```
    /// use digicert_model::{OrderInfo, OrderStatus};
    ///
    /// let order = OrderInfo {
    ///     product_name_id: Some("ssl_plus".to_owned()),
    ///     ..OrderInfo::new(123456, OrderStatus::Issued)
    /// };
    /// assert_eq!(order.certificate, None);
    /// ```
    pub fn new(id: u64, status: OrderStatus) -> Self {
        Self {
            id,
            certificate: None,
            status,
            is_renewal: None,
            is_renewed: None,
            renewed_order_id: None,
            date_created: None,
            organization: None,
            validity_years: None,
            disable_renewal_notifications: None,
            auto_renew: None,
            container: None,
            product: None,
            organization_contact: None,
            technical_contact: None,
            user: None,
            purchased_dns_names: None,
            requests: Vec::new(),
            receipt_id: None,
            cs_provisioning_method: None,
            public_id: None,
            allow_duplicates: None,
            user_assignments: Vec::new(),
            is_out_of_contract: None,
            payment_method: None,
            product_name_id: None,
            custom_fields: Vec::new(),
            disable_issuance_email: None,
            disable_ct: None,
            api_key: None,
            order_validity: None,
            order_valid_till: None,
            is_multi_year_plan: None,
            has_duplicates: None,
            duplicates_count: None,
            has_reissues: None,
            reissues_count: None,
            price: None,
            number_of_sans: None,
            business_unit: None,
            ship_info: None,
            send_minus_90: None,
            send_minus_60: None,
            send_minus_30: None,
            send_minus_7: None,
            send_minus_3: None,
            send_plus_7: None,
            extra: Extra::default(),
        }
    }
}
