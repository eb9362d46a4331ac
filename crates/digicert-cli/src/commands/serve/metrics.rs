//! `GET /metrics`: the inventory as Prometheus metrics.
//!
//! The exposition is written by `prometheus-client` (which escapes label values). The
//! orders change only with a sync, and the deployments with a probe run (this process's or
//! another's), so scrapes between them reuse the last exposition.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use digicert_inventory::{
    Deployment, DeploymentFilter, DeploymentState, StatusCount, StoredOrder, SyncState,
};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use super::Shared;
use crate::output::hex;
use crate::store::Inventory;

/// The content type of Prometheus' text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Requests sent, by account, endpoint and answer.
type Requests = Vec<((String, &'static str, String), u64)>;

/// What an exposition depends on: each account's last sync, the requests sent, and the last
/// probe run.
type CacheKey = (
    Vec<(String, Option<chrono::DateTime<Utc>>)>,
    Requests,
    Option<chrono::DateTime<Utc>>,
);

/// The last exposition, with what it was made from; shared by the scrapes without a copy.
#[derive(Debug, Default)]
pub struct Cache(Mutex<Option<(CacheKey, Bytes)>>);

/// The requests each served account has sent so far.
fn requests(shared: &Shared) -> Requests {
    shared
        .counts
        .iter()
        .flat_map(|(account, counts)| {
            counts
                .snapshot()
                .into_iter()
                .map(|((endpoint, code), count)| ((account.clone(), endpoint, code), count))
        })
        .collect()
}

/// The exposition of the inventory as it is: the last one made if neither the orders (each
/// account's last sync) nor the request counts have changed since.
pub fn exposition(
    shared: &Shared,
    inventory: &Inventory,
) -> Result<Result<Bytes, std::fmt::Error>, digicert_inventory::Error> {
    let states = shared.sync_states(inventory)?;
    let key: CacheKey = (
        states
            .iter()
            .map(|(account, state)| (account.clone(), state.last_success))
            .collect(),
        requests(shared),
        inventory.last_probed_at()?,
    );
    // Held while a new one is made: a scrape meanwhile waits for it rather than making
    // its own.
    let mut cached = shared
        .cache
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some((made_from, text)) = cached.as_ref()
        && *made_from == key
    {
        return Ok(Ok(text.clone()));
    }
    let snapshot = Snapshot::read(inventory, states, key.1.clone())?;
    let text = snapshot.encode().map(Bytes::from);
    if let Ok(text) = &text {
        *cached = Some((key, text.clone()));
    }
    Ok(text)
}

/// `GET /metrics`: the exposition, or 503 (at once while the inventory is unavailable) when
/// it cannot be read.
pub async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let cache = Arc::clone(&shared);
    let body = super::read(&shared, move |inventory| exposition(&cache, inventory)).await;
    match body {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Ok(Err(err)) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
        Err(err) => {
            // An outage is logged once, when it starts, not once per scrape.
            tracing::debug!(error = %err, "metrics: reading the inventory failed");
            (StatusCode::SERVICE_UNAVAILABLE, err).into_response()
        }
    }
}

/// Everything one scrape shows, read at once.
#[derive(Debug, Default)]
struct Snapshot {
    certificates: Vec<(Vec<(&'static str, String)>, i64)>,
    statuses: Vec<StatusCount>,
    states: Vec<(String, SyncState)>,
    requests: Requests,
    /// Each endpoint's latest probe.
    deployments: Vec<Deployment>,
}

impl Snapshot {
    fn read(
        inventory: &Inventory,
        states: Vec<(String, SyncState)>,
        requests: Requests,
    ) -> Result<Self, digicert_inventory::Error> {
        let mut certificates = Vec::new();
        inventory.issued(|order| {
            if let Some(entry) = certificate(&order) {
                certificates.push(entry);
            }
            Ok(())
        })?;
        Ok(Self {
            certificates,
            statuses: inventory.status_counts()?,
            states,
            requests,
            deployments: inventory.deployments(&DeploymentFilter::default())?,
        })
    }

    /// The text exposition.
    fn encode(self) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        let mut text = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)?;
        Ok(text)
    }
}

/// An issued order's labels and not-after (the start of its last valid day, UTC, in Unix
/// seconds: the safe side of the day).
fn certificate(order: &StoredOrder) -> Option<(Vec<(&'static str, String)>, i64)> {
    let till: NaiveDate = order.valid_till?;
    let not_after = till.and_hms_opt(0, 0, 0)?.and_utc().timestamp();
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let labels = vec![
        ("account", order.account.clone()),
        ("order_id", order.order_id.to_string()),
        ("common_name", text(&order.common_name)),
        ("product_name_id", text(&order.product_name_id)),
        ("organization", text(&order.organization)),
        (
            "serial_number",
            order.serial_number.as_deref().map(hex).unwrap_or_default(),
        ),
    ];
    Some((labels, not_after))
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let certificates = self
            .certificates
            .iter()
            .map(|(labels, not_after)| (labels.as_slice(), ConstGauge::new(*not_after)));
        encode_family(&mut encoder, NOT_AFTER, certificates)?;
        let orders = self.statuses.iter().map(|count| {
            let labels = [
                ("account", count.account.as_str()),
                ("status", count.status.as_str()),
            ];
            (labels, ConstGauge::new(count.count as i64))
        });
        encode_family(&mut encoder, ORDERS, orders)?;
        let last_success = self.states.iter().filter_map(|(account, state)| {
            let success = state.last_success?;
            let gauge = ConstGauge::new(success.timestamp_micros() as f64 / 1e6);
            Some(([("account", account.as_str())], gauge))
        });
        encode_family(&mut encoder, LAST_SUCCESS, last_success)?;
        let durations = self.states.iter().filter_map(|(account, state)| {
            let gauge = ConstGauge::new(state.last_duration_seconds?);
            Some(([("account", account.as_str())], gauge))
        });
        encode_family(&mut encoder, DURATION, durations)?;
        let requests = self
            .requests
            .iter()
            .map(|((account, endpoint, code), count)| {
                let labels = [
                    ("account", account.as_str()),
                    ("endpoint", *endpoint),
                    ("code", code.as_str()),
                ];
                (labels, ConstCounter::new(*count))
            });
        encode_family(&mut encoder, REQUESTS, requests)?;
        encode_probes(&mut encoder, &self.deployments)
    }
}

/// The deployment probe's families: each endpoint's latest probe.
fn encode_probes(
    encoder: &mut DescriptorEncoder,
    deployments: &[Deployment],
) -> Result<(), std::fmt::Error> {
    // `host:port`, so that one host's ports are kept apart.
    let endpoints: Vec<(String, &str)> = deployments
        .iter()
        .map(|d| (format!("{}:{}", d.target, d.port), d.address.as_str()))
        .collect();
    let labels = |(target, address): &(String, &str)| {
        vec![
            ("target", target.clone()),
            ("address", (*address).to_owned()),
        ]
    };
    let success = deployments.iter().zip(&endpoints).map(|(d, endpoint)| {
        let served = d.served_thumbprint.is_some();
        (labels(endpoint), ConstGauge::new(i64::from(served)))
    });
    encode_family(encoder, PROBE_SUCCESS, success)?;
    let states = deployments
        .iter()
        .zip(&endpoints)
        .flat_map(|(d, endpoint)| {
            DeploymentState::ALL.into_iter().map(move |state| {
                let mut labels = labels(endpoint);
                labels.push(("state", state.as_str().to_owned()));
                (labels, ConstGauge::new(i64::from(d.state == state)))
            })
        });
    encode_family(encoder, PROBE_STATE, states)?;
    let not_after = deployments
        .iter()
        .zip(&endpoints)
        .filter_map(|(d, endpoint)| {
            let until = d.served_not_after?;
            let mut labels = labels(endpoint);
            let text = |value: &Option<String>| value.as_deref().map(hex).unwrap_or_default();
            labels.push(("serial_number", text(&d.served_serial_number)));
            labels.push(("thumbprint", text(&d.served_thumbprint)));
            labels.push((
                "order_id",
                d.order_id.map(|id| id.to_string()).unwrap_or_default(),
            ));
            Some((labels, ConstGauge::new(until.timestamp())))
        });
    encode_family(encoder, PROBE_NOT_AFTER, not_after)?;
    let durations = deployments
        .iter()
        .zip(&endpoints)
        .filter_map(|(d, endpoint)| Some((labels(endpoint), ConstGauge::new(d.duration_seconds?))));
    encode_family(encoder, PROBE_DURATION, durations)
}

/// A metric family's name, help and type.
type Family = (&'static str, &'static str, MetricType);

/// When each issued order's certificate expires.
const NOT_AFTER: Family = (
    "digicert_certificate_not_after_timestamp_seconds",
    "When the certificate of an issued order expires (the start of its last valid day, UTC), as a Unix timestamp.",
    MetricType::Gauge,
);
/// Orders by account and status.
const ORDERS: Family = (
    "digicert_orders",
    "Orders in the inventory, by account and status.",
    MetricType::Gauge,
);
/// Each account's last successful sync.
const LAST_SUCCESS: Family = (
    "digicert_sync_last_success_timestamp_seconds",
    "When the last successful sync of the account finished, as a Unix timestamp.",
    MetricType::Gauge,
);
/// How long each account's last successful sync took.
const DURATION: Family = (
    "digicert_sync_duration_seconds",
    "How long the last successful sync of the account took.",
    MetricType::Gauge,
);
/// Requests sent, by account, endpoint and answer.
const REQUESTS: Family = (
    "digicert_api_requests",
    "Requests this process sent to CertCentral, by account, endpoint and HTTP status (`error`: no answer).",
    MetricType::Counter,
);

/// Whether each endpoint's latest probe read a certificate.
const PROBE_SUCCESS: Family = (
    "digicert_probe_success",
    "Whether the latest probe of the endpoint (target and address) read a certificate: 1, or 0 when it was unreachable or its handshake failed.",
    MetricType::Gauge,
);
/// Each endpoint's state, one sample per state.
const PROBE_STATE: Family = (
    "digicert_probe_state",
    "How the endpoint stands against what CertCentral issued: 1 for its state (current, stale, unknown, name_mismatch, expired, unreachable, handshake_failed), 0 for the others.",
    MetricType::Gauge,
);
/// When the certificate each endpoint serves expires.
const PROBE_NOT_AFTER: Family = (
    "digicert_probe_certificate_not_after_timestamp_seconds",
    "When the certificate the endpoint served at its latest probe expires, as a Unix timestamp.",
    MetricType::Gauge,
);
/// How long each endpoint's latest probe took.
const PROBE_DURATION: Family = (
    "digicert_probe_duration_seconds",
    "How long the latest probe of the endpoint took.",
    MetricType::Gauge,
);

/// Encodes one metric family: its descriptor, then a sample for each labels and value.
fn encode_family<S: EncodeLabelSet, M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    (name, help, metric_type): Family,
    samples: impl Iterator<Item = (S, M)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (labels, metric) in samples {
        metric.encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn order(common_name: &str, organization: &str) -> StoredOrder {
        StoredOrder {
            account: "eu".to_owned(),
            order_id: 7,
            status: "issued".to_owned(),
            common_name: Some(common_name.to_owned()),
            dns_names: Vec::new(),
            valid_from: None,
            valid_till: NaiveDate::from_ymd_opt(2027, 3, 1),
            days_left: None,
            product_name_id: Some("ssl_plus".to_owned()),
            thumbprint: None,
            serial_number: Some("0a1b".to_owned()),
            organization: Some(organization.to_owned()),
            certificate_id: None,
            last_seen: Utc::now(),
            report: None,
            info: None,
        }
    }

    #[test]
    fn label_values_are_escaped() {
        let tricky = order(
            "a\"b\\c\nd.example.com",
            "Müller & Söhne \"Beispiel\"\n日本",
        );
        let snapshot = Snapshot {
            certificates: vec![certificate(&tricky).unwrap()],
            statuses: vec![
                StatusCount {
                    account: "eu".to_owned(),
                    status: "issued".to_owned(),
                    count: 1,
                },
                StatusCount {
                    account: "e\"u".to_owned(),
                    status: "we\"ird".to_owned(),
                    count: 2,
                },
            ],
            states: vec![(
                "eu".to_owned(),
                SyncState {
                    last_success: Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()),
                    ..SyncState::default()
                },
            )],
            requests: vec![(("eu".to_owned(), "order_report", "200".to_owned()), 3)],
            deployments: Vec::new(),
        };
        let text = snapshot.encode().unwrap();
        let sample = text
            .lines()
            .find(|line| line.starts_with("digicert_certificate_not_after_timestamp_seconds{"))
            .unwrap();
        assert!(
            sample.contains(r#"common_name="a\"b\\c\nd.example.com""#),
            "{sample}"
        );
        assert!(
            sample.contains(r#"organization="Müller & Söhne \"Beispiel\"\n日本""#),
            "{sample}"
        );
        let not_after = Utc
            .with_ymd_and_hms(2027, 3, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        assert!(sample.ends_with(&format!("}} {not_after}")), "{sample}");
        assert!(
            sample.contains(r#"{account="eu",order_id="7","#),
            "{sample}"
        );
        assert!(
            text.contains("digicert_sync_last_success_timestamp_seconds{account=\"eu\"} 1793"),
            "{text}"
        );
        assert!(
            text.contains("digicert_orders{account=\"e\\\"u\",status=\"we\\\"ird\"} 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "digicert_api_requests_total{account=\"eu\",endpoint=\"order_report\",code=\"200\"} 3"
            ),
            "{text}"
        );
        // Every line is a comment or one sample: no raw newline split a value.
        for line in text.lines() {
            assert!(
                line.starts_with('#') || line.starts_with("digicert_"),
                "{line}"
            );
        }
    }
}
