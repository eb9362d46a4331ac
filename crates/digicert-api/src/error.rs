//! The one error type of the client: what failed, and what DigiCert said.

use digicert_model::{ApiErrorEntry, DecodeError};
use digicert_transport::TransportError;
use http::StatusCode;

/// Why a call failed.
///
/// Messages never contain the API key or request headers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// DigiCert answered with an error body (`{"errors":[...]}`).
    #[error("DigiCert answered {status}: {}", describe(errors))]
    Api {
        /// The HTTP status.
        status: StatusCode,
        /// Every code and message DigiCert gave.
        errors: Vec<ApiErrorEntry>,
    },
    /// The answer was not the documented body, such as an HTML page from a proxy.
    #[error("unexpected answer {status}{}: {}", content_type.as_deref().map(|t| format!(" ({t})")).unwrap_or_default(), quoted(excerpt))]
    UnexpectedResponse {
        /// The HTTP status.
        status: StatusCode,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The start of the body.
        excerpt: String,
    },
    /// The input was refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// No answer came: connection, timeout or I/O failure.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A success answer could not be decoded.
    #[error("could not decode the {endpoint} answer: {source}")]
    Decode {
        /// Which endpoint answered.
        endpoint: &'static str,
        /// Where and why decoding failed.
        #[source]
        source: DecodeError,
    },
    /// Every allowed attempt failed with a retryable error; `last` is the final one.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The last attempt's error.
        last: Box<Error>,
    },
}

impl Error {
    /// The HTTP status of the answer, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Api { status, .. } | Self::UnexpectedResponse { status, .. } => Some(*status),
            Self::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// DigiCert's error entries, if it sent any.
    pub fn api_errors(&self) -> &[ApiErrorEntry] {
        match self {
            Self::Api { errors, .. } => errors,
            Self::RetriesExhausted { last, .. } => last.api_errors(),
            _ => &[],
        }
    }

    /// Whether DigiCert said the thing asked for does not exist (HTTP 404 or a `not_found` code).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
            || self
                .api_errors()
                .iter()
                .any(|e| e.code.category() == "not_found")
    }

    /// Whether DigiCert refused the request for going over its rate limit.
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(StatusCode::TOO_MANY_REQUESTS)
            || self
                .api_errors()
                .iter()
                .any(|e| e.code.category() == "request_limit_exceeded")
    }

    /// Whether the API key was refused (`access_denied|access_denied_invalid_key`, or HTTP 401).
    pub fn is_access_denied(&self) -> bool {
        self.status() == Some(StatusCode::UNAUTHORIZED)
            || self
                .api_errors()
                .iter()
                .any(|e| e.code.category() == "access_denied")
    }
}

/// The start of a body in backticks, or what an empty one is.
fn quoted(excerpt: &str) -> String {
    if excerpt.is_empty() {
        "an empty body".to_owned()
    } else {
        format!("`{excerpt}`")
    }
}

/// `code: message; code: message` for the error's message.
fn describe(errors: &[ApiErrorEntry]) -> String {
    if errors.is_empty() {
        return "no error details".to_owned();
    }
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
