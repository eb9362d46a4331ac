//! The accounts an inventory holds, and forgetting one: every row of it deleted in one
//! transaction, over either store.

use super::queries::Runner;
use super::{Query, Transaction, Value};
use crate::error::Error;

/// Every account that holds an order or has finished a sync, in name order. The accounts of
/// the orders are found one index probe each (the least name after the last one found), not
/// by reading every order.
const ACCOUNTS: &str = "WITH RECURSIVE held (account) AS (\
     SELECT MIN(account) FROM orders \
     UNION ALL SELECT (SELECT MIN(account) FROM orders WHERE account > held.account) \
     FROM held WHERE held.account IS NOT NULL) \
     SELECT account FROM held WHERE account IS NOT NULL \
     UNION SELECT account FROM sync_state ORDER BY account";

/// The tables that keep rows of an account, each by its `account` column.
const TABLES: [&str; 10] = [
    "order_names",
    "status_history",
    "order_seen",
    "certificates",
    "certificate_lookups",
    "deployments",
    "deployment_history",
    "sync_state",
    "orders",
    "json_dictionaries",
];

/// Every account that holds an order or has finished a sync, in name order.
pub(crate) fn accounts<R: Runner>(store: &R) -> Result<Vec<String>, Error> {
    let rows = store.rows(Query::new(R::DIALECT, ACCOUNTS), |row| row.text(0))?;
    Ok(rows.into_iter().flatten().collect())
}

/// Deletes every row of `account`: its orders, their names, history and when they were seen,
/// its earlier and looked-up certificates, its deployments and their history, its sync
/// state, and the dictionaries its orders' JSON was compressed with. Returns how many orders
/// it held.
pub(crate) fn forget_account(
    transaction: &mut impl Transaction,
    account: &str,
) -> Result<u64, Error> {
    let account = [Value::Text(account.to_owned())];
    let orders = transaction.query(
        "SELECT COUNT(*) FROM orders WHERE account = $1",
        &account,
        &|row| row.count(0),
    )?;
    for table in TABLES {
        transaction.execute(&format!("DELETE FROM {table} WHERE account = $1"), &account)?;
    }
    Ok(orders.into_iter().sum())
}
