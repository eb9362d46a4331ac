//! The orders the fake CertCentral serves: deterministic, consistent across endpoints, cheap.
//!
//! A [`Dataset`] is fixed by a seed, an order count and a reference time ("now" for the
//! data). It holds a few dozen bytes per order (ID, status, times) and draws everything else
//! again when asked, so 100,000 orders take a few megabytes and one report page of 1,000
//! rows renders in a few milliseconds. Orders are listed newest ID first; the last five are
//! the example orders of DigiCert's documentation.

mod changes;
mod filter;
mod generate;
mod render;
mod rng;
mod seeds;
pub(crate) mod tables;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::{self, Write};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::thread;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use digicert_model::{
    OrderInfo, OrderStatus, Page, Reissues, ReportRow, ReportWriter, StatusChanges,
    SubaccountOrder, SubaccountOrdersPage,
};

use crate::certs::{IssuedCertificate, Thumbprint, from_hex, to_hex};
use changes::{Certificate, Changed, Changes};
pub use filter::ReportFilter;
use generate::{
    Core, ORDER_ID_BASE, Order, generated_core, generated_order, order_id_in_serial, placed_core,
    reissued_serial_number, serial_number,
};
use seeds::{SEED_COUNT, seed_order};
use tables::Status;

pub use changes::ChangeRecord;

/// What a [`Dataset`] is made from; the same settings always give the same orders.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use digicert_mock::{Dataset, DatasetConfig};
///
/// let reference = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
/// let dataset = Dataset::new(&DatasetConfig::new(reference).with_orders(100).with_seed(7));
/// assert_eq!(dataset.len(), 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DatasetConfig {
    /// Seed of every random draw.
    pub seed: u64,
    /// Number of orders, the documentation's example orders included.
    pub orders: usize,
    /// "Now" for the data: order dates, validity and status changes are placed relative to it.
    pub reference_time: DateTime<Utc>,
}

impl DatasetConfig {
    /// The seed used unless another is given.
    pub const DEFAULT_SEED: u64 = 20_190_611;
    /// The default number of orders: three report pages of 1,000 (the last one short).
    pub const DEFAULT_ORDERS: usize = 2_500;

    /// The default seed and size, placed relative to `reference_time`.
    pub fn new(reference_time: DateTime<Utc>) -> Self {
        Self {
            seed: Self::DEFAULT_SEED,
            orders: Self::DEFAULT_ORDERS,
            reference_time,
        }
    }

    /// Sets the seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of orders.
    #[must_use]
    pub fn with_orders(mut self, orders: usize) -> Self {
        self.orders = orders;
        self
    }
}

impl Default for DatasetConfig {
    /// The default seed and size, relative to the current time truncated to the minute.
    fn default() -> Self {
        Self::new(now_to_the_minute())
    }
}

/// The current time, truncated to the minute.
pub(crate) fn now_to_the_minute() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now)
}

/// The orders and every endpoint's view of them: generated, then changed while the server runs.
///
/// Orders are addressed by order ID. The same order has the same ID, certificate ID,
/// thumbprint, serial number, status, dates and names in every view.
///
/// Each certificate an order has or had is a real one, from [`MockCa`](crate::MockCa): its
/// serial number, validity (from `valid_from` 00:00:00 to `valid_till` 23:59:59 UTC) and
/// names (common name, DNS names) are the ones the views show, and the SHA-1 over its DER is
/// the thumbprint they show. [`Dataset::certificate`] and [`Dataset::certificates`] hand out
/// the DER and PEM. Certificates are made when first needed (a report page makes those of
/// its rows, about 40 µs each) and their thumbprints kept; [`Dataset::make_certificates`]
/// makes them all at once, on every core.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use digicert_mock::{Dataset, DatasetConfig};
///
/// let reference = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
/// let dataset = Dataset::new(&DatasetConfig::new(reference));
/// let newest = dataset.order_ids().next().unwrap();
/// let row = dataset.report_row(newest).unwrap();
/// let info = dataset.order_info(newest).unwrap();
/// assert_eq!(info.certificate.unwrap().common_name, row.common_name);
/// if let Some(thumbprint) = row.thumbprint {
///     assert_eq!(dataset.find(&thumbprint.to_lowercase()), Some(newest));
/// }
/// ```
///
/// # Changes over time
///
/// As generated, each order has one status change: its status, at the time
/// [`Dataset::status_last_updated`] gives (when it was placed, issued, expired, rejected…;
/// about 8% of orders changed in the week before the reference time, 0.6% in its last hour).
///
/// A dataset can then change, through `&self` from any thread, and every view answers from
/// the current state at once: new orders ([`Dataset::add_orders`]), revocations
/// ([`Dataset::revoke`]), reissues ([`Dataset::reissue`]) and any status
/// ([`Dataset::set_status`], or backdated with [`Dataset::record_change_at`]). Each is
/// recorded as a status change at its time, to the second, in [`Dataset::change_log`]. An
/// order's status is that of its latest change by time; [`Dataset::status_changes`] reports,
/// for each order that changed within a window, its latest status within the window. The
/// methods without `_at` record the change at the current time (not the reference time),
/// which is what the status-changes endpoint's `minutes` and `seconds` count back from.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use digicert_mock::{Dataset, DatasetConfig};
/// use digicert_model::OrderStatus;
///
/// let reference = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
/// let dataset = Dataset::new(&DatasetConfig::new(reference).with_orders(100));
/// let at = reference + TimeDelta::hours(1);
/// let new = dataset.add_orders_at(1, at)[0];
/// assert_eq!(dataset.order_ids().next(), Some(new)); // newest first
/// assert!(dataset.revoke_at(new, at + TimeDelta::minutes(5)));
/// assert_eq!(dataset.order_info(new).unwrap().status, OrderStatus::Revoked);
/// let changes = dataset.status_changes(at, at + TimeDelta::minutes(1)).orders;
/// assert_eq!(changes.len(), 1);
/// assert_eq!(changes[0].status, OrderStatus::Issued); // the latest status in that window
/// ```
///
/// A clone carries the changes made so far and changes on its own from then on.
#[derive(Debug)]
pub struct Dataset {
    seed: u64,
    reference: DateTime<Utc>,
    /// How many orders are generated (the rest are the documentation's examples).
    generated: usize,
    /// One core per order, newest ID first.
    cores: Vec<Core>,
    /// Positions (in `cores`) of the orders placed by sub-accounts.
    subaccount_positions: Vec<usize>,
    /// What changed since; readers take a snapshot, writers copy it only while one is held.
    changes: RwLock<Arc<Changes>>,
    /// The thumbprint of the certificate each order was generated with (by position in
    /// `cores`), made on first need; `None` inside for an order generated without one.
    thumbprints: Box<[OnceLock<Option<Thumbprint>>]>,
    /// The position of each order by the thumbprint it was generated with, made on the
    /// first lookup by thumbprint.
    thumbprint_index: OnceLock<HashMap<Thumbprint, usize>>,
}

impl Clone for Dataset {
    fn clone(&self) -> Self {
        Self {
            seed: self.seed,
            reference: self.reference,
            generated: self.generated,
            cores: self.cores.clone(),
            subaccount_positions: self.subaccount_positions.clone(),
            changes: RwLock::new(self.changes()),
            thumbprints: self.thumbprints.clone(),
            thumbprint_index: self.thumbprint_index.clone(),
        }
    }
}

impl Dataset {
    /// Builds the dataset; 100,000 orders take a few milliseconds (their certificates are
    /// made later, when needed).
    pub fn new(config: &DatasetConfig) -> Self {
        let seeds = config.orders.min(SEED_COUNT);
        let generated = config.orders - seeds;
        let reference = config.reference_time.timestamp();
        let mut cores = Vec::with_capacity(config.orders);
        cores.extend(
            (0..generated)
                .rev()
                .map(|seq| generated_core(config.seed, seq, generated, reference)),
        );
        cores.extend((0..seeds).filter_map(|index| Some(seed_order(config.seed, index)?.core)));
        let subaccount_positions = (0..cores.len())
            .filter(|&position| cores[position].subaccount.is_some())
            .collect();
        Self {
            seed: config.seed,
            reference: config.reference_time,
            generated,
            thumbprints: cores.iter().map(|_| OnceLock::new()).collect(),
            cores,
            subaccount_positions,
            changes: RwLock::default(),
            thumbprint_index: OnceLock::new(),
        }
    }

    /// Number of orders (placed ones included).
    pub fn len(&self) -> usize {
        self.listed(&self.changes())
    }

    /// Whether there are no orders.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The seed the dataset was drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// "Now" for the data.
    pub fn reference_time(&self) -> DateTime<Utc> {
        self.reference
    }

    /// Every order ID, newest first (the order of the report).
    pub fn order_ids(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        let changes = self.changes();
        (0..self.listed(&changes))
            .map(move |position| self.core_at(&changes, position).map_or(0, |core| core.id))
    }

    /// The IDs of the orders sub-accounts placed, newest first (the order of the sub-account
    /// orders list).
    pub fn subaccount_order_ids(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        self.subaccount_positions
            .iter()
            .map(|&position| self.cores.get(position).map_or(0, |core| core.id))
    }

    /// The order an order ID, certificate thumbprint or serial number (hex, any case) names.
    ///
    /// Thumbprints and serial numbers are those of the current certificate (when the order
    /// shows one) and of every certificate a reissue replaced. The first lookup of a
    /// thumbprint the dataset has not made yet makes every certificate (see
    /// [`Dataset::make_certificates`]).
    pub fn find(&self, reference: &str) -> Option<u64> {
        let changes = self.changes();
        let reference = reference.trim();
        if !reference.is_empty() && reference.len() <= 19 {
            let id = reference.parse().ok()?;
            return self.position(&changes, id).map(|_| id);
        }
        let (id, thumbprint) = match reference.len() {
            32 => (order_id_in_serial(reference)?, None),
            40 => {
                let thumbprint: Thumbprint = from_hex(reference)?.try_into().ok()?;
                let id = match changes.owners.get(&thumbprint) {
                    Some(&id) => id,
                    None => self.generated_owner(&thumbprint)?,
                };
                (id, Some(thumbprint))
            }
            _ => return None,
        };
        let matches = |certificate: &Certificate| match thumbprint {
            Some(thumbprint) => certificate.thumbprint == Some(thumbprint),
            None => certificate.serial_number.eq_ignore_ascii_case(reference),
        };
        let position = self.position(&changes, id)?;
        let (current, replaced) = self.certificates_at(&changes, position)?;
        current.iter().chain(&replaced).any(matches).then_some(id)
    }

    /// The certificate the order shows now (the one whose thumbprint and serial number the
    /// views show), DER and PEM; `None` if it shows none.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use digicert_mock::{Dataset, DatasetConfig};
    /// use digicert_model::OrderStatus;
    ///
    /// let reference = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
    /// let dataset = Dataset::new(&DatasetConfig::new(reference).with_orders(100));
    /// let row = dataset.report_rows(&[OrderStatus::Issued], 0, 1).next().unwrap();
    /// let certificate = dataset.certificate(row.order_id).unwrap();
    /// assert_eq!(Some(certificate.thumbprint.clone()), row.thumbprint);
    /// assert_eq!(Some(certificate.serial_number.clone()), row.serial_number);
    /// assert!(certificate.pem().starts_with("-----BEGIN CERTIFICATE-----"));
    /// ```
    pub fn certificate(&self, order_id: u64) -> Option<IssuedCertificate> {
        self.certificates(order_id)
            .into_iter()
            .find(|certificate| certificate.current)
    }

    /// Every certificate the order has had, DER and PEM: the current one first (if the order
    /// shows one), then those reissues replaced, newest first (as the reissues endpoint lists
    /// them). Empty for no such order.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use digicert_mock::{Dataset, DatasetConfig};
    /// use digicert_model::OrderStatus;
    ///
    /// let reference = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
    /// let dataset = Dataset::new(&DatasetConfig::new(reference).with_orders(100));
    /// let id = dataset.report_rows(&[OrderStatus::Issued], 0, 1).next().unwrap().order_id;
    /// let before = dataset.certificate(id).unwrap();
    /// assert!(dataset.reissue(id));
    /// let all = dataset.certificates(id);
    /// assert_eq!(all.len(), 2);
    /// assert!(all[0].current && !all[1].current);
    /// assert_eq!((all[1].der(), &all[1].thumbprint), (before.der(), &before.thumbprint));
    /// assert_eq!(dataset.find(&before.thumbprint), Some(id)); // still found by it
    /// ```
    pub fn certificates(&self, order_id: u64) -> Vec<IssuedCertificate> {
        let changes = self.changes();
        let Some(position) = self.position(&changes, order_id) else {
            return Vec::new();
        };
        let (Some(order), Some((current, replaced))) = (
            self.bare_order_at(&changes, position),
            self.certificates_at(&changes, position),
        ) else {
            return Vec::new();
        };
        let issue = |certificate: &Certificate, is_current: bool| {
            let leaf = order.leaf(
                &certificate.serial_number,
                certificate.valid_from,
                certificate.valid_till,
            );
            IssuedCertificate::new(order_id, certificate.id, is_current, &leaf).ok()
        };
        current
            .iter()
            .filter_map(|certificate| issue(certificate, true))
            .chain(
                replaced
                    .iter()
                    .filter_map(|certificate| issue(certificate, false)),
            )
            .collect()
    }

    /// Makes every certificate the orders were generated with now, on every core, and
    /// indexes their thumbprints; later lookups and report pages find them made. Otherwise
    /// each is made when first needed. 100,000 orders take a few seconds (per core: 40 µs
    /// a certificate); calling it again costs nothing.
    pub fn make_certificates(&self) {
        self.thumbprint_index();
    }

    /// The order's row of the order report.
    pub fn report_row(&self, order_id: u64) -> Option<ReportRow> {
        Some(self.order(order_id)?.report_row())
    }

    /// The order's details, as `GET /order/certificate/{order_id}` answers.
    pub fn order_info(&self, order_id: u64) -> Option<OrderInfo> {
        Some(
            self.order(order_id)?
                .order_info(self.reference.date_naive()),
        )
    }

    /// The order's reissues, as `GET /order/certificate/{order_id}/reissue` answers.
    pub fn reissues(&self, order_id: u64) -> Option<Reissues> {
        let certificates = self.order(order_id)?.reissues(self.reference.date_naive());
        Some(Reissues {
            certificates,
            ..Default::default()
        })
    }

    /// The order as the sub-account orders list shows it; `None` unless a sub-account placed it.
    pub fn subaccount_order(&self, order_id: u64) -> Option<SubaccountOrder> {
        self.order(order_id)?.subaccount_order()
    }

    /// One page of sub-account orders, newest first.
    pub fn subaccount_orders(&self, offset: usize, limit: usize) -> SubaccountOrdersPage {
        let changes = self.changes();
        let orders = self
            .subaccount_positions
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|&position| {
                self.order_at(&changes, changes.placed + position)?
                    .subaccount_order()
            })
            .collect();
        SubaccountOrdersPage {
            orders,
            page: Some(Page {
                total: self.subaccount_positions.len() as u64,
                limit: limit as u64,
                offset: offset as u64,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// When the order's status last changed.
    pub fn status_last_updated(&self, order_id: u64) -> Option<DateTime<Utc>> {
        let changes = self.changes();
        let core = self.core_at(&changes, self.position(&changes, order_id)?)?;
        DateTime::from_timestamp(core.last_updated, 0)
    }

    /// The orders whose status changed between `from` and `to` (both included, to the
    /// second), newest ID first, each with its latest status in that window.
    pub fn status_changes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StatusChanges {
        let changes = self.changes();
        let (from, to) = (from.timestamp(), to.timestamp());
        let orders = (0..self.listed(&changes))
            .filter_map(|position| {
                let Some(static_position) = position.checked_sub(changes.placed) else {
                    let id = self.placed_id(&changes, position);
                    return changes.changed.get(&id)?.change_in(from, to);
                };
                let core = self.cores.get(static_position)?;
                match Self::changed(&changes, core.id) {
                    Some(changed) => changed.change_in(from, to),
                    None => (from..=to)
                        .contains(&core.last_updated)
                        .then(|| core.status_change()),
                }
            })
            .collect();
        StatusChanges {
            orders,
            ..Default::default()
        }
    }

    /// One page of the order report: the rows with one of `statuses` (all rows if empty),
    /// from `offset`, at most `limit` of them.
    ///
    /// The page is of the dataset as it was when this was called, whatever changes after.
    pub fn report_rows<'a>(
        &'a self,
        statuses: &'a [OrderStatus],
        offset: usize,
        limit: usize,
    ) -> impl Iterator<Item = ReportRow> + 'a {
        let changes = self.changes();
        let snapshot = Arc::clone(&changes);
        (0..self.listed(&changes))
            .filter(move |&position| {
                statuses.is_empty()
                    || self
                        .core_at(&changes, position)
                        .is_some_and(|core| statuses.contains(&core.status.model()))
            })
            .skip(offset)
            .take(limit)
            .filter_map(move |position| Some(self.order_at(&snapshot, position)?.report_row()))
    }

    /// One page of the order report: the rows `filter` keeps, from `offset`, at most `limit`
    /// of them. Only a status filter is as cheap as [`Dataset::report_rows`]; the others
    /// build each row up to the page's end to look at it.
    pub fn filtered_report_rows<'a>(
        &'a self,
        filter: &'a ReportFilter,
        offset: usize,
        limit: usize,
    ) -> Box<dyn Iterator<Item = ReportRow> + 'a> {
        if !filter.needs_row() {
            return Box::new(self.report_rows(&filter.statuses, offset, limit));
        }
        let changes = self.changes();
        let snapshot = Arc::clone(&changes);
        let last = Arc::clone(&changes);
        Box::new(
            (0..self.listed(&changes))
                .filter(move |&position| {
                    self.core_at(&changes, position)
                        .is_some_and(|core| filter.keeps_status(&core.status.model()))
                })
                .filter_map(move |position| {
                    let row = self.bare_order_at(&snapshot, position)?.report_row();
                    filter.keeps(&row).then_some((position, row))
                })
                .skip(offset)
                .take(limit)
                .map(move |(position, mut row)| {
                    if row.thumbprint.is_none() && row.serial_number.is_some() {
                        row.thumbprint = self.generated_thumbprint_shown(&last, position);
                    }
                    row
                }),
        )
    }

    /// Writes one page of the order report as CSV (see [`Dataset::report_rows`]) to `output`,
    /// with the model's [`ReportWriter`], and hands `output` back.
    pub fn write_report<W: Write>(
        &self,
        output: W,
        statuses: &[OrderStatus],
        offset: usize,
        limit: usize,
    ) -> io::Result<W> {
        let filter = ReportFilter::default().with_statuses(statuses.to_vec());
        self.write_filtered_report(output, &filter, offset, limit)
    }

    /// Writes one page of the order report that `filter` keeps as CSV (see
    /// [`Dataset::filtered_report_rows`]) to `output`, and hands `output` back.
    pub fn write_filtered_report<W: Write>(
        &self,
        output: W,
        filter: &ReportFilter,
        offset: usize,
        limit: usize,
    ) -> io::Result<W> {
        let mut writer = ReportWriter::new(output)?;
        for row in self.filtered_report_rows(filter, offset, limit) {
            writer.write_row(&row)?;
        }
        writer.into_inner()
    }

    /// Places `count` new orders now (see [`Dataset::add_orders_at`]).
    pub fn add_orders(&self, count: usize) -> Vec<u64> {
        self.add_orders_at(count, now())
    }

    /// Places `count` new orders at `at`, issued then with a fresh validity (397 days from
    /// that day), and records each as a change to `issued`; returns their IDs, oldest first.
    ///
    /// New orders get the next IDs above every other, so they come first in the report;
    /// their names and details are drawn from the seed like the generated orders'.
    pub fn add_orders_at(&self, count: usize, at: DateTime<Utc>) -> Vec<u64> {
        let at = at.timestamp();
        self.change(|changes| {
            (0..count)
                .map(|_| {
                    let seq = self.generated + changes.placed;
                    let core = placed_core(seq, at);
                    let mut changed = Changed::new(core);
                    let order = generated_order(self.seed, seq, core);
                    let certificate =
                        Certificate::make(&order, &core, serial_number(self.seed, core.id));
                    changes.own(core.id, certificate.as_ref());
                    changed.set_certificate(certificate);
                    changes.log.push(changed.placed());
                    changes.changed.insert(core.id, changed);
                    changes.placed += 1;
                    core.id
                })
                .collect()
        })
    }

    /// Revokes the order's certificate now (see [`Dataset::revoke_at`]).
    pub fn revoke(&self, order_id: u64) -> bool {
        self.revoke_at(order_id, now())
    }

    /// Revokes the order's certificate at `at` and records the change to `revoked`.
    ///
    /// `false` (and nothing recorded) if there is no such order or its certificate is not in
    /// force (status other than `issued`, `reissue_pending` or `waiting_pickup`).
    pub fn revoke_at(&self, order_id: u64, at: DateTime<Utc>) -> bool {
        self.change(|changes| {
            let Some(changed) = self.changed_mut(changes, order_id) else {
                return false;
            };
            if !changed.core.status.in_force() {
                return false;
            }
            let record = changed.record(Status::Revoked, at.timestamp());
            changes.log.push(record);
            true
        })
    }

    /// Reissues the order's certificate now (see [`Dataset::reissue_at`]).
    pub fn reissue(&self, order_id: u64) -> bool {
        self.reissue_at(order_id, now())
    }

    /// Reissues the order's certificate at `at`, and records the change to `issued` with the
    /// new certificate ID.
    ///
    /// The new certificate (a real one, made now: see [`Dataset::certificates`]) has a new
    /// ID, thumbprint and serial number, is valid from the day of `at` for 397 days, and is
    /// the one every view shows; the order is found by its thumbprint and serial number, and
    /// still by the old ones. The reissues list shows it first, then the certificates it
    /// replaced, as revoked. `false` (and nothing recorded)
    /// if there is no such order or its certificate is not in force (see
    /// [`Dataset::revoke_at`]).
    pub fn reissue_at(&self, order_id: u64, at: DateTime<Utc>) -> bool {
        self.change(|changes| {
            let certificate_id = changes.next_certificate_id();
            let Some(position) = self.position(changes, order_id) else {
                return false;
            };
            let (Some(order), Some((Some(previous), _))) = (
                self.bare_order_at(changes, position),
                self.certificates_at(changes, position),
            ) else {
                return false;
            };
            let Some(changed) = self.changed_mut(changes, order_id) else {
                return false;
            };
            if !changed.core.status.in_force() {
                return false;
            }
            let record = changed.reissue(previous, certificate_id, at.timestamp());
            let serial = reissued_serial_number(self.seed, order_id, certificate_id);
            let certificate = Certificate::make(&order, &changed.core, serial);
            changed.set_certificate(certificate.clone());
            changes.own(order_id, certificate.as_ref());
            changes.log.push(record);
            changes.reissued();
            true
        })
    }

    /// Sets the order's status now (see [`Dataset::record_change_at`]).
    pub fn set_status(&self, order_id: u64, status: OrderStatus) -> bool {
        self.record_change_at(order_id, status, now())
    }

    /// Records a change of the order to `status` at `at`, which may lie in the past.
    ///
    /// The order's status becomes the one of its latest change by time: a change backdated
    /// before the order's last one is history (status changes for its window) and changes
    /// nothing else. An order without a certificate that takes a status with one (`issued`,
    /// `revoked`…) is issued at its latest change, with a fresh validity. Any status goes;
    /// `false` (and nothing recorded) if there is no such order or the status is one the
    /// model does not know.
    pub fn record_change_at(&self, order_id: u64, status: OrderStatus, at: DateTime<Utc>) -> bool {
        let Some(status) = Status::of(&status) else {
            return false;
        };
        self.change(|changes| {
            let order = self
                .position(changes, order_id)
                .and_then(|position| self.bare_order_at(changes, position));
            let Some(changed) = self.changed_mut(changes, order_id) else {
                return false;
            };
            let had_certificate = changed.core.valid_from.is_some();
            let record = changed.record(status, at.timestamp());
            let mut certificate = None;
            if !had_certificate && let Some(order) = order {
                // Issued now: a certificate of its own.
                let serial = serial_number(self.seed, order_id);
                certificate = Certificate::make(&order, &changed.core, serial);
                changed.set_certificate(certificate.clone());
            }
            changes.own(order_id, certificate.as_ref());
            changes.log.push(record);
            true
        })
    }

    /// Gives the order's certificate another common name in every view, any text at all
    /// (what a careless or hostile requester may put there), without a status change: the
    /// next full pull sees it. `false` if there is no such order.
    pub fn rename(&self, order_id: u64, common_name: impl Into<String>) -> bool {
        let common_name = common_name.into();
        self.change(|changes| {
            let Some(changed) = self.changed_mut(changes, order_id) else {
                return false;
            };
            changed.common_name = Some(common_name);
            true
        })
    }

    /// Every change recorded so far, in the order recorded (not by time).
    pub fn change_log(&self) -> Vec<ChangeRecord> {
        self.changes().log.clone()
    }

    /// The orders with a certificate a reissue replaced, newest first.
    pub(crate) fn reissued_order_ids(&self) -> Vec<u64> {
        let changes = self.changes();
        let mut ids: Vec<u64> = changes
            .changed
            .iter()
            .filter(|(_, changed)| !changed.replaced().is_empty())
            .map(|(&id, _)| id)
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    }

    /// The order's current certificate as another CA (not the mock's) would have issued it,
    /// DER: same serial number, validity and names, a thumbprint no order has.
    pub(crate) fn foreign_certificate(&self, order_id: u64) -> Option<Vec<u8>> {
        let order = self.order(order_id)?;
        let certificate = order.current_leaf()?.issue_elsewhere().ok()?;
        Some(certificate.der().to_vec())
    }

    /// A snapshot of the changes so far.
    fn changes(&self) -> Arc<Changes> {
        Arc::clone(&self.changes.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Changes the dataset (copying the changes only if a reader holds a snapshot).
    fn change<T>(&self, change: impl FnOnce(&mut Changes) -> T) -> T {
        let mut changes = self.changes.write().unwrap_or_else(PoisonError::into_inner);
        change(Arc::make_mut(&mut changes))
    }

    /// The order's entry among the changes, made from the generated order if it has none yet.
    fn changed_mut<'c>(&self, changes: &'c mut Changes, order_id: u64) -> Option<&'c mut Changed> {
        match changes.changed.entry(order_id) {
            Entry::Occupied(entry) => Some(entry.into_mut()),
            Entry::Vacant(entry) => {
                let core = *self.cores.get(self.generated_position(order_id)?)?;
                Some(entry.insert(Changed::new(core)))
            }
        }
    }

    /// The changes to one order, if any (cheap when nothing changed).
    fn changed(changes: &Changes, order_id: u64) -> Option<&Changed> {
        if changes.changed.is_empty() {
            None
        } else {
            changes.changed.get(&order_id)
        }
    }

    /// Number of orders listed: the placed ones, then the generated ones.
    fn listed(&self, changes: &Changes) -> usize {
        changes.placed + self.cores.len()
    }

    /// The ID of the placed order at a position (before the generated ones).
    fn placed_id(&self, changes: &Changes, position: usize) -> u64 {
        let seq = self.generated + changes.placed.saturating_sub(position + 1);
        ORDER_ID_BASE + seq as u64
    }

    /// Where an order sits in the listing.
    fn position(&self, changes: &Changes, order_id: u64) -> Option<usize> {
        let placed = order_id
            .checked_sub(ORDER_ID_BASE)
            .and_then(|seq| usize::try_from(seq).ok())
            .and_then(|seq| seq.checked_sub(self.generated))
            .filter(|&index| index < changes.placed);
        match placed {
            Some(index) => Some(changes.placed - 1 - index),
            None => Some(changes.placed + self.generated_position(order_id)?),
        }
    }

    /// Where a generated order sits among the generated ones.
    fn generated_position(&self, order_id: u64) -> Option<usize> {
        let seq = order_id
            .checked_sub(ORDER_ID_BASE)
            .and_then(|seq| usize::try_from(seq).ok())
            .filter(|&seq| seq < self.generated);
        match seq {
            Some(seq) => Some(self.generated - 1 - seq),
            None => self.cores[self.generated..]
                .iter()
                .position(|core| core.id == order_id)
                .map(|index| self.generated + index),
        }
    }

    /// The core of the order at a position, as it is now.
    fn core_at(&self, changes: &Changes, position: usize) -> Option<Core> {
        let Some(generated_position) = position.checked_sub(changes.placed) else {
            let id = self.placed_id(changes, position);
            return changes.changed.get(&id).map(|changed| changed.core);
        };
        let core = *self.cores.get(generated_position)?;
        Some(Self::changed(changes, core.id).map_or(core, |changed| changed.core))
    }

    /// The full order at a position, as it is now.
    fn order_at(&self, changes: &Changes, position: usize) -> Option<Order> {
        let mut order = self.bare_order_at(changes, position)?;
        if order.thumbprint.is_none() && order.serial_number.is_some() {
            order.thumbprint = self.generated_thumbprint_shown(changes, position);
        }
        Some(order)
    }

    /// The full order at a position, as it is now, but without the thumbprint of a
    /// certificate it was generated with (which may not be made yet).
    fn bare_order_at(&self, changes: &Changes, position: usize) -> Option<Order> {
        let Some(generated_position) = position.checked_sub(changes.placed) else {
            let id = self.placed_id(changes, position);
            let changed = changes.changed.get(&id)?;
            let seq = usize::try_from(id - ORDER_ID_BASE).ok()?;
            let mut order = generated_order(self.seed, seq, changed.core);
            changed.apply(&mut order);
            return Some(order);
        };
        let core = *self.cores.get(generated_position)?;
        let changed = Self::changed(changes, core.id);
        let current = changed.map_or(core, |changed| changed.core);
        let mut order = self.drawn_order(generated_position, current)?;
        if let Some(changed) = changed {
            changed.apply(&mut order);
        }
        Some(order)
    }

    /// The generated order at a position among the generated ones, around `core`, without
    /// any change.
    fn drawn_order(&self, generated_position: usize, core: Core) -> Option<Order> {
        match generated_position.checked_sub(self.generated) {
            None => Some(generated_order(
                self.seed,
                self.generated.checked_sub(generated_position + 1)?,
                core,
            )),
            Some(index) => seed_order(self.seed, index),
        }
    }

    /// The full order with an ID, as it is now.
    fn order(&self, order_id: u64) -> Option<Order> {
        let changes = self.changes();
        self.order_at(&changes, self.position(&changes, order_id)?)
    }

    /// The thumbprint of the certificate the order at a position was generated with, if it
    /// still shows that one.
    fn generated_thumbprint_shown(&self, changes: &Changes, position: usize) -> Option<String> {
        let generated_position = position.checked_sub(changes.placed)?;
        let core = self.core_at(changes, position)?;
        let own = Self::changed(changes, core.id).and_then(Changed::certificate);
        if own.is_some() || !core.status.has_certificate() {
            return None;
        }
        Some(to_hex(&self.generated_thumbprint(generated_position)?))
    }

    /// The thumbprint of the certificate the order at a position among the generated ones
    /// was generated with; made on first need, then kept.
    fn generated_thumbprint(&self, generated_position: usize) -> Option<Thumbprint> {
        *self.thumbprints.get(generated_position)?.get_or_init(|| {
            let core = *self.cores.get(generated_position)?;
            let order = self.drawn_order(generated_position, core)?;
            order.current_leaf()?.thumbprint().ok()
        })
    }

    /// The order that was generated with the certificate of this thumbprint.
    fn generated_owner(&self, thumbprint: &Thumbprint) -> Option<u64> {
        let position = *self.thumbprint_index().get(thumbprint)?;
        Some(self.cores.get(position)?.id)
    }

    /// Every generated certificate's position by thumbprint, made (on every core) on first
    /// need.
    fn thumbprint_index(&self) -> &HashMap<Thumbprint, usize> {
        self.thumbprint_index.get_or_init(|| {
            self.make_generated_thumbprints();
            self.thumbprints
                .iter()
                .enumerate()
                .filter_map(|(position, slot)| Some(((*slot.get()?)?, position)))
                .collect()
        })
    }

    /// Makes the thumbprint of every certificate the orders were generated with, on every
    /// core: each thread takes the next batch of positions until none is left.
    fn make_generated_thumbprints(&self) {
        const BATCH: usize = 256;
        let next = AtomicUsize::new(0);
        let work = || {
            loop {
                let start = next.fetch_add(BATCH, Ordering::Relaxed);
                if start >= self.thumbprints.len() {
                    break;
                }
                for position in start..(start + BATCH).min(self.thumbprints.len()) {
                    self.generated_thumbprint(position);
                }
            }
        };
        let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        thread::scope(|scope| {
            for _ in 1..threads {
                // A thread that cannot start leaves its share to the others.
                let _ = thread::Builder::new()
                    .name("digicert-mock-certificates".to_owned())
                    .spawn_scoped(scope, work);
            }
            work();
        });
    }

    /// The certificates of the order at a position: the current one (if the order shows
    /// one), and those reissues replaced, newest first.
    fn certificates_at(
        &self,
        changes: &Changes,
        position: usize,
    ) -> Option<(Option<Certificate>, Vec<Certificate>)> {
        let core = self.core_at(changes, position)?;
        let changed = Self::changed(changes, core.id);
        let replaced = changed.map_or_else(Vec::new, |changed| changed.replaced().to_vec());
        if !core.status.has_certificate() {
            return Some((None, replaced));
        }
        if let Some(own) = changed.and_then(Changed::certificate) {
            return Some((Some(own.clone()), replaced));
        }
        let generated_position = position.checked_sub(changes.placed)?;
        let generated = *self.cores.get(generated_position)?;
        let current = Certificate {
            id: generated.certificate_id,
            thumbprint: self.generated_thumbprint(generated_position),
            serial_number: serial_number(self.seed, generated.id),
            issued: generated.issued,
            valid_from: generated.valid_from?,
            valid_till: generated.valid_till?,
        };
        Some((Some(current), replaced))
    }
}

/// The current time, to the second (changes are recorded to the second).
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now)
}

#[cfg(test)]
mod tests;
