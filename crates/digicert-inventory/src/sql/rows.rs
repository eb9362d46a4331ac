//! A row of a shared query as what the query returns, written once over [`Row`], which each
//! store implements for its own rows (and its own types: SQLite keeps dates and instants as
//! text, PostgreSQL as dates and timestamps).

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::codec::Unpacker;
use crate::deploy::{CoveringOrder, Deployment, DeploymentState, KnownCertificate, days_until};
use crate::error::Error;
use crate::order::{HistoryEntry, StoredOrder, days_left};
use crate::store::{StatusCount, SyncState};

/// One row of a result, read column by column; each failure names the store.
pub(crate) trait Row {
    /// A text column.
    fn text(&self, index: usize) -> Result<Option<String>, Error>;
    /// An id column (order, certificate).
    fn id(&self, index: usize) -> Result<Option<u64>, Error>;
    /// A count.
    fn count(&self, index: usize) -> Result<u64, Error>;
    /// A date column.
    fn date(&self, index: usize) -> Result<Option<NaiveDate>, Error>;
    /// An instant column.
    fn instant(&self, index: usize) -> Result<Option<DateTime<Utc>>, Error>;
    /// A floating-point column.
    fn float(&self, index: usize) -> Result<Option<f64>, Error>;
    /// A flag column.
    fn flag(&self, index: usize) -> Result<Option<bool>, Error>;
    /// A column of bytes.
    fn bytes(&self, index: usize) -> Result<Option<Vec<u8>>, Error>;
    /// The error for a column that does not hold `what` it should.
    fn invalid(&self, index: usize, what: &str) -> Error;
}

/// A column that may not be empty.
fn required<T>(row: &dyn Row, index: usize, value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| row.invalid(index, "a value"))
}

/// A stored JSON column's text, unpacked ([`Unpacker`]).
fn json_text(row: &dyn Row, index: usize, unpacker: &Unpacker) -> Result<Option<String>, Error> {
    row.bytes(index)?
        .map(|frame| {
            unpacker
                .unpack(&frame)
                .map_err(|err| row.invalid(index, &format!("stored JSON ({err})")))
        })
        .transpose()
}

/// A JSON column, as it was sent.
fn json(row: &dyn Row, index: usize, unpacker: &Unpacker) -> Result<Option<Box<RawValue>>, Error> {
    json_text(row, index, unpacker)?
        .map(|text| RawValue::from_string(text).map_err(|_| row.invalid(index, "JSON")))
        .transpose()
}

/// An order, from the shared query's columns and the two JSON columns after them (NULL in
/// a query that does not read them; `unpacker` reads them back).
pub(crate) fn stored_order(
    row: &dyn Row,
    today: NaiveDate,
    unpacker: &Unpacker,
) -> Result<StoredOrder, Error> {
    let dns_names = required(row, 4, row.text(4)?)?;
    let valid_till = row.date(6)?;
    Ok(StoredOrder {
        account: required(row, 0, row.text(0)?)?,
        order_id: required(row, 1, row.id(1)?)?,
        status: required(row, 2, row.text(2)?)?,
        common_name: row.text(3)?,
        dns_names: serde_json::from_str(&dns_names).map_err(|_| row.invalid(4, "a name list"))?,
        valid_from: row.date(5)?,
        valid_till,
        days_left: days_left(valid_till, today),
        product_name_id: row.text(7)?,
        thumbprint: row.text(8)?,
        serial_number: row.text(9)?,
        organization: row.text(10)?,
        certificate_id: row.id(11)?,
        last_seen: required(row, 12, row.instant(12)?)?,
        report: json(row, 13, unpacker)?,
        info: json(row, 14, unpacker)?,
    })
}

/// A history entry of `order_id`, from `account, status, certificate_id, seen_at`.
pub(crate) fn history_entry(row: &dyn Row, order_id: u64) -> Result<HistoryEntry, Error> {
    Ok(HistoryEntry {
        account: required(row, 0, row.text(0)?)?,
        order_id,
        status: required(row, 1, row.text(1)?)?,
        certificate_id: row.id(2)?,
        seen_at: required(row, 3, row.instant(3)?)?,
    })
}

/// A sync state, from `account, watermark, last_success, last_duration_seconds`.
pub(crate) fn sync_state(row: &dyn Row) -> Result<(String, SyncState), Error> {
    Ok((
        required(row, 0, row.text(0)?)?,
        SyncState {
            watermark: row.instant(1)?,
            last_success: row.instant(2)?,
            last_duration_seconds: row.float(3)?,
        },
    ))
}

/// A status count, from `account, status, count`.
pub(crate) fn status_count(row: &dyn Row) -> Result<StatusCount, Error> {
    Ok(StatusCount {
        account: required(row, 0, row.text(0)?)?,
        status: required(row, 1, row.text(1)?)?,
        count: row.count(2)?,
    })
}

/// A known certificate, from `account, order_id, thumbprint, serial_number, order status,
/// the order's current thumbprint and serial number`.
pub(crate) fn known_certificate(row: &dyn Row) -> Result<KnownCertificate, Error> {
    Ok(KnownCertificate {
        account: required(row, 0, row.text(0)?)?,
        order_id: required(row, 1, row.id(1)?)?,
        thumbprint: required(row, 2, row.text(2)?)?,
        serial_number: row.text(3)?,
        order_status: row.text(4)?.unwrap_or_default(),
        current_thumbprint: row.text(5)?,
        current_serial_number: row.text(6)?,
    })
}

/// The one field of an order's JSON a covering order needs.
#[derive(Deserialize)]
struct Renewal {
    renewed_order_id: Option<u64>,
}

/// A name key and an order covering it, from `name_key, account, order_id, status,
/// thumbprint, serial_number, valid_till, the order's stored JSON` (its details if stored,
/// else its report row).
pub(crate) fn covering_order(
    row: &dyn Row,
    unpacker: &Unpacker,
) -> Result<(String, CoveringOrder), Error> {
    // The order this one renews is read from its JSON (no column holds it); 0 is none.
    let renews = match json_text(row, 7, unpacker)? {
        Some(json) => serde_json::from_str::<Renewal>(&json)
            .map_err(|_| row.invalid(7, "JSON"))?
            .renewed_order_id
            .filter(|order_id| *order_id != 0),
        None => None,
    };
    Ok((
        required(row, 0, row.text(0)?)?,
        CoveringOrder {
            account: required(row, 1, row.text(1)?)?,
            order_id: required(row, 2, row.id(2)?)?,
            status: required(row, 3, row.text(3)?)?,
            thumbprint: row.text(4)?,
            serial_number: row.text(5)?,
            valid_till: row.date(6)?,
            renews,
        },
    ))
}

/// A deployment, from the deployment columns (`account, target, port, address, state,
/// reason, verified, order_id, served_serial_number, served_thumbprint, served_not_after,
/// current_serial_number, current_thumbprint, probed_at, duration_seconds`); days left
/// counted from now.
pub(crate) fn deployment(row: &dyn Row) -> Result<Deployment, Error> {
    let port = required(row, 2, row.id(2)?)?;
    let state = required(row, 4, row.text(4)?)?;
    let served_not_after = row.instant(10)?;
    Ok(Deployment {
        account: row.text(0)?,
        target: required(row, 1, row.text(1)?)?,
        port: u16::try_from(port).map_err(|_| row.invalid(2, "a port"))?,
        address: required(row, 3, row.text(3)?)?,
        state: DeploymentState::from_str(&state)
            .map_err(|_| row.invalid(4, "a deployment state"))?,
        reason: row.text(5)?.unwrap_or_default(),
        verified: row.flag(6)?,
        order_id: row.id(7)?,
        served_serial_number: row.text(8)?,
        served_thumbprint: row.text(9)?,
        served_not_after,
        days_left: served_not_after.map(|until| days_until(until, Utc::now())),
        current_serial_number: row.text(11)?,
        current_thumbprint: row.text(12)?,
        probed_at: required(row, 13, row.instant(13)?)?,
        duration_seconds: row.float(14)?,
    })
}
