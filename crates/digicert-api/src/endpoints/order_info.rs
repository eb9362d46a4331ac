//! `GET /order/certificate/{order_id}`: one order, by id, thumbprint or serial number.

use std::fmt;
use std::str::FromStr;

use digicert_model::{DecodeError, OrderInfo, decode_json};

use crate::endpoint::{Endpoint, Format, Target};
use crate::error::Error;

/// A reference to an order: its id, or its certificate's thumbprint or serial number.
///
/// A reference is taken in the spellings people paste: any case, with colons
/// (`21:b7:4c:...`, as `openssl x509 -fingerprint` prints it) or spaces between
/// the digits, with the label `openssl x509 -noout -fingerprint -serial` puts before it
/// (`SHA1 Fingerprint=`, `serial=`), or with a `0x` prefix. It is normalized before it is
/// sent: label and separators removed, hex letters upper case. After that only digits and hex letters are accepted, so a
/// reference can never change the request path (`../..`, `/`, `?`, `#`, `%` and
/// look-alike characters are refused).
///
/// ```
/// use digicert_api::OrderRef;
///
/// assert!(OrderRef::parse("123456").is_ok());
/// assert!(OrderRef::parse("0A1B2C3D4E5F60718293A4B5C6D7E8F901234567").is_ok());
/// assert_eq!(OrderRef::parse("0a:1b:2c:3d")?.as_str(), "0A1B2C3D");
/// assert_eq!(OrderRef::parse(" 0a 1b 2c 3d ")?.as_str(), "0A1B2C3D");
/// assert_eq!(OrderRef::parse("SHA1 Fingerprint=0A:1B:2C:3D")?.as_str(), "0A1B2C3D");
/// assert_eq!(OrderRef::parse("serial=0A1B2C3D")?.as_str(), "0A1B2C3D");
/// assert_eq!(OrderRef::parse("0x0a1b2c3d")?.as_str(), "0A1B2C3D");
/// assert!(OrderRef::parse("../../account").is_err());
/// assert_eq!(OrderRef::from(42).as_str(), "42");
/// # Ok::<(), digicert_api::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderRef(String, Kind);

/// What a reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// An order id, thumbprint or serial number, as CertCentral reads it.
    Any,
    /// A certificate's serial number or thumbprint, never an order id: it was labelled
    /// (`serial=`, `SHA1 Fingerprint=`) or written as a `0x` number.
    Certificate,
}

/// Longest reference accepted (a SHA-256 thumbprint is 64 hex digits).
const MAX_REF_LEN: usize = 128;

/// How much of a refused reference its error shows (then `…`).
const SHOWN_CHARS: usize = 40;

impl OrderRef {
    /// Checks a reference typed by a person or read from a file, and normalizes
    /// it: colons and whitespace between digits removed, hex letters upper case.
    pub fn parse(reference: &str) -> Result<Self, Error> {
        let reference = reference.trim();
        let kind = if Self::unlabelled(reference).len() == reference.len() {
            Kind::Any
        } else {
            Kind::Certificate
        };
        let normalized: String = Self::unlabelled(reference)
            .chars()
            .filter(|c| *c != ':' && !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid = !normalized.is_empty()
            && normalized.len() <= MAX_REF_LEN
            && normalized.bytes().all(|b| b.is_ascii_hexdigit());
        if valid {
            Ok(Self(normalized, kind))
        } else {
            let mut shown: String = reference
                .chars()
                .take(SHOWN_CHARS)
                .flat_map(char::escape_debug)
                .collect();
            if reference.chars().nth(SHOWN_CHARS).is_some() {
                shown.push('…');
            }
            Err(Error::InvalidInput(format!(
                "`{shown}` is not an order id, thumbprint or serial number (digits or hex, at most {MAX_REF_LEN})"
            )))
        }
    }

    /// The digits of a reference as `openssl x509 -noout -fingerprint -serial` prints it
    /// (`SHA1 Fingerprint=21:B7:...`, `serial=46F7...`) or as a `0x` number: `text` without
    /// that label or prefix; any other text as it is.
    ///
    /// ```
    /// use digicert_api::OrderRef;
    ///
    /// assert_eq!(OrderRef::unlabelled("sha256 Fingerprint=21:B7"), "21:B7");
    /// assert_eq!(OrderRef::unlabelled("serial=46F7"), "46F7");
    /// assert_eq!(OrderRef::unlabelled("0x46f7"), "46f7");
    /// assert_eq!(OrderRef::unlabelled("www.example.com"), "www.example.com");
    /// ```
    pub fn unlabelled(text: &str) -> &str {
        let text = text.trim();
        let text = match text.split_once('=') {
            Some((label, value)) => {
                let label = label.trim().to_ascii_lowercase();
                if label == "serial" || label == "fingerprint" || label.ends_with(" fingerprint") {
                    value.trim()
                } else {
                    text
                }
            }
            None => text,
        };
        text.strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text)
    }

    /// The reference as it goes into the path.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the reference names a certificate's serial number or thumbprint, never an order
    /// id: it was written with `serial=`, a `Fingerprint=` label or a `0x` prefix. CertCentral
    /// reads a reference of digits alone as an order id, so the order it answers for such a
    /// one is only the one meant if its certificate has that serial number or thumbprint.
    ///
    /// ```
    /// use digicert_api::OrderRef;
    ///
    /// assert!(OrderRef::parse("0x1000058")?.is_certificate());
    /// assert!(OrderRef::parse("serial=1000058")?.is_certificate());
    /// assert!(!OrderRef::parse("1000058")?.is_certificate());
    /// # Ok::<(), digicert_api::Error>(())
    /// ```
    pub fn is_certificate(&self) -> bool {
        self.1 == Kind::Certificate
    }
}

impl From<u64> for OrderRef {
    fn from(order_id: u64) -> Self {
        Self(order_id.to_string(), Kind::Any)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn pasted_spellings_normalize_to_one_reference() {
        let upper = "21B74C0A1B2C3D4E5F60718293A4B5C6D7E8F901";
        for pasted in [
            upper,
            "21b74c0a1b2c3d4e5f60718293a4b5c6d7e8f901",
            "21:B7:4C:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:01",
            "21:b7:4c:0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9:01",
            "21 B7 4C 0A 1B 2C 3D 4E 5F 60 71 82 93 A4 B5 C6 D7 E8 F9 01",
            "  21b7 4c0a\t1b2c3d4e5f60718293a4b5c6d7e8f901\n",
        ] {
            assert_eq!(
                OrderRef::parse(pasted).unwrap().as_str(),
                upper,
                "{pasted:?}"
            );
        }
        assert_eq!(OrderRef::parse("123456").unwrap().as_str(), "123456");
    }

    #[test]
    fn separators_alone_or_other_characters_are_refused() {
        for bad in [
            "",
            ":",
            " : ",
            "12-34",
            "12/34",
            "../..",
            "0x",
            "0x12/..",
            "12%2F34",
            "ｆｆ",
            "serial=",
            "SHA1 Fingerprint=../..",
            "label=12",
        ] {
            assert!(OrderRef::parse(bad).is_err(), "{bad:?}");
        }
        // What openssl prints, and a `0x` number, are taken.
        for (pasted, reference) in [
            ("SHA1 Fingerprint=21:B7", "21B7"),
            ("sha256 Fingerprint=21:b7", "21B7"),
            ("serial=46F7", "46F7"),
            ("0x46f7", "46F7"),
        ] {
            assert_eq!(OrderRef::parse(pasted).unwrap().as_str(), reference);
        }
        // A refused reference is shown cut, with an ellipsis.
        let err = OrderRef::parse(&format!("{}/", "a".repeat(60))).unwrap_err();
        assert!(
            err.to_string().contains(&format!("`{}…`", "a".repeat(40))),
            "{err}"
        );
        let long = "ab:".repeat(65);
        assert!(OrderRef::parse(&long).is_err());
        assert!(OrderRef::parse(&"ab:".repeat(64)).is_ok());
    }
}
