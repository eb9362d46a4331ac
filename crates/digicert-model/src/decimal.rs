//! An exact decimal amount, for order costs.
//!
//! Costs are money (or units); reading them into `f64` would turn `0.1 + 0.2`
//! into `0.30000000000000004`. [`Decimal`] keeps the digits exactly as sent.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Unexpected, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::field::{Scalar, Sent};

/// A decimal number kept as its exact digits, such as `198` or `-12.50`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal(String);

/// The text given was not a plain decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number (expected digits with an optional sign and fraction)")]
pub struct DecimalError;

impl Decimal {
    /// The digits as received, such as `"198.00"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` is a plain decimal: digits, an optional `-` before them and an optional fraction.
    pub(crate) fn is_valid(text: &str) -> bool {
        let digits = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = match digits.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (digits, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        all_digits(whole) && fraction.is_none_or(all_digits)
    }

    /// The nearest `f64`, for arithmetic where exactness does not matter.
    pub fn to_f64(&self) -> f64 {
        // The text was validated as a decimal literal, which f64 always parses.
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if Self::is_valid(text) {
            Ok(Self(text.to_owned()))
        } else {
            Err(DecimalError)
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Decimal {
    /// Writes a JSON number when that number reads back as the same digits,
    /// and the digits as a string otherwise (`"198.00"`, `"007"`, or beyond `f64`).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.parse::<i64>() {
            // Not for `007` or `-0`, which read back as `7` and `0`.
            Ok(int) if int.to_string() == self.0 => return s.serialize_i64(int),
            _ => {}
        }
        match self.0.parse::<f64>() {
            Ok(float) if float.to_string() == self.0 => s.serialize_f64(float),
            _ => s.serialize_str(&self.0),
        }
    }
}

impl Decimal {
    /// Whether the JSON form of this decimal is a string (digits a number would change).
    fn writes_as_text(&self) -> bool {
        let int = self
            .0
            .parse::<i64>()
            .is_ok_and(|int| int.to_string() == self.0);
        let float = self
            .0
            .parse::<f64>()
            .is_ok_and(|float| float.to_string() == self.0);
        !int && !float
    }
}

impl Scalar for Decimal {
    type Visitor = DecimalVisitor;

    fn visitor() -> Self::Visitor {
        DecimalVisitor
    }
    fn exact(&self, sent: Sent<'_>) -> bool {
        match sent {
            Sent::Str(_) => self.writes_as_text(),
            Sent::Int | Sent::Float => !self.writes_as_text(),
            Sent::Bool => false,
        }
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
}

/// Reads a decimal from a JSON number or a string of digits; `null` and `""` are none.
pub(crate) struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number, or a string holding one")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Decimal(v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Decimal(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Rust prints the shortest text that reads back as the same f64.
        v.to_string()
            .parse()
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Float(v), &self))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        v.trim()
            .parse()
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Str(v), &self))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DecimalVisitor)?
            .ok_or_else(|| de::Error::invalid_type(Unexpected::Unit, &"a decimal number"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_digits_exactly() {
        let cost: Decimal = "198.00".parse().unwrap();
        assert_eq!(cost.as_str(), "198.00");
        assert_eq!(serde_json::to_string(&cost).unwrap(), "\"198.00\"");
        let cost: Decimal = "12345678901234567890.123456789".parse().unwrap();
        assert_eq!(
            serde_json::to_string(&cost).unwrap(),
            "\"12345678901234567890.123456789\""
        );
    }

    #[test]
    fn numbers_stay_numbers() {
        let cost: Decimal = serde_json::from_str("198").unwrap();
        assert_eq!(serde_json::to_string(&cost).unwrap(), "198");
        let cost: Decimal = serde_json::from_str("19.5").unwrap();
        assert_eq!(serde_json::to_string(&cost).unwrap(), "19.5");
        assert_eq!(cost.to_f64(), 19.5);
        let cost: Decimal = serde_json::from_str("\"-3\"").unwrap();
        assert_eq!(cost.as_str(), "-3");
    }

    #[test]
    fn digits_a_number_would_change_stay_a_string() {
        for digits in ["007", "09.5", "-0", "-0.0", "0.10"] {
            let cost: Decimal = digits.parse().unwrap();
            let json = serde_json::to_string(&cost).unwrap();
            let again: Decimal = serde_json::from_str(&json).unwrap();
            assert_eq!(again, cost, "{digits:?} was written {json}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for bad in ["", "-", "1.", ".5", "1e5", "$10", "1,000", "NaN", "12a"] {
            assert_eq!(bad.parse::<Decimal>(), Err(DecimalError), "{bad:?}");
        }
    }
}
