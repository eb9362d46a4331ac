//! JSON as every output writes it: serde_json, compact or pretty, through a formatter that
//! spells the values of time fields in UTC with `Z` in every object ([`super::spelling`]:
//! CertCentral's own, and JSON kept as CertCentral sent it inside another object, an
//! inventory order's `report` and `info`, too: the same instants, fractions kept), and the
//! values of thumbprint and serial-number fields in upper case in digicert's own objects
//! (CertCentral's carry them as sent).

use std::borrow::Cow;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter};

use super::spelling::{is_hex_field, is_time_field, utc_time};

/// Writes `value` as one line of JSON (no line break after it), its times in UTC, and its
/// hex in upper case if `hex` (by the rules of [`super::spelling`]).
pub fn compact<W: Write, T: Serialize + ?Sized>(out: W, value: &T, hex: bool) -> io::Result<()> {
    write(out, value, Spelled::new(CompactFormatter, hex))
}

/// Writes `value` as indented JSON (no line break after it), as [`compact`] does.
pub fn pretty<W: Write, T: Serialize + ?Sized>(out: W, value: &T, hex: bool) -> io::Result<()> {
    write(out, value, Spelled::new(PrettyFormatter::new(), hex))
}

fn write<W: Write, T: Serialize + ?Sized, F: Formatter>(
    out: W,
    value: &T,
    formatter: F,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// What the field being written holds, as far as spelling goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Other,
    Hex,
    Time,
}

/// A formatter that spells the values of time fields in UTC, and (if asked) upper-cases the
/// hex in the values of hex fields, around another one.
struct Spelled<F> {
    inner: F,
    /// Whether hex fields are upper-cased.
    hex: bool,
    /// Fragments of the key being written so far (none outside a key). A key is one
    /// fragment unless it holds an escape, which no hex or time field's name does.
    key_fragments: Option<u32>,
    /// What the key being written, or the value after it, names.
    field: Field,
    /// The value of a time field, as far as it is written.
    time: String,
}

impl<F> Spelled<F> {
    fn new(inner: F, hex: bool) -> Self {
        Self {
            inner,
            hex,
            key_fragments: None,
            field: Field::Other,
            time: String::new(),
        }
    }
}

impl<F: Formatter> Formatter for Spelled<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if let Some(fragments) = &mut self.key_fragments {
            *fragments += 1;
            self.field = match *fragments == 1 {
                true if self.hex && is_hex_field(fragment) => Field::Hex,
                true if is_time_field(fragment) => Field::Time,
                _ => Field::Other,
            };
            return self.inner.write_string_fragment(writer, fragment);
        }
        match self.field {
            Field::Hex if fragment.bytes().all(|byte| byte.is_ascii_hexdigit()) => {
                writer.write_all(fragment.to_ascii_uppercase().as_bytes())
            }
            Field::Time => {
                // A time may come in pieces (chrono's `Display`): spelled when the string ends.
                self.time.push_str(fragment);
                Ok(())
            }
            _ => self.inner.write_string_fragment(writer, fragment),
        }
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        if self.key_fragments.is_none() && self.field == Field::Time {
            // No time holds an escape: the text so far, as it is.
            self.field = Field::Other;
            self.inner.write_string_fragment(writer, &self.time)?;
            self.time.clear();
        }
        self.inner.write_char_escape(writer, escape)
    }

    fn end_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        if self.key_fragments.is_none() && self.field == Field::Time {
            match utc_time(&self.time) {
                Some(utc) => writer.write_all(utc.as_bytes())?,
                None => self.inner.write_string_fragment(writer, &self.time)?,
            }
            self.time.clear();
        }
        self.inner.end_string(writer)
    }

    /// JSON kept as sent: as it is, but for the values of its time fields.
    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        self.inner
            .write_raw_fragment(writer, &utc_times_in(fragment))
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.field = Field::Other;
        self.key_fragments = Some(0);
        self.inner.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.key_fragments = None;
        self.inner.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.field = Field::Other;
        self.inner.end_object_value(writer)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.field = Field::Other;
        self.inner.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }
}

/// JSON text with the string values of its time fields spelled by [`utc_time`], and
/// nothing else changed (not a byte of white space).
fn utc_times_in(raw: &str) -> Cow<'_, str> {
    let bytes = raw.as_bytes();
    let mut spelled = String::new();
    // How far `raw` is copied into `spelled`, the key last read, and where to look on.
    let (mut copied, mut key, mut at) = (0, "", 0);
    let next_byte = |from: usize| bytes.iter().skip(from).find(|b| !b.is_ascii_whitespace());
    while let Some(start) = bytes
        .iter()
        .skip(at)
        .position(|&b| b == b'"')
        .map(|p| p + at)
    {
        let mut end = start + 1;
        loop {
            match bytes.get(end) {
                Some(b'\\') => end += 2,
                Some(b'"') => break,
                Some(_) => end += 1,
                None => return Cow::Borrowed(raw),
            }
        }
        let text = raw.get(start + 1..end).unwrap_or_default();
        at = end + 1;
        if next_byte(at) == Some(&b':') {
            key = text;
            continue;
        }
        let after_colon = bytes[..start]
            .iter()
            .rev()
            .find(|b| !b.is_ascii_whitespace());
        if after_colon == Some(&b':')
            && is_time_field(key)
            && let Some(utc) = utc_time(text)
        {
            spelled.push_str(raw.get(copied..=start).unwrap_or_default());
            spelled.push_str(&utc);
            copied = end;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(raw);
    }
    spelled.push_str(raw.get(copied..).unwrap_or_default());
    Cow::Owned(spelled)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use serde_json::value::RawValue;

    use super::*;

    /// An object with hex fields, other fields, and JSON kept as sent.
    #[derive(Serialize)]
    struct Order {
        thumbprint: &'static str,
        served_serial_number: &'static str,
        common_name: &'static str,
        nested: serde_json::Value,
        list: Vec<&'static str>,
        raw: Box<RawValue>,
    }

    #[test]
    fn hex_fields_in_upper_case_raw_json_untouched() {
        let value = Order {
            thumbprint: "0a1b",
            served_serial_number: "ff",
            common_name: "abc",
            nested: json!({"serial_number": "cd", "order_id": 7}),
            list: vec!["ab"],
            raw: RawValue::from_string(r#"{"thumbprint":"ab12"}"#.to_owned()).unwrap(),
        };
        let mut out = Vec::new();
        compact(&mut out, &value, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        for expected in [
            r#""thumbprint":"0A1B""#,
            r#""served_serial_number":"FF""#,
            r#""common_name":"abc""#,
            r#""serial_number":"CD""#,
            r#""list":["ab"]"#,
            r#""raw":{"thumbprint":"ab12"}"#,
        ] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        let mut out = Vec::new();
        pretty(&mut out, &value, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\n  \"thumbprint\": \"0A1B\""), "{text}");
    }

    #[test]
    fn time_fields_in_utc_in_every_object_and_in_json_kept_as_sent() {
        let raw = r#"{"date_created": "2019-05-07T09:33:08-02:00","note":"2019-05-07T09:33:08+00:00",
            "requests":[{"date":"2019-05-07 09:33:08.5","x":["date_created","2019-05-07T09:33:08+00:00"]}],
            "seen_at":"2019-05-07T09:33:08.166875Z","esc\"aped":"\"","date_issued":"soon"}"#;
        #[derive(Serialize)]
        struct Sent {
            date_created: &'static str,
            thumbprint: &'static str,
            raw: Box<RawValue>,
        }
        let value = Sent {
            date_created: "2026-12-05T00:11:00",
            thumbprint: "ab",
            raw: RawValue::from_string(raw.to_owned()).unwrap(),
        };
        let mut out = Vec::new();
        compact(&mut out, &value, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let expected = raw
            .replace("2019-05-07T09:33:08-02:00", "2019-05-07T11:33:08Z")
            .replace(
                r#""2019-05-07 09:33:08.5""#,
                r#""2019-05-07T09:33:08.500Z""#,
            );
        assert!(
            text.contains(r#""date_created":"2026-12-05T00:11:00Z""#),
            "{text}"
        );
        assert!(text.contains(r#""thumbprint":"ab""#), "{text}");
        assert!(text.contains(&expected), "{text}");
    }
}
