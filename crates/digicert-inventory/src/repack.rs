//! Version 6's migration step ([`Step::PackJson`](crate::migrations::Step)), written once for
//! both stores: every order's JSON, kept as text until then, compressed (`codec.rs`) account
//! by account, each account's dictionary trained on its newest orders, as its first full sync
//! trains it on the report's first pages. It runs inside the migration's transaction.

use std::sync::Arc;

use crate::codec::{self, Packer};
use crate::error::Error;
use crate::sql::{self, Dialect, Row, Value};

/// Called while an inventory of an earlier schema is migrated: how many orders are done, of
/// how many.
pub type MigrationProgress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Orders read and written at a time.
const CHUNK: i64 = 1000;

/// One order's JSON, packed: its id, its report row and its details.
pub(crate) struct PackedJson {
    /// The order.
    pub(crate) order_id: u64,
    /// Its last report row.
    pub(crate) report: Option<Vec<u8>>,
    /// Its last details.
    pub(crate) info: Option<Vec<u8>>,
}

/// How a store keeps packed JSON in place of the text, in its own SQL.
pub(crate) trait PackedWrites: sql::Transaction {
    /// Keeps these orders of `account` with their JSON packed: `report` and `info`, of the
    /// orders table the migration's statements after the step keep.
    fn write_packed(&mut self, account: &str, orders: &[PackedJson]) -> Result<(), Error>;
}

/// An order's id and its JSON as text, from `order_id, report_json, info_json`.
fn text_row(row: &dyn Row) -> Result<(u64, Option<String>, Option<String>), Error> {
    let order_id = row.id(0)?.ok_or_else(|| row.invalid(0, "an order id"))?;
    Ok((order_id, row.text(1)?, row.text(2)?))
}

/// Compresses every order's JSON, reporting each chunk done to `progress`.
pub(crate) fn pack_json(
    transaction: &mut impl PackedWrites,
    dialect: Dialect,
    progress: Option<&MigrationProgress>,
) -> Result<(), Error> {
    let accounts = transaction.query(
        "SELECT account, COUNT(*) FROM orders GROUP BY account ORDER BY account",
        &[],
        &|row| Ok((row.text(0)?.unwrap_or_default(), row.count(1)?)),
    )?;
    let total = accounts.iter().map(|(_, orders)| orders).sum();
    let mut done = 0;
    for (account, _) in &accounts {
        let mut packer = Packer::new();
        let newest = transaction.query(
            "SELECT report_json FROM orders WHERE account = $1 AND report_json IS NOT NULL \
             ORDER BY order_id DESC LIMIT $2",
            &[
                Value::Text(account.clone()),
                Value::Id(i64::try_from(codec::TRAINING_ORDERS).unwrap_or(i64::MAX)),
            ],
            &|row| Ok(row.text(0)?.unwrap_or_default()),
        )?;
        let samples = newest.iter().map(String::as_bytes);
        sql::ready_packer(transaction, dialect, &mut packer, account, samples)?;
        let mut after = -1;
        loop {
            let chunk = transaction.query(
                "SELECT order_id, report_json, info_json FROM orders \
                 WHERE account = $1 AND order_id > $2 ORDER BY order_id LIMIT $3",
                &[
                    Value::Text(account.clone()),
                    Value::Id(after),
                    Value::Id(CHUNK),
                ],
                &text_row,
            )?;
            let Some(&(last, _, _)) = chunk.last() else {
                break;
            };
            let mut pack = |json: Option<String>| {
                json.map(|json| packer.pack(&json))
                    .transpose()
                    .map_err(|err| transaction.error(Box::new(err)))
            };
            let mut packed = Vec::with_capacity(chunk.len());
            for (order_id, report, info) in chunk {
                packed.push(PackedJson {
                    order_id,
                    report: pack(report)?,
                    info: pack(info)?,
                });
            }
            transaction.write_packed(account, &packed)?;
            done += packed.len() as u64;
            if let Some(progress) = progress {
                progress(done, total);
            }
            after = i64::try_from(last).unwrap_or(i64::MAX);
        }
    }
    Ok(())
}
