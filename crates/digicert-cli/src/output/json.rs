//! JSON as every output writes it: serde_json, compact or pretty, through a formatter that
//! spells the values of thumbprint and serial-number fields in upper case
//! ([`super::spelling`]). CertCentral's own objects skip it (they are written as sent, in
//! CertCentral's spelling), and so does JSON kept as CertCentral sent it inside another
//! object (an inventory order's `report` and `info`), which passes through untouched.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::spelling::is_hex_field;

/// Writes `value` as one line of JSON (no line break after it), `spelled` by the rules of
/// [`super::spelling`] or as it serializes.
pub fn compact<W: Write, T: Serialize + ?Sized>(
    out: W,
    value: &T,
    spelled: bool,
) -> io::Result<()> {
    if spelled {
        write(out, value, Spelled::new(CompactFormatter))
    } else {
        write(out, value, CompactFormatter)
    }
}

/// Writes `value` as indented JSON (no line break after it), as [`compact`] does.
pub fn pretty<W: Write, T: Serialize + ?Sized>(out: W, value: &T, spelled: bool) -> io::Result<()> {
    if spelled {
        write(out, value, Spelled::new(PrettyFormatter::new()))
    } else {
        write(out, value, PrettyFormatter::new())
    }
}

fn write<W: Write, T: Serialize + ?Sized, F: Formatter>(
    out: W,
    value: &T,
    formatter: F,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// A formatter that upper-cases the hex in the values of hex fields, around another one.
struct Spelled<F> {
    inner: F,
    /// Fragments of the key being written so far (none outside a key). A key is one
    /// fragment unless it holds an escape, which no hex field's name does.
    key_fragments: Option<u32>,
    /// Whether the key being written, or the value after it, is a hex field's.
    upper: bool,
}

impl<F> Spelled<F> {
    fn new(inner: F) -> Self {
        Self {
            inner,
            key_fragments: None,
            upper: false,
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
            self.upper = *fragments == 1 && is_hex_field(fragment);
            return self.inner.write_string_fragment(writer, fragment);
        }
        if self.upper && fragment.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return writer.write_all(fragment.to_ascii_uppercase().as_bytes());
        }
        self.inner.write_string_fragment(writer, fragment)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.upper = false;
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
        self.upper = false;
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
        self.upper = false;
        self.inner.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }
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
}
