//! `digicert serve`: syncs at start and every interval, and serves the inventory as
//! Prometheus metrics (`GET /metrics`) with a health check (`GET /healthz`).
//!
//! The exposition is written by `prometheus-client` (which escapes label values); nothing
//! served or logged carries the API key.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use digicert_inventory::{StatusCount, StoredOrder, SyncOptions, SyncState};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::accounts;
use crate::args::Global;
use crate::connect::{Connection, connect};
use crate::counting::RequestCounts;
use crate::error::CliError;
use crate::inventory::{Db, open_db, run_sync};

/// The content type of Prometheus' text format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the handlers share.
struct Shared {
    /// A second handle on the inventory, for reading while the sync writes; it reads the
    /// served accounts only.
    reader: Mutex<Db>,
    /// Requests sent, per served account.
    counts: Vec<(String, RequestCounts)>,
    interval: Duration,
    /// The last exposition, with what it was made from: the orders change only with a
    /// sync (this process's or another's), so scrapes between syncs reuse it.
    cached: Mutex<Option<(CacheKey, String)>>,
}

/// Requests sent, by account, endpoint and answer.
type Requests = Vec<((String, &'static str, String), u64)>;

/// What an exposition depends on: each account's last sync and the requests sent.
type CacheKey = (Vec<(String, Option<chrono::DateTime<Utc>>)>, Requests);

impl Shared {
    fn requests(&self) -> Requests {
        self.counts
            .iter()
            .flat_map(|(account, counts)| {
                counts
                    .snapshot()
                    .into_iter()
                    .map(|((endpoint, code), count)| ((account.clone(), endpoint, code), count))
            })
            .collect()
    }

    fn accounts(&self) -> impl Iterator<Item = &str> {
        self.counts.iter().map(|(account, _)| account.as_str())
    }
}

/// Runs `digicert serve` until the process is stopped.
pub fn serve(global: &Global, listen: SocketAddr, interval: Duration) -> Result<(), CliError> {
    let accounts = accounts::to_sync(global)?;
    // Two handles: the sync writes through one while scrapes read through the other.
    let mut inventory = open_db(global)?;
    let mut reader = open_db(global)?;
    reader.select_accounts(accounts.iter().map(|account| account.name.clone()));
    // Each account keeps one client, and so its own rate limiter, across rounds.
    let connections = accounts
        .iter()
        .map(|account| Ok((account.name.clone(), connect(&account.global)?)))
        .collect::<Result<Vec<_>, CliError>>()?;
    let shared = Arc::new(Shared {
        reader: Mutex::new(reader),
        counts: connections
            .iter()
            .map(|(name, connection)| (name.clone(), connection.counts.clone()))
            .collect(),
        interval,
        cached: Mutex::new(None),
    });
    let syncing = Arc::clone(&shared);
    std::thread::Builder::new()
        .name("sync".to_owned())
        .spawn(move || {
            loop {
                for (account, connection) in &connections {
                    sync_round(&mut inventory, account, connection, interval);
                }
                // The exposition of what the round stored, made now rather than by the
                // first scrape after it.
                let made = {
                    let reader = syncing
                        .reader
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    exposition(&syncing, &reader)
                };
                if let Err(err) = made {
                    tracing::warn!(error = %err, "metrics: reading the inventory failed");
                }
                std::thread::sleep(interval);
            }
        })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        eprintln!(
            "serving http://{}/metrics, syncing every {}s",
            listener.local_addr()?,
            interval.as_secs()
        );
        let app = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(healthz))
            .with_state(shared);
        axum::serve(listener, app).await
    })?;
    Ok(())
}

/// One account's sync of one round.
///
/// Several `serve` processes (hosts on one shared database) share the rounds: a process
/// skips the round when another is syncing the account right now, or synced it within the
/// last half interval, so the API sees about one sync per interval per account, whichever
/// process makes it.
fn sync_round(inventory: &mut Db, account: &str, connection: &Connection, interval: Duration) {
    let options = SyncOptions::new()
        .account(account)
        .skip_if_synced_within(interval / 2);
    match run_sync(inventory, &connection.api, &options) {
        Ok(report) if report.skipped.is_some() => tracing::info!(
            account,
            last_success = %report.skipped.map(|at| at.to_rfc3339()).unwrap_or_default(),
            "the account was synced within half an interval (by another process); skipping this round"
        ),
        Ok(report) => tracing::info!(
            account,
            added = report.added,
            changed = report.changed,
            unchanged = report.unchanged,
            full = report.full,
            seconds = report.duration.as_secs_f64(),
            "sync done"
        ),
        Err(CliError::Inventory(digicert_inventory::Error::SyncRunning { .. })) => {
            tracing::info!(
                account,
                "another process is syncing this account; skipping this round"
            );
        }
        Err(err) => tracing::warn!(account, error = %err, "sync failed"),
    }
}

/// Reads the inventory on a blocking thread.
async fn read<T: Send + 'static>(
    shared: &Arc<Shared>,
    read: impl FnOnce(&Db) -> Result<T, digicert_inventory::Error> + Send + 'static,
) -> Result<T, String> {
    let shared = Arc::clone(shared);
    tokio::task::spawn_blocking(move || {
        let inventory = shared.reader.lock().unwrap_or_else(PoisonError::into_inner);
        read(&inventory).map_err(|err| err.to_string())
    })
    .await
    .map_err(|err| err.to_string())?
}

/// The exposition of the inventory as it is: the last one made if neither the orders (each
/// account's last sync) nor the request counts have changed since.
fn exposition(
    shared: &Shared,
    inventory: &Db,
) -> Result<Result<String, std::fmt::Error>, digicert_inventory::Error> {
    let states = sync_states(shared, inventory)?;
    let key: CacheKey = (
        states
            .iter()
            .map(|(account, state)| (account.clone(), state.last_success))
            .collect(),
        shared.requests(),
    );
    // Held while a new one is made: a scrape meanwhile waits for it rather than making
    // its own.
    let mut cached = shared.cached.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((made_from, text)) = cached.as_ref()
        && *made_from == key
    {
        return Ok(Ok(text.clone()));
    }
    let snapshot = Snapshot::read(inventory, states, key.1.clone())?;
    let text = snapshot.encode();
    if let Ok(text) = &text {
        *cached = Some((key, text.clone()));
    }
    Ok(text)
}

/// Each served account's last sync; an account that never synced has a default state.
fn sync_states(
    shared: &Shared,
    inventory: &Db,
) -> Result<Vec<(String, SyncState)>, digicert_inventory::Error> {
    let mut states = inventory.sync_states()?;
    for account in shared.accounts() {
        if !states.iter().any(|(name, _)| name == account) {
            states.push((account.to_owned(), SyncState::default()));
        }
    }
    states.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(states)
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    let cache = Arc::clone(&shared);
    let body = read(&shared, move |inventory| exposition(&cache, inventory)).await;
    match body {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Ok(Err(err)) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "metrics: reading the inventory failed");
            (StatusCode::SERVICE_UNAVAILABLE, err).into_response()
        }
    }
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let interval = shared.interval;
    let states = Arc::clone(&shared);
    match read(&shared, move |inventory| sync_states(&states, inventory)).await {
        Ok(states)
            if states
                .iter()
                .all(|(_, state)| healthy(state, interval, Utc::now())) =>
        {
            (StatusCode::OK, "ok\n").into_response()
        }
        Ok(states) => {
            let stale: Vec<&str> = states
                .iter()
                .filter(|(_, state)| !healthy(state, interval, Utc::now()))
                .map(|(account, _)| account.as_str())
                .collect();
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "no successful sync within two intervals: {}\n",
                    stale.join(", ")
                ),
            )
                .into_response()
        }
        Err(err) => (StatusCode::SERVICE_UNAVAILABLE, err).into_response(),
    }
}

/// Healthy once a sync has succeeded and the last success is at most two intervals old.
fn healthy(state: &SyncState, interval: Duration, now: chrono::DateTime<Utc>) -> bool {
    let limit = chrono::TimeDelta::from_std(interval * 2).unwrap_or(chrono::TimeDelta::MAX);
    state
        .last_success
        .is_some_and(|success| now - success <= limit)
}

/// Everything one scrape shows, read at once.
#[derive(Debug, Default)]
struct Snapshot {
    certificates: Vec<(Vec<(&'static str, String)>, i64)>,
    statuses: Vec<StatusCount>,
    states: Vec<(String, SyncState)>,
    requests: Requests,
}

impl Snapshot {
    fn read(
        inventory: &Db,
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
        ("serial_number", text(&order.serial_number)),
    ];
    Some((labels, not_after))
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "digicert_certificate_not_after_timestamp_seconds",
            "When the certificate of an issued order expires (the start of its last valid day, UTC), as a Unix timestamp.",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (labels, not_after) in &self.certificates {
            ConstGauge::new(*not_after).encode(family.encode_family(labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "digicert_orders",
            "Orders in the inventory, by account and status.",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for count in &self.statuses {
            let labels = [
                ("account", count.account.as_str()),
                ("status", count.status.as_str()),
            ];
            ConstGauge::new(count.count as i64).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "digicert_sync_last_success_timestamp_seconds",
            "When the last successful sync of the account finished, as a Unix timestamp.",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (account, state) in &self.states {
            if let Some(success) = state.last_success {
                let gauge = ConstGauge::new(success.timestamp_micros() as f64 / 1e6);
                gauge.encode(family.encode_family(&[("account", account.as_str())])?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "digicert_sync_duration_seconds",
            "How long the last successful sync of the account took.",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (account, state) in &self.states {
            if let Some(seconds) = state.last_duration_seconds {
                let gauge = ConstGauge::new(seconds);
                gauge.encode(family.encode_family(&[("account", account.as_str())])?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "digicert_api_requests",
            "Requests this process sent to CertCentral, by account, endpoint and HTTP status (`error`: no answer).",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for ((account, endpoint, code), count) in &self.requests {
            let labels = [
                ("account", account.as_str()),
                ("endpoint", *endpoint),
                ("code", code.as_str()),
            ];
            ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// Reads an interval: a number with `s`, `m`, `h` or `d` (seconds without a unit).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, ""), |at| text.split_at(at));
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an interval such as 30s, 10m, 1h"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number.saturating_mul(60),
        "h" => number.saturating_mul(3_600),
        "d" => number.saturating_mul(86_400),
        _ => return Err(format!("`{text}`: the unit is s, m, h or d")),
    };
    if seconds == 0 {
        return Err("the interval must be at least a second".to_owned());
    }
    Ok(Duration::from_secs(seconds))
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

    #[test]
    fn healthy_within_two_intervals_of_a_success() {
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let interval = Duration::from_secs(600);
        let state = |minutes_ago: Option<i64>| SyncState {
            last_success: minutes_ago.map(|m| now - chrono::TimeDelta::minutes(m)),
            ..SyncState::default()
        };
        assert!(!healthy(&state(None), interval, now));
        assert!(healthy(&state(Some(0)), interval, now));
        assert!(healthy(&state(Some(20)), interval, now));
        assert!(!healthy(&state(Some(21)), interval, now));
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_interval("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("ten").is_err());
        assert!(parse_interval("5y").is_err());
    }
}
