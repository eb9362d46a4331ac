//! `GET /account/subaccount/order`: orders placed by sub-accounts, one page at a time.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::common::Product;
use crate::decimal::Decimal;
use crate::enums::OrderStatus;
use crate::extra::Extra;
use crate::object::json_object;

json_object! {
    /// One page of sub-account orders.
    #[derive(Default)]
    pub struct SubaccountOrdersPage {
        /// The orders on this page.
        pub orders: Vec<SubaccountOrder>; strict,
        /// Where this page sits in the whole list.
        pub page: Option<Page>,
    }
}

json_object! {
    /// Paging details of a list answer.
    #[derive(Default)]
    pub struct Page {
        /// Number of items in the whole list.
        pub total: u64 = 0,
        /// Page size used.
        pub limit: u64 = 0,
        /// Offset of the first item of this page.
        pub offset: u64 = 0,
    }
}

json_object! {
    /// An order placed by a sub-account.
    pub struct SubaccountOrder {
        /// Order ID.
        pub id: u64,
        /// The certificate; only for orders of direct sub-accounts.
        pub certificate: Option<SubaccountCertificate>,
        /// The sub-account that placed the order.
        pub subaccount: Option<Subaccount>,
        /// The product ordered.
        pub product: Option<Product>,
        /// The price paid.
        pub order_price: Option<OrderPrice>,
        /// Order status.
        pub status: OrderStatus,
        /// Number of names in the certificate's `dns_names`.
        pub number_of_sans: Option<u32>,
        /// When the order was created.
        pub date_created: Option<DateTime<FixedOffset>>,
        /// When the certificate was issued; only for issued orders.
        pub date_issued: Option<DateTime<FixedOffset>>,
        /// Years of validity.
        pub validity_years: Option<u32>,
    }
}

json_object! {
    /// The certificate of a sub-account order.
    #[derive(Default)]
    pub struct SubaccountCertificate {
        /// Certificate ID.
        pub id: Option<u64>,
        /// Thumbprint; only once issued.
        pub thumbprint: Option<String>,
        /// Serial number; only once issued.
        pub serial_number: Option<String>,
        /// The name the certificate secures.
        pub common_name: Option<String>,
        /// Further names the certificate secures.
        pub dns_names: Vec<String>,
        /// Expiry date; only once issued.
        pub valid_till: Option<NaiveDate>,
        /// Organization units on the certificate.
        pub organization_units: Vec<String>,
        /// Signature algorithm.
        pub signature_hash: Option<String>,
    }
}

json_object! {
    /// The sub-account that placed an order.
    #[derive(Default)]
    pub struct Subaccount {
        /// Sub-account ID.
        pub account_id: Option<u64>,
        /// Sub-account type, such as `enterprise`.
        pub account_type: Option<String>,
        /// The sub-account's main organization.
        pub organization_name: Option<String>,
    }
}

json_object! {
    /// The price of an order.
    #[derive(Default)]
    pub struct OrderPrice {
        /// Total cost, exact.
        pub cost: Option<Decimal>,
        /// Currency, such as `USD`.
        pub currency: Option<String>,
    }
}

impl SubaccountOrder {
    /// An order with its identity and status, and nothing else known yet.
    pub fn new(id: u64, status: OrderStatus) -> Self {
        Self {
            id,
            certificate: None,
            subaccount: None,
            product: None,
            order_price: None,
            status,
            number_of_sans: None,
            date_created: None,
            date_issued: None,
            validity_years: None,
            extra: Extra::default(),
        }
    }
}
