//! What happens to the orders while the server runs: orders placed, certificates revoked and
//! reissued, statuses set, each recorded as a status change at its time.
//!
//! The changes sit beside the generated orders as a small overlay: the orders changed so far
//! (by ID) and the change log. Every view looks an order up in it before drawing the order, so
//! the generated orders stay as cheap as before and an unchanged dataset answers exactly as
//! before.
//!
//! An order's history is its generated status at its generated `last_updated`, then every
//! status recorded for it, by time. Its status now is the latest of them; the status-changes
//! endpoint reports, for a window, the latest status within the window.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use digicert_model::{OrderStatus, StatusChange};

use super::generate::{Core, Order, VALIDITY_DAYS, date_of};
use super::tables::Status;
use crate::certs::{Thumbprint, to_hex};

/// Certificate IDs of reissues made while the server runs: eight apart, above every generated one.
const REISSUE_ID_BASE: u64 = 10_000_000_000;

/// One status change recorded while the server ran: an order placed, revoked, reissued or
/// set to a status (see [`Dataset::change_log`](super::Dataset::change_log)).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use digicert_mock::{ChangeRecord, Dataset, DatasetConfig};
/// use digicert_model::OrderStatus;
///
/// let reference = Utc.with_ymd_and_hms(2024, 11, 4, 12, 0, 0).unwrap();
/// let dataset = Dataset::new(&DatasetConfig::new(reference).with_orders(10));
/// let at = Utc.with_ymd_and_hms(2024, 11, 3, 7, 30, 0).unwrap(); // 01:30 MDT
/// let ids = dataset.add_orders_at(1, at);
/// let log = dataset.change_log();
/// assert_eq!(log.len(), 1);
/// assert_eq!((log[0].order_id, log[0].status.clone(), log[0].at), (ids[0], OrderStatus::Issued, at));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    /// The order that changed.
    pub order_id: u64,
    /// The order's certificate at the change (the new one, for a reissue).
    pub certificate_id: u64,
    /// The status the order took.
    pub status: OrderStatus,
    /// When, to the second.
    pub at: DateTime<Utc>,
}

/// A certificate an order has or had, other than the one it was generated with: made for
/// an order placed or issued while the server ran, or by a reissue, or replaced by one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Certificate {
    pub(crate) id: u64,
    /// `None` only if the certificate could not be made.
    pub(crate) thumbprint: Option<Thumbprint>,
    pub(crate) serial_number: String,
    /// When it was issued, unix seconds.
    pub(crate) issued: Option<i64>,
    pub(crate) valid_from: NaiveDate,
    pub(crate) valid_till: NaiveDate,
}

impl Certificate {
    /// The certificate the order's core says it has now, with this serial number, for the
    /// order's names; `None` if the core has no validity.
    pub(crate) fn make(order: &Order, core: &Core, serial_number: String) -> Option<Self> {
        let (valid_from, valid_till) = (core.valid_from?, core.valid_till?);
        let thumbprint = order
            .leaf(&serial_number, valid_from, valid_till)
            .thumbprint()
            .ok();
        Some(Self {
            id: core.certificate_id,
            thumbprint,
            serial_number,
            issued: core.issued,
            valid_from,
            valid_till,
        })
    }
}

/// One status an order took, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Event {
    /// Unix seconds.
    at: i64,
    certificate_id: u64,
    status: Status,
}

/// An order changed (or placed) while the server ran.
#[derive(Debug, Clone)]
pub(crate) struct Changed {
    /// The order as it is now.
    pub(crate) core: Core,
    /// The current certificate, unless it is the one the order was generated with.
    certificate: Option<Certificate>,
    /// Certificates replaced by reissues, newest first.
    replaced: Vec<Certificate>,
    /// Every status the order took, oldest first (the generated one first).
    events: Vec<Event>,
    /// The common name given to the certificate since, if any.
    pub(crate) common_name: Option<String>,
}

impl Changed {
    /// The order as generated (or just placed), before any change.
    pub(crate) fn new(core: Core) -> Self {
        Self {
            core,
            certificate: None,
            replaced: Vec::new(),
            events: vec![Event {
                at: core.last_updated,
                certificate_id: core.certificate_id,
                status: core.status,
            }],
            common_name: None,
        }
    }

    /// The record of the order's first event (for orders placed while the server runs).
    pub(crate) fn placed(&self) -> ChangeRecord {
        let event = self.events.first().copied().unwrap_or(Event {
            at: self.core.last_updated,
            certificate_id: self.core.certificate_id,
            status: self.core.status,
        });
        record(self.core.id, event)
    }

    /// Records `status` at `at` (unix seconds), after any other change at the same second.
    ///
    /// The order's status is its latest event's, so a change placed before the latest one
    /// (backdated) is history only. An order that takes a status with a certificate and
    /// never had one is issued at that time, with a fresh validity (the certificate itself
    /// is for the caller to make and [set](Changed::set_certificate)).
    pub(crate) fn record(&mut self, status: Status, at: i64) -> ChangeRecord {
        let event = Event {
            at,
            certificate_id: self.core.certificate_id,
            status,
        };
        let index = self.events.partition_point(|earlier| earlier.at <= at);
        self.events.insert(index, event);
        if let Some(latest) = self.events.last() {
            self.core.status = latest.status;
            self.core.last_updated = latest.at;
        }
        if self.core.status.has_certificate() && self.core.valid_from.is_none() {
            self.issue(self.core.last_updated);
        }
        record(self.core.id, event)
    }

    /// Replaces the certificate `previous` by the certificate `certificate_id`, issued at
    /// `at` with a fresh validity, and records the order as issued then. The new
    /// certificate itself is for the caller to make and [set](Changed::set_certificate).
    pub(crate) fn reissue(
        &mut self,
        previous: Certificate,
        certificate_id: u64,
        at: i64,
    ) -> ChangeRecord {
        self.replaced.insert(0, previous);
        self.certificate = None;
        self.core.certificate_id = certificate_id;
        self.issue(at);
        self.record(Status::Issued, at)
    }

    /// Makes `certificate` the order's current one.
    pub(crate) fn set_certificate(&mut self, certificate: Option<Certificate>) {
        self.certificate = certificate;
    }

    /// The current certificate, unless it is the one the order was generated with.
    pub(crate) fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// The certificates reissues replaced, newest first.
    pub(crate) fn replaced(&self) -> &[Certificate] {
        &self.replaced
    }

    /// Gives the order a certificate issued at `at`, valid from that day.
    fn issue(&mut self, at: i64) {
        let from = date_of(at);
        self.core.issued = Some(at);
        self.core.valid_from = Some(from);
        self.core.valid_till = from.checked_add_days(Days::new(VALIDITY_DAYS));
    }

    /// Puts the changes into the order as generated. The thumbprint of a certificate the
    /// order was generated with is left for the dataset to fill in.
    pub(crate) fn apply(&self, order: &mut Order) {
        order.core = self.core;
        if !self.core.status.has_certificate() {
            order.thumbprint = None;
            order.serial_number = None;
        } else if let Some(certificate) = &self.certificate {
            order.thumbprint = certificate.thumbprint.as_ref().map(|t| to_hex(t));
            order.serial_number = Some(certificate.serial_number.clone());
        }
        order.replaced.clone_from(&self.replaced);
        if let Some(name) = &self.common_name {
            order.common_name.clone_from(name);
        }
    }

    /// The order's latest status within `from..=to` (unix seconds), if it changed in it.
    pub(crate) fn change_in(&self, from: i64, to: i64) -> Option<StatusChange> {
        let event = self
            .events
            .iter()
            .rev()
            .find(|event| (from..=to).contains(&event.at))?;
        Some(StatusChange {
            order_id: self.core.id,
            certificate_id: Some(event.certificate_id),
            status: event.status.model(),
            extra: Default::default(),
        })
    }
}

/// The record of an order's event.
fn record(order_id: u64, event: Event) -> ChangeRecord {
    ChangeRecord {
        order_id,
        certificate_id: event.certificate_id,
        status: event.status.model(),
        at: DateTime::from_timestamp(event.at, 0).unwrap_or_default(),
    }
}

/// Everything that changed while the server ran.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    /// Orders placed, listed before the generated ones (newest first).
    pub(crate) placed: usize,
    /// Orders placed or changed, by ID.
    pub(crate) changed: HashMap<u64, Changed>,
    /// Every change, in the order recorded.
    pub(crate) log: Vec<ChangeRecord>,
    /// The order of each certificate made while the server ran, by thumbprint.
    pub(crate) owners: HashMap<Thumbprint, u64>,
    /// Reissues made so far.
    reissues: u64,
}

impl Changes {
    /// The certificate ID the next reissue gets.
    pub(crate) fn next_certificate_id(&self) -> u64 {
        REISSUE_ID_BASE + 8 * self.reissues
    }

    /// Records whose certificate this is, so that it is found by its thumbprint.
    pub(crate) fn own(&mut self, order_id: u64, certificate: Option<&Certificate>) {
        if let Some(thumbprint) = certificate.and_then(|certificate| certificate.thumbprint) {
            self.owners.insert(thumbprint, order_id);
        }
    }

    /// Counts a reissue made.
    pub(crate) fn reissued(&mut self) {
        self.reissues += 1;
    }
}
