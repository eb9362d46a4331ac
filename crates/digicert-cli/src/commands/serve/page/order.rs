//! `/orders/{account}/{id}`: one order, a URL to paste into a ticket: its fields, names,
//! certificates (the current one, and the earlier ones its status history names), status
//! history, and where the deployment probe saw its certificates served.

use chrono::NaiveDate;
use digicert_inventory::{Deployment, HistoryEntry, StoredOrder};

use super::overview::{ENDPOINT_COLUMNS, endpoint_row, time_cell};
use super::table::{Cell, Kind, Params, Spec, Table};
use super::tone::{self, Tone};
use super::{name_href, search_href};
use crate::store::Inventory;

/// What the order page shows, read at once.
#[derive(Debug)]
pub struct Reading {
    order: StoredOrder,
    history: Vec<HistoryEntry>,
    deployments: Vec<Deployment>,
}

/// The order `id` of `account`, with its history and deployments; none if the inventory
/// (of the served accounts) does not hold it.
pub fn read(
    inventory: &Inventory,
    account: &str,
    id: u64,
) -> Result<Option<Reading>, digicert_inventory::Error> {
    let Some(order) = inventory
        .find(&id.to_string())?
        .into_iter()
        .find(|order| order.account == account && order.order_id == id)
    else {
        return Ok(None);
    };
    let mut history = inventory.history(id)?;
    history.retain(|entry| entry.account == account);
    let mut deployments = inventory.deployment_history(id)?;
    deployments.retain(|deployment| deployment.account.as_deref() == Some(account));
    Ok(Some(Reading {
        order,
        history,
        deployments,
    }))
}

/// One line of the order's fields.
#[derive(Debug)]
pub struct Field {
    /// Its name.
    pub label: &'static str,
    /// Its value.
    pub value: String,
    /// Where it links (a search for it).
    pub href: Option<String>,
    /// Its colour, for days left.
    pub tone: Option<Tone>,
}

impl Field {
    fn new(label: &'static str, value: impl Into<String>) -> Self {
        Self {
            label,
            value: value.into(),
            href: None,
            tone: None,
        }
    }

    fn searchable(label: &'static str, value: Option<&String>) -> Self {
        let value = value.cloned().unwrap_or_default();
        Self {
            href: name_href(&value),
            ..Self::new(label, value)
        }
    }
}

const CERTIFICATES: Spec = Spec {
    id: "certificates",
    columns: &[
        ("Certificate id", Kind::Number),
        ("Which", Kind::Text),
        ("First seen", Kind::Number),
        ("Thumbprint", Kind::Text),
        ("Serial number", Kind::Text),
    ],
    sort: (2, true),
    empty: "No certificate yet.",
};

const HISTORY: Spec = Spec {
    id: "history",
    columns: &[
        ("Seen", Kind::Number),
        ("Status", Kind::Text),
        ("Certificate id", Kind::Number),
    ],
    sort: (0, false),
    empty: "No status seen yet.",
};

const DEPLOYMENTS: Spec = Spec {
    id: "deployments",
    columns: ENDPOINT_COLUMNS,
    // The latest probe first.
    sort: (6, true),
    empty: "The deployment probe has not seen this order's certificates served.",
};

/// The order page's parts, for its template.
#[derive(Debug)]
pub struct OrderView {
    /// The account.
    pub account: String,
    /// The order id.
    pub order_id: u64,
    /// Its common name.
    pub common_name: String,
    /// Its fields.
    pub fields: Vec<Field>,
    /// Every name on it.
    pub names: Vec<(Option<String>, String)>,
    /// Its certificates.
    pub certificates: Table,
    /// Its status history.
    pub history: Table,
    /// Where its certificates were seen served.
    pub deployments: Table,
}

impl OrderView {
    /// The view of a reading, its tables as the query sorts and filters them.
    pub fn new(reading: &Reading, today: NaiveDate, params: &Params) -> Self {
        let order = &reading.order;
        let (days, tone) = match order.valid_till {
            Some(till) => {
                let (text, tone) = tone::days_left((till - today).num_days());
                (text, Some(tone))
            }
            None => (String::new(), None),
        };
        let day = |day: Option<NaiveDate>| day.map(|d| d.to_string()).unwrap_or_default();
        let fields = vec![
            Field::new("Status", order.status.clone()),
            Field::searchable("Common name", order.common_name.as_ref()),
            Field::new("Valid from", day(order.valid_from)),
            Field::new("Valid till", day(order.valid_till)),
            Field {
                tone,
                ..Field::new("Days left", days)
            },
            Field::new("Product", order.product_name_id.clone().unwrap_or_default()),
            Field::new(
                "Organization",
                order.organization.clone().unwrap_or_default(),
            ),
            Field::new(
                "Certificate id",
                order
                    .certificate_id
                    .map(|id| id.to_string())
                    .unwrap_or_default(),
            ),
            Field::searchable("Thumbprint", order.thumbprint.as_ref()),
            Field::searchable("Serial number", order.serial_number.as_ref()),
            Field::new("Last seen by a sync", super::when(order.last_seen)),
        ];
        let mut names: Vec<String> = order
            .common_name
            .iter()
            .chain(&order.dns_names)
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        let history = reading
            .history
            .iter()
            .map(|entry| {
                vec![
                    time_cell(Some(entry.seen_at)),
                    Cell::text(entry.status.clone()),
                    id_cell(entry.certificate_id),
                ]
            })
            .collect();
        Self {
            account: order.account.clone(),
            order_id: order.order_id,
            common_name: order.common_name.clone().unwrap_or_default(),
            fields,
            names: names
                .into_iter()
                .map(|name| (name_href(&name), name))
                .collect(),
            certificates: Table::new(CERTIFICATES, certificates(reading), params),
            history: Table::new(HISTORY, history, params),
            deployments: Table::new(
                DEPLOYMENTS,
                reading.deployments.iter().map(endpoint_row).collect(),
                params,
            ),
        }
    }
}

/// The current certificate, and each earlier one the history names (by id, first seen).
fn certificates(reading: &Reading) -> Vec<Vec<Cell>> {
    let order = &reading.order;
    let mut seen: Vec<(u64, chrono::DateTime<chrono::Utc>)> = Vec::new();
    for entry in &reading.history {
        if let Some(id) = entry.certificate_id
            && !seen.iter().any(|(known, _)| *known == id)
        {
            seen.push((id, entry.seen_at));
        }
    }
    if let Some(current) = order.certificate_id
        && !seen.iter().any(|(known, _)| *known == current)
    {
        seen.push((current, order.last_seen));
    }
    seen.into_iter()
        .map(|(id, first)| {
            let current = Some(id) == order.certificate_id;
            let hex = |value: &Option<String>| match value {
                Some(value) if current => Cell::text(value.clone()).link(search_href(value)),
                _ => Cell::text(""),
            };
            vec![
                id_cell(Some(id)),
                if current {
                    Cell::text("current").tone(Tone::Good)
                } else {
                    Cell::text("earlier")
                },
                time_cell(Some(first)),
                hex(&order.thumbprint),
                hex(&order.serial_number),
            ]
        })
        .collect()
}

fn id_cell(id: Option<u64>) -> Cell {
    match id {
        Some(id) => Cell::number(id.to_string(), i64::try_from(id).unwrap_or(i64::MAX)),
        None => Cell::number("", 0),
    }
}
