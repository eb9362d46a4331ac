//! What the queries return: a stored order, and one entry of an order's status history.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::value::RawValue;

/// One order as the inventory holds it.
///
/// Serialized (the command line's `json`/`jsonl`), every order has one shape: the indexed
/// columns, the days left, when the inventory last saw it, and the last report row (`report`)
/// and order details (`info`) CertCentral sent for it, unchanged; each of those two is `null`
/// when the inventory holds none (the details are fetched only for orders an incremental
/// sync saw change) or when the query did not read the whole order
/// ([`crate::Inventory::whole_orders`]).
#[derive(Debug, Clone, Serialize)]
pub struct StoredOrder {
    /// The account (config profile) the order belongs to.
    pub account: String,
    /// Order id, unique within its account.
    pub order_id: u64,
    /// Status (`issued`, `revoked`, ...).
    pub status: String,
    /// The certificate's common name.
    pub common_name: Option<String>,
    /// The further names on the certificate.
    pub dns_names: Vec<String>,
    /// First day of validity.
    pub valid_from: Option<NaiveDate>,
    /// Last day of validity.
    pub valid_till: Option<NaiveDate>,
    /// Days from today (UTC) to `valid_till`; negative once expired.
    pub days_left: Option<i64>,
    /// Product, such as `ssl_plus`.
    pub product_name_id: Option<String>,
    /// Thumbprint (lower-case hex, as stored for lookups).
    pub thumbprint: Option<String>,
    /// Serial number (lower-case hex, as stored for lookups).
    pub serial_number: Option<String>,
    /// Organization name.
    pub organization: Option<String>,
    /// The current certificate's id.
    pub certificate_id: Option<u64>,
    /// When a sync last saw the order.
    pub last_seen: DateTime<Utc>,
    /// The order's last report row, as sent (`null` when none is held or read).
    pub report: Option<Box<RawValue>>,
    /// The order's last details, as sent (`null` when none are held or read).
    pub info: Option<Box<RawValue>>,
}

/// A status the inventory saw for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// The account.
    pub account: String,
    /// Order id.
    pub order_id: u64,
    /// The status.
    pub status: String,
    /// The certificate id with it.
    pub certificate_id: Option<u64>,
    /// When a sync first saw it.
    pub seen_at: DateTime<Utc>,
}

/// Days from `today` to `till`.
pub(crate) fn days_left(till: Option<NaiveDate>, today: NaiveDate) -> Option<i64> {
    till.map(|till| (till - today).num_days())
}
