//! A batch carried out in SQLite, in its transaction: the planner reads what the file holds
//! through [`Reads`], and the plan is written a statement per row (SQLite runs in this
//! process: a statement costs a call, not a round trip).

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use super::Writes;
use super::error::store_error;
use super::values::instant;
use crate::codec::{self, CodecError, Frames, Packer};
use crate::error::Error;
use crate::plan::{self, Plan, StoredState};
use crate::record::OrderJson;
use crate::sql::{
    self, Dialect, FINGERPRINTS_BETWEEN, RECORD_COLUMNS, RETIRE_CERTIFICATE, RETIRED_ON_CONFLICT,
    SYNC_FINISH, record_updates,
};
use crate::store::{Applied, Batch, StoredFingerprint, StoredStatus};

/// What the planner reads of one account, on the batch's connection.
pub(super) struct Reads<'c> {
    pub(super) connection: &'c Connection,
    pub(super) account: &'c str,
}

impl StoredState for Reads<'_> {
    type Error = rusqlite::Error;

    fn fingerprints_between(
        &mut self,
        first: u64,
        last: u64,
        limit: usize,
    ) -> rusqlite::Result<Vec<StoredFingerprint>> {
        let mut range = self
            .connection
            .prepare_cached(&Dialect::Sqlite.text(FINGERPRINTS_BETWEEN))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        range
            .query_map(params![self.account, first, last, limit], fingerprint_row)?
            .collect()
    }

    fn fingerprints_of(&mut self, order_ids: &[u64]) -> rusqlite::Result<Vec<StoredFingerprint>> {
        let mut one = self.connection.prepare_cached(
            "SELECT order_id, digest FROM order_seen WHERE account = ?1 AND order_id = ?2",
        )?;
        let mut rows = Vec::with_capacity(order_ids.len());
        for order_id in order_ids {
            rows.extend(
                one.query_row(params![self.account, order_id], fingerprint_row)
                    .optional()?,
            );
        }
        Ok(rows)
    }

    fn statuses_of(&mut self, order_ids: &[u64]) -> rusqlite::Result<HashMap<u64, StoredStatus>> {
        statuses_of(self.connection, self.account, order_ids)
    }
}

/// A fingerprint row, `order_id, digest`.
pub(super) fn fingerprint_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredFingerprint> {
    let digest: Option<Vec<u8>> = row.get(1)?;
    Ok(StoredFingerprint::new(row.get(0)?, digest.as_deref()))
}

/// The stored status and certificate of each of `order_ids` the account holds.
pub(super) fn statuses_of(
    connection: &Connection,
    account: &str,
    order_ids: &[u64],
) -> rusqlite::Result<HashMap<u64, StoredStatus>> {
    let mut select = connection.prepare_cached(
        "SELECT status, certificate_id FROM orders WHERE account = ?1 AND order_id = ?2",
    )?;
    let mut found = HashMap::new();
    for &order_id in order_ids {
        let status = select
            .query_row(params![account, order_id], |row| {
                Ok(StoredStatus {
                    status: row.get(0)?,
                    certificate_id: row.get(1)?,
                })
            })
            .optional()?;
        if let Some(status) = status {
            found.insert(order_id, status);
        }
    }
    Ok(found)
}

/// Plans `batch` and writes the plan, the sync's end with it if the batch carries it; the
/// orders' JSON packed by `packer` (`codec.rs`).
pub(super) fn apply(
    connection: &Connection,
    path: &Path,
    packer: &mut Packer,
    batch: &Batch,
) -> Result<Applied, Error> {
    let db = |err| store_error(path, err);
    let account = batch.account.as_str();
    let plan = plan::plan(
        batch,
        &mut Reads {
            connection,
            account,
        },
    )
    .map_err(db)?;
    if !plan.writes.is_empty() {
        let samples = plan
            .writes
            .iter()
            .map(|write| write.order.json.text().as_bytes());
        sql::ready_packer(
            &mut Writes { connection, path },
            Dialect::Sqlite,
            packer,
            account,
            samples,
        )?;
    }
    let texts = plan.writes.iter().map(|write| write.order.json.text());
    codec::pack_aside(packer, texts, |frames| {
        write_others(connection, batch, &plan).map_err(db)?;
        write_orders(connection, batch, &plan, frames).map_err(|err| match err {
            Written::Sqlite(err) => db(err),
            Written::Packing(err) => Error::Store {
                location: path.display().to_string(),
                source: Box::new(err),
            },
        })
    })?;
    Ok(plan.applied)
}

/// Writes what a batch's plan changes besides the orders: when the orders sent as stored were
/// seen, the certificates the written orders lose, the history and the names.
fn write_others(connection: &Connection, batch: &Batch, plan: &Plan<'_>) -> rusqlite::Result<()> {
    let account = batch.account.as_str();
    let seen_at = instant(batch.seen_at);
    // Sent again exactly as stored: only when each was seen moves, one statement per run;
    // neither its row, its indexes nor its names are read or rewritten.
    let mut seen_run = connection.prepare_cached(
        "UPDATE order_seen SET last_seen = ?1 WHERE account = ?2 AND order_id BETWEEN ?3 AND ?4",
    )?;
    for (first, last) in &plan.seen_runs {
        seen_run.execute(params![seen_at, account, first, last])?;
    }
    // Before the orders are written: the certificates they lose are read from their rows.
    let mut retire = connection.prepare_cached(&format!(
        "{RETIRE_CERTIFICATE} FROM orders AS o WHERE o.account = ?1 AND o.order_id = ?2 \
         AND o.thumbprint IS NOT NULL AND o.thumbprint <> COALESCE(?3, '') {RETIRED_ON_CONFLICT}"
    ))?;
    for replaced in &plan.replaced {
        retire.execute(params![account, replaced.order_id, replaced.thumbprint])?;
    }
    let mut history = connection.prepare_cached(
        "INSERT INTO status_history (account, order_id, status, certificate_id, seen_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for row in &plan.history {
        history.execute(params![
            account,
            row.order_id,
            row.status,
            row.certificate_id,
            seen_at
        ])?;
    }
    let mut forget_names = connection
        .prepare_cached("DELETE FROM order_names WHERE account = ?1 AND order_id = ?2")?;
    for replaced in &plan.replaced {
        forget_names.execute(params![account, replaced.order_id])?;
    }
    let mut add_name = connection.prepare_cached(
        "INSERT INTO order_names (name_key, account, order_id) VALUES (?1, ?2, ?3) \
         ON CONFLICT DO NOTHING",
    )?;
    for (key, order_id) in &plan.names {
        add_name.execute(params![key, account, order_id])?;
    }
    Ok(())
}

/// Why a batch's orders were not written: SQLite failed, or packing their JSON did.
enum Written {
    Sqlite(rusqlite::Error),
    Packing(CodecError),
}

impl From<rusqlite::Error> for Written {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sqlite(err)
    }
}

/// Writes a batch's orders (each with its JSON as the next of `frames`) and when they were
/// seen, and the sync's end if the batch carries it.
fn write_orders(
    connection: &Connection,
    batch: &Batch,
    plan: &Plan<'_>,
    frames: &mut Frames<'_>,
) -> Result<(), Written> {
    let account = batch.account.as_str();
    let seen_at = instant(batch.seen_at);
    let upsert = |json_column: &str| {
        format!(
            "INSERT INTO orders (account, order_id, {RECORD_COLUMNS}, {json_column}) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
             ON CONFLICT (account, order_id) DO UPDATE SET {}, \
             {json_column} = excluded.{json_column}",
            record_updates()
        )
    };
    let mut upsert_report = connection.prepare_cached(&upsert("report"))?;
    let mut upsert_info = connection.prepare_cached(&upsert("info"))?;
    let mut seen = connection.prepare_cached(
        "INSERT INTO order_seen (account, order_id, last_seen, digest) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (account, order_id) DO UPDATE SET last_seen = excluded.last_seen, \
         digest = excluded.digest",
    )?;
    for write in &plan.writes {
        let json = codec::next_frame(frames).map_err(Written::Packing)?;
        let order = write.order;
        let statement = match &order.json {
            OrderJson::Report(_) => &mut upsert_report,
            OrderJson::Info(_) => &mut upsert_info,
        };
        statement.execute(params![
            account,
            order.order_id,
            order.status,
            order.common_name,
            order.dns_names_json(),
            order.valid_from.map(|d| d.to_string()),
            order.valid_till.map(|d| d.to_string()),
            order.product_name_id,
            order.thumbprint,
            order.serial_number,
            order.organization,
            order.certificate_id,
            json,
        ])?;
        seen.execute(params![
            account,
            order.order_id,
            seen_at,
            &write.fingerprint[..]
        ])?;
    }
    if let Some(finish) = &batch.finish {
        connection.execute(
            &Dialect::Sqlite.text(SYNC_FINISH),
            params![
                account,
                instant(finish.watermark),
                seen_at,
                finish.duration_seconds,
                finish.full.then_some(&seen_at)
            ],
        )?;
    }
    Ok(())
}
