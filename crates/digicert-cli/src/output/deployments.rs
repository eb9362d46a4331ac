//! How the deployment probe's results are listed: one row per endpoint, and an order's
//! history as one timeline of the statuses it had and where it was seen served.

use chrono::{DateTime, Utc};
use digicert_inventory::{Deployment, HistoryEntry};
use serde::Serialize;

use super::listed::text;
use super::spelling::{hex, time};
use super::{Column, Listed};

impl Listed for Deployment {
    const COLUMNS: &'static [Column] = &[
        ("target", 30),
        ("port", 5),
        ("address", 15),
        ("state", 16),
        ("days_left", 9),
        ("order_id", 10),
        ("served_serial_number", 34),
        ("reason", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.target.clone(),
            self.port.to_string(),
            self.address.clone(),
            self.state.to_string(),
            text(self.days_left),
            text(self.order_id),
            text(self.served_serial_number.as_deref().map(hex)),
            self.reason.clone(),
        ]
    }
}

/// One event of an order's history: a status the inventory saw, or an endpoint seen serving
/// one of its certificates (the first probe that found it so, or a change).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum HistoryEvent {
    /// A status, with the certificate it came with.
    Status(HistoryEntry),
    /// An endpoint and how it stood.
    Deployment(Deployment),
}

impl HistoryEvent {
    /// An order's history, by account and time, statuses before deployments at one instant.
    pub fn timeline(statuses: Vec<HistoryEntry>, deployments: Vec<Deployment>) -> Vec<Self> {
        let mut events: Vec<Self> = statuses
            .into_iter()
            .map(Self::Status)
            .chain(deployments.into_iter().map(Self::Deployment))
            .collect();
        events.sort_by_key(Self::key);
        events
    }

    fn key(&self) -> (String, DateTime<Utc>, u8) {
        match self {
            Self::Status(entry) => (entry.account.clone(), entry.seen_at, 0),
            Self::Deployment(deployment) => (
                deployment.account.clone().unwrap_or_default(),
                deployment.probed_at,
                1,
            ),
        }
    }
}

impl Listed for HistoryEvent {
    const COLUMNS: &'static [Column] = &[
        ("account", 10),
        ("order_id", 10),
        ("seen_at", 20),
        ("event", 10),
        ("status", 16),
        ("certificate_id", 14),
        ("endpoint", 40),
    ];

    fn cells(&self) -> Vec<String> {
        match self {
            Self::Status(entry) => vec![
                entry.account.clone(),
                entry.order_id.to_string(),
                time(entry.seen_at),
                "status".to_owned(),
                entry.status.clone(),
                text(entry.certificate_id),
                String::new(),
            ],
            Self::Deployment(deployment) => vec![
                text(deployment.account.as_deref()),
                text(deployment.order_id),
                time(deployment.probed_at),
                "deployment".to_owned(),
                deployment.state.to_string(),
                String::new(),
                format!(
                    "{}:{} {}",
                    deployment.target, deployment.port, deployment.address
                ),
            ],
        }
    }
}
