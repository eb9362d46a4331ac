//! `GET /order/certificate/{order_id}`: one order, by id, thumbprint or serial number.

use std::fmt;
use std::str::FromStr;

use digicert_model::{DecodeError, OrderInfo, decode_json};

use crate::endpoint::{Endpoint, Format, Target};
use crate::error::Error;

/// A reference to an order: its id, or its certificate's thumbprint or serial number.
///
/// Only digits and hex letters are accepted, so a reference can never change
/// the request path (`../..`, `/`, `?`, `#`, `%` and look-alike characters are refused).
///
/// ```
/// use digicert_api::OrderRef;
///
/// assert!(OrderRef::parse("123456").is_ok());
/// assert!(OrderRef::parse("0A1B2C3D4E5F60718293A4B5C6D7E8F901234567").is_ok());
/// assert!(OrderRef::parse("../../account").is_err());
/// assert_eq!(OrderRef::from(42).as_str(), "42");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderRef(String);

/// Longest reference accepted (a SHA-256 thumbprint is 64 hex digits).
const MAX_REF_LEN: usize = 128;

impl OrderRef {
    /// Checks a reference typed by a person or read from a file.
    pub fn parse(reference: &str) -> Result<Self, Error> {
        let reference = reference.trim();
        let valid = !reference.is_empty()
            && reference.len() <= MAX_REF_LEN
            && reference.bytes().all(|b| b.is_ascii_hexdigit());
        if valid {
            Ok(Self(reference.to_owned()))
        } else {
            let shown: String = reference
                .chars()
                .take(40)
                .flat_map(char::escape_debug)
                .collect();
            Err(Error::InvalidInput(format!(
                "`{shown}` is not an order id, thumbprint or serial number (digits or hex, at most {MAX_REF_LEN})"
            )))
        }
    }

    /// The reference as it goes into the path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<u64> for OrderRef {
    fn from(order_id: u64) -> Self {
        Self(order_id.to_string())
    }
}

impl FromStr for OrderRef {
    type Err = Error;

    fn from_str(reference: &str) -> Result<Self, Error> {
        Self::parse(reference)
    }
}

impl fmt::Display for OrderRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The order info request for one reference.
pub(crate) struct OrderInfoRequest<'a>(pub(crate) &'a OrderRef);

impl Endpoint for OrderInfoRequest<'_> {
    type Output = OrderInfo;
    const NAME: &'static str = "order info";
    const FORMAT: Format = Format::Json;

    fn target(&self) -> Result<Target, Error> {
        // Re-checked here so a reference can never reach a path unchecked.
        let reference = OrderRef::parse(self.0.as_str())?;
        Ok(Target {
            path: format!("/order/certificate/{reference}"),
            query: Vec::new(),
        })
    }

    fn decode(&self, body: Vec<u8>) -> Result<OrderInfo, DecodeError> {
        decode_json(&body)
    }
}
