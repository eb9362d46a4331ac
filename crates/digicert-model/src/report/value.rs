//! How each report column's text maps to a typed value, and back.
//!
//! The report writes everything as text: `"0"`/`"1"` flags, comma-separated lists,
//! `yyyy-MM-dd` dates, and an empty string for "no value". These traits hold those
//! rules once, so the row definition only names each column's type.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use crate::common::CustomField;
use crate::decimal::Decimal;
use crate::enums::{OrderStatus, PayType, ProductType};
use crate::extra::Extra;
use crate::lenient::parse_flag;

/// A report date-time's text (either form [`NaiveDateTime`]'s column reads) as RFC 3339 in
/// UTC, `yyyy-MM-ddTHH:mm:ssZ`: the report's times carry no zone and are UTC. `None` for
/// text that is not such a time.
pub(crate) fn utc_time(raw: &[u8]) -> Option<String> {
    let time = <NaiveDateTime as Scalar>::parse(std::str::from_utf8(raw).ok()?).ok()?;
    let mut text = String::with_capacity(20);
    Scalar::write(&time, &mut text);
    text.replace_range(10..11, "T");
    text.push('Z');
    Some(text)
}

/// Separator of `metadata` parts (ASCII unit separator).
const METADATA_SEPARATOR: char = '\u{1f}';

/// A single value as the report writes it (never empty).
pub(crate) trait Scalar: Sized {
    /// Whether the value is a date-time (which a writer may spell in RFC 3339).
    const IS_TIME: bool = false;
    /// Reads the value from non-empty text, or says what is wrong with it.
    fn parse(raw: &str) -> Result<Self, String>;
    /// Appends the value's text.
    fn write(&self, out: &mut String);
    /// Reads the value into `self`, reusing its allocation where it has one.
    fn parse_into(&mut self, raw: &str) -> Result<(), String> {
        *self = Self::parse(raw)?;
        Ok(())
    }
    /// Checks non-empty `raw` and, where writing its value gives other text,
    /// appends that text to `out` and returns `true`; see [`ColumnValue::normalize_column`].
    fn normalize(raw: &str, out: &mut String) -> Result<bool, String> {
        normalize_by_round_trip(Self::parse(raw)?, raw, out, Self::write)
    }
}

/// What [`Scalar::normalize`] and [`ColumnValue::normalize_column`] do by definition: write
/// the parsed value, and keep the text only where it differs from `raw`. The overrides
/// are shortcuts to the same answer, and the tests hold them to it.
fn normalize_by_round_trip<T>(
    value: T,
    raw: &str,
    out: &mut String,
    write: impl FnOnce(&T, &mut String),
) -> Result<bool, String> {
    let start = out.len();
    write(&value, out);
    if out.get(start..) == Some(raw) {
        out.truncate(start);
        Ok(false)
    } else {
        Ok(true)
    }
}

/// [`Scalar::normalize`] for a type whose text, when `writes_as_read` holds of it,
/// is written back exactly as read: the value is parsed (to check it) but not written.
fn normalize_unless<T: Scalar>(
    raw: &str,
    out: &mut String,
    writes_as_read: bool,
) -> Result<bool, String> {
    let value = T::parse(raw)?;
    if writes_as_read {
        return Ok(false);
    }
    normalize_by_round_trip(value, raw, out, T::write)
}

/// Whether `raw` has no white space around it, which the parsers would trim.
fn is_trimmed(raw: &str) -> bool {
    raw.trim().len() == raw.len()
}

/// A whole column's value: how it reads, writes, and what a missing column means.
pub(crate) trait ColumnValue: Sized {
    /// Whether the column holds a date-time.
    const IS_TIME: bool = false;
    /// The value when the header lacks the column, or `None` if the column is required.
    fn absent() -> Option<Self>;
    /// Reads the value from the field's text.
    fn parse_column(raw: &str) -> Result<Self, String>;
    /// Appends the field's text.
    fn write_column(&self, out: &mut String);
    /// Reads the field's text into `self`, reusing allocations where it can.
    fn parse_column_into(&mut self, raw: &str) -> Result<(), String> {
        *self = Self::parse_column(raw)?;
        Ok(())
    }
    /// Checks the field's text as [`parse_column`](Self::parse_column) does, without
    /// building the value where it can: when writing the value would give other text
    /// than `raw`, appends that text to `out` and returns `true`; else returns `false`.
    ///
    /// Converting a report needs only this: most fields are written back as they are.
    fn normalize_column(raw: &str, out: &mut String) -> Result<bool, String> {
        normalize_by_round_trip(Self::parse_column(raw)?, raw, out, Self::write_column)
    }
}

/// Appends `value`'s decimal digits, zero-padded to `width`. Writing a report
/// formats about twenty numbers a row, and `core::fmt` costs more than the digits.
fn push_digits(out: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while value > 0 || start == digits.len() {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    start = start.min(digits.len().saturating_sub(width));
    out.extend(digits[start..].iter().map(|&digit| char::from(digit)));
}

/// Implements [`Scalar`] for unsigned integers.
macro_rules! unsigned_scalar {
    ($($ty:ty),*) => {$(
        impl Scalar for $ty {
            fn parse(raw: &str) -> Result<Self, String> {
                raw.trim().parse().map_err(|_| "not an integer".to_owned())
            }
            fn write(&self, out: &mut String) {
                push_digits(out, u64::from(*self), 1);
            }
            fn normalize(raw: &str, out: &mut String) -> Result<bool, String> {
                normalize_unless::<Self>(raw, out, is_plain_digits(raw))
            }
        }
    )*};
}
unsigned_scalar!(u64, u32);

/// Whether `raw` is digits as they are written: no sign, no white space, no leading zero.
fn is_plain_digits(raw: &str) -> bool {
    match raw.as_bytes() {
        [] => false,
        [b'0', _, ..] => false,
        digits => digits.iter().all(u8::is_ascii_digit),
    }
}

impl Scalar for i64 {
    fn parse(raw: &str) -> Result<Self, String> {
        raw.trim().parse().map_err(|_| "not an integer".to_owned())
    }
    fn write(&self, out: &mut String) {
        if *self < 0 {
            out.push('-');
        }
        push_digits(out, self.unsigned_abs(), 1);
    }
    fn normalize(raw: &str, out: &mut String) -> Result<bool, String> {
        let plain = match raw.strip_prefix('-') {
            Some(digits) => digits != "0" && is_plain_digits(digits),
            None => is_plain_digits(raw),
        };
        normalize_unless::<Self>(raw, out, plain)
    }
}

impl Scalar for String {
    fn parse(raw: &str) -> Result<Self, String> {
        Ok(raw.to_owned())
    }
    fn write(&self, out: &mut String) {
        out.push_str(self);
    }
    fn parse_into(&mut self, raw: &str) -> Result<(), String> {
        self.clear();
        self.push_str(raw);
        Ok(())
    }
    fn normalize(_raw: &str, _out: &mut String) -> Result<bool, String> {
        Ok(false)
    }
}

impl Scalar for bool {
    fn parse(raw: &str) -> Result<Self, String> {
        parse_flag(raw).ok_or_else(|| "not a flag (expected 0 or 1)".to_owned())
    }
    fn write(&self, out: &mut String) {
        out.push(if *self { '1' } else { '0' });
    }
}

/// Reads `N` ASCII digits as a number.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Reads `yyyy-MM-dd` at the start of `b` (a fixed layout: chrono's format
/// parser costs more than the whole CSV parse of the field).
fn date_at(b: &[u8]) -> Option<NaiveDate> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(&b[5..7])?, digits(&b[8..10])?)
}

impl Scalar for NaiveDate {
    fn parse(raw: &str) -> Result<Self, String> {
        let b = raw.trim().as_bytes();
        (b.len() == 10)
            .then(|| date_at(b))
            .flatten()
            .ok_or_else(|| "not a valid date yyyy-MM-dd".to_owned())
    }
    /// Four-digit years and two-digit fields write back as read, so only white space changes.
    fn normalize(raw: &str, out: &mut String) -> Result<bool, String> {
        normalize_unless::<Self>(raw, out, is_trimmed(raw))
    }
    fn write(&self, out: &mut String) {
        let _ = write!(
            out,
            "{:04}-{:02}-{:02}",
            self.year(),
            self.month(),
            self.day()
        );
    }
}

impl Scalar for NaiveDateTime {
    const IS_TIME: bool = true;

    /// `yyyy-MM-dd HH:mm:ss` as CertCentral writes it, or `yyyy-MM-ddTHH:mm:ssZ` as the
    /// same time in RFC 3339 (both UTC).
    fn parse(raw: &str) -> Result<Self, String> {
        let b = raw.trim().as_bytes();
        let time = || {
            let rfc_3339 = b.len() == 20 && b[10] == b'T' && b[19] == b'Z';
            if !(rfc_3339 || b.len() == 19 && b[10] == b' ') || b[13] != b':' || b[16] != b':' {
                return None;
            }
            let (h, m, s) = (
                digits(&b[11..13])?,
                digits(&b[14..16])?,
                digits(&b[17..19])?,
            );
            date_at(b)?.and_hms_opt(h, m, s)
        };
        time().ok_or_else(|| "not a valid date-time yyyy-MM-dd HH:mm:ss".to_owned())
    }
    /// As for dates, the report's own form writes back as read; the RFC 3339 one is kept.
    fn normalize(raw: &str, out: &mut String) -> Result<bool, String> {
        normalize_unless::<Self>(raw, out, raw.len() == 19 && is_trimmed(raw))
    }
    fn write(&self, out: &mut String) {
        Scalar::write(&self.date(), out);
        let _ = write!(
            out,
            " {:02}:{:02}:{:02}",
            self.hour(),
            self.minute(),
            self.second()
        );
    }
}

impl Scalar for Decimal {
    fn parse(raw: &str) -> Result<Self, String> {
        raw.trim().parse().map_err(|err| format!("{err}"))
    }
    fn write(&self, out: &mut String) {
        out.push_str(self.as_str());
    }
    /// The digits are kept as read, so only white space changes.
    fn normalize(raw: &str, out: &mut String) -> Result<bool, String> {
        if is_trimmed(raw) && Decimal::is_valid(raw) {
            return Ok(false);
        }
        normalize_by_round_trip(Self::parse(raw)?, raw, out, Self::write)
    }
}

/// Implements [`Scalar`] for the open enums, which accept any text.
macro_rules! enum_scalar {
    ($($ty:ty),*) => {$(
        impl Scalar for $ty {
            fn parse(raw: &str) -> Result<Self, String> {
                Ok(Self::from(raw))
            }
            fn write(&self, out: &mut String) {
                out.push_str(self.as_str());
            }
            fn normalize(_raw: &str, _out: &mut String) -> Result<bool, String> {
                Ok(false)
            }
        }
    )*};
}
enum_scalar!(OrderStatus, PayType, ProductType);

/// Implements [`ColumnValue`] for a type that every row must have.
macro_rules! required_column {
    ($($ty:ty),*) => {$(
        impl ColumnValue for $ty {
            const IS_TIME: bool = <$ty as Scalar>::IS_TIME;

            fn absent() -> Option<Self> {
                None
            }
            fn parse_column(raw: &str) -> Result<Self, String> {
                if raw.is_empty() {
                    return Err("empty, but every row needs a value here".to_owned());
                }
                <$ty as Scalar>::parse(raw)
            }
            fn write_column(&self, out: &mut String) {
                Scalar::write(self, out);
            }
            fn normalize_column(raw: &str, out: &mut String) -> Result<bool, String> {
                if raw.is_empty() {
                    return Err("empty, but every row needs a value here".to_owned());
                }
                <$ty as Scalar>::normalize(raw, out)
            }
        }
    )*};
}
required_column!(u64, NaiveDateTime, OrderStatus);

/// An empty field is `None`.
impl<T: Scalar> ColumnValue for Option<T> {
    const IS_TIME: bool = T::IS_TIME;

    fn absent() -> Option<Self> {
        Some(None)
    }
    fn parse_column(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            Ok(None)
        } else {
            T::parse(raw).map(Some)
        }
    }
    fn write_column(&self, out: &mut String) {
        if let Some(value) = self {
            value.write(out);
        }
    }
    fn parse_column_into(&mut self, raw: &str) -> Result<(), String> {
        match self {
            Some(value) if !raw.is_empty() => value.parse_into(raw),
            _ => {
                *self = Self::parse_column(raw)?;
                Ok(())
            }
        }
    }
    fn normalize_column(raw: &str, out: &mut String) -> Result<bool, String> {
        if raw.is_empty() {
            Ok(false)
        } else {
            T::normalize(raw, out)
        }
    }
}

/// A comma-separated list; items are trimmed and empty items dropped.
impl<T: Scalar> ColumnValue for Vec<T> {
    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
    fn parse_column(raw: &str) -> Result<Self, String> {
        raw.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(T::parse)
            .collect()
    }
    fn write_column(&self, out: &mut String) {
        for (index, item) in self.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            item.write(out);
        }
    }
    fn parse_column_into(&mut self, raw: &str) -> Result<(), String> {
        let mut kept = 0;
        for item in raw
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            match self.get_mut(kept) {
                Some(slot) => slot.parse_into(item)?,
                None => self.push(T::parse(item)?),
            }
            kept += 1;
        }
        self.truncate(kept);
        Ok(())
    }
    /// A list with no empty items and no white space around its items writes back as read,
    /// when each item does.
    fn normalize_column(raw: &str, out: &mut String) -> Result<bool, String> {
        if raw.is_empty() {
            return Ok(false);
        }
        let start = out.len();
        for item in raw.split(',') {
            if item.is_empty() || !is_trimmed(item) || T::normalize(item, out)? {
                out.truncate(start);
                return normalize_by_round_trip(
                    Self::parse_column(raw)?,
                    raw,
                    out,
                    Self::write_column,
                );
            }
        }
        Ok(false)
    }
}

/// `metadata`: `id 0x1f label 0x1f value`, further entries continuing with 0x1f.
impl ColumnValue for Vec<CustomField> {
    fn absent() -> Option<Self> {
        Some(Vec::new())
    }
    fn parse_column(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        let parts: Vec<&str> = raw.split(METADATA_SEPARATOR).collect();
        if parts.len() % 3 != 0 {
            return Err(format!(
                "metadata has {} parts separated by 0x1f; expected id, label, value triples",
                parts.len()
            ));
        }
        let non_empty = |part: &str| (!part.is_empty()).then(|| part.to_owned());
        parts
            .chunks_exact(3)
            .map(|entry| {
                let metadata_id = match entry[0].trim() {
                    "" => None,
                    id => Some(
                        id.parse()
                            .map_err(|_| "metadata id is not an integer".to_owned())?,
                    ),
                };
                Ok(CustomField {
                    metadata_id,
                    label: non_empty(entry[1]),
                    value: non_empty(entry[2]),
                    extra: Extra::default(),
                })
            })
            .collect()
    }
    fn write_column(&self, out: &mut String) {
        for (index, field) in self.iter().enumerate() {
            if index > 0 {
                out.push(METADATA_SEPARATOR);
            }
            if let Some(id) = field.metadata_id {
                let _ = write!(out, "{id}");
            }
            out.push(METADATA_SEPARATOR);
            out.push_str(field.label.as_deref().unwrap_or(""));
            out.push(METADATA_SEPARATOR);
            out.push_str(field.value.as_deref().unwrap_or(""));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: ColumnValue + PartialEq + std::fmt::Debug>(raw: &str) -> T {
        let value = T::parse_column(raw).unwrap();
        let mut text = String::new();
        value.write_column(&mut text);
        assert_eq!(
            T::parse_column(&text).unwrap(),
            value,
            "{raw:?} wrote {text:?}"
        );
        value
    }

    #[test]
    fn empty_means_none_but_not_for_required_columns() {
        assert_eq!(round_trip::<Option<u64>>(""), None);
        assert_eq!(round_trip::<Option<String>>(""), None);
        assert!(<u64 as ColumnValue>::parse_column("").is_err());
        assert!(<OrderStatus as ColumnValue>::parse_column("").is_err());
    }

    #[test]
    fn flags_lists_and_dates() {
        assert_eq!(round_trip::<Option<bool>>("1"), Some(true));
        assert_eq!(round_trip::<Option<bool>>("0"), Some(false));
        assert!(<Option<bool>>::parse_column("2").is_err());
        assert_eq!(
            round_trip::<Vec<String>>("a.example.com, b.example.com,,"),
            vec!["a.example.com".to_owned(), "b.example.com".to_owned()]
        );
        assert_eq!(round_trip::<Vec<u64>>("1,2"), vec![1, 2]);
        assert!(round_trip::<Option<NaiveDate>>("2020-10-30").is_some());
        assert!(<Option<NaiveDate>>::parse_column("2020-13-01").is_err());
        assert!(<NaiveDateTime as ColumnValue>::parse_column("2018-10-26 10:15:33").is_ok());
    }

    #[test]
    fn numbers_and_dates_are_written_like_core_fmt() {
        for value in [0u64, 7, 10, 99, 100, 1_234_567, u64::MAX] {
            assert_eq!(round_trip_text::<u64>(value), value.to_string());
        }
        for value in [0i64, -1, 42, i64::MIN, i64::MAX] {
            assert_eq!(round_trip_text::<i64>(value), value.to_string());
        }
        let date = NaiveDate::from_ymd_opt(987, 3, 4).unwrap();
        assert_eq!(round_trip_text(date), "0987-03-04");
        assert_eq!(
            round_trip_text(date.and_hms_opt(5, 6, 7).unwrap()),
            "0987-03-04 05:06:07"
        );
        assert_eq!(
            round_trip_text(NaiveDate::from_ymd_opt(-5, 1, 1).unwrap()),
            "-005-01-01"
        );
    }

    fn round_trip_text<T: Scalar>(value: T) -> String {
        let mut out = String::new();
        value.write(&mut out);
        out
    }

    /// A type's shortcut through `normalize_column` gives what the round trip gives.
    fn normalizes_like_a_round_trip<T: ColumnValue>(inputs: &[&str]) {
        for raw in inputs {
            let (mut fast, mut slow) = (String::from("kept"), String::from("kept"));
            let fast_changed = T::normalize_column(raw, &mut fast);
            let slow_changed = T::parse_column(raw)
                .and_then(|value| normalize_by_round_trip(value, raw, &mut slow, T::write_column));
            assert_eq!(fast_changed, slow_changed, "{raw:?}");
            assert_eq!(fast, slow, "{raw:?}");
        }
    }

    #[test]
    fn normalizing_equals_writing_the_parsed_value() {
        let numbers = [
            "",
            "0",
            "00",
            "7",
            "007",
            "-0",
            "-00",
            "-5",
            "-05",
            "+5",
            " 5",
            "5 ",
            "1e3",
            "x",
            "-",
            "+",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
        ];
        normalizes_like_a_round_trip::<u64>(&numbers);
        normalizes_like_a_round_trip::<Option<u64>>(&numbers);
        normalizes_like_a_round_trip::<Option<u32>>(&numbers);
        normalizes_like_a_round_trip::<Option<i64>>(&numbers);
        let texts = ["", " ", "a", " a ", "\"q\"", "é\n"];
        normalizes_like_a_round_trip::<Option<String>>(&texts);
        normalizes_like_a_round_trip::<OrderStatus>(&[
            "", "issued", " issued", "Issued", "new_one",
        ]);
        normalizes_like_a_round_trip::<Option<PayType>>(&texts);
        normalizes_like_a_round_trip::<Option<ProductType>>(&texts);
        normalizes_like_a_round_trip::<Option<bool>>(&[
            "", "0", "1", " 1", "true", "FALSE", "2", "yes",
        ]);
        let dates = [
            "",
            "2020-10-30",
            " 2020-10-30",
            "2020-10-30\t",
            "2020-13-01",
            "2020-1-01",
            "0000-01-01",
            "20201030",
        ];
        normalizes_like_a_round_trip::<Option<NaiveDate>>(&dates);
        normalizes_like_a_round_trip::<NaiveDateTime>(&[
            "",
            "2018-10-26 10:15:33",
            " 2018-10-26 10:15:33 ",
            "2018-10-26T10:15:33",
            "2018-10-26 24:00:00",
        ]);
        normalizes_like_a_round_trip::<Option<Decimal>>(&[
            "", "198.00", "-12.5", " 198", "198 ", "+1", "1.", ".5", "007", "1e3", "x",
        ]);
        let lists = [
            "", "a", "a,b", "a, b", "a,,b", ",a", "a,", " ", ",", "a ,b", "x,é",
        ];
        normalizes_like_a_round_trip::<Vec<String>>(&lists);
        normalizes_like_a_round_trip::<Vec<u64>>(&[
            "", "1", "1,2", "1, 2", "01,2", "1,x", "1,,2", "+1",
        ]);
        normalizes_like_a_round_trip::<Vec<CustomField>>(&[
            "",
            "12\u{1f}a\u{1f}b",
            "012\u{1f}a\u{1f}b",
            " 12\u{1f}\u{1f}",
            "\u{1f}\u{1f}",
            "x\u{1f}a\u{1f}b",
            "1\u{1f}a",
        ]);
    }

    #[test]
    fn metadata_triples() {
        let entries = round_trip::<Vec<CustomField>>(
            "12\u{1f}Invoice #\u{1f}1234\u{1f}13\u{1f}Cost center\u{1f}CC-9",
        );
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].metadata_id, Some(13));
        assert_eq!(entries[1].label.as_deref(), Some("Cost center"));
        assert_eq!(entries[1].value.as_deref(), Some("CC-9"));
        let err = <Vec<CustomField>>::parse_column("12\u{1f}Invoice #").unwrap_err();
        assert!(err.contains("2 parts"), "{err}");
    }
}
