//! Retries and the rate limit, with recorded sleeps on a fake clock: no real waiting.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::time::{Duration, SystemTime};

use digicert_api::transport::{TransportError, TransportErrorKind};
use digicert_api::{Error, OrderRef, RateLimit, RetryPolicy, Window};
use support::{Fake, config, fixture, response};

const RATE_LIMITED: &str = r#"{"errors":[{"code":"request_limit_exceeded","message":"Service unavailable, please limit request volume"}]}"#;
const HTML_503: &str = "<html><body><h1>503 Service Unavailable</h1></body></html>";

/// Fails the first `failures` calls with `failure`, then answers with order info.
fn flaky(
    failures: usize,
    failure: impl Fn() -> Result<digicert_api::transport::Response, TransportError>
    + Send
    + Sync
    + 'static,
) -> Fake {
    Fake::new(move |_, call| {
        if call < failures {
            failure()
        } else {
            Ok(response(200, fixture("order_info/seed_issued.json")))
        }
    })
}

#[test]
fn rate_limited_bursts_are_retried_with_backoff() {
    let (result, fake) = both!(
        flaky(3, || Ok(response(429, RATE_LIMITED))),
        config(),
        |client| client.order_info(&OrderRef::from(1))
    );
    assert_eq!(result.unwrap().id, 123456);
    assert_eq!(fake.requests().len(), 4);
    let ms: Vec<u128> = fake.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [500, 1000, 2000]);
}

#[test]
fn html_503s_and_gateway_errors_are_retried() {
    for status in [502, 503, 504] {
        let (result, fake) = both!(
            flaky(2, move || Ok(response(status, HTML_503))),
            config(),
            |client| client.order_info(&OrderRef::from(1))
        );
        assert!(result.is_ok(), "{status}: {result:?}");
        assert_eq!(fake.requests().len(), 3);
    }
}

#[test]
fn connect_and_timeout_failures_are_retried() {
    for kind in [
        TransportErrorKind::Connect,
        TransportErrorKind::Timeout,
        TransportErrorKind::Io,
    ] {
        let (result, fake) = both!(
            flaky(1, move || Err(TransportError::new(kind, "refused"))),
            config(),
            |client| client.order_info(&OrderRef::from(1))
        );
        assert!(result.is_ok(), "{kind:?}: {result:?}");
        assert_eq!(fake.requests().len(), 2, "{kind:?}");
    }
}

#[test]
fn other_errors_are_not_retried() {
    for status in [400, 401, 403, 404, 500] {
        let (result, fake) = both!(
            Fake::always(
                status,
                RATE_LIMITED.replace("request_limit_exceeded", "bad_request")
            ),
            config(),
            |client| client.reissues(1)
        );
        assert!(
            matches!(result, Err(Error::Api { .. })),
            "{status}: {result:?}"
        );
        assert_eq!(fake.requests().len(), 1, "{status}");
        assert!(fake.sleeps().is_empty());
    }
    let (result, fake) = both!(
        flaky(1, || Err(TransportError::new(
            TransportErrorKind::BodyTooLarge,
            "too big"
        ))),
        config(),
        |client| client.reissues(1)
    );
    assert!(matches!(result, Err(Error::Transport(_))), "{result:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn retry_after_seconds_is_honoured() {
    let limited = || {
        Ok(http::Response::builder()
            .status(429)
            .header("retry-after", "7")
            .body(RATE_LIMITED.as_bytes().to_vec())
            .unwrap())
    };
    let (result, fake) = both!(flaky(1, limited), config(), |client| client
        .order_info(&OrderRef::from(1)));
    assert!(result.is_ok());
    assert_eq!(fake.sleeps(), [Duration::from_secs(7)]);
}

#[test]
fn retry_after_as_an_http_date_is_honoured() {
    let at = httpdate(SystemTime::now() + Duration::from_secs(20));
    let limited = move || {
        Ok(http::Response::builder()
            .status(503)
            .header("retry-after", at.as_str())
            .body(HTML_503.as_bytes().to_vec())
            .unwrap())
    };
    let fake = flaky(1, limited);
    let client = digicert_api::blocking::Client::new(&fake, config());
    assert!(client.order_info(&OrderRef::from(1)).is_ok());
    let slept = fake.sleeps()[0];
    assert!(
        slept > Duration::from_secs(17) && slept <= Duration::from_secs(20),
        "{slept:?}"
    );
}

/// An IMF-fixdate, as HTTP writes dates.
fn httpdate(at: SystemTime) -> String {
    let at: chrono::DateTime<chrono::Utc> = at.into();
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[test]
fn exhausted_attempts_say_so_and_keep_digicerts_error() {
    let config = config().retry(
        RetryPolicy::default()
            .with_jitter(false)
            .with_max_attempts(4),
    );
    let (result, fake) = both!(Fake::always(429, RATE_LIMITED), config.clone(), |client| {
        client.order_info(&OrderRef::from(1))
    });
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::RetriesExhausted { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.is_rate_limited());
    assert!(err.to_string().contains("request_limit_exceeded"), "{err}");
    assert_eq!(fake.requests().len(), 4);

    let (result, _) = both!(Fake::always(503, HTML_503), config.clone(), |client| client
        .reissues(1));
    let err = result.unwrap_err();
    assert!(err.to_string().contains("503 Service Unavailable"), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
}

#[test]
fn jitter_keeps_waits_between_half_and_full_backoff() {
    let config = config().retry(RetryPolicy::default().with_max_attempts(6));
    let fake = Fake::always(429, RATE_LIMITED);
    let client = digicert_api::blocking::Client::new(&fake, config);
    assert!(client.order_info(&OrderRef::from(1)).is_err());
    for (sleep, full) in fake.sleeps().iter().zip([500u64, 1000, 2000, 4000, 8000]) {
        let full = Duration::from_millis(full);
        assert!(
            *sleep >= full / 2 && *sleep <= full,
            "{sleep:?} vs {full:?}"
        );
    }
}

#[test]
fn the_rate_limit_spaces_requests_on_the_clock() {
    let limit = RateLimit::new([Window {
        requests: 3,
        per: Duration::from_secs(1),
    }]);
    let query = digicert_api::StatusChangesQuery::last_minutes(1);

    let fake = Fake::always(200, "{}");
    let client =
        digicert_api::blocking::Client::new(&fake, config().rate_limit(Some(limit.clone())));
    for _ in 0..7 {
        client.status_changes(&query).unwrap();
    }
    check_window(&fake.sent_at(), 3, Duration::from_secs(1));
    // 7 requests at 3 per second: the last goes out 2 s after the first, not later.
    assert_eq!(fake.sent_at().last(), Some(&Duration::from_secs(2)));

    // Concurrent async calls share the one limiter.
    let fake = Fake::always(200, "{}");
    let client = digicert_api::Client::new(&fake, config().rate_limit(Some(limit)));
    let results = support::block_on(futures_util::future::join_all(
        (0..7).map(|_| client.status_changes(&query)),
    ));
    assert!(results.iter().all(Result::is_ok));
    check_window(&fake.sent_at(), 3, Duration::from_secs(1));
}

#[test]
fn the_default_rate_limit_is_digicerts() {
    let fake = Fake::always(200, "{}");
    let client = digicert_api::blocking::Client::new(
        &fake,
        config().rate_limit(Some(RateLimit::digicert())),
    );
    for _ in 0..250 {
        client
            .status_changes(&digicert_api::StatusChangesQuery::last_minutes(1))
            .unwrap();
    }
    let sent = fake.sent_at();
    check_window(&sent, 100, Duration::from_secs(5));
    // 250 requests at 100 per 5 s need 10 s, and no more.
    assert_eq!(sent.last(), Some(&Duration::from_secs(10)));
}

fn check_window(sent: &[Duration], limit: usize, per: Duration) {
    assert!(sent.len() > limit);
    for (i, start) in sent.iter().enumerate() {
        let in_window = sent[i..].iter().take_while(|t| **t < *start + per).count();
        assert!(
            in_window <= limit,
            "{in_window} requests within {per:?} of {start:?}: {sent:?}"
        );
    }
}
