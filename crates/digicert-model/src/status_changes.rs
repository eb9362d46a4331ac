//! `GET /order/certificate/status-changes`: orders whose status changed in a time window.

use crate::enums::OrderStatus;
use crate::extra::Extra;
use crate::object::json_object;

json_object! {
    /// The orders whose status changed in the window asked for.
    ///
    /// CertCentral answers `{}` when nothing changed; that decodes to an empty list.
    #[derive(Default)]
    pub struct StatusChanges {
        /// One entry per order that changed.
        pub orders: Vec<StatusChange>; strict,
    }
}

json_object! {
    /// An order whose status changed.
    pub struct StatusChange {
        /// Order ID.
        pub order_id: u64,
        /// Certificate ID.
        pub certificate_id: Option<u64>,
        /// The order's status now.
        pub status: OrderStatus,
    }
}

impl StatusChange {
    /// A change of `order_id` to `status`.
    pub fn new(order_id: u64, certificate_id: Option<u64>, status: OrderStatus) -> Self {
        Self {
            order_id,
            certificate_id,
            status,
            extra: Extra::default(),
        }
    }
}
