//! The error body every CertCentral endpoint answers with: `{"errors":[{"code","message"}]}`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::field::{Scalar, Sent};
use crate::lenient;
use crate::object::json_object;

json_object! {
    /// DigiCert's answer when a request fails.
    ///
    /// `errors` has been seen as a single object instead of an array; both decode to a list.
    ///
    /// ```
    /// use digicert_model::{decode_json, ErrorBody};
    ///
    /// let body: ErrorBody = decode_json(br#"{"errors":{"code":"not_found|order","message":"Order not found"}}"#)?;
    /// assert_eq!(body.errors[0].code.category(), "not_found");
    /// assert_eq!(body.errors[0].code.detail(), Some("order"));
    /// # Ok::<(), digicert_model::DecodeError>(())
    /// ```
    #[derive(Default)]
    pub struct ErrorBody {
        /// The errors DigiCert reported, usually one.
        pub errors: Vec<ApiErrorEntry>; strict,
    }
}

json_object! {
    /// One error reported by DigiCert.
    pub struct ApiErrorEntry {
        /// Machine-readable code, such as `not_found|order`.
        pub code: ErrorCode,
        /// Human-readable explanation.
        pub message: String = String::new(),
    }
}

impl ApiErrorEntry {
    /// An error entry with DigiCert's code and message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::new(code),
            message: message.into(),
            extra: crate::Extra::default(),
        }
    }
}

impl fmt::Display for ApiErrorEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A DigiCert error code, kept whole, and readable as `category|detail`.
///
/// Codes such as `access_denied|access_denied_invalid_key` carry a category and a
/// detail; codes such as `time_frame_too_long` are a category alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ErrorCode(String);

impl ErrorCode {
    /// Wraps a code as DigiCert writes it.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The code exactly as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before `|`, or the whole code when it has none.
    pub fn category(&self) -> &str {
        self.0
            .split_once('|')
            .map_or(&self.0, |(category, _)| category)
    }

    /// The part after `|`, if any.
    pub fn detail(&self) -> Option<&str> {
        self.0.split_once('|').map(|(_, detail)| detail)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient::text(d)
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> Self {
        Self(code.to_owned())
    }
}

impl Scalar for ErrorCode {
    type Visitor = lenient::TextVisitor<Self>;

    fn visitor() -> Self::Visitor {
        lenient::TextVisitor::new()
    }
    fn exact(&self, sent: Sent<'_>) -> bool {
        matches!(sent, Sent::Str(_))
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_category_and_detail() {
        let code = ErrorCode::new("access_denied|access_denied_invalid_key");
        assert_eq!(code.category(), "access_denied");
        assert_eq!(code.detail(), Some("access_denied_invalid_key"));
        assert_eq!(code.as_str(), "access_denied|access_denied_invalid_key");
        let code = ErrorCode::new("time_frame_too_long");
        assert_eq!(code.category(), "time_frame_too_long");
        assert_eq!(code.detail(), None);
    }
}
