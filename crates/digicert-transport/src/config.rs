//! Settings every backend honours, so switching backends does not change behaviour.

use std::time::Duration;

/// Backend settings shared by all transports, with defaults suited to the CertCentral API.
///
/// ```
/// use std::time::Duration;
/// use digicert_transport::TransportConfig;
///
/// let config = TransportConfig::default()
///     .with_timeout(Duration::from_secs(30))
///     .with_user_agent("my-tool/1.0");
/// assert_eq!(config.connect_timeout, Duration::from_secs(10));
/// assert_eq!(config.timeout, Duration::from_secs(30));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// Longest wait for a connection (DNS, TCP and TLS). Default 10 s.
    pub connect_timeout: Duration,
    /// Longest time for the whole request, from connecting to the last body byte. Default 60 s.
    pub timeout: Duration,
    /// Largest response body accepted, after decompression. Default 64 MiB.
    pub max_response_bytes: u64,
    /// `User-Agent` sent when the request has none; `None` keeps the backend's own.
    pub user_agent: Option<String>,
}

impl TransportConfig {
    /// Default connect timeout: long enough for a slow TLS handshake, short enough to fail fast.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default whole-request timeout: reports can take a while, but not forever.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
    /// Default body limit: far above any CertCentral answer, far below exhausting memory.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

    /// Sets the connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, connect_timeout: Duration) -> Self {
        self.connect_timeout = connect_timeout;
        self
    }

    /// Sets the whole-request timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body accepted, in bytes.
    #[must_use]
    pub fn with_max_response_bytes(mut self, max_response_bytes: u64) -> Self {
        self.max_response_bytes = max_response_bytes;
        self
    }

    /// Sets the default `User-Agent`.
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            timeout: Self::DEFAULT_TIMEOUT,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            user_agent: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = TransportConfig::default();
        assert_eq!(config.connect_timeout, Duration::from_secs(10));
        assert_eq!(config.timeout, Duration::from_secs(60));
        assert_eq!(config.max_response_bytes, 64 * 1024 * 1024);
        assert_eq!(config.user_agent, None);
    }

    #[test]
    fn setters() {
        let config = TransportConfig::default()
            .with_connect_timeout(Duration::from_millis(5))
            .with_timeout(Duration::from_millis(7))
            .with_max_response_bytes(9)
            .with_user_agent("ua");
        assert_eq!(config.connect_timeout, Duration::from_millis(5));
        assert_eq!(config.timeout, Duration::from_millis(7));
        assert_eq!(config.max_response_bytes, 9);
        assert_eq!(config.user_agent.as_deref(), Some("ua"));
    }
}
