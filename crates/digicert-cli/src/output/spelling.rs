//! How values are spelled in every output, each rule in one place: times as RFC 3339 in UTC
//! with `Z` (`2026-05-01T08:30:00Z`), and thumbprints and serial numbers in upper-case hex,
//! as CertCentral writes them, so that a grep or a join across outputs finds the same text.
//! Table and CSV cells and metric labels call [`time`] and [`hex`]; JSON gets both rules from
//! its writer (`json.rs`), by the field names [`is_time_field`] and [`is_hex_field`] know,
//! times in every object (CertCentral's own too: [`utc_time`] keeps the instant and any
//! fraction of a second), hex in digicert's own.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// A time as tables, CSV and messages write it: RFC 3339 in UTC, to the second.
pub fn time(value: DateTime<Utc>) -> String {
    value.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A date-time as JSON writes it: RFC 3339 in UTC with `Z`, the same instant, with the
/// fraction of a second it has. Takes RFC 3339 with any offset, and a time with no zone
/// (CertCentral's report: `2026-12-05 00:11:00`), which is UTC. `None` for other text (a
/// bare date, words), and for a time already so spelled, which stays as it is.
pub fn utc_time(text: &str) -> Option<String> {
    if text.len() < 19
        || text.ends_with('Z')
        || !text.as_bytes()[..4].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    if let Some(utc) = utc_to_the_second(text) {
        return Some(utc);
    }
    let instant = match DateTime::parse_from_rfc3339(text) {
        Ok(instant) => instant.to_utc(),
        Err(_) => NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
            .ok()?
            .and_utc(),
    };
    Some(instant.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// [`utc_time`] without chrono's parser for the forms every report row and order carries (a
/// report's JSON writes one a row): a time to the second in UTC, with no zone or `+00:00`.
fn utc_to_the_second(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let utc = match b.len() {
        19 => true,
        25 => text.ends_with("+00:00"),
        _ => false,
    };
    let shaped = |at: usize, byte: u8| b.get(at) == Some(&byte);
    let separated = shaped(4, b'-') && shaped(7, b'-') && shaped(13, b':') && shaped(16, b':');
    if !utc || !separated || !(shaped(10, b'T') || shaped(10, b' ')) {
        return None;
    }
    let number = |at: usize, len: usize| {
        b.get(at..at + len)?.iter().try_fold(0u32, |acc, &digit| {
            digit
                .is_ascii_digit()
                .then(|| acc * 10 + u32::from(digit - b'0'))
        })
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, number(5, 2)?, number(8, 2)?)?;
    chrono::NaiveTime::from_hms_opt(number(11, 2)?, number(14, 2)?, number(17, 2)?)?;
    Some(format!("{}T{}Z", text.get(..10)?, text.get(11..19)?))
}

/// Whether a field (a JSON key) holds a date-time: `date`, a name starting with `date_` or
/// ending in `_date` or `_at` (`date_created`, `seen_at`).
#[inline]
pub fn is_time_field(name: &str) -> bool {
    name == "date" || name.starts_with("date_") || name.ends_with("_date") || name.ends_with("_at")
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

    #[test]
    fn json_times_in_utc_with_z_keeping_the_instant_and_its_fraction() {
        for (sent, written) in [
            ("2026-05-01T02:30:00-06:00", Some("2026-05-01T08:30:00Z")),
            ("2019-05-07T09:33:08+00:00", Some("2019-05-07T09:33:08Z")),
            (
                "2019-05-07T09:33:08.25+00:00",
                Some("2019-05-07T09:33:08.250Z"),
            ),
            ("2026-12-05T00:11:00", Some("2026-12-05T00:11:00Z")),
            ("2026-12-05 00:11:00", Some("2026-12-05T00:11:00Z")),
            ("2026-12-05T00:11:00.166875Z", None),
            ("2026-12-05", None),
            ("2026-13-05 00:11:00", None),
            ("2026-12-05 24:11:00", None),
            ("not a time at all, no", None),
        ] {
            assert_eq!(utc_time(sent).as_deref(), written, "{sent}");
        }
        for name in ["date", "date_created", "seen_at", "renewal_date"] {
            assert!(is_time_field(name), "{name}");
        }
        for name in ["valid_till", "dates", "update", "status"] {
            assert!(!is_time_field(name), "{name}");
        }
    }
}
