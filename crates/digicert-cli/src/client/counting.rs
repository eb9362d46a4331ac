//! A transport that counts the requests it sends, by endpoint and answer, for the sync
//! summary and the `digicert_api_requests_total` metric.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use digicert_api::transport::{
    AsyncTransport, BlockingTransport, Request, Response, TransportError,
};

/// Requests sent, by (endpoint, code): the HTTP status, or `error` when no answer came.
#[derive(Debug, Clone, Default)]
pub struct RequestCounts(Arc<Mutex<BTreeMap<(&'static str, String), u64>>>);

impl RequestCounts {
    fn add(&self, endpoint: &'static str, code: String) {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *counts.entry((endpoint, code)).or_default() += 1;
    }

    /// Every count so far.
    pub fn snapshot(&self) -> BTreeMap<(&'static str, String), u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// All requests so far.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }
}

/// A transport that counts what goes through it.
#[derive(Debug)]
pub struct Counted<T> {
    inner: T,
    counts: RequestCounts,
}

impl<T> Counted<T> {
    /// `inner`, counting into `counts`.
    pub fn new(inner: T, counts: RequestCounts) -> Self {
        Self { inner, counts }
    }

    fn record(&self, request_path: &str, result: &Result<Response, TransportError>) {
        let code = match result {
            Ok(response) => response.status().as_u16().to_string(),
            Err(_) => "error".to_owned(),
        };
        self.counts.add(endpoint(request_path), code);
    }
}

/// The endpoint a request path belongs to (never its order id or thumbprint).
fn endpoint(path: &str) -> &'static str {
    let path = path.trim_end_matches('/');
    if path.ends_with("/report/order") {
        "order_report"
    } else if path.ends_with("/account/subaccount/order") {
        "subaccount_orders"
    } else if path.ends_with("/order/certificate/status-changes") {
        "status_changes"
    } else if path.ends_with("/reissue") {
        "reissues"
    } else if path.contains("/order/certificate/") {
        "order_info"
    } else {
        "other"
    }
}

impl<T: BlockingTransport> BlockingTransport for Counted<T> {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        let path = request.uri().path().to_owned();
        let result = self.inner.send(request);
        self.record(&path, &result);
        result
    }

    fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration);
    }

    fn recycle(&self, body: Vec<u8>) {
        self.inner.recycle(body);
    }

    fn now(&self) -> Instant {
        self.inner.now()
    }
}

impl<T: AsyncTransport> AsyncTransport for Counted<T> {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        let path = request.uri().path().to_owned();
        let result = self.inner.send(request).await;
        self.record(&path, &result);
        result
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.inner.sleep(duration)
    }

    fn recycle(&self, body: Vec<u8>) {
        self.inner.recycle(body);
    }

    fn now(&self) -> Instant {
        self.inner.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_their_endpoint_without_ids() {
        assert_eq!(endpoint("/services/v2/report/order"), "order_report");
        assert_eq!(
            endpoint("/services/v2/order/certificate/status-changes"),
            "status_changes"
        );
        assert_eq!(
            endpoint("/services/v2/order/certificate/123/reissue"),
            "reissues"
        );
        assert_eq!(
            endpoint("/services/v2/order/certificate/0A1B2C"),
            "order_info"
        );
        assert_eq!(
            endpoint("/services/v2/account/subaccount/order"),
            "subaccount_orders"
        );
    }
}
