//! When to retry a failed request and how long to wait first: a pure decision that the
//! blocking and the async client share (they differ only in how they sleep).

use std::time::{Duration, SystemTime};

use chrono::{DateTime, NaiveDateTime};
use digicert_transport::TransportErrorKind;
use http::{HeaderMap, Method, StatusCode, header::RETRY_AFTER};

/// How failed requests are retried (part of the client's configuration).
///
/// Only failures that are safe to repeat are retried: 429 for any method, 502/503/504 and
/// timeouts or broken connections for idempotent methods, failed connects for any method.
/// A server's `Retry-After` is obeyed as given; if it asks for more than `max_delay`, the
/// request fails instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 5; 1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry (default 500 ms); doubles each retry.
    pub initial_delay: Duration,
    /// Longest wait between attempts, Retry-After included (default 30 s).
    pub max_delay: Duration,
    /// Whether to randomize backoff (default true): wait in [delay/2, delay).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries: every request gets exactly one attempt.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Sets the number of attempts in all, the first included.
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Sets the backoff before the first retry.
    pub fn with_initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Sets the longest wait between attempts, Retry-After included.
    pub fn with_max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Turns backoff randomization on or off.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Whether to try again after an attempt, and after how long.
    ///
    /// `attempt` is the 1-based number of the attempt that just failed; `random` is uniform
    /// in [0, 1) (supplied by the caller, so this stays pure and testable); `now` is the wall
    /// clock for HTTP-date Retry-After values.
    pub(crate) fn decide(
        &self,
        method: &Method,
        attempt: u32,
        outcome: &Outcome<'_>,
        random: f64,
        now: SystemTime,
    ) -> Decision {
        if attempt >= self.max_attempts || !is_retryable(method, outcome) {
            return Decision::Stop;
        }
        match server_wait(outcome, now) {
            // The server's word is kept exactly; waiting less would break it.
            Some(wait) if wait <= self.max_delay => Decision::Retry(wait),
            Some(_) => Decision::Stop,
            None => Decision::Retry(self.backoff(attempt, random)),
        }
    }

    /// Exponential backoff for `attempt`, capped at `max_delay`, optionally jittered.
    fn backoff(&self, attempt: u32, random: f64) -> Duration {
        let doublings = attempt.saturating_sub(1);
        let factor = 1u32.checked_shl(doublings).unwrap_or(0);
        let delay = match factor {
            0 => self.max_delay, // 2^32 or more: certainly past the cap
            factor => self
                .initial_delay
                .checked_mul(factor)
                .map_or(self.max_delay, |delay| delay.min(self.max_delay)),
        };
        if self.jitter {
            jittered(delay, random)
        } else {
            delay
        }
    }
}

/// What one attempt ended in, as the policy needs to see it.
pub(crate) enum Outcome<'a> {
    /// An HTTP answer (any status).
    Response {
        /// The answer's status.
        status: StatusCode,
        /// The answer's headers (for Retry-After).
        headers: &'a HeaderMap,
    },
    /// No answer: the transport failed with this kind.
    Transport(TransportErrorKind),
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Do not try again: the outcome is final.
    Stop,
    /// Wait this long, then try again.
    Retry(Duration),
}

/// The server's Retry-After as a wait from `now`: delta-seconds ("120") or an HTTP date
/// ("Sun, 06 Nov 1994 08:49:37 GMT"; a date in the past means 0). None if absent or unreadable.
///
/// A number of seconds too large for a `Duration` saturates (it is readable, just very long).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = value.parse::<u64>().unwrap_or(u64::MAX);
        return Some(Duration::from_secs(seconds));
    }
    let date = http_date(value)?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether the outcome is worth another attempt for this method.
fn is_retryable(method: &Method, outcome: &Outcome<'_>) -> bool {
    match outcome {
        Outcome::Response { status, .. } => match status.as_u16() {
            // Refused before processing: safe to repeat anything.
            429 => true,
            // The request may have been processed: repeat only what is idempotent.
            502..=504 => is_idempotent(method),
            _ => false,
        },
        Outcome::Transport(kind) => match kind {
            // Nothing was sent.
            TransportErrorKind::Connect => true,
            // Something may have been sent and processed.
            TransportErrorKind::Timeout | TransportErrorKind::Io => is_idempotent(method),
            // BodyTooLarge, Other and kinds added later: repeating would not help.
            _ => false,
        },
    }
}

/// Methods that may be repeated without changing the outcome.
fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

/// The wait the server asked for, if it answered at all.
fn server_wait(outcome: &Outcome<'_>, now: SystemTime) -> Option<Duration> {
    match outcome {
        Outcome::Response { headers, .. } => retry_after(headers, now),
        Outcome::Transport(_) => None,
    }
}

/// A wait in [delay/2, delay): half is fixed, the other half scaled by `random`.
fn jittered(delay: Duration, random: f64) -> Duration {
    let random = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = delay / 2;
    let spread = delay - half;
    // f64 rounding must not reach the full delay.
    let below_full = spread.saturating_sub(Duration::from_nanos(1));
    let scaled = Duration::try_from_secs_f64(spread.as_secs_f64() * random).unwrap_or(below_full);
    half + scaled.min(below_full)
}

/// An HTTP date in any of the three forms RFC 9110 asks recipients to accept.
fn http_date(value: &str) -> Option<SystemTime> {
    // IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT".
    let seconds = match DateTime::parse_from_rfc2822(value) {
        Ok(date) => date.timestamp(),
        Err(_) => obsolete_http_date(value)?.and_utc().timestamp(),
    };
    match u64::try_from(seconds) {
        Ok(after) => SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(after)),
        Err(_) => SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(seconds.unsigned_abs())),
    }
}

/// RFC 850 ("Sunday, 06-Nov-94 08:49:37 GMT") or asctime ("Sun Nov  6 08:49:37 1994").
fn obsolete_http_date(value: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%a %b %e %H:%M:%S %Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use proptest::prelude::*;

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    /// "Sun, 06 Nov 1994 08:49:37 GMT" as seconds since the epoch.
    const RFC_EXAMPLE: u64 = 784_111_777;

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + secs(seconds)
    }

    fn steady() -> RetryPolicy {
        RetryPolicy::default().with_jitter(false)
    }

    fn headers(retry_after: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(RETRY_AFTER, HeaderValue::from_str(retry_after).unwrap());
        map
    }

    fn status_decision(
        policy: &RetryPolicy,
        method: Method,
        status: u16,
        h: &HeaderMap,
    ) -> Decision {
        let outcome = Outcome::Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: h,
        };
        policy.decide(&method, 1, &outcome, 0.0, at(RFC_EXAMPLE))
    }

    fn transport_decision(method: Method, kind: TransportErrorKind) -> Decision {
        steady().decide(&method, 1, &Outcome::Transport(kind), 0.0, at(RFC_EXAMPLE))
    }

    const IDEMPOTENT: [Method; 5] = [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::PUT,
        Method::DELETE,
    ];
    const NOT_IDEMPOTENT: [Method; 2] = [Method::POST, Method::PATCH];

    #[test]
    fn defaults() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.max_attempts, 5);
        assert_eq!(policy.initial_delay, ms(500));
        assert_eq!(policy.max_delay, secs(30));
        assert!(policy.jitter);
        assert_eq!(RetryPolicy::never().max_attempts, 1);
        let built = RetryPolicy::never()
            .with_max_attempts(3)
            .with_initial_delay(ms(100))
            .with_max_delay(secs(2))
            .with_jitter(false);
        assert_eq!(
            built,
            RetryPolicy {
                max_attempts: 3,
                initial_delay: ms(100),
                max_delay: secs(2),
                jitter: false
            }
        );
    }

    #[test]
    fn statuses_by_method() {
        let retry = Decision::Retry(ms(500));
        // (status, decision for idempotent methods, decision for POST/PATCH)
        let table = [
            (200, Decision::Stop, Decision::Stop),
            (204, Decision::Stop, Decision::Stop),
            (301, Decision::Stop, Decision::Stop),
            (304, Decision::Stop, Decision::Stop),
            (400, Decision::Stop, Decision::Stop),
            (401, Decision::Stop, Decision::Stop),
            (403, Decision::Stop, Decision::Stop),
            (404, Decision::Stop, Decision::Stop),
            (409, Decision::Stop, Decision::Stop),
            (429, retry, retry),
            (500, Decision::Stop, Decision::Stop),
            (501, Decision::Stop, Decision::Stop),
            (502, retry, Decision::Stop),
            (503, retry, Decision::Stop),
            (504, retry, Decision::Stop),
            (505, Decision::Stop, Decision::Stop),
        ];
        let none = HeaderMap::new();
        for (status, idempotent, not_idempotent) in table {
            for method in IDEMPOTENT {
                let got = status_decision(&steady(), method.clone(), status, &none);
                assert_eq!(got, idempotent, "{method} {status}");
            }
            for method in NOT_IDEMPOTENT {
                let got = status_decision(&steady(), method.clone(), status, &none);
                assert_eq!(got, not_idempotent, "{method} {status}");
            }
        }
    }

    #[test]
    fn transport_kinds_by_method() {
        let retry = Decision::Retry(ms(500));
        let table = [
            (TransportErrorKind::Connect, retry, retry),
            (TransportErrorKind::Timeout, retry, Decision::Stop),
            (TransportErrorKind::Io, retry, Decision::Stop),
            (
                TransportErrorKind::BodyTooLarge,
                Decision::Stop,
                Decision::Stop,
            ),
            (TransportErrorKind::Other, Decision::Stop, Decision::Stop),
        ];
        for (kind, idempotent, not_idempotent) in table {
            for method in IDEMPOTENT {
                assert_eq!(
                    transport_decision(method.clone(), kind),
                    idempotent,
                    "{method} {kind:?}"
                );
            }
            for method in NOT_IDEMPOTENT {
                assert_eq!(
                    transport_decision(method.clone(), kind),
                    not_idempotent,
                    "{method} {kind:?}"
                );
            }
        }
    }

    #[test]
    fn backoff_doubles_then_caps() {
        let policy = steady().with_max_attempts(100);
        let outcome = Outcome::Transport(TransportErrorKind::Connect);
        let waits: Vec<_> = (1..=9)
            .map(|attempt| policy.decide(&Method::GET, attempt, &outcome, 0.0, at(0)))
            .collect();
        let expected = [
            500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000,
        ];
        let expected: Vec<_> = expected.map(|n| Decision::Retry(ms(n))).to_vec();
        assert_eq!(waits, expected);

        let short = policy.clone().with_max_delay(secs(5));
        let waits: Vec<_> = (1..=6)
            .map(|attempt| short.decide(&Method::GET, attempt, &outcome, 0.0, at(0)))
            .collect();
        let expected = [500, 1_000, 2_000, 4_000, 5_000, 5_000].map(|n| Decision::Retry(ms(n)));
        assert_eq!(waits, expected.to_vec());
    }

    #[test]
    fn huge_attempts_saturate() {
        let policy = steady().with_max_attempts(u32::MAX);
        let outcome = Outcome::Transport(TransportErrorKind::Connect);
        for attempt in [32, 33, 64, 1_000, u32::MAX - 1] {
            let got = policy.decide(&Method::GET, attempt, &outcome, 0.0, at(0));
            assert_eq!(got, Decision::Retry(secs(30)), "attempt {attempt}");
        }
        let unbounded = policy.with_max_delay(Duration::MAX);
        let got = unbounded.decide(&Method::GET, 200, &outcome, 0.0, at(0));
        assert_eq!(got, Decision::Retry(Duration::MAX));
    }

    #[test]
    fn jitter_stays_between_half_and_full() {
        let policy = RetryPolicy::default().with_max_attempts(100);
        let outcome = Outcome::Transport(TransportErrorKind::Connect);
        let decide =
            |attempt, random| policy.decide(&Method::GET, attempt, &outcome, random, at(0));

        assert_eq!(decide(1, 0.0), Decision::Retry(ms(250)));
        assert_eq!(decide(1, 0.5), Decision::Retry(ms(375)));
        assert_eq!(decide(3, 0.0), Decision::Retry(secs(1)));
        for attempt in [1, 2, 5, 7, 40] {
            let Decision::Retry(wait) = decide(attempt, 1.0 - f64::EPSILON) else {
                panic!("attempt {attempt} should retry");
            };
            let full = steady().with_max_attempts(100).backoff(attempt, 0.0);
            assert!(wait < full, "{wait:?} < {full:?}");
            assert!(full - wait <= ms(1), "{wait:?} just under {full:?}");
        }
        // Out-of-contract randoms are clamped, never a panic.
        assert_eq!(decide(1, f64::NAN), Decision::Retry(ms(250)));
        assert_eq!(decide(1, -3.0), Decision::Retry(ms(250)));
        assert!(matches!(decide(1, 7.0), Decision::Retry(wait) if wait < ms(500)));
    }

    #[test]
    fn attempts_run_out() {
        let outcome = Outcome::Transport(TransportErrorKind::Connect);
        let policy = steady();
        let decide = |policy: &RetryPolicy, attempt| {
            policy.decide(&Method::GET, attempt, &outcome, 0.0, at(0))
        };
        assert_eq!(decide(&policy, 4), Decision::Retry(secs(4)));
        assert_eq!(decide(&policy, 5), Decision::Stop);
        assert_eq!(decide(&policy, 6), Decision::Stop);
        assert_eq!(decide(&RetryPolicy::never(), 1), Decision::Stop);
        assert_eq!(
            decide(&policy.clone().with_max_attempts(0), 1),
            Decision::Stop
        );
        assert_eq!(
            decide(&policy.with_max_attempts(2), 1),
            Decision::Retry(ms(500))
        );
    }

    #[test]
    fn retry_after_seconds() {
        let now = at(RFC_EXAMPLE);
        assert_eq!(retry_after(&headers("120"), now), Some(secs(120)));
        assert_eq!(retry_after(&headers(" 7 "), now), Some(secs(7)));
        assert_eq!(retry_after(&headers("0"), now), Some(Duration::ZERO));
        let huge = "99999999999999999999999999";
        assert_eq!(retry_after(&headers(huge), now), Some(secs(u64::MAX)));
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn retry_after_dates() {
        let now = at(RFC_EXAMPLE - 10);
        let imf = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(retry_after(&headers(imf), now), Some(secs(10)));
        let rfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
        assert_eq!(retry_after(&headers(rfc850), now), Some(secs(10)));
        let asctime = "Sun Nov  6 08:49:37 1994";
        assert_eq!(retry_after(&headers(asctime), now), Some(secs(10)));
        // A date in the past means "now".
        let later = at(RFC_EXAMPLE + 3_600);
        assert_eq!(retry_after(&headers(imf), later), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_garbage_is_ignored() {
        let now = at(RFC_EXAMPLE);
        for garbage in [
            "",
            "soon",
            "-5",
            "+5",
            "1.5",
            "5s",
            "Sun, 32 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(retry_after(&headers(garbage), now), None, "{garbage:?}");
        }
        let mut binary = HeaderMap::new();
        binary.insert(RETRY_AFTER, HeaderValue::from_bytes(b"\xff12").unwrap());
        assert_eq!(retry_after(&binary, now), None);
        // Unreadable: back to ordinary backoff.
        let got = status_decision(&steady(), Method::GET, 503, &headers("soon"));
        assert_eq!(got, Decision::Retry(ms(500)));
    }

    #[test]
    fn retry_after_is_obeyed_exactly() {
        // No jitter and no cap below it: it is the server's word.
        let jittery = RetryPolicy::default();
        let got = status_decision(&jittery, Method::POST, 429, &headers("12"));
        assert_eq!(got, Decision::Retry(secs(12)));
        let got = status_decision(&jittery, Method::GET, 503, &headers("30"));
        assert_eq!(got, Decision::Retry(secs(30)));
        let past = "Sun, 06 Nov 1994 08:00:00 GMT";
        let got = status_decision(&jittery, Method::GET, 503, &headers(past));
        assert_eq!(got, Decision::Retry(Duration::ZERO));
    }

    #[test]
    fn retry_after_over_max_delay_stops() {
        let policy = RetryPolicy::default();
        assert_eq!(
            status_decision(&policy, Method::GET, 429, &headers("31")),
            Decision::Stop
        );
        let in_an_hour = "Sun, 06 Nov 1994 09:49:37 GMT";
        assert_eq!(
            status_decision(&policy, Method::GET, 503, &headers(in_an_hour)),
            Decision::Stop
        );
        let patient = policy.with_max_delay(secs(3_600));
        let got = status_decision(&patient, Method::GET, 503, &headers(in_an_hour));
        assert_eq!(got, Decision::Retry(secs(3_600)));
    }

    #[test]
    fn retry_after_does_not_make_a_failure_retryable() {
        let policy = RetryPolicy::default();
        let h = headers("1");
        assert_eq!(
            status_decision(&policy, Method::POST, 503, &h),
            Decision::Stop
        );
        assert_eq!(
            status_decision(&policy, Method::GET, 500, &h),
            Decision::Stop
        );
        assert_eq!(
            status_decision(&policy, Method::GET, 200, &h),
            Decision::Stop
        );
    }

    fn any_method() -> impl Strategy<Value = Method> {
        prop::sample::select(vec![
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::PUT,
            Method::DELETE,
            Method::POST,
            Method::PATCH,
            Method::TRACE,
        ])
    }

    fn any_kind() -> impl Strategy<Value = TransportErrorKind> {
        prop::sample::select(vec![
            TransportErrorKind::Connect,
            TransportErrorKind::Timeout,
            TransportErrorKind::Io,
            TransportErrorKind::BodyTooLarge,
            TransportErrorKind::Other,
        ])
    }

    fn any_retry_after() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            any::<u64>().prop_map(|s| Some(s.to_string())),
            (0u64..100).prop_map(|s| Some(s.to_string())),
            Just(Some("Fri, 31 Dec 9999 23:59:59 GMT".to_owned())),
            Just(Some("Thu, 01 Jan 1970 00:00:00 GMT".to_owned())),
            Just(Some("Sun, 06 Nov 1994 08:49:37 GMT".to_owned())),
            "[ -~]{0,40}".prop_map(Some),
        ]
    }

    fn any_random() -> impl Strategy<Value = f64> {
        prop_oneof![0.0..1.0f64, any::<f64>()]
    }

    proptest! {
        #[test]
        fn waits_never_exceed_max_delay(
            method in any_method(),
            attempt in any::<u32>(),
            max_attempts in any::<u32>(),
            initial_ms in any::<u64>(),
            max_ms in any::<u64>(),
            jitter in any::<bool>(),
            random in any_random(),
            now_secs in any::<u32>(),
            status in 100u16..1000,
            kind in any_kind(),
            retry_after_value in any_retry_after(),
            transport in any::<bool>(),
        ) {
            let policy = RetryPolicy {
                max_attempts,
                initial_delay: ms(initial_ms),
                max_delay: ms(max_ms),
                jitter,
            };
            let mut map = HeaderMap::new();
            let value = retry_after_value.and_then(|v| HeaderValue::from_str(&v).ok());
            if let Some(value) = value {
                map.insert(RETRY_AFTER, value);
            }
            let outcome = if transport {
                Outcome::Transport(kind)
            } else {
                let status = StatusCode::from_u16(status).unwrap();
                Outcome::Response { status, headers: &map }
            };
            let now = at(u64::from(now_secs));
            let decision = policy.decide(&method, attempt, &outcome, random, now);
            if let Decision::Retry(wait) = decision {
                prop_assert!(wait <= policy.max_delay);
                prop_assert!(attempt < max_attempts);
            }
        }

        #[test]
        fn jitter_range_holds(attempt in 1u32..40, random in 0.0..1.0f64) {
            let policy = RetryPolicy::default().with_max_attempts(u32::MAX);
            let full = policy.clone().with_jitter(false).backoff(attempt, 0.0);
            let wait = policy.backoff(attempt, random);
            prop_assert!(wait >= full / 2, "{wait:?} at least half of {full:?}");
            prop_assert!(wait < full, "{wait:?} under {full:?}");
        }
    }
}
