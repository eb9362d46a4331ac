//! `GET /healthz`: whether every served account has synced recently.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use digicert_inventory::SyncState;

use super::Shared;

/// `GET /healthz`: 200 while every served account has synced within two intervals, else
/// 503 naming those that have not.
pub async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let interval = shared.interval;
    let states = Arc::clone(&shared);
    let read = super::read(&shared, move |inventory| states.sync_states(inventory));
    match read.await {
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
pub(super) fn healthy(state: &SyncState, interval: Duration, now: chrono::DateTime<Utc>) -> bool {
    let limit =
        chrono::TimeDelta::from_std(interval.saturating_mul(2)).unwrap_or(chrono::TimeDelta::MAX);
    state
        .last_success
        .is_some_and(|success| now - success <= limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

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
}
