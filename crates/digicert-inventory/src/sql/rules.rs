//! The inventory's own rules, written once for both stores: the check after the
//! database's own ([`crate::Inventory::check`]).

use super::{Query, Runner};
use crate::check::Soundness;
use crate::error::Error;

/// The inventory's own rules: what breaks one (one row, several rows), and a statement
/// counting the rows that do.
const RULES: [(&str, &str, &str); 4] = [
    (
        "order without its row of when it was last seen",
        "orders without their row of when they were last seen",
        "SELECT COUNT(*) FROM orders AS o WHERE NOT EXISTS (SELECT 1 FROM order_seen AS s \
         WHERE s.account = o.account AND s.order_id = o.order_id)",
    ),
    (
        "row of when an order was last seen without its order",
        "rows of when an order was last seen without their order",
        "SELECT COUNT(*) FROM order_seen AS s WHERE NOT EXISTS (SELECT 1 FROM orders AS o \
         WHERE o.account = s.account AND o.order_id = s.order_id)",
    ),
    (
        "name of an order that is not stored",
        "names of orders that are not stored",
        "SELECT COUNT(*) FROM order_names AS n WHERE NOT EXISTS (SELECT 1 FROM orders AS o \
         WHERE o.account = n.account AND o.order_id = n.order_id)",
    ),
    (
        "order without a status history",
        "orders without a status history",
        "SELECT COUNT(*) FROM orders AS o WHERE NOT EXISTS (SELECT 1 FROM status_history AS h \
         WHERE h.account = o.account AND h.order_id = o.order_id)",
    ),
];

/// Checks the inventory's own rules in `store`, adding what breaks them to `soundness`.
pub(crate) fn check_rules<R: Runner>(store: &R, soundness: &mut Soundness) -> Result<(), Error> {
    soundness.checked(
        "the inventory's rules: every order with its row of when it was last seen and a \
         status history, no such row or name without its order",
    );
    for (one, many, statement) in RULES {
        match store.rows(Query::new(R::DIALECT, statement), |row| row.count(0)) {
            Ok(counts) => {
                let breaking = counts.first().copied().unwrap_or_default();
                if breaking > 0 {
                    let what = if breaking == 1 { one } else { many };
                    soundness.problem(format!("{breaking} {what}"));
                }
            }
            Err(err) => soundness.damage(many, err)?,
        }
    }
    Ok(())
}
