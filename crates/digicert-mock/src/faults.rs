//! Injected faults: latency, 429 and 503 answers, bodies cut short, requests never answered,
//! and a rate limiter like DigiCert's, all switchable while the server runs.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A rolling-window request limit per API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed within one window.
    pub max_requests: u32,
    /// Length of the rolling window.
    pub window: Duration,
}

impl RateLimit {
    /// DigiCert's short-term limit: 100 requests per 5 seconds per key.
    pub const DIGICERT_BURST: Self = Self::new(100, Duration::from_secs(5));
    /// DigiCert's long-term limit: 1,000 requests per 3 minutes per key.
    pub const DIGICERT_SUSTAINED: Self = Self::new(1000, Duration::from_secs(180));

    /// A limit of `max_requests` per `window`.
    pub const fn new(max_requests: u32, window: Duration) -> Self {
        Self {
            max_requests,
            window,
        }
    }

    /// Both of DigiCert's documented limits.
    pub fn digicert() -> Vec<Self> {
        vec![Self::DIGICERT_BURST, Self::DIGICERT_SUSTAINED]
    }
}

/// Latency spikes: every `every`-th request (by arrival, counting from 1) waits `extra` longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySpike {
    /// Which requests are slow: those whose number is a multiple of this.
    pub every: u64,
    /// How much longer they wait.
    pub extra: Duration,
}

/// Every fault setting at once; the counts say how many of the next requests get the fault.
///
/// At most one fault answers a request, checked in this order: hang, 503, 429 burst, rate
/// limiter, cut body. Latency comes on top of whichever answer it is. A request a fault
/// answers does not consume the counts of the faults after it.
///
/// ```
/// use std::time::Duration;
/// use digicert_mock::FaultPlan;
///
/// let plan = FaultPlan {
///     latency: Duration::from_millis(20),
///     rate_limited: 3,
///     ..FaultPlan::default()
/// };
/// assert_eq!(plan.service_unavailable, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Added before every answer.
    pub latency: Duration,
    /// Extra latency for every n-th request.
    pub spike: Option<LatencySpike>,
    /// The next this many requests answer 429 `request_limit_exceeded`.
    pub rate_limited: u32,
    /// The next this many requests answer 503 with an HTML page.
    pub service_unavailable: u32,
    /// The next this many requests get their body cut off: the connection closes after
    /// about half of the declared `Content-Length`.
    pub truncated: u32,
    /// The next this many requests are never answered (until the server shuts down).
    pub hang: u32,
    /// `Retry-After` (in whole seconds) on 429 answers; DigiCert sends none.
    pub retry_after: Option<Duration>,
    /// Limits per API key over rolling windows (none by default); past one, the answer is 429.
    pub rate_limits: Vec<RateLimit>,
}

/// What the server does with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Answer normally.
    Serve,
    /// Answer normally, then cut the body off.
    Truncate,
    /// Never answer.
    Hang,
    /// 503 with an HTML page.
    Unavailable,
    /// 429 `request_limit_exceeded`, with `Retry-After` if set.
    RateLimited(Option<Duration>),
}

/// The decision for one request: wait this long, then do this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub(crate) delay: Duration,
    pub(crate) action: Action,
}

/// The live fault settings of a running server; shared, so tests can switch faults mid-run.
///
/// ```
/// use std::time::Duration;
/// use digicert_mock::Faults;
///
/// let faults = Faults::default();
/// faults.set_latency(Duration::from_millis(20));
/// faults.rate_limit_next(2);
/// assert_eq!(faults.plan().rate_limited, 2);
/// faults.reset();
/// assert_eq!(faults.plan(), Default::default());
/// ```
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    plan: FaultPlan,
    /// Times of the requests each API key made that the limiter let through.
    history: HashMap<String, VecDeque<Instant>>,
}

impl Faults {
    /// Faults set as in `plan`.
    pub fn new(plan: FaultPlan) -> Self {
        let faults = Self::default();
        faults.set(plan);
        faults
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current settings (counts are what is left).
    pub fn plan(&self) -> FaultPlan {
        self.lock().plan.clone()
    }

    /// Replaces every setting and forgets the rate limiter's history.
    pub fn set(&self, plan: FaultPlan) {
        let mut state = self.lock();
        state.plan = plan;
        state.history.clear();
    }

    /// Changes some settings in place.
    pub fn update(&self, change: impl FnOnce(&mut FaultPlan)) {
        change(&mut self.lock().plan);
    }

    /// Switches every fault off.
    pub fn reset(&self) {
        self.set(FaultPlan::default());
    }

    /// Adds `latency` before every answer.
    pub fn set_latency(&self, latency: Duration) {
        self.update(|plan| plan.latency = latency);
    }

    /// Makes every `every`-th request wait `extra` longer (`every` = 0 switches spikes off).
    pub fn set_latency_spike(&self, every: u64, extra: Duration) {
        self.update(|plan| plan.spike = (every > 0).then_some(LatencySpike { every, extra }));
    }

    /// The next `count` requests answer 429 `request_limit_exceeded`.
    pub fn rate_limit_next(&self, count: u32) {
        self.update(|plan| plan.rate_limited = count);
    }

    /// The next `count` requests answer 503 with an HTML page.
    pub fn service_unavailable_next(&self, count: u32) {
        self.update(|plan| plan.service_unavailable = count);
    }

    /// The next `count` requests have their connection closed in the middle of the body.
    pub fn truncate_next(&self, count: u32) {
        self.update(|plan| plan.truncated = count);
    }

    /// The next `count` requests are never answered (until the server shuts down).
    pub fn hang_next(&self, count: u32) {
        self.update(|plan| plan.hang = count);
    }

    /// Sends `Retry-After` (whole seconds) with 429 answers, or not (`None`, as DigiCert does).
    pub fn set_retry_after(&self, retry_after: Option<Duration>) {
        self.update(|plan| plan.retry_after = retry_after);
    }

    /// Sets the per-key rate limits (empty: no limiter) and forgets the limiter's history.
    pub fn set_rate_limits(&self, limits: Vec<RateLimit>) {
        let mut state = self.lock();
        state.plan.rate_limits = limits;
        state.history.clear();
    }

    /// Decides what request number `number` (from 1), made with `key`, gets at `now`.
    pub(crate) fn decide(&self, number: u64, key: &str, now: Instant) -> Decision {
        let mut state = self.lock();
        let plan = &mut state.plan;
        let spike = plan
            .spike
            .filter(|spike| spike.every > 0 && number % spike.every == 0)
            .map_or(Duration::ZERO, |spike| spike.extra);
        let delay = plan.latency + spike;
        let action = if take(&mut plan.hang) {
            Action::Hang
        } else if take(&mut plan.service_unavailable) {
            Action::Unavailable
        } else if take(&mut plan.rate_limited) || !state.admit(key, now) {
            Action::RateLimited(state.plan.retry_after)
        } else if take(&mut state.plan.truncated) {
            Action::Truncate
        } else {
            Action::Serve
        };
        Decision { delay, action }
    }
}

impl State {
    /// Whether the rate limiter lets a request with `key` through at `now` (and counts it).
    fn admit(&mut self, key: &str, now: Instant) -> bool {
        let limits = &self.plan.rate_limits;
        let Some(longest) = limits.iter().map(|limit| limit.window).max() else {
            return true;
        };
        let history = self.history.entry(key.to_owned()).or_default();
        while history
            .front()
            .is_some_and(|&at| now.duration_since(at) >= longest)
        {
            history.pop_front();
        }
        let over = limits.iter().any(|limit| {
            let recent = history
                .iter()
                .rev()
                .take_while(|&&at| now.duration_since(at) < limit.window)
                .count();
            recent >= limit.max_requests as usize
        });
        if !over {
            history.push_back(now);
        }
        !over
    }
}

/// Takes one from a count, if any is left.
fn take(count: &mut u32) -> bool {
    let left = *count > 0;
    *count = count.saturating_sub(1);
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(faults: &Faults, count: u64) -> Vec<Action> {
        let now = Instant::now();
        (1..=count)
            .map(|number| faults.decide(number, "key", now).action)
            .collect()
    }

    #[test]
    fn counts_run_out_in_order() {
        let faults = Faults::new(FaultPlan {
            hang: 1,
            service_unavailable: 1,
            rate_limited: 1,
            truncated: 1,
            ..FaultPlan::default()
        });
        assert_eq!(
            actions(&faults, 5),
            [
                Action::Hang,
                Action::Unavailable,
                Action::RateLimited(None),
                Action::Truncate,
                Action::Serve
            ]
        );
        assert_eq!(faults.plan(), FaultPlan::default());
    }

    #[test]
    fn retry_after_goes_with_429() {
        let faults = Faults::default();
        faults.rate_limit_next(1);
        faults.set_retry_after(Some(Duration::from_secs(3)));
        assert_eq!(
            actions(&faults, 2),
            [
                Action::RateLimited(Some(Duration::from_secs(3))),
                Action::Serve
            ]
        );
    }

    #[test]
    fn latency_and_spikes() {
        let faults = Faults::default();
        faults.set_latency(Duration::from_millis(5));
        faults.set_latency_spike(3, Duration::from_millis(100));
        let now = Instant::now();
        let delays: Vec<u128> = (1..=6)
            .map(|number| faults.decide(number, "k", now).delay.as_millis())
            .collect();
        assert_eq!(delays, [5, 5, 105, 5, 5, 105]);
        faults.set_latency_spike(0, Duration::from_secs(1));
        assert_eq!(faults.decide(3, "k", now).delay.as_millis(), 5);
    }

    #[test]
    fn limiter_rolls_per_key() {
        let faults = Faults::default();
        faults.set_rate_limits(vec![RateLimit::new(2, Duration::from_secs(5))]);
        let start = Instant::now();
        let at = |seconds| start + Duration::from_secs(seconds);
        assert_eq!(faults.decide(1, "a", at(0)).action, Action::Serve);
        assert_eq!(faults.decide(2, "a", at(1)).action, Action::Serve);
        assert_eq!(
            faults.decide(3, "a", at(2)).action,
            Action::RateLimited(None)
        );
        // Another key has its own window.
        assert_eq!(faults.decide(4, "b", at(2)).action, Action::Serve);
        // The first request leaves the window at 5 s; refused requests did not count.
        assert_eq!(faults.decide(5, "a", at(5)).action, Action::Serve);
        assert_eq!(
            faults.decide(6, "a", at(5)).action,
            Action::RateLimited(None)
        );
    }

    #[test]
    fn digicert_limits() {
        let faults = Faults::default();
        faults.set_rate_limits(RateLimit::digicert());
        let now = Instant::now();
        let served = (1..=150)
            .filter(|&number| faults.decide(number, "k", now).action == Action::Serve)
            .count();
        assert_eq!(served, 100);
    }
}
