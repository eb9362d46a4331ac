//! How values are spelled in every output, each rule in one place: times as RFC 3339 in UTC
//! to the second (`2026-05-01T08:30:00Z`), and thumbprints and serial numbers in upper-case
//! hex, as CertCentral writes them, so that a grep or a join across outputs finds the same
//! text. Table and CSV cells and metric labels call [`time`] and [`hex`]; JSON gets the hex
//! rule from its writer (`json.rs`, by the field names [`is_hex_field`] knows), and its own
//! instants (`last_seen`, `seen_at`) are RFC 3339 in UTC with `Z` already, to the fraction of
//! a second the inventory keeps.

use chrono::{DateTime, SecondsFormat, Utc};

/// A time as tables, CSV and messages write it: RFC 3339 in UTC, to the second.
pub fn time(value: DateTime<Utc>) -> String {
    value.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A thumbprint or serial number as every output writes it: upper-case hex (other text,
/// which CertCentral may send in a field that should hold hex, is kept as it is).
pub fn hex(value: &str) -> String {
    if value.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        value.to_ascii_uppercase()
    } else {
        value.to_owned()
    }
}

/// Whether a field (a JSON key, a column) holds a thumbprint or serial number:
/// `thumbprint`, `serial_number`, or a name ending in `_thumbprint` or `_serial_number`
/// (`served_thumbprint`).
#[inline]
pub fn is_hex_field(name: &str) -> bool {
    // Most names end otherwise: one byte tells (JSON writes a report row's 60 keys per row).
    if !matches!(name.as_bytes().last(), Some(b't' | b'r')) {
        return false;
    }
    ["thumbprint", "serial_number"]
        .iter()
        .any(|field| name == *field || name.strip_suffix(field).is_some_and(|s| s.ends_with('_')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_to_the_second_in_utc_and_hex_in_upper_case() {
        let denver = DateTime::parse_from_rfc3339("2026-05-01T02:30:00.5-06:00").unwrap();
        assert_eq!(time(denver.to_utc()), "2026-05-01T08:30:00Z");
        assert_eq!(hex("0a1b"), "0A1B");
        assert_eq!(hex("n/a"), "n/a");
        for name in [
            "thumbprint",
            "serial_number",
            "served_thumbprint",
            "current_serial_number",
        ] {
            assert!(is_hex_field(name), "{name}");
        }
        for name in ["order_id", "thumbprints", "serial_numberx", "xthumbprint"] {
            assert!(!is_hex_field(name), "{name}");
        }
    }
}
