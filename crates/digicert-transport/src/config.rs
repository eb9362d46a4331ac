//! Settings every backend honours, so switching backends does not change behaviour.

use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::{TransportError, TransportErrorKind};

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
    /// Whether to trust the operating system's certificate store as well as the bundled
    /// Mozilla roots (default `true`). On Linux this is the distribution's bundle, or
    /// `SSL_CERT_FILE` / `SSL_CERT_DIR` when set.
    pub native_roots: bool,
    /// More trusted root certificates (DER), e.g. a TLS-inspecting proxy's CA; see
    /// [`TransportConfig::with_root_certificates_pem`].
    pub root_certificates: Vec<Vec<u8>>,
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

    /// Trusts the operating system's certificate store too (`true`), or only the bundled
    /// roots and [`TransportConfig::root_certificates`] (`false`).
    #[must_use]
    pub fn with_native_roots(mut self, native_roots: bool) -> Self {
        self.native_roots = native_roots;
        self
    }

    /// Trusts every certificate in `pem` (one or more `BEGIN CERTIFICATE` blocks) as a root,
    /// besides the bundled and the system roots.
    ///
    /// Fails (kind [`TransportErrorKind::Other`]) if `pem` holds no certificate or a block
    /// that is not valid base64.
    ///
    /// ```
    /// use digicert_transport::TransportConfig;
    ///
    /// assert!(TransportConfig::default().with_root_certificates_pem(b"no PEM here").is_err());
    /// ```
    pub fn with_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, TransportError> {
        let invalid = |message: String| TransportError::new(TransportErrorKind::Other, message);
        let mut found = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate =
                certificate.map_err(|err| invalid(format!("invalid PEM certificate: {err}")))?;
            self.root_certificates.push(certificate.as_ref().to_vec());
            found += 1;
        }
        if found == 0 {
            return Err(invalid(
                "no PEM certificate (BEGIN CERTIFICATE) found".to_owned(),
            ));
        }
        Ok(self)
    }
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            timeout: Self::DEFAULT_TIMEOUT,
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            user_agent: None,
            native_roots: true,
            root_certificates: Vec::new(),
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
        assert!(config.native_roots);
        assert!(config.root_certificates.is_empty());
    }

    #[test]
    fn root_certificates_from_pem() {
        // Two blocks (the bodies need only be base64 here), with text around them.
        let pem = b"a proxy CA\n-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
                    -----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";
        let config = TransportConfig::default()
            .with_root_certificates_pem(pem)
            .unwrap_or_default();
        assert_eq!(config.root_certificates, [vec![1, 2, 3], vec![4, 5, 6]]);
        for bad in [
            &b""[..],
            b"-----BEGIN PRIVATE KEY-----\nAQID\n-----END PRIVATE KEY-----\n",
            b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        ] {
            assert!(
                TransportConfig::default()
                    .with_root_certificates_pem(bad)
                    .is_err()
            );
        }
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
