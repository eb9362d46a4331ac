//! The orders the fake CertCentral serves: deterministic, consistent across endpoints, cheap.
//!
//! A [`Dataset`] is fixed by a seed, an order count and a reference time ("now" for the
//! data). It holds a few dozen bytes per order (ID, status, times) and draws everything else
//! again when asked, so 100,000 orders take a few megabytes and one report page of 1,000
//! rows renders in a few milliseconds. Orders are listed newest ID first; the last five are
//! the example orders of DigiCert's documentation.

mod filter;
mod generate;
mod render;
mod rng;
mod seeds;
pub(crate) mod tables;

use std::io::{self, Write};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use digicert_model::{
    OrderInfo, OrderStatus, Page, Reissues, ReportRow, ReportWriter, StatusChanges,
    SubaccountOrder, SubaccountOrdersPage,
};

pub use filter::ReportFilter;
use generate::{Core, ORDER_ID_BASE, Order, generated_core, generated_order, order_id_in};
use seeds::{SEED_COUNT, seed_order};

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

/// A fixed set of orders and every endpoint's view of them.
///
/// Orders are addressed by order ID. The same order has the same ID, certificate ID,
/// thumbprint, serial number, status, dates and names in every view.
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
#[derive(Debug, Clone)]
pub struct Dataset {
    seed: u64,
    reference: DateTime<Utc>,
    /// How many orders are generated (the rest are the documentation's examples).
    generated: usize,
    /// One core per order, newest ID first.
    cores: Vec<Core>,
    /// Positions (in `cores`) of the orders placed by sub-accounts.
    subaccount_positions: Vec<usize>,
}

impl Dataset {
    /// Builds the dataset; 100,000 orders take a few milliseconds.
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
            cores,
            subaccount_positions,
        }
    }

    /// Number of orders.
    pub fn len(&self) -> usize {
        self.cores.len()
    }

    /// Whether there are no orders.
    pub fn is_empty(&self) -> bool {
        self.cores.is_empty()
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
        self.cores.iter().map(|core| core.id)
    }

    /// The IDs of the orders sub-accounts placed, newest first (the order of the sub-account
    /// orders list).
    pub fn subaccount_order_ids(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        self.subaccount_positions
            .iter()
            .map(|&position| self.cores.get(position).map_or(0, |core| core.id))
    }

    /// The order an order ID, certificate thumbprint or serial number (hex, any case) names.
    pub fn find(&self, reference: &str) -> Option<u64> {
        let reference = reference.trim();
        if !reference.is_empty() && reference.len() <= 19 {
            let id = reference.parse().ok()?;
            return self.position(id).map(|_| id);
        }
        let id = order_id_in(reference)?;
        let order = self.order_at(self.position(id)?)?;
        let matches = |value: &Option<String>| {
            value
                .as_deref()
                .is_some_and(|value| value.eq_ignore_ascii_case(reference))
        };
        (matches(&order.thumbprint) || matches(&order.serial_number)).then_some(id)
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
        let orders = self
            .subaccount_positions
            .iter()
            .skip(offset)
            .take(limit)
            .filter_map(|&position| self.order_at(position)?.subaccount_order())
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
        let core = self.cores.get(self.position(order_id)?)?;
        DateTime::from_timestamp(core.last_updated, 0)
    }

    /// The orders whose status changed between `from` and `to` (both included), newest ID first.
    pub fn status_changes(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> StatusChanges {
        let (from, to) = (from.timestamp(), to.timestamp());
        let orders = self
            .cores
            .iter()
            .filter(|core| (from..=to).contains(&core.last_updated))
            .map(Core::status_change)
            .collect();
        StatusChanges {
            orders,
            ..Default::default()
        }
    }

    /// One page of the order report: the rows with one of `statuses` (all rows if empty),
    /// from `offset`, at most `limit` of them.
    pub fn report_rows<'a>(
        &'a self,
        statuses: &'a [OrderStatus],
        offset: usize,
        limit: usize,
    ) -> impl Iterator<Item = ReportRow> + 'a {
        (0..self.cores.len())
            .filter(move |&position| {
                statuses.is_empty() || statuses.contains(&self.cores[position].status.model())
            })
            .skip(offset)
            .take(limit)
            .filter_map(|position| Some(self.order_at(position)?.report_row()))
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
        Box::new(
            (0..self.cores.len())
                .filter(move |&position| filter.keeps_status(&self.cores[position].status.model()))
                .filter_map(|position| Some(self.order_at(position)?.report_row()))
                .filter(move |row| filter.keeps(row))
                .skip(offset)
                .take(limit),
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

    /// Where an order sits in the listing.
    fn position(&self, order_id: u64) -> Option<usize> {
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

    /// The full order at a position.
    fn order_at(&self, position: usize) -> Option<Order> {
        let core = *self.cores.get(position)?;
        match position.checked_sub(self.generated) {
            None => Some(generated_order(
                self.seed,
                self.generated - 1 - position,
                core,
            )),
            Some(index) => seed_order(self.seed, index),
        }
    }

    /// The full order with an ID.
    fn order(&self, order_id: u64) -> Option<Order> {
        self.order_at(self.position(order_id)?)
    }
}

#[cfg(test)]
mod tests;
