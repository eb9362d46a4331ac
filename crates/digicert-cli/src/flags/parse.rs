//! Parsers of the values clap does not know: intervals, listen addresses, dates and date
//! ranges.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};

/// The longest interval [`parse_interval`] takes: longer ones are typos (and would overflow
/// the arithmetic of deadlines).
const LONGEST_INTERVAL_DAYS: u64 = 365;

/// Reads an interval: a number with its unit, `s`, `m`, `h` or `d` (`10m`); a number alone
/// is refused, so that `5` is never taken for seconds when minutes were meant.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, ""), |at| text.split_at(at));
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not an interval such as 30s, 10m, 1h"))?;
    let seconds = match unit {
        "" => {
            return Err(format!(
                "`{text}` has no unit: say {number}s, {number}m, {number}h or {number}d"
            ));
        }
        "s" => number,
        "m" => number.saturating_mul(60),
        "h" => number.saturating_mul(3_600),
        "d" => number.saturating_mul(86_400),
        _ => return Err(format!("`{text}`: the unit is s, m, h or d")),
    };
    if seconds == 0 {
        return Err("the interval must be at least a second".to_owned());
    }
    if seconds > LONGEST_INTERVAL_DAYS * 86_400 {
        return Err(format!(
            "`{text}` is longer than {LONGEST_INTERVAL_DAYS} days, the longest interval"
        ));
    }
    Ok(Duration::from_secs(seconds))
}

/// Reads an address to listen on: `HOST:PORT`, the host a name (`localhost`), an IPv4
/// address, or an IPv6 address in brackets (`[::1]:9464`). The name is resolved when the
/// listener is bound.
pub fn listen_address(text: &str) -> Result<String, String> {
    let text = text.trim();
    let example = "such as 127.0.0.1:9464, localhost:9464 or [::1]:9464";
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("`{text}` has no port: {example}"))?;
    port.parse::<u16>()
        .map_err(|_| format!("`{port}` is not a port (0 to 65535): {example}"))?;
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']'));
    let valid = match bare {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        }
    };
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!("`{host}` is not a host name or address: {example}"))
    }
}

/// Reads an RFC 3339 date-time, or a date alone as midnight UTC.
pub fn date_or_rfc3339(value: &str) -> Result<DateTime<FixedOffset>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date.and_time(NaiveTime::MIN).and_utc().fixed_offset());
    }
    DateTime::parse_from_rfc3339(value).map_err(|err| {
        format!(
            "not an RFC 3339 date-time ({err}) or a date: e.g. 2024-05-01T00:00:00Z or 2024-05-01"
        )
    })
}

/// Checks a `valid_till` filter: a date, or two joined by `...`.
pub fn date_or_range(value: &str) -> Result<String, String> {
    let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok();
    let valid = match value.split_once("...") {
        Some((from, to)) => date(from) && date(to),
        None => date(value),
    };
    if valid {
        Ok(value.to_owned())
    } else {
        Err("not a date or a range of dates: e.g. 2026-07-01 or 2026-07-01...2026-07-31".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_interval("45s"), Ok(Duration::from_secs(45)));
        assert!(parse_interval("45").unwrap_err().contains("45m"));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("ten").is_err());
        assert!(parse_interval("5y").is_err());
        assert_eq!(
            parse_interval("365d"),
            Ok(Duration::from_secs(365 * 86_400))
        );
        for long in ["366d", "18446744073709551615s", "9999999999999999h"] {
            let err = parse_interval(long).unwrap_err();
            assert!(err.contains("365 days"), "{long}: {err}");
        }
    }

    #[test]
    fn listen_addresses() {
        for good in [
            "127.0.0.1:9464",
            "localhost:0",
            "[::1]:9464",
            "metrics.example.net:80",
        ] {
            assert_eq!(listen_address(good).as_deref(), Ok(good));
        }
        for bad in ["localhost", ":9464", "a b:1", "host:99999", "[nope]:1"] {
            assert!(listen_address(bad).is_err(), "{bad}");
        }
    }
}
