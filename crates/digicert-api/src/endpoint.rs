//! What every endpoint definition provides: its request target and its decoder.
//!
//! An endpoint is a small value (a query, an order reference) that knows how to
//! build its request and read its answer, without doing any I/O; both clients
//! run every endpoint through the same steps (see `core.rs`).

use digicert_model::DecodeError;

use crate::error::Error;

/// The body format a successful answer comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A JSON document.
    Json,
    /// The CSV order report.
    Csv,
}

/// Where a request goes below the base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The path, starting with `/`; built only from validated parts.
    pub(crate) path: String,
    /// Query parameters, not yet encoded.
    pub(crate) query: Vec<(String, String)>,
}

/// One CertCentral endpoint call (always a GET).
pub(crate) trait Endpoint: Sync {
    /// What a successful answer decodes to.
    type Output: Send;
    /// The endpoint's name in error messages.
    const NAME: &'static str;
    /// The format of a successful answer.
    const FORMAT: Format;

    /// The request's path and query; refuses invalid input before anything is sent.
    fn target(&self) -> Result<Target, Error>;

    /// Decodes a successful answer's body.
    fn decode(&self, body: Vec<u8>) -> Result<Self::Output, DecodeError>;
}
