//! `rate_limit`: a token bucket over every request, as Go's `rate.Limiter` that
//! exporter-toolkit uses: one token every `interval`, at most `burst` held; a request
//! without a token is answered 429.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The bucket.
#[derive(Debug)]
pub struct RateLimit {
    interval: Duration,
    burst: u32,
    /// Tokens held, and when they were counted.
    bucket: Mutex<(f64, Instant)>,
}

impl RateLimit {
    /// A full bucket.
    pub fn new(interval: Duration, burst: u32) -> Self {
        Self {
            interval,
            burst,
            bucket: Mutex::new((f64::from(burst), Instant::now())),
        }
    }

    /// Takes a token at `now` if there is one.
    fn allow(&self, now: Instant) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(PoisonError::into_inner);
        let (tokens, counted) = *bucket;
        let earned =
            now.saturating_duration_since(counted).as_secs_f64() / self.interval.as_secs_f64();
        let tokens = (tokens + earned).min(f64::from(self.burst));
        if tokens >= 1.0 {
            *bucket = (tokens - 1.0, now);
            true
        } else {
            *bucket = (tokens, now);
            false
        }
    }
}

/// The middleware.
pub async fn limit(State(rate): State<Arc<RateLimit>>, request: Request, next: Next) -> Response {
    if rate.allow(Instant::now()) {
        return next.run(request).await;
    }
    (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests\n").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_per_interval() {
        let rate = RateLimit::new(Duration::from_secs(1), 2);
        let start = Instant::now();
        assert!(rate.allow(start));
        assert!(rate.allow(start));
        assert!(!rate.allow(start));
        assert!(!rate.allow(start + Duration::from_millis(500)));
        assert!(rate.allow(start + Duration::from_millis(1000)));
        assert!(!rate.allow(start + Duration::from_millis(1100)));
        // No more than the burst is saved up.
        let later = start + Duration::from_secs(60);
        assert!(rate.allow(later) && rate.allow(later) && !rate.allow(later));
    }
}
