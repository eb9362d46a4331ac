//! `/`: the accounts and their last sync, the endpoints the deployment probe found failing,
//! unknown or stale, the certificates expiring soon, and the orders by status.
//!
//! What it reads changes only with a sync or a probe run, so it is read once for a few
//! seconds (per `days` asked) and every request in between renders from that.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use digicert_inventory::{
    Deployment, DeploymentFilter, DeploymentState, StatusCount, StoredOrder, SyncState,
};

use super::table::{Cell, Kind, Params, Spec, Table};
use super::tone::{self, Tone};
use super::{order_href, when};
use crate::commands::serve::Shared;
use crate::store::Inventory;

/// Days ahead unless asked.
pub const DEFAULT_DAYS: u32 = 30;
/// The most days ahead one may ask.
pub const MAX_DAYS: u32 = 3650;
/// Expired certificates are listed this many days back.
const EXPIRED_DAYS: u64 = 30;
/// How long a reading serves (a sync since makes a new one at once; a probe run shows
/// within this time).
const FRESH: Duration = Duration::from_secs(30);
/// Readings kept (one per `days` asked).
const KEPT: usize = 8;

/// What the overview shows, read at once.
#[derive(Debug)]
pub struct Reading {
    states: Vec<(String, SyncState)>,
    statuses: Vec<StatusCount>,
    expiring: Vec<StoredOrder>,
    attention: Vec<Deployment>,
    current_endpoints: usize,
    today: NaiveDate,
    /// The page of this reading as it is first shown (no table sorted or filtered), made by
    /// the first request that asks for it and served as is to the others.
    pub plain: OnceLock<Result<Bytes, String>>,
}

/// A reading kept: for how many days ahead, when it was made, after which syncs (each
/// account's last success).
type Kept = (u32, Instant, Vec<Option<DateTime<Utc>>>, Arc<Reading>);

/// The readings made lately, by days ahead, with the syncs they were made after.
#[derive(Debug, Default)]
pub struct Readings(Mutex<Vec<Kept>>);

impl Readings {
    /// The reading for `days`: a recent one made after the same syncs, or a new one.
    pub fn get(
        &self,
        shared: &Shared,
        inventory: &Inventory,
        days: u32,
    ) -> Result<Arc<Reading>, digicert_inventory::Error> {
        let states = shared.sync_states(inventory)?;
        let synced: Vec<_> = states.iter().map(|(_, state)| state.last_success).collect();
        // Held while a reading is made: the requests meanwhile wait for it.
        let mut readings = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, _, _, reading)) = readings
            .iter()
            .find(|(d, made, after, _)| *d == days && made.elapsed() < FRESH && *after == synced)
        {
            return Ok(Arc::clone(reading));
        }
        let reading = Arc::new(read(inventory, states, days)?);
        readings.retain(|(d, made, _, _)| *d != days && made.elapsed() < FRESH);
        if readings.len() >= KEPT {
            readings.remove(0);
        }
        readings.push((days, Instant::now(), synced, Arc::clone(&reading)));
        Ok(reading)
    }
}

fn read(
    inventory: &Inventory,
    states: Vec<(String, SyncState)>,
    days: u32,
) -> Result<Reading, digicert_inventory::Error> {
    let today = Utc::now().date_naive();
    let from = today
        .checked_sub_days(Days::new(EXPIRED_DAYS))
        .unwrap_or(today);
    let expiring =
        inventory.expiring_from(from, days.saturating_add(EXPIRED_DAYS as u32), false)?;
    let failing: Vec<DeploymentState> = DeploymentState::ALL
        .into_iter()
        .filter(|state| *state != DeploymentState::Current)
        .collect();
    let attention = inventory.deployments(&DeploymentFilter {
        states: failing,
        ..DeploymentFilter::default()
    })?;
    let current_endpoints = inventory
        .deployments(&DeploymentFilter {
            states: vec![DeploymentState::Current],
            ..DeploymentFilter::default()
        })?
        .len();
    Ok(Reading {
        states,
        statuses: inventory.status_counts()?,
        expiring,
        attention,
        current_endpoints,
        today,
        plain: OnceLock::new(),
    })
}

const ACCOUNTS: Spec = Spec {
    id: "accounts",
    columns: &[
        ("Account", Kind::Text),
        ("Orders", Kind::Number),
        ("Last sync", Kind::Number),
        ("Sync", Kind::Text),
        ("Took", Kind::Number),
    ],
    sort: (0, false),
    empty: "No account is served.",
};

/// The columns of an endpoint's row ([`endpoint_row`]); the order page shows them too.
pub const ENDPOINT_COLUMNS: &[(&str, Kind)] = &[
    ("State", Kind::Number),
    ("Endpoint", Kind::Text),
    ("Address", Kind::Text),
    ("Why", Kind::Text),
    ("Order", Kind::Number),
    ("Served until", Kind::Number),
    ("Probed", Kind::Number),
];

const ENDPOINTS: Spec = Spec {
    id: "endpoints",
    columns: ENDPOINT_COLUMNS,
    sort: (0, false),
    empty: "No endpoint is failing, unknown or stale.",
};

const EXPIRING: Spec = Spec {
    id: "expiring",
    columns: &[
        ("Days left", Kind::Number),
        ("Common name", Kind::Text),
        ("Account", Kind::Text),
        ("Order", Kind::Number),
        ("Expires", Kind::Number),
        ("Product", Kind::Text),
        ("Organization", Kind::Text),
    ],
    sort: (0, false),
    empty: "No certificate expires in this window.",
};

const STATUSES: Spec = Spec {
    id: "statuses",
    columns: &[
        ("Account", Kind::Text),
        ("Status", Kind::Text),
        ("Orders", Kind::Number),
    ],
    sort: (2, true),
    empty: "The inventory holds no order yet.",
};

/// The overview's tables and figures, for its template.
#[derive(Debug)]
pub struct Overview {
    /// Days ahead shown.
    pub days: u32,
    /// Accounts and syncs.
    pub accounts: Table,
    /// Accounts whose last sync is stale (or that never synced).
    pub stale: usize,
    /// Endpoints failing, unknown or stale.
    pub endpoints: Table,
    /// Endpoints serving their order's current certificate.
    pub current_endpoints: usize,
    /// Certificates expiring in the window.
    pub expiring: Table,
    /// Orders by account and status.
    pub statuses: Table,
    /// Orders in all.
    pub orders: u64,
}

impl Overview {
    /// The tables of a reading, as the query sorts and filters them.
    pub fn new(reading: &Reading, days: u32, interval: Duration, params: &Params) -> Self {
        let now = Utc::now();
        let mut orders_by_account: BTreeMap<&str, u64> = BTreeMap::new();
        for count in &reading.statuses {
            *orders_by_account.entry(&count.account).or_default() += count.count;
        }
        let mut stale = 0;
        let accounts = reading
            .states
            .iter()
            .map(|(account, state)| {
                let healthy = super::super::health::healthy(state, interval, now);
                stale += usize::from(!healthy);
                let sync = match (state.last_success, healthy) {
                    (None, _) => Cell::number("never synced", 0).tone(Tone::Bad),
                    (Some(_), false) => Cell::text("stale: over two intervals old").tone(Tone::Bad),
                    (Some(_), true) => Cell::text("current").tone(Tone::Good),
                };
                let orders = orders_by_account
                    .get(account.as_str())
                    .copied()
                    .unwrap_or(0);
                vec![
                    Cell::text(account.clone()),
                    Cell::number(
                        orders.to_string(),
                        i64::try_from(orders).unwrap_or(i64::MAX),
                    ),
                    time_cell(state.last_success),
                    sync,
                    match state.last_duration_seconds {
                        Some(seconds) => {
                            Cell::number(format!("{seconds:.1} s"), (seconds * 1000.0) as i64)
                        }
                        None => Cell::text(""),
                    },
                ]
            })
            .collect();
        let endpoints = reading.attention.iter().map(endpoint_row).collect();
        let until = reading.today.checked_add_days(Days::new(u64::from(days)));
        let expiring = reading
            .expiring
            .iter()
            .filter(|order| order.valid_till.is_some_and(|till| Some(till) <= until))
            .map(|order| expiring_row(order, reading.today))
            .collect();
        let statuses = reading
            .statuses
            .iter()
            .map(|count| {
                vec![
                    Cell::text(count.account.clone()),
                    Cell::text(count.status.clone()),
                    Cell::number(
                        count.count.to_string(),
                        i64::try_from(count.count).unwrap_or(i64::MAX),
                    ),
                ]
            })
            .collect();
        Self {
            days,
            accounts: Table::new(ACCOUNTS, accounts, params),
            stale,
            endpoints: Table::new(ENDPOINTS, endpoints, params),
            current_endpoints: reading.current_endpoints,
            expiring: Table::new(EXPIRING, expiring, params),
            statuses: Table::new(STATUSES, statuses, params),
            orders: orders_by_account.values().sum(),
        }
    }
}

/// A time, sortable; empty when there is none.
pub fn time_cell(at: Option<DateTime<Utc>>) -> Cell {
    match at {
        Some(at) => Cell::number(when(at), at.timestamp()),
        None => Cell::number("", 0),
    }
}

/// A day, sortable.
pub fn day_cell(day: Option<NaiveDate>) -> Cell {
    match day {
        Some(day) => Cell::number(day.to_string(), i64::from(day.num_days_from_ce())),
        None => Cell::number("", 0),
    }
}

/// Days left until `till`, in words and banded.
pub fn days_cell(till: Option<NaiveDate>, today: NaiveDate) -> Cell {
    match till {
        Some(till) => {
            let days = (till - today).num_days();
            let (text, tone) = tone::days_left(days);
            Cell::number(text, days).tone(tone)
        }
        None => Cell::number("", i64::MAX),
    }
}

/// A link to an order, by its id.
pub fn order_cell(account: Option<&str>, order_id: Option<u64>) -> Cell {
    let Some(id) = order_id else {
        return Cell::number("", 0);
    };
    let cell = Cell::number(id.to_string(), i64::try_from(id).unwrap_or(i64::MAX));
    match account {
        Some(account) => cell.link(order_href(account, id)),
        None => cell,
    }
}

fn expiring_row(order: &StoredOrder, today: NaiveDate) -> Vec<Cell> {
    let href = order_href(&order.account, order.order_id);
    vec![
        days_cell(order.valid_till, today),
        Cell::text(order.common_name.clone().unwrap_or_default()).link(href),
        Cell::text(order.account.clone()),
        order_cell(Some(&order.account), Some(order.order_id)),
        day_cell(order.valid_till),
        Cell::text(order.product_name_id.clone().unwrap_or_default()),
        Cell::text(order.organization.clone().unwrap_or_default()),
    ]
}

/// An endpoint's row: its state (ordered by precedence), where, why, which order.
pub fn endpoint_row(deployment: &Deployment) -> Vec<Cell> {
    let precedence = DeploymentState::ALL
        .iter()
        .position(|state| *state == deployment.state)
        .unwrap_or(0);
    vec![
        Cell::number(
            deployment.state.as_str().replace('_', " "),
            precedence as i64,
        )
        .tone(tone::deployment(deployment.state)),
        Cell::text(format!("{}:{}", deployment.target, deployment.port)),
        Cell::text(deployment.address.clone()),
        Cell::text(deployment.reason.clone()),
        order_cell(deployment.account.as_deref(), deployment.order_id),
        time_cell(deployment.served_not_after),
        time_cell(Some(deployment.probed_at)),
    ]
}
