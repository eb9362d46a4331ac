//! `GET /order/certificate/status-changes`: orders whose status changed in a time window.

use serde::{Deserialize, Serialize};

use crate::enums::OrderStatus;
use crate::lenient;

/// The orders whose status changed in the window asked for.
///
/// CertCentral answers `{}` when nothing changed; that decodes to an empty list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanges {
    /// One entry per order that changed.
    #[serde(default, deserialize_with = "lenient::list")]
    pub orders: Vec<StatusChange>,
}

/// An order whose status changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    /// Order ID.
    #[serde(deserialize_with = "lenient::int")]
    pub order_id: u64,
    /// Certificate ID.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "lenient::opt_int"
    )]
    pub certificate_id: Option<u64>,
    /// The order's status now.
    pub status: OrderStatus,
}
