//! What a sync hands a store: one order as a record of its indexed columns and its whole
//! JSON, and the fingerprint that tells whether the store already holds that JSON.

use std::hash::Hasher;

use chrono::NaiveDate;
use siphasher::sip128::{Hasher128, SipHasher13};

use crate::find::name_key;

/// One order as the sync hands it to the store: the indexed columns and the whole order as
/// JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRecord {
    /// Order id.
    pub order_id: u64,
    /// Status, as CertCentral writes it (`issued`, `revoked`, ...).
    pub status: String,
    /// The certificate's common name.
    pub common_name: Option<String>,
    /// The further names on the certificate.
    pub dns_names: Vec<String>,
    /// First day of validity.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity.
    pub valid_till: Option<NaiveDate>,
    /// Product, such as `ssl_plus`.
    pub product_name_id: Option<String>,
    /// Thumbprint, normalized (lower-case hex, no separators).
    pub thumbprint: Option<String>,
    /// Serial number, normalized (lower-case hex, no separators).
    pub serial_number: Option<String>,
    /// Organization name.
    pub organization: Option<String>,
    /// The current certificate's id.
    pub certificate_id: Option<u64>,
    /// The whole order as the endpoint sent it, as JSON.
    pub json: OrderJson,
}

impl OrderRecord {
    /// An order known only by its id, status and JSON; every indexed column empty.
    ///
    /// ```
    /// use digicert_inventory::{OrderJson, OrderRecord};
    ///
    /// let order = OrderRecord {
    ///     common_name: Some("www.example.com".to_owned()),
    ///     ..OrderRecord::new(7, "issued", OrderJson::Report("{}".to_owned()))
    /// };
    /// assert_eq!(order.name_keys().len(), 1);
    /// ```
    pub fn new(order_id: u64, status: impl Into<String>, json: OrderJson) -> Self {
        Self {
            order_id,
            status: status.into(),
            common_name: None,
            dns_names: Vec::new(),
            valid_from: None,
            valid_till: None,
            product_name_id: None,
            thumbprint: None,
            serial_number: None,
            organization: None,
            certificate_id: None,
            json,
        }
    }

    /// The DNS names as stored: a JSON array.
    pub(crate) fn dns_names_json(&self) -> String {
        serde_json::to_string(&self.dns_names).unwrap_or_else(|_| "[]".to_owned())
    }

    /// The keys the order is found by ([`name_key`]): its common name and DNS names, each
    /// once.
    pub fn name_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .common_name
            .iter()
            .chain(&self.dns_names)
            .filter(|name| !name.trim().is_empty())
            .map(|name| name_key(name))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

/// The whole order, as JSON, and which endpoint it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderJson {
    /// A row of the order report.
    Report(String),
    /// The order details (`GET /order/certificate/{id}`).
    Info(String),
}

impl OrderJson {
    /// The JSON text, whichever endpoint sent it.
    pub fn text(&self) -> &str {
        match self {
            Self::Report(json) | Self::Info(json) => json,
        }
    }

    /// The fingerprint a store keeps of the last JSON it stored for an order: 128-bit
    /// SipHash-1-3 of the endpoint and the text. An order sent again with the fingerprint
    /// stored is unchanged, found so without reading its row (a re-pull of 100,000 orders read
    /// every 2 KiB row back to compare it). It tells an order's versions apart (two differ
    /// with the same fingerprint once in 2^128); it is no defence against a forger.
    ///
    /// It is of the JSON text, not of the form a store keeps it in (a compressed frame since
    /// schema version 6), so that a migration or another compression changes no fingerprint.
    /// The stored columns are made from the JSON ([`OrderRecord`]); a release that makes them
    /// differently must change the prefix hashed here, so that every order is written again.
    /// (Version 1 was SHA-256; its fingerprints match none of these, so the first full sync
    /// after the upgrade writes every order again, once.)
    ///
    /// ```
    /// use digicert_inventory::OrderJson;
    ///
    /// let report = OrderJson::Report("{}".to_owned());
    /// assert_eq!(report.fingerprint(), OrderJson::Report("{}".to_owned()).fingerprint());
    /// assert_ne!(report.fingerprint(), OrderJson::Info("{}".to_owned()).fingerprint());
    /// ```
    pub fn fingerprint(&self) -> Fingerprint {
        match self {
            Self::Report(json) => report_fingerprint(json.as_bytes()),
            Self::Info(json) => fingerprint(b"digicert-inventory 2 info\n", json.as_bytes()),
        }
    }
}

/// The fingerprint of an order's JSON ([`OrderJson::fingerprint`]).
pub type Fingerprint = [u8; 16];

/// [`OrderJson::fingerprint`] of a report row's JSON, from its bytes.
pub(crate) fn report_fingerprint(json: &[u8]) -> Fingerprint {
    fingerprint(b"digicert-inventory 2 report\n", json)
}

fn fingerprint(source: &[u8], json: &[u8]) -> Fingerprint {
    let mut hasher = SipHasher13::new();
    hasher.write(source);
    hasher.write(json);
    hasher.finish128().as_bytes()
}
