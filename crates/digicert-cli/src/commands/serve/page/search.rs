//! `/search?q=`: what `digicert inventory find` answers (a name, a wildcard, an order id, a
//! thumbprint or serial number in any spelling), as a table of orders linking to each.

use chrono::NaiveDate;
use digicert_inventory::StoredOrder;

use super::overview::{day_cell, days_cell, order_cell};
use super::table::{Cell, Kind, Params, Spec, Table};
use super::{order_href, search_href};

const RESULTS: Spec = Spec {
    id: "results",
    columns: &[
        ("Order", Kind::Number),
        ("Account", Kind::Text),
        ("Status", Kind::Text),
        ("Common name", Kind::Text),
        ("Other names", Kind::Text),
        ("Expires", Kind::Number),
        ("Days left", Kind::Number),
        ("Thumbprint", Kind::Text),
    ],
    // Newest order first, as `find` lists them.
    sort: (0, true),
    empty: "No order matches.",
};

/// Names shown per order in the results; the order page has them all.
const NAMES_SHOWN: usize = 3;

/// The orders found, as a table.
pub fn results(orders: &[StoredOrder], today: NaiveDate, params: &Params) -> Table {
    let rows = orders
        .iter()
        .map(|order| {
            let mut names = order
                .dns_names
                .iter()
                .filter(|name| Some(*name) != order.common_name.as_ref())
                .take(NAMES_SHOWN + 1)
                .cloned()
                .collect::<Vec<_>>();
            if names.len() > NAMES_SHOWN {
                names.truncate(NAMES_SHOWN);
                names.push("…".to_owned());
            }
            let thumbprint = order.thumbprint.clone().unwrap_or_default();
            let thumbprint_cell = if thumbprint.is_empty() {
                Cell::text("")
            } else {
                Cell::text(thumbprint.clone()).link(search_href(&thumbprint))
            };
            vec![
                order_cell(Some(&order.account), Some(order.order_id)),
                Cell::text(order.account.clone()),
                Cell::text(order.status.clone()),
                Cell::text(order.common_name.clone().unwrap_or_default())
                    .link(order_href(&order.account, order.order_id)),
                Cell::text(names.join(", ")),
                day_cell(order.valid_till),
                days_cell(order.valid_till, today),
                thumbprint_cell,
            ]
        })
        .collect();
    Table::new(RESULTS, rows, params)
}
