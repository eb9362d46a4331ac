//! The record of every request the server received, so tests can count and time them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Arrival number, from 1 (never reset, also not by [`clear`](crate::MockServer::clear_requests)).
    pub number: u64,
    /// HTTP method, such as `GET`.
    pub method: String,
    /// Path and query as sent, such as `/services/v2/report/order?limit=10`.
    pub path_and_query: String,
    /// When the request arrived.
    pub received: Instant,
    /// Status of the answer; `None` while it is pending (or if it never comes).
    pub status: Option<u16>,
}

/// The request log shared by the server's tasks.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    next: AtomicU64,
    records: Mutex<Vec<RequestRecord>>,
}

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<RequestRecord>> {
        self.records.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records an arriving request and returns its number.
    pub(crate) fn arrived(&self, method: &str, path_and_query: &str) -> u64 {
        let mut records = self.lock();
        let number = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        records.push(RequestRecord {
            number,
            method: method.to_owned(),
            path_and_query: path_and_query.to_owned(),
            received: Instant::now(),
            status: None,
        });
        number
    }

    /// Records the status a request was answered with.
    pub(crate) fn answered(&self, number: u64, status: u16) {
        let mut records = self.lock();
        if let Ok(index) = records.binary_search_by_key(&number, |record| record.number) {
            records[index].status = Some(status);
        }
    }

    /// A copy of every record, in arrival order.
    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        self.lock().clone()
    }

    /// The most requests that arrived within any span of `window`.
    pub(crate) fn busiest(&self, window: Duration) -> usize {
        let records = self.lock();
        let mut start = 0;
        let mut most = 0;
        for (end, record) in records.iter().enumerate() {
            while start < end
                && records
                    .get(start)
                    .is_some_and(|first| record.received.duration_since(first.received) >= window)
            {
                start += 1;
            }
            most = most.max(end + 1 - start);
        }
        most
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Forgets every record (numbering goes on).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_answers() {
        let log = RequestLog::default();
        let first = log.arrived("GET", "/a");
        let second = log.arrived("GET", "/b?x=1");
        log.answered(second, 404);
        let records = log.records();
        assert_eq!((first, second), (1, 2));
        assert_eq!(records[0].status, None);
        assert_eq!(records[1].status, Some(404));
        assert_eq!(records[1].path_and_query, "/b?x=1");
        assert_eq!(log.busiest(std::time::Duration::from_secs(60)), 2);
        assert_eq!(log.busiest(std::time::Duration::ZERO), 1);
        log.clear();
        assert_eq!(log.len(), 0);
        assert_eq!(log.busiest(std::time::Duration::from_secs(60)), 0);
        log.answered(first, 200);
        assert_eq!(log.arrived("GET", "/c"), 3);
    }
}
