//! A batch carried out in PostgreSQL, in one transaction: the planner reads what the database
//! holds through [`Reads`] (a statement for each read, not one per order), and each part of
//! the plan is one statement over arrays (`UNNEST`), so a batch costs a few round trips.

use std::collections::HashMap;

use chrono::NaiveDate;
use postgres::{GenericClient, Transaction};

use super::Writes;
use super::error::{id, store_error, unsigned};
use super::lock;
use crate::codec::{self, Packer};
use crate::error::Error;
use crate::plan::{self, Plan, StoredState};
use crate::record::{OrderJson, OrderRecord};
use crate::sql::{
    self, Dialect, FINGERPRINTS_BETWEEN, RECORD_COLUMNS, RETIRE_CERTIFICATE, RETIRED_ON_CONFLICT,
    SYNC_FINISH, record_updates,
};
use crate::store::{Applied, Batch, StoredFingerprint, StoredStatus};

/// What the planner reads of one account, in the batch's transaction.
struct Reads<'t, 'c> {
    transaction: &'t mut Transaction<'c>,
    account: &'t str,
    location: &'t str,
}

impl StoredState for Reads<'_, '_> {
    type Error = Error;

    fn fingerprints_between(
        &mut self,
        first: u64,
        last: u64,
        limit: usize,
    ) -> Result<Vec<StoredFingerprint>, Error> {
        let (first, last) = (id(first, self.location)?, id(last, self.location)?);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .transaction
            .query(
                FINGERPRINTS_BETWEEN,
                &[&self.account, &first, &last, &limit],
            )
            .map_err(|err| store_error(self.location, err))?;
        fingerprint_rows(&rows, self.location)
    }

    fn fingerprints_of(&mut self, order_ids: &[u64]) -> Result<Vec<StoredFingerprint>, Error> {
        let ids = ids(order_ids, self.location)?;
        let rows = self
            .transaction
            .query(
                "SELECT order_id, digest FROM order_seen \
                 WHERE account = $1 AND order_id = ANY($2) ORDER BY order_id",
                &[&self.account, &ids],
            )
            .map_err(|err| store_error(self.location, err))?;
        fingerprint_rows(&rows, self.location)
    }

    fn statuses_of(&mut self, order_ids: &[u64]) -> Result<HashMap<u64, StoredStatus>, Error> {
        statuses_of(self.transaction, self.account, order_ids, self.location)
    }
}

/// Order ids as `BIGINT`s.
fn ids(order_ids: &[u64], location: &str) -> Result<Vec<i64>, Error> {
    order_ids
        .iter()
        .map(|&order_id| id(order_id, location))
        .collect()
}

/// Fingerprint rows, `order_id, digest`.
pub(super) fn fingerprint_rows(
    rows: &[postgres::Row],
    location: &str,
) -> Result<Vec<StoredFingerprint>, Error> {
    let db = |err| store_error(location, err);
    rows.iter()
        .map(|row| {
            let order_id = unsigned(row.try_get(0).map_err(db)?, location)?;
            let digest: Option<&[u8]> = row.try_get(1).map_err(db)?;
            Ok(StoredFingerprint::new(order_id, digest))
        })
        .collect()
}

/// The stored status and certificate of each of `order_ids` the account holds.
pub(super) fn statuses_of(
    client: &mut impl GenericClient,
    account: &str,
    order_ids: &[u64],
    location: &str,
) -> Result<HashMap<u64, StoredStatus>, Error> {
    if order_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let db = |err| store_error(location, err);
    let rows = client
        .query(
            "SELECT order_id, status, certificate_id FROM orders \
             WHERE account = $1 AND order_id = ANY($2)",
            &[&account, &ids(order_ids, location)?],
        )
        .map_err(db)?;
    let mut found = HashMap::new();
    for row in rows {
        let certificate_id: Option<i64> = row.try_get(2).map_err(db)?;
        found.insert(
            unsigned(row.try_get(0).map_err(db)?, location)?,
            StoredStatus {
                status: row.try_get(1).map_err(db)?,
                certificate_id: certificate_id
                    .map(|value| unsigned(value, location))
                    .transpose()?,
            },
        );
    }
    Ok(found)
}

/// Plans `batch` and writes the plan in one transaction, with the sync's end if the batch
/// carries it; the orders' JSON packed by `packer` (`codec.rs`); fenced ([`lock::fence`])
/// when server process `holder` took the account's sync lock for it.
pub(super) fn apply(
    client: &mut postgres::Client,
    location: &str,
    packer: &mut Packer,
    batch: &Batch,
    holder: Option<i32>,
) -> Result<Applied, Error> {
    let db = |err| store_error(location, err);
    let account = batch.account.as_str();
    let mut transaction = client.transaction().map_err(db)?;
    if let Some(holder) = holder {
        lock::fence(&mut transaction, account, holder, location)?;
    }
    let plan = plan::plan(
        batch,
        &mut Reads {
            transaction: &mut transaction,
            account,
            location,
        },
    )?;
    mark_seen(&mut transaction, batch, &plan, location)?;
    if !plan.writes.is_empty() {
        let samples = plan
            .writes
            .iter()
            .map(|write| write.order.json.text().as_bytes());
        let mut writes = Writes {
            transaction: &mut transaction,
            location,
        };
        sql::ready_packer(&mut writes, Dialect::Postgres, packer, account, samples)?;
        // A first sync's batch streams its orders to the server while their JSON is packed.
        let texts = plan.writes.iter().map(|write| write.order.json.text());
        codec::pack_aside(packer, texts, |frames| {
            if plan.all_new() {
                super::copy::copy_new(&mut transaction, batch, &plan, frames, location)
            } else {
                let packed = frames
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|err| store_error(location, err))?;
                write(&mut transaction, batch, &plan, &packed, location)
            }
        })?;
    }
    if let Some(finish) = &batch.finish {
        transaction
            .execute(
                SYNC_FINISH,
                &[
                    &account,
                    &finish.watermark,
                    &batch.seen_at,
                    &finish.duration_seconds,
                    &finish.full.then_some(batch.seen_at),
                ],
            )
            .map_err(db)?;
    }
    transaction.commit().map_err(db)?;
    Ok(plan.applied)
}

/// Marks the runs of orders sent as stored seen: one statement for all of them.
fn mark_seen(
    transaction: &mut Transaction<'_>,
    batch: &Batch,
    plan: &Plan<'_>,
    location: &str,
) -> Result<(), Error> {
    if plan.seen_runs.is_empty() {
        return Ok(());
    }
    let mut firsts = Vec::with_capacity(plan.seen_runs.len());
    let mut lasts = Vec::with_capacity(plan.seen_runs.len());
    for &(first, last) in &plan.seen_runs {
        firsts.push(id(first, location)?);
        lasts.push(id(last, location)?);
    }
    transaction
        .execute(
            "UPDATE order_seen SET last_seen = $2 \
             FROM UNNEST($3::bigint[], $4::bigint[]) AS run(first, last) \
             WHERE account = $1 AND order_id BETWEEN run.first AND run.last",
            &[&batch.account, &batch.seen_at, &firsts, &lasts],
        )
        .map_err(|err| store_error(location, err))?;
    Ok(())
}

/// Writes the plan's orders (each with its JSON as `packed`), their fingerprints, history
/// and names: a statement for each. Orders none of which was stored before (every one, in a
/// first sync) are inserted without the conflict check an upsert makes first.
fn write(
    transaction: &mut Transaction<'_>,
    batch: &Batch,
    plan: &Plan<'_>,
    packed: &[Vec<u8>],
    location: &str,
) -> Result<(), Error> {
    let db = |err| store_error(location, err);
    let account = &batch.account;
    let on_conflict = |update: &str| {
        if plan.all_new() {
            String::new()
        } else {
            update.to_owned()
        }
    };
    if !plan.replaced.is_empty() {
        // Before the orders are written: the certificates they lose are read from their rows.
        let mut order_ids = Vec::with_capacity(plan.replaced.len());
        let mut thumbprints = Vec::with_capacity(plan.replaced.len());
        for replaced in &plan.replaced {
            order_ids.push(id(replaced.order_id, location)?);
            thumbprints.push(replaced.thumbprint);
        }
        transaction
            .execute(
                &format!(
                    "{RETIRE_CERTIFICATE} FROM orders AS o \
                     JOIN UNNEST($2::bigint[], $3::text[]) AS n(order_id, thumbprint) \
                     ON o.order_id = n.order_id WHERE o.account = $1 \
                     AND o.thumbprint IS NOT NULL \
                     AND o.thumbprint IS DISTINCT FROM n.thumbprint {RETIRED_ON_CONFLICT}"
                ),
                &[account, &order_ids, &thumbprints],
            )
            .map_err(db)?;
    }
    let mut orders = Columns::default();
    let mut fingerprints: Vec<&[u8]> = Vec::with_capacity(plan.writes.len());
    for (write, json) in plan.writes.iter().zip(packed) {
        orders.push(write.order, json, location)?;
        fingerprints.push(&write.fingerprint);
    }
    transaction
        .execute(
            &format!(
                "INSERT INTO order_seen (account, order_id, last_seen, digest) \
                 SELECT $1::text, t.order_id, $2::timestamptz, t.digest \
                 FROM UNNEST($3::bigint[], $4::bytea[]) AS t(order_id, digest) {}",
                on_conflict(
                    "ON CONFLICT (account, order_id) DO UPDATE SET \
                     last_seen = EXCLUDED.last_seen, digest = EXCLUDED.digest"
                )
            ),
            &[account, &batch.seen_at, &orders.order_ids, &fingerprints],
        )
        .map_err(db)?;
    // The arrays follow `RECORD_COLUMNS`, between the order id and the JSON.
    let insert = format!(
        "INSERT INTO orders (order_id, {RECORD_COLUMNS}, report, info, account) \
         SELECT t.*, $14::text FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], \
         $5::date[], $6::date[], $7::text[], $8::text[], $9::text[], $10::text[], \
         $11::bigint[], $12::bytea[], $13::bytea[]) AS t {}",
        on_conflict(&format!(
            "ON CONFLICT (account, order_id) DO UPDATE SET {}, \
             report = COALESCE(EXCLUDED.report, orders.report), \
             info = COALESCE(EXCLUDED.info, orders.info)",
            record_updates()
        ))
    );
    transaction
        .execute(
            &insert,
            &[
                &orders.order_ids,
                &orders.statuses,
                &orders.common_names,
                &orders.dns_names,
                &orders.valid_from,
                &orders.valid_till,
                &orders.product_name_ids,
                &orders.thumbprints,
                &orders.serial_numbers,
                &orders.organizations,
                &orders.certificate_ids,
                &orders.reports,
                &orders.infos,
                account,
            ],
        )
        .map_err(db)?;
    if !plan.history.is_empty() {
        let mut order_ids = Vec::with_capacity(plan.history.len());
        let mut statuses = Vec::with_capacity(plan.history.len());
        let mut certificate_ids = Vec::with_capacity(plan.history.len());
        for row in &plan.history {
            order_ids.push(id(row.order_id, location)?);
            statuses.push(row.status);
            certificate_ids.push(
                row.certificate_id
                    .map(|value| id(value, location))
                    .transpose()?,
            );
        }
        transaction
            .execute(
                "INSERT INTO status_history (order_id, status, certificate_id, seen_at, account) \
                 SELECT t.*, $4::timestamptz, $5::text \
                 FROM UNNEST($1::bigint[], $2::text[], $3::bigint[]) AS t",
                &[
                    &order_ids,
                    &statuses,
                    &certificate_ids,
                    &batch.seen_at,
                    account,
                ],
            )
            .map_err(db)?;
    }
    if !plan.replaced.is_empty() {
        let replaced: Vec<u64> = plan.replaced.iter().map(|order| order.order_id).collect();
        transaction
            .execute(
                "DELETE FROM order_names WHERE account = $1 AND order_id = ANY($2)",
                &[account, &ids(&replaced, location)?],
            )
            .map_err(db)?;
    }
    if !plan.names.is_empty() {
        let mut keys = Vec::with_capacity(plan.names.len());
        let mut order_ids = Vec::with_capacity(plan.names.len());
        for (key, order_id) in &plan.names {
            keys.push(key.as_str());
            order_ids.push(id(*order_id, location)?);
        }
        transaction
            .execute(
                &format!(
                    "INSERT INTO order_names (name_key, order_id, account) \
                     SELECT t.*, $3::text FROM UNNEST($1::text[], $2::bigint[]) AS t {}",
                    on_conflict("ON CONFLICT DO NOTHING")
                ),
                &[&keys, &order_ids, account],
            )
            .map_err(db)?;
    }
    Ok(())
}

/// Orders, as columns (arrays for `UNNEST`).
#[derive(Default)]
struct Columns<'a> {
    order_ids: Vec<i64>,
    statuses: Vec<&'a str>,
    common_names: Vec<Option<&'a str>>,
    dns_names: Vec<String>,
    valid_from: Vec<Option<NaiveDate>>,
    valid_till: Vec<Option<NaiveDate>>,
    product_name_ids: Vec<Option<&'a str>>,
    thumbprints: Vec<Option<&'a str>>,
    serial_numbers: Vec<Option<&'a str>>,
    organizations: Vec<Option<&'a str>>,
    certificate_ids: Vec<Option<i64>>,
    reports: Vec<Option<&'a [u8]>>,
    infos: Vec<Option<&'a [u8]>>,
}

impl<'a> Columns<'a> {
    /// An order, with its JSON as stored.
    fn push(
        &mut self,
        order: &'a OrderRecord,
        json: &'a [u8],
        location: &str,
    ) -> Result<(), Error> {
        self.order_ids.push(id(order.order_id, location)?);
        self.statuses.push(&order.status);
        self.common_names.push(order.common_name.as_deref());
        self.dns_names.push(order.dns_names_json());
        self.valid_from.push(order.valid_from);
        self.valid_till.push(order.valid_till);
        self.product_name_ids.push(order.product_name_id.as_deref());
        self.thumbprints.push(order.thumbprint.as_deref());
        self.serial_numbers.push(order.serial_number.as_deref());
        self.organizations.push(order.organization.as_deref());
        self.certificate_ids.push(
            order
                .certificate_id
                .map(|value| id(value, location))
                .transpose()?,
        );
        let (report, info) = match &order.json {
            OrderJson::Report(_) => (Some(json), None),
            OrderJson::Info(_) => (None, Some(json)),
        };
        self.reports.push(report);
        self.infos.push(info);
        Ok(())
    }
}
