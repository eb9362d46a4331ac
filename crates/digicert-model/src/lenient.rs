//! Forgiving readers for the values CertCentral really sends, and how each is written back.
//!
//! The documentation says `int` where the API sometimes sends `"1234"`, `string`
//! where it sends `1234`, `bool` where it sends `0`/`1`. Each visitor here accepts every
//! such spelling of one type and refuses values that carry no sensible meaning (a word where
//! a number belongs); `field.rs` decides what a refusal means for a field. Each type's
//! [`Scalar`] impl also says whether the typed value writes back in the form it was sent in.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime};
use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::{Serialize, Serializer};

use crate::field::{Scalar, Sent};

/// Integer types the lenient integer decoder produces.
pub(crate) trait Int: Sized + FromStr + TryFrom<u64> + TryFrom<i64> {}
impl Int for u64 {}
impl Int for u32 {}
impl Int for i64 {}

/// Reads an integer from a JSON number (integral) or a string holding one;
/// `null` and `""` mean absent.
pub(crate) struct IntVisitor<T>(PhantomData<T>);

impl<'de, T: Int> Visitor<'de> for IntVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, or a string holding one")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &"an integer in range"))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::try_from(v)
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Signed(v), &"an integer in range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // 1234.0 is an integer written by a sloppy serializer; 12.5 is not.
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            #[allow(clippy::cast_possible_truncation)]
            return self.visit_i64(v as i64);
        }
        Err(E::invalid_value(Unexpected::Float(v), &self))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let trimmed = v.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        trimmed
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

/// Reads text from a string, or from a number or bool written where text belongs, into any
/// type made from text (a `String`, an open enum, an error code).
pub(crate) struct TextVisitor<T>(PhantomData<T>);

impl<T> TextVisitor<T> {
    /// The visitor.
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, T: for<'a> From<&'a str>> Visitor<'de> for TextVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string (or a number or bool standing for one)")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(T::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(T::from(&v.to_string())))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(T::from(&v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(T::from(&v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(T::from(&v.to_string())))
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

/// Reads a whole value with [`TextVisitor`]; `null` is an error.
pub(crate) fn text<'de, D: Deserializer<'de>, T: for<'a> From<&'a str>>(
    d: D,
) -> Result<T, D::Error> {
    d.deserialize_any(TextVisitor::new())?
        .ok_or_else(|| de::Error::invalid_type(Unexpected::Unit, &"a string"))
}

impl Scalar for String {
    type Visitor = TextVisitor<String>;

    fn visitor() -> Self::Visitor {
        TextVisitor::new()
    }
    fn exact(&self, sent: Sent<'_>) -> bool {
        matches!(sent, Sent::Str(_))
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

/// Parses a flag as CertCentral writes them: `0`/`1`, `true`/`false`, in any case.
pub(crate) fn parse_flag(v: &str) -> Option<bool> {
    match v.trim() {
        "1" => Some(true),
        "0" => Some(false),
        t if t.eq_ignore_ascii_case("true") => Some(true),
        t if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// Reads a flag from a bool, `0`/`1`, or a string holding either.
pub(crate) struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a bool, 0 or 1, or a string holding one of them")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match v {
            0 => Ok(Some(false)),
            1 => Ok(Some(true)),
            _ => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match u64::try_from(v) {
            Ok(u) => self.visit_u64(u),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        parse_flag(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self))
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

/// Parses the date-times CertCentral writes: RFC 3339 (`2019-05-07T09:33:08+00:00`),
/// `yyyy-MM-dd HH:mm:ss` (taken as UTC), or a bare date (midnight UTC).
///
/// The year must have four digits (0000 to 9999), as in RFC 3339: a date-time
/// such as `-0001-01-01` or `+12345-01-01` could not be written back out.
pub(crate) fn parse_datetime(v: &str) -> Option<DateTime<FixedOffset>> {
    parse_datetime_any_year(v).filter(|dt| (0..=9999).contains(&dt.year()))
}

/// [`parse_datetime`] without the limit on the year.
fn parse_datetime_any_year(v: &str) -> Option<DateTime<FixedOffset>> {
    let v = v.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Some(dt);
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S") {
        return Some(naive.and_utc().fixed_offset());
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S") {
        return Some(naive.and_utc().fixed_offset());
    }
    let date = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()?;
    Some(
        date.and_time(chrono::NaiveTime::MIN)
            .and_utc()
            .fixed_offset(),
    )
}

/// Parses a date written `yyyy-MM-dd`, or the date part of a date-time.
pub(crate) fn parse_date(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .or_else(|| parse_datetime(v).map(|dt| dt.date_naive()))
}

/// Reads an optional value from text with `parse`, without copying the text;
/// `null` and `""` are absent.
pub(crate) struct ParsedVisitor<T> {
    parse: fn(&str) -> Option<T>,
    what: &'static str,
}

impl<'de, T> Visitor<'de> for ParsedVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.what)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() {
            return Ok(None);
        }
        (self.parse)(v)
            .map(Some)
            .ok_or_else(|| E::invalid_value(Unexpected::Str(v), &self.what))
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

/// Integers are exact when sent as JSON integers.
macro_rules! int_scalar {
    ($($ty:ty),*) => {$(
        impl Scalar for $ty {
            type Visitor = IntVisitor<$ty>;

            fn visitor() -> Self::Visitor {
                IntVisitor(PhantomData)
            }
            fn exact(&self, sent: Sent<'_>) -> bool {
                matches!(sent, Sent::Int)
            }
            fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.serialize(s)
            }
        }
    )*};
}

int_scalar!(u64, u32, i64);

impl Scalar for bool {
    type Visitor = FlagVisitor;

    fn visitor() -> Self::Visitor {
        FlagVisitor
    }
    fn exact(&self, sent: Sent<'_>) -> bool {
        matches!(sent, Sent::Bool)
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*self)
    }
}

impl Scalar for DateTime<FixedOffset> {
    type Visitor = ParsedVisitor<Self>;

    fn visitor() -> Self::Visitor {
        ParsedVisitor {
            parse: parse_datetime,
            what: "an ISO 8601 date-time",
        }
    }
    /// Exact when sent as written: `2019-05-07T09:33:08+00:00` (`+00:00`, not `Z` or `-00:00`).
    fn exact(&self, sent: Sent<'_>) -> bool {
        let Sent::Str(text) = sent else { return false };
        let bytes = text.as_bytes();
        let sign = bytes.get(19).copied();
        bytes.len() == 25
            && bytes.get(10) == Some(&b'T')
            && (sign == Some(b'+') || (sign == Some(b'-') && self.offset().local_minus_utc() != 0))
    }
    /// As CertCentral writes them: `2019-05-07T09:33:08+00:00`.
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl Scalar for NaiveDate {
    type Visitor = ParsedVisitor<Self>;

    fn visitor() -> Self::Visitor {
        ParsedVisitor {
            parse: parse_date,
            what: "a date yyyy-MM-dd",
        }
    }
    /// Exact when sent as `yyyy-MM-dd`, digits padded.
    fn exact(&self, sent: Sent<'_>) -> bool {
        let Sent::Str(text) = sent else { return false };
        text.len() == 10
            && text.bytes().enumerate().all(|(at, byte)| match at {
                4 | 7 => byte == b'-',
                _ => byte.is_ascii_digit(),
            })
    }
    fn write<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
}
