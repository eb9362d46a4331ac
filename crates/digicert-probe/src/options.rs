//! How a prober runs: how many probes at once, how long each step may take, how many
//! addresses per name, which roots it trusts, and fixed answers for names.

use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use crate::error::SetupError;
use crate::resolve::Resolve;

/// Settings of a [`Prober`](crate::Prober).
///
/// ```
/// use std::time::Duration;
/// use digicert_probe::{Options, Resolve};
///
/// let options = Options::default()
///     .with_concurrency(64)
///     .with_handshake_timeout(Duration::from_secs(5))
///     .with_resolve(Resolve::parse("www.example.com:443:192.0.2.10")?);
/// assert_eq!(options.concurrency, 64);
/// assert_eq!(options.max_addresses, 16);
/// # Ok::<(), digicert_probe::ParseError>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Most DNS lookups and probes in flight at once, over everything the prober runs.
    /// Default 32; 0 counts as 1.
    pub concurrency: usize,
    /// Longest wait for the TCP connection. Default 5 s.
    pub connect_timeout: Duration,
    /// Longest wait from connected to the end of the TLS handshake, the STARTTLS exchange
    /// included. Default 10 s.
    pub handshake_timeout: Duration,
    /// Longest time for one probe of one address, connect to close; also the longest DNS
    /// lookup. Default 20 s.
    pub deadline: Duration,
    /// Most addresses probed for one name (the first ones DNS gives). Default 16.
    pub max_addresses: usize,
    /// Whether to trust the operating system's roots besides the bundled Mozilla roots
    /// (default `true`).
    pub native_roots: bool,
    /// More trusted roots (DER), such as a private CA's; see
    /// [`Options::with_root_certificates_pem`].
    pub root_certificates: Vec<Vec<u8>>,
    /// Fixed addresses for some host and port pairs, instead of DNS.
    pub resolve: Vec<Resolve>,
}

impl Options {
    /// Default [`Options::concurrency`].
    pub const DEFAULT_CONCURRENCY: usize = 32;
    /// Default [`Options::connect_timeout`].
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default [`Options::handshake_timeout`].
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default [`Options::deadline`].
    pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(20);
    /// Default [`Options::max_addresses`].
    pub const DEFAULT_MAX_ADDRESSES: usize = 16;

    /// Sets the most probes in flight.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the handshake timeout.
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Sets the deadline of one probe.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the most addresses probed per name.
    #[must_use]
    pub fn with_max_addresses(mut self, max_addresses: usize) -> Self {
        self.max_addresses = max_addresses;
        self
    }

    /// Trusts the operating system's roots too (`true`), or only the bundled and added ones.
    #[must_use]
    pub fn with_native_roots(mut self, native_roots: bool) -> Self {
        self.native_roots = native_roots;
        self
    }

    /// Adds a fixed answer for a host and port.
    #[must_use]
    pub fn with_resolve(mut self, entry: Resolve) -> Self {
        self.resolve.push(entry);
        self
    }

    /// Trusts every certificate in `pem` (one or more `BEGIN CERTIFICATE` blocks) as a root.
    ///
    /// ```
    /// use digicert_probe::Options;
    ///
    /// let err = Options::default().with_root_certificates_pem(b"no PEM here").unwrap_err();
    /// assert_eq!(err.to_string(), "no PEM certificate (BEGIN CERTIFICATE) found");
    /// ```
    pub fn with_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, SetupError> {
        let before = self.root_certificates.len();
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|err| SetupError::Pem {
                reason: err.to_string(),
            })?;
            self.root_certificates.push(certificate.as_ref().to_vec());
        }
        if self.root_certificates.len() == before {
            return Err(SetupError::NoCertificate);
        }
        Ok(self)
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: Self::DEFAULT_CONCURRENCY,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
            deadline: Self::DEFAULT_DEADLINE,
            max_addresses: Self::DEFAULT_MAX_ADDRESSES,
            native_roots: true,
            root_certificates: Vec::new(),
            resolve: Vec::new(),
        }
    }
}
