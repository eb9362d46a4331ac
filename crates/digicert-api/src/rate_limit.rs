//! A client-side rate limiter, so a client stays under DigiCert's per-key limits instead of
//! collecting 429s: rolling windows, each kept as a log of recent request times.
//!
//! The server counts a request when it arrives, which the client cannot see: somewhere
//! between taking a slot and getting the answer (a new connection, a busy runtime, a slow
//! network all delay it). So a request holds its slot in every window while it is in flight,
//! and counts for a whole window from the moment its answer came: then no span of a window
//! can hold more arrivals than the limit, however the delays fall.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Request limits as rolling windows (part of the client's configuration).
///
/// A request may go out only if every window has room for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    windows: Vec<Window>,
}

/// At most `requests` in any span of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Requests allowed in any span of `per`.
    pub requests: u32,
    /// How long the window is.
    pub per: Duration,
}

impl RateLimit {
    /// DigiCert's published limits per API key: 1000 requests per 3 minutes and 100 per 5 seconds.
    pub fn digicert() -> Self {
        Self::new([
            Window {
                requests: 1000,
                per: Duration::from_secs(180),
            },
            Window {
                requests: 100,
                per: Duration::from_secs(5),
            },
        ])
    }

    /// Custom windows (a window with 0 requests or a zero span is ignored).
    ///
    /// With no windows left, nothing is limited.
    pub fn new(windows: impl IntoIterator<Item = Window>) -> Self {
        let windows = windows
            .into_iter()
            .filter(|window| window.requests > 0 && !window.per.is_zero())
            .collect();
        Self { windows }
    }

    /// The windows in force.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::digicert()
    }
}

/// Shared by a client and all its concurrent tasks (Send + Sync; the lock is held only
/// inside `try_acquire`, never across an await or a sleep).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    logs: Mutex<Vec<Log>>,
}

/// One window: the requests in flight, and when those that ended still inside it ended,
/// oldest first.
#[derive(Debug)]
struct Log {
    window: Window,
    in_flight: usize,
    sent: VecDeque<Instant>,
}

impl RateLimiter {
    /// A limiter with no requests recorded yet.
    pub(crate) fn new(limit: RateLimit) -> Self {
        let logs = limit.windows.into_iter().map(Log::new).collect();
        Self {
            logs: Mutex::new(logs),
        }
    }

    /// Takes a slot for a request sent at `now`, or says how long to wait before asking again.
    /// Ok(()) counts the request in every window as in flight until [`RateLimiter::release`].
    pub(crate) fn try_acquire(&self, now: Instant) -> Result<(), Duration> {
        // The logs stay consistent at every step, so a panic elsewhere leaves them usable.
        let mut logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        let wait = logs
            .iter_mut()
            .map(|log| log.wait(now))
            .max()
            .unwrap_or(Duration::ZERO);
        if !wait.is_zero() {
            return Err(wait);
        }
        for log in logs.iter_mut() {
            log.in_flight += 1;
        }
        Ok(())
    }

    /// Ends a request that [`RateLimiter::try_acquire`] let through: its answer came (or it
    /// was given up) at `now`, and it counts in every window until `now` plus the window.
    pub(crate) fn release(&self, now: Instant) {
        let mut logs = self.logs.lock().unwrap_or_else(PoisonError::into_inner);
        for log in logs.iter_mut() {
            log.in_flight = log.in_flight.saturating_sub(1);
            log.record(now);
        }
    }
}

impl Log {
    fn new(window: Window) -> Self {
        Self {
            window,
            in_flight: 0,
            sent: VecDeque::new(),
        }
    }

    /// How long until this window has room (zero if it has room now); forgets requests
    /// that have left the window.
    fn wait(&mut self, now: Instant) -> Duration {
        let per = self.window.per;
        // A request at `t` counts until `t + per`, excluded.
        while let Some(&oldest) = self.sent.front() {
            if now.saturating_duration_since(oldest) < per {
                break;
            }
            self.sent.pop_front();
        }
        if self.sent.len() + self.in_flight < self.capacity() {
            return Duration::ZERO;
        }
        // Full: room comes when the oldest ended request leaves. With every slot in flight,
        // none leaves before a whole window after the first answer, so ask again then.
        self.sent.front().map_or(per, |&oldest| {
            per.saturating_sub(now.saturating_duration_since(oldest))
        })
    }

    /// Records a request; a time earlier than the newest one (a task that read the clock
    /// before another took the lock) counts as the newest, so the log stays in order.
    fn record(&mut self, now: Instant) {
        let at = self.sent.back().map_or(now, |&newest| newest.max(now));
        self.sent.push_back(at);
    }

    fn capacity(&self) -> usize {
        usize::try_from(self.window.requests).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn window(requests: u32, per: Duration) -> Window {
        Window { requests, per }
    }

    impl RateLimiter {
        /// A request answered at once: let through and released at `now`.
        fn instant(&self, now: Instant) -> Result<(), Duration> {
            self.try_acquire(now)?;
            self.release(now);
            Ok(())
        }
    }

    #[test]
    fn a_request_holds_its_slot_in_flight_and_counts_a_window_from_its_answer() {
        let limiter = RateLimiter::new(RateLimit::new([window(2, ms(100))]));
        let t0 = Instant::now();
        assert_eq!(limiter.try_acquire(t0), Ok(()));
        assert_eq!(limiter.try_acquire(t0), Ok(()));
        // Both in flight: nothing leaves before a whole window after an answer.
        assert_eq!(limiter.try_acquire(t0 + ms(250)), Err(ms(100)));
        // Slow answers: the server may have counted them as late as this.
        limiter.release(t0 + ms(300));
        limiter.release(t0 + ms(310));
        assert_eq!(limiter.try_acquire(t0 + ms(350)), Err(ms(50)));
        assert_eq!(limiter.try_acquire(t0 + ms(400)), Ok(()));
        assert_eq!(limiter.try_acquire(t0 + ms(400)), Err(ms(10)));
    }

    #[test]
    fn digicert_limits() {
        let limit = RateLimit::digicert();
        assert_eq!(
            limit.windows(),
            [
                window(1000, Duration::from_secs(180)),
                window(100, Duration::from_secs(5))
            ]
        );
        assert_eq!(RateLimit::default(), limit);
    }

    #[test]
    fn empty_windows_are_ignored() {
        let limit = RateLimit::new([
            window(0, ms(10)),
            window(3, Duration::ZERO),
            window(2, ms(10)),
        ]);
        assert_eq!(limit.windows(), [window(2, ms(10))]);
    }

    #[test]
    fn no_windows_means_no_limit() {
        let limiter = RateLimiter::new(RateLimit::new([]));
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert_eq!(limiter.instant(t0), Ok(()));
        }
    }

    #[test]
    fn hundred_per_five_seconds() {
        let limiter = RateLimiter::new(RateLimit::digicert());
        let t0 = Instant::now();
        for i in 0..100 {
            assert_eq!(limiter.instant(t0 + ms(10 * i)), Ok(()), "request {i}");
        }
        // The 101st waits until the first leaves the window, exactly.
        assert_eq!(limiter.instant(t0 + ms(1_000)), Err(ms(4_000)));
        assert_eq!(limiter.instant(t0 + ms(4_999)), Err(ms(1)));
        assert_eq!(limiter.instant(t0 + ms(5_000)), Ok(()));
        // Next, the second request (at 10 ms) must leave.
        assert_eq!(limiter.instant(t0 + ms(5_000)), Err(ms(10)));
        assert_eq!(limiter.instant(t0 + ms(5_010)), Ok(()));
    }

    #[test]
    fn three_minute_window_binds_at_a_thousand() {
        let limiter = RateLimiter::new(RateLimit::digicert());
        let t0 = Instant::now();
        // One request every 50 ms never fills the 5-second window (100 per 5 s exactly).
        for i in 0..1000 {
            assert_eq!(limiter.instant(t0 + ms(50 * i)), Ok(()), "request {i}");
        }
        let t = t0 + ms(50_000);
        assert_eq!(limiter.instant(t), Err(ms(130_000)));
        assert_eq!(limiter.instant(t0 + ms(180_000)), Ok(()));
    }

    #[test]
    fn the_longest_wait_wins() {
        let limiter = RateLimiter::new(RateLimit::new([window(1, ms(100)), window(2, ms(1_000))]));
        let t0 = Instant::now();
        assert_eq!(limiter.instant(t0), Ok(()));
        assert_eq!(limiter.instant(t0 + ms(100)), Ok(()));
        // The short window frees at 200 ms, the long one only at 1000 ms.
        assert_eq!(limiter.instant(t0 + ms(150)), Err(ms(850)));
        assert_eq!(limiter.instant(t0 + ms(1_000)), Ok(()));
    }

    #[test]
    fn a_refusal_records_nothing() {
        let limiter = RateLimiter::new(RateLimit::new([window(1, ms(100)), window(5, ms(1_000))]));
        let t0 = Instant::now();
        assert_eq!(limiter.instant(t0), Ok(()));
        for i in 1..50 {
            assert!(limiter.instant(t0 + ms(i)).is_err());
        }
        // Had the refusals counted, the 5-per-second window would be full.
        for i in 1..5 {
            assert_eq!(limiter.instant(t0 + ms(100 * i)), Ok(()));
        }
    }

    #[test]
    fn a_late_reader_of_the_clock_counts_as_now() {
        let limiter = RateLimiter::new(RateLimit::new([window(1, ms(100))]));
        let t0 = Instant::now();
        assert_eq!(limiter.instant(t0 + ms(50)), Ok(()));
        assert_eq!(limiter.instant(t0), Err(ms(100)));
        assert_eq!(limiter.instant(t0 + ms(150)), Ok(()));
    }

    #[test]
    fn a_poisoned_lock_still_works() {
        let limiter = RateLimiter::new(RateLimit::new([window(1, ms(100))]));
        let crashed = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _guard = limiter.logs.lock();
                    panic!("poison the lock");
                })
                .join()
        });
        assert!(crashed.is_err());
        assert!(limiter.logs.is_poisoned());
        let t0 = Instant::now();
        assert_eq!(limiter.instant(t0), Ok(()));
        assert_eq!(limiter.instant(t0), Err(ms(100)));
    }

    #[test]
    fn is_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<RateLimiter>();
    }

    #[test]
    fn threads_never_get_more_than_the_limit() {
        // A window far longer than the test, so every grant stays inside it.
        let limit = RateLimit::new([
            window(50, Duration::from_secs(3_600)),
            window(500, Duration::from_secs(7_200)),
        ]);
        let limiter = Arc::new(RateLimiter::new(limit));
        let granted = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let limiter = Arc::clone(&limiter);
                let granted = Arc::clone(&granted);
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        if limiter.try_acquire(Instant::now()).is_ok() {
                            granted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(granted.load(Ordering::Relaxed), 50);
    }

    /// Whether a request at `at` would break a window, judged from the grants alone.
    fn breaks_a_window(windows: &[Window], granted: &[Instant], at: Instant) -> bool {
        windows.iter().any(|w| {
            let inside = granted
                .iter()
                .filter(|&&t| t <= at && at.duration_since(t) < w.per)
                .count();
            inside >= w.requests as usize
        })
    }

    /// The most grants in any span of `per` that starts at a grant.
    fn busiest(granted: &[Instant], per: Duration) -> usize {
        granted
            .iter()
            .map(|&start| {
                granted
                    .iter()
                    .filter(|&&t| t >= start && t.duration_since(start) < per)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    fn windows() -> impl Strategy<Value = Vec<Window>> {
        prop::collection::vec(
            (1u32..6, 1u64..300).prop_map(|(requests, per)| window(requests, ms(per))),
            1..4,
        )
    }

    proptest! {
        #[test]
        fn waiting_as_told_keeps_every_window(
            windows in windows(),
            gaps in prop::collection::vec(0u64..120, 1..80),
        ) {
            let limiter = RateLimiter::new(RateLimit::new(windows.clone()));
            let mut clock = Instant::now();
            let mut granted = Vec::new();
            for gap in gaps {
                clock += ms(gap);
                if let Err(wait) = limiter.instant(clock) {
                    prop_assert!(!wait.is_zero());
                    // Not a moment too long: one nanosecond earlier would still break a window...
                    let just_before = clock + wait - Duration::from_nanos(1);
                    prop_assert!(breaks_a_window(&windows, &granted, just_before));
                    // ...and after the wait the request goes through.
                    clock += wait;
                    prop_assert!(!breaks_a_window(&windows, &granted, clock));
                    prop_assert_eq!(limiter.instant(clock), Ok(()));
                } else {
                    prop_assert!(!breaks_a_window(&windows, &granted, clock));
                }
                granted.push(clock);
            }
            for w in &windows {
                prop_assert!(busiest(&granted, w.per) <= w.requests as usize);
            }
        }
    }
}
