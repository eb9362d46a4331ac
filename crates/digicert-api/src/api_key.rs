//! The API key, kept out of every log line, error message and debug print.

use std::fmt;

/// A CertCentral API key.
///
/// The key can order and revoke certificates, so it never prints: `Debug` and
/// `Display` show `[redacted]`, and the request header carrying it is marked
/// sensitive.
///
/// ```
/// use digicert_api::ApiKey;
///
/// let key = ApiKey::new("0123456789ABCDEF");
/// assert_eq!(format!("{key} {key:?}"), "[redacted] [redacted]");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key, with surrounding whitespace (a trailing newline from a file) removed.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        Self(key.trim().to_owned())
    }

    /// The key itself, for the one place that sends it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
