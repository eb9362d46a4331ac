//! A batch none of whose orders the database held (every batch of a first sync), written with
//! `COPY ... FROM STDIN (FORMAT binary)`: the rows stream to the server in its own binary
//! form, without statements to parse, arrays to build and unnest, or conflicts to check
//! (BENCHMARKS.md).

use postgres::Transaction;
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::Type;

use super::error::{id, store_error};
use crate::codec::{self, Frames};
use crate::error::Error;
use crate::plan::Plan;
use crate::record::OrderJson;
use crate::store::Batch;

/// A binary `COPY` into `table`'s `columns`, of `types`.
fn copy_in<'t>(
    transaction: &'t mut Transaction<'_>,
    table: &str,
    columns: &str,
    types: &[Type],
    location: &str,
) -> Result<BinaryCopyInWriter<'t>, Error> {
    let sink = transaction
        .copy_in(&format!(
            "COPY {table} ({columns}) FROM STDIN (FORMAT binary)"
        ))
        .map_err(|err| store_error(location, err))?;
    Ok(BinaryCopyInWriter::new(sink, types))
}

/// Writes a plan whose every order is new (`Plan::all_new`): the orders (each with its JSON
/// as the next of `frames`), when they were seen and their fingerprints, their history and
/// their names.
pub(super) fn copy_new(
    transaction: &mut Transaction<'_>,
    batch: &Batch,
    plan: &Plan<'_>,
    frames: &mut Frames<'_>,
    location: &str,
) -> Result<(), Error> {
    let db = |err| store_error(location, err);
    let account = batch.account.as_str();
    let mut orders = copy_in(
        transaction,
        "orders",
        "account, order_id, status, common_name, dns_names, valid_from, valid_till, \
         product_name_id, thumbprint, serial_number, organization, certificate_id, report, info",
        &[
            Type::TEXT,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::DATE,
            Type::DATE,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::TEXT,
            Type::INT8,
            Type::BYTEA,
            Type::BYTEA,
        ],
        location,
    )?;
    for write in &plan.writes {
        let order = write.order;
        let json = codec::next_frame(frames).map_err(|err| store_error(location, err))?;
        let (report, info) = match &order.json {
            OrderJson::Report(_) => (Some(json.as_slice()), None),
            OrderJson::Info(_) => (None, Some(json.as_slice())),
        };
        let certificate_id = order
            .certificate_id
            .map(|value| id(value, location))
            .transpose()?;
        orders
            .write(&[
                &account,
                &id(order.order_id, location)?,
                &order.status,
                &order.common_name,
                &order.dns_names_json(),
                &order.valid_from,
                &order.valid_till,
                &order.product_name_id,
                &order.thumbprint,
                &order.serial_number,
                &order.organization,
                &certificate_id,
                &report,
                &info,
            ])
            .map_err(db)?;
    }
    orders.finish().map_err(db)?;
    let mut seen = copy_in(
        transaction,
        "order_seen",
        "account, order_id, last_seen, digest",
        &[Type::TEXT, Type::INT8, Type::TIMESTAMPTZ, Type::BYTEA],
        location,
    )?;
    for write in &plan.writes {
        let order_id = id(write.order.order_id, location)?;
        let digest = &write.fingerprint[..];
        seen.write(&[&account, &order_id, &batch.seen_at, &digest])
            .map_err(db)?;
    }
    seen.finish().map_err(db)?;
    let mut history = copy_in(
        transaction,
        "status_history",
        "account, order_id, status, certificate_id, seen_at",
        &[
            Type::TEXT,
            Type::INT8,
            Type::TEXT,
            Type::INT8,
            Type::TIMESTAMPTZ,
        ],
        location,
    )?;
    for row in &plan.history {
        let certificate_id = row
            .certificate_id
            .map(|value| id(value, location))
            .transpose()?;
        let order_id = id(row.order_id, location)?;
        history
            .write(&[
                &account,
                &order_id,
                &row.status,
                &certificate_id,
                &batch.seen_at,
            ])
            .map_err(db)?;
    }
    history.finish().map_err(db)?;
    // A plan lists each written order's keys once, and writes each order once.
    let mut names = copy_in(
        transaction,
        "order_names",
        "name_key, account, order_id",
        &[Type::TEXT, Type::TEXT, Type::INT8],
        location,
    )?;
    for (key, order_id) in &plan.names {
        names
            .write(&[key, &account, &id(*order_id, location)?])
            .map_err(db)?;
    }
    names.finish().map_err(db)?;
    Ok(())
}
