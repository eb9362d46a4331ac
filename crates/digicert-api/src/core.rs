//! The steps both clients share: prepare a request, decide after each attempt,
//! and finish the answer into a typed result.
//!
//! Everything here is pure but for reading the clock and a random number for
//! jitter; the clients add only `send` and `sleep`, so the blocking and the async
//! client cannot drift apart.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use digicert_model::{ErrorBody, decode_json};
use digicert_transport::{Request, Response, TransportError};
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::config::Config;
use crate::endpoint::{Endpoint, Format};
use crate::error::Error;
use crate::query::query_string;
use crate::rate_limit::RateLimiter;
use crate::retry::{Decision, Outcome};

/// The header that carries the API key.
const API_KEY_HEADER: &str = "x-dc-devkey";

/// Longest body excerpt quoted in an error, in bytes.
const EXCERPT_BYTES: usize = 200;

/// What to do after an attempt.
pub(crate) enum Step {
    /// A successful answer: finish it.
    Done(Response),
    /// Wait, then try again.
    Retry(Duration),
    /// Give up with this error.
    Fail(Error),
}

/// One attempt's place in the rate limit, from before it is sent until its answer is in.
///
/// Dropped without [`Slot::release`] (the call was cancelled), it ends as of when it was taken.
/// (`None` for a client without a rate limit.)
pub(crate) struct Slot<'a>(Option<(&'a RateLimiter, Instant)>);

impl Slot<'_> {
    /// The attempt ended at `now`: from then on it counts for one window more.
    pub(crate) fn release(mut self, now: Instant) {
        if let Some((limiter, _)) = self.0.take() {
            limiter.release(now);
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Some((limiter, taken)) = self.0.take() {
            limiter.release(taken);
        }
    }
}

/// The configuration and shared state of one client.
#[derive(Debug)]
pub(crate) struct Core {
    config: Config,
    limiter: Option<RateLimiter>,
    random_state: AtomicU64,
}

impl Core {
    pub(crate) fn new(config: Config) -> Self {
        let limiter = config.rate_limit_config().cloned().map(RateLimiter::new);
        let seed = RandomState::new().hash_one(0u8);
        Self {
            config,
            limiter,
            random_state: AtomicU64::new(seed),
        }
    }

    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// Builds the request for `endpoint`, or refuses invalid input.
    pub(crate) fn request<E: Endpoint>(&self, endpoint: &E) -> Result<Request, Error> {
        let target = endpoint.target()?;
        let mut uri = format!("{}{}", self.config.base_url(), target.path);
        if !target.query.is_empty() {
            uri.push('?');
            uri.push_str(&query_string(&target.query));
        }
        let mut key = HeaderValue::from_str(self.config.api_key().expose()).map_err(|_| {
            Error::InvalidInput(
                "the API key has characters that cannot go in an HTTP header".to_owned(),
            )
        })?;
        key.set_sensitive(true);
        tracing::debug!(endpoint = E::NAME, %uri, "request");
        let accept = match E::FORMAT {
            Format::Json => "application/json",
            Format::Csv => "text/csv",
        };
        http::Request::get(uri)
            .header(API_KEY_HEADER, key)
            .header(USER_AGENT, crate::USER_AGENT)
            .header(ACCEPT, accept)
            .body(Vec::new())
            .map_err(|err| {
                Error::InvalidInput(format!("could not build the {} request: {err}", E::NAME))
            })
    }

    /// A slot in the rate limit for an attempt about to be sent at `now`, or how long to
    /// wait before asking again. Release the slot when the attempt's answer (or failure) is in.
    pub(crate) fn rate_slot(&self, now: Instant) -> Result<Slot<'_>, Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(Slot(None));
        };
        match limiter.try_acquire(now) {
            Ok(()) => Ok(Slot(Some((limiter, now)))),
            Err(wait) => {
                tracing::debug!(wait_ms = wait.as_millis(), "rate limit reached: waiting");
                Err(wait)
            }
        }
    }

    /// Decides what follows attempt number `attempt` (1-based).
    pub(crate) fn after_attempt(
        &self,
        attempt: u32,
        result: Result<Response, TransportError>,
    ) -> Step {
        if let Ok(response) = &result {
            if response.status().is_success() {
                return match result {
                    Ok(response) => Step::Done(response),
                    Err(err) => Step::Fail(err.into()),
                };
            }
        }
        let policy = self.config.retry_policy();
        let decide = |max_attempts: u32| {
            let outcome = match &result {
                Ok(response) => Outcome::Response {
                    status: response.status(),
                    headers: response.headers(),
                },
                Err(err) => Outcome::Transport(err.kind()),
            };
            policy.clone().with_max_attempts(max_attempts).decide(
                &Method::GET,
                attempt,
                &outcome,
                self.random(),
                SystemTime::now(),
            )
        };
        if let Decision::Retry(wait) = decide(policy.max_attempts) {
            match &result {
                Ok(response) => tracing::info!(
                    attempt,
                    status = response.status().as_u16(),
                    wait_ms = wait.as_millis(),
                    "retrying"
                ),
                Err(err) => {
                    tracing::info!(attempt, error = %err, wait_ms = wait.as_millis(), "retrying")
                }
            }
            return Step::Retry(wait);
        }
        // Would another attempt have been allowed? Then the attempts ran out.
        let exhausted = attempt > 1 && matches!(decide(u32::MAX), Decision::Retry(_));
        let error = match result {
            Ok(response) => {
                let (parts, body) = response.into_parts();
                error_from_answer(parts.status, &parts.headers, &body)
            }
            Err(err) => Error::Transport(err),
        };
        Step::Fail(if exhausted {
            Error::RetriesExhausted {
                attempts: attempt,
                last: Box::new(error),
            }
        } else {
            error
        })
    }

    /// Decodes a successful answer, or explains why it is not the documented body.
    pub(crate) fn finish<E: Endpoint>(
        &self,
        endpoint: &E,
        response: Response,
    ) -> Result<E::Output, Error> {
        let (parts, body) = response.into_parts();
        if !looks_like(E::FORMAT, &body) {
            return Err(error_from_answer(parts.status, &parts.headers, &body));
        }
        endpoint.decode(body).map_err(|source| Error::Decode {
            endpoint: E::NAME,
            source,
        })
    }

    /// A uniform number in [0, 1) for retry jitter (splitmix64 over a shared counter).
    fn random(&self) -> f64 {
        let mut z = self
            .random_state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 53 bits fill an f64's mantissa exactly.
        #[allow(clippy::cast_precision_loss)]
        let unit = (z >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }
}

/// Whether a successful answer's body starts the way its format does.
fn looks_like(format: Format, body: &[u8]) -> bool {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match (format, first) {
        (_, None) => false,
        (Format::Json, Some(b)) => matches!(b, b'{' | b'['),
        (Format::Csv, Some(b)) => !matches!(b, b'<' | b'{' | b'['),
    }
}

/// DigiCert's error body if the answer holds one, else an unexpected-answer error.
fn error_from_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    if let Ok(parsed) = decode_json::<ErrorBody>(body) {
        if !parsed.errors.is_empty() {
            return Error::Api {
                status,
                errors: parsed.errors,
            };
        }
    }
    Error::UnexpectedResponse {
        status,
        content_type: headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        excerpt: excerpt(body),
    }
}

/// The start of a body on one line: whitespace runs folded, control characters dropped.
fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    let text = String::from_utf8_lossy(cut);
    let mut out: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if body.len() > EXCERPT_BYTES {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_is_in_unit_interval_and_varies() {
        let core = Core::new(Config::new("k"));
        let values: Vec<f64> = (0..1000).map(|_| core.random()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = values.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }

    #[test]
    fn excerpts_are_one_short_line() {
        let html = b"<html>\n  <head><title>503 Service Unavailable</title></head>\n</html>";
        assert_eq!(
            excerpt(html),
            "<html> <head><title>503 Service Unavailable</title></head> </html>"
        );
        let long = vec![b'x'; 1000];
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_BYTES + 1);
    }
}
