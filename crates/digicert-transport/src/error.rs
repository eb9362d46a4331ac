//! The one error type every backend returns, with a coarse kind callers can act on.

use std::fmt;

/// Boxed cause kept behind a [`TransportError`], so callers can walk the chain.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, coarse enough for retry decisions and independent of the backend.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// No connection could be made: DNS failure, connection refused, TLS handshake failure.
    Connect,
    /// The connect timeout or the whole-request timeout ran out.
    Timeout,
    /// The connection failed after it was made, e.g. it closed in the middle of the body.
    Io,
    /// The response body is larger than the configured limit; it was not read into memory.
    BodyTooLarge,
    /// Anything else: an invalid request, a protocol violation, a backend-specific failure.
    Other,
}

impl TransportErrorKind {
    /// A short phrase for messages, e.g. "connection failed".
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connection failed",
            Self::Timeout => "timed out",
            Self::Io => "I/O error",
            Self::BodyTooLarge => "response body too large",
            Self::Other => "transport error",
        }
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request that produced no HTTP response, so callers get one error type whatever the backend.
///
/// The message says what failed (method and URL are fine); it never contains request headers,
/// because those carry the API key.
///
/// ```
/// use digicert_transport::{TransportError, TransportErrorKind};
///
/// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let err = TransportError::new(TransportErrorKind::Connect, "GET http://127.0.0.1:1/")
///     .with_source(io);
/// assert_eq!(err.kind(), TransportErrorKind::Connect);
/// assert_eq!(err.to_string(), "connection failed: GET http://127.0.0.1:1/");
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    #[source]
    source: Option<BoxError>,
}

impl TransportError {
    /// Creates an error of `kind` with a message saying what failed.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying cause, so `std::error::Error::source` can reach it.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The coarse kind, for retry decisions and error mapping.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The message without the kind prefix.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error for a body over `limit` bytes; backends share it so the wording is the same.
    pub fn body_too_large(limit: u64) -> Self {
        Self::new(
            TransportErrorKind::BodyTooLarge,
            format!("response body exceeds the limit of {limit} bytes"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn display_has_kind_and_message() {
        let err = TransportError::new(TransportErrorKind::Timeout, "GET https://x/ after 60s");
        assert_eq!(err.to_string(), "timed out: GET https://x/ after 60s");
        assert_eq!(err.message(), "GET https://x/ after 60s");
        assert!(err.source().is_none());
    }

    #[test]
    fn source_is_reachable() {
        let err = TransportError::new(TransportErrorKind::Io, "read body")
            .with_source(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
        let source = err.source().expect("source");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
    }

    #[test]
    fn body_too_large_kind() {
        let err = TransportError::body_too_large(10);
        assert_eq!(err.kind(), TransportErrorKind::BodyTooLarge);
        assert!(err.to_string().contains("10 bytes"));
    }

    #[test]
    fn is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<TransportError>();
    }
}
