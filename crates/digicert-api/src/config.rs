//! Client configuration: where to send requests, with which key, and how to behave.

use std::net::IpAddr;
use std::time::Duration;

use digicert_transport::TransportConfig;

use crate::api_key::ApiKey;
use crate::error::Error;
use crate::rate_limit::RateLimit;
use crate::retry::RetryPolicy;

/// The CertCentral instance an account lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Region {
    /// `https://www.digicert.com/services/v2`
    #[default]
    Us,
    /// `https://certcentral.digicert.eu/services/v2`
    Eu,
}

impl Region {
    /// The region's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Us => "https://www.digicert.com/services/v2",
            Self::Eu => "https://certcentral.digicert.eu/services/v2",
        }
    }
}

/// Everything a client needs to know, with DigiCert's defaults.
///
/// ```
/// use std::time::Duration;
/// use digicert_api::{Config, Region, RetryPolicy};
///
/// let config = Config::new("my-api-key")
///     .region(Region::Eu)
///     .retry(RetryPolicy::default().with_max_attempts(6))
///     .timeout(Duration::from_secs(30));
/// assert_eq!(config.base_url(), "https://certcentral.digicert.eu/services/v2");
///
/// // Plain http is only for servers on this machine, such as a test double.
/// assert!(Config::new("k").with_base_url("http://127.0.0.1:8080/services/v2").is_ok());
/// assert!(Config::new("k").with_base_url("http://example.com/services/v2").is_err());
/// # Ok::<(), digicert_api::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    base_url: String,
    api_key: ApiKey,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    concurrency: usize,
    transport: TransportConfig,
}

/// Pages an async client fetches at once by default.
const DEFAULT_CONCURRENCY: usize = 4;

impl Config {
    /// A configuration for the US instance with DigiCert's defaults.
    pub fn new(api_key: impl Into<ApiKey>) -> Self {
        Self {
            base_url: Region::Us.base_url().to_owned(),
            api_key: api_key.into(),
            retry: RetryPolicy::default(),
            rate_limit: Some(RateLimit::digicert()),
            concurrency: DEFAULT_CONCURRENCY,
            transport: TransportConfig::default(),
        }
    }

    /// Uses a region's base URL.
    pub fn region(mut self, region: Region) -> Self {
        region.base_url().clone_into(&mut self.base_url);
        self
    }

    /// Uses any base URL, such as `https://www.digicert.com/services/v2`.
    ///
    /// It must be `https`, or plain `http` to a loopback host (`localhost`,
    /// `127.0.0.0/8`, `[::1]`): the key must never cross a network in clear text.
    pub fn with_base_url(mut self, url: &str) -> Result<Self, Error> {
        self.base_url = validate_base_url(url)?;
        Ok(self)
    }

    /// Sets how failed requests are retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the client-side rate limit; `None` switches it off (for servers
    /// without DigiCert's limits). The default is DigiCert's published limits.
    pub fn rate_limit(mut self, limit: Option<RateLimit>) -> Self {
        self.rate_limit = limit;
        self
    }

    /// Pages an async client fetches at once when it pulls every page (at least 1).
    pub fn concurrency(mut self, pages: usize) -> Self {
        self.concurrency = pages.max(1);
        self
    }

    /// Whole-request timeout, for the backends the convenience constructors build.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.with_timeout(timeout);
        self
    }

    /// Connect timeout, for the backends the convenience constructors build.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.transport.with_connect_timeout(timeout);
        self
    }

    /// Largest response body accepted, in bytes (default 64 MiB), for the backends the
    /// convenience constructors build. A larger answer fails with a transport error of kind
    /// [`BodyTooLarge`](digicert_transport::TransportErrorKind::BodyTooLarge), which is not
    /// retried.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.transport = self.transport.with_max_response_bytes(bytes);
        self
    }

    /// Trusts the certificates in `pem` as roots too (a TLS-inspecting proxy's CA, say),
    /// for the backends the convenience constructors build; the Mozilla roots and the
    /// operating system's store stay trusted.
    ///
    /// Fails with [`Error::InvalidInput`] if `pem` holds no valid certificate.
    pub fn root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.transport = self
            .transport
            .with_root_certificates_pem(pem)
            .map_err(|err| Error::InvalidInput(err.message().to_owned()))?;
        Ok(self)
    }

    /// Whether the backends the convenience constructors build trust the operating
    /// system's certificate store as well as the bundled Mozilla roots (default `true`).
    pub fn native_roots(mut self, native_roots: bool) -> Self {
        self.transport = self.transport.with_native_roots(native_roots);
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The API key (prints as `[redacted]`).
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The client-side rate limit, if on.
    pub fn rate_limit_config(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// Pages an async client fetches at once.
    pub fn page_concurrency(&self) -> usize {
        self.concurrency
    }

    /// Settings for a backend built from this configuration.
    ///
    /// A plain `http` base URL (loopback only) needs no certificates, so the system's store
    /// is not read for it.
    pub fn transport_config(&self) -> TransportConfig {
        let config = self.transport.clone().with_user_agent(crate::USER_AGENT);
        if self.base_url.starts_with("http://") {
            config.with_native_roots(false)
        } else {
            config
        }
    }
}

/// Checks a base URL and returns it without a trailing `/`.
fn validate_base_url(url: &str) -> Result<String, Error> {
    let invalid = |why: &str| Error::InvalidInput(format!("base URL `{url}` {why}"));
    let uri: http::Uri = url.parse().map_err(|_| invalid("is not a URL"))?;
    let host = uri.host().ok_or_else(|| invalid("has no host"))?;
    if uri.query().is_some() {
        return Err(invalid("must not have a query"));
    }
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(invalid(
                "must use https (plain http only for loopback hosts)",
            ));
        }
        _ => return Err(invalid("must start with https://")),
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// Whether `host` names this machine.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        for ok in [
            "https://www.digicert.com/services/v2",
            "https://www.digicert.com/services/v2/",
            "http://127.0.0.1:3000/services/v2",
            "http://127.1.2.3/x",
            "http://localhost:8080",
            "http://[::1]:8080/services/v2",
        ] {
            assert!(validate_base_url(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            validate_base_url("https://a.example/v2/").unwrap(),
            "https://a.example/v2"
        );
        for bad in [
            "http://www.digicert.com/services/v2",
            "http://10.0.0.1/services/v2",
            "http://127.0.0.1.example.com/",
            "ftp://127.0.0.1/",
            "www.digicert.com/services/v2",
            "https://",
            "https://a.example/v2?x=1",
        ] {
            assert!(validate_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults() {
        let config = Config::new(" key\n");
        assert_eq!(config.base_url(), Region::Us.base_url());
        assert_eq!(config.api_key().expose(), "key");
        assert!(config.rate_limit_config().is_some());
        assert!(config.retry_policy().max_attempts >= 4);
        assert_eq!(
            config.transport_config().max_response_bytes,
            TransportConfig::DEFAULT_MAX_RESPONSE_BYTES
        );
        let config = config.max_response_bytes(1000);
        assert_eq!(config.transport_config().max_response_bytes, 1000);
        assert_eq!(config.concurrency(0).page_concurrency(), 1);
    }

    #[test]
    fn the_system_store_is_only_read_for_https() {
        let config = Config::new("k");
        assert!(config.transport_config().native_roots);
        assert!(
            !config
                .clone()
                .native_roots(false)
                .transport_config()
                .native_roots
        );
        let local = config
            .with_base_url("http://127.0.0.1:1/services/v2")
            .unwrap();
        assert!(!local.transport_config().native_roots);
    }
}
