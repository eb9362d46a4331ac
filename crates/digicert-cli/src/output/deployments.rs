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

    /// Every key of the JSON, in its order: CSV carries the whole result.
    fn csv_columns() -> Vec<&'static str> {
        vec![
            "account",
            "target",
            "port",
            "address",
            "state",
            "reason",
            "verified",
            "order_id",
            "served_serial_number",
            "served_thumbprint",
            "served_not_after",
            "days_left",
            "current_serial_number",
            "current_thumbprint",
            "probed_at",
            "duration_seconds",
        ]
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            text(self.account.as_deref()),
            self.target.clone(),
            self.port.to_string(),
            self.address.clone(),
            self.state.to_string(),
            self.reason.clone(),
            text(self.verified),
            text(self.order_id),
            text(self.served_serial_number.as_deref().map(hex)),
            text(self.served_thumbprint.as_deref().map(hex)),
            text(self.served_not_after.map(time)),
            text(self.days_left),
            text(self.current_serial_number.as_deref().map(hex)),
            text(self.current_thumbprint.as_deref().map(hex)),
            time(self.probed_at),
            text(self.duration_seconds),
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use digicert_inventory::DeploymentState;

    use super::*;
    use crate::flags::Format;
    use crate::output::write_items;

    /// A stale endpoint, every field set, its times to the second as CSV writes them.
    fn stale() -> Deployment {
        let at = |day| Utc.with_ymd_and_hms(2026, 5, day, 8, 30, 0).unwrap();
        Deployment {
            account: Some("default".into()),
            target: "www.example.com".into(),
            port: 443,
            address: "192.0.2.10".into(),
            state: DeploymentState::Stale,
            reason: "order 7 was reissued, \"quoted\"".into(),
            verified: Some(true),
            order_id: Some(7),
            served_serial_number: Some("0a1b".into()),
            served_thumbprint: Some("ab12".into()),
            served_not_after: Some(at(30)),
            days_left: Some(29),
            current_serial_number: Some("0c2d".into()),
            current_thumbprint: Some("cd34".into()),
            probed_at: at(1),
            duration_seconds: Some(0.25),
        }
    }

    #[test]
    fn csv_has_every_json_key_in_the_json_order_with_the_same_values() {
        let mut csv = Vec::new();
        write_items(Format::Csv, vec![stale()], &mut csv).unwrap();
        let mut jsonl = Vec::new();
        write_items(Format::Jsonl, vec![stale()], &mut jsonl).unwrap();
        let json = String::from_utf8(jsonl).unwrap();
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&json).unwrap();
        let mut reader = csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let mut keys: Vec<(usize, &String)> = object
            .keys()
            .map(|key| (json.find(&format!("\"{key}\":")).unwrap(), key))
            .collect();
        keys.sort();
        let keys: Vec<&String> = keys.into_iter().map(|(_, key)| key).collect();
        assert_eq!(header.iter().collect::<Vec<_>>(), keys);
        let row = reader.records().next().unwrap().unwrap();
        for (key, cell) in header.iter().zip(row.iter()) {
            let value = match &object[key] {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            assert_eq!(cell, value, "{key}");
        }
    }
}
