//! The time window of `GET /order/certificate/status-changes`, by CertCentral's rules.
//!
//! `minutes` and `seconds` count back from now; `filters[status_last_updated]` is a range
//! `yyyy-MM-dd HH:mm:ss...yyyy-MM-dd HH:mm:ss` in US Mountain Time (America/Denver,
//! daylight saving included). At least one is required; given both, the window is where
//! they overlap. A window longer than seven days is refused.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::America::Denver;

/// The longest window CertCentral accepts: 10,080 minutes (seven days).
pub(crate) const MAX_WINDOW: TimeDelta = TimeDelta::minutes(10_080);

/// Why a window was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WindowError {
    /// No filter at all.
    Missing,
    /// Longer than seven days.
    TooLong,
    /// A value that does not parse; the text says which.
    Invalid(String),
}

/// The query values that make the window, as sent (already URL-decoded).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowQuery<'a> {
    pub(crate) minutes: Option<&'a str>,
    pub(crate) seconds: Option<&'a str>,
    pub(crate) range: Option<&'a str>,
}

/// The window, both ends included, for a request arriving at `now`.
pub(crate) fn window(
    query: WindowQuery<'_>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), WindowError> {
    let minutes = count(query.minutes, "minutes")?;
    let seconds = count(query.seconds, "seconds")?;
    let recent = if minutes.is_some() || seconds.is_some() {
        let total = minutes.unwrap_or(0).saturating_mul(60) + seconds.unwrap_or(0);
        let span = i64::try_from(total)
            .ok()
            .and_then(TimeDelta::try_seconds)
            .filter(|span| *span <= MAX_WINDOW)
            .ok_or(WindowError::TooLong)?;
        Some((now - span, now))
    } else {
        None
    };
    let range = query.range.map(parse_range).transpose()?;
    if let Some((from, to)) = range
        && to - from > MAX_WINDOW
    {
        return Err(WindowError::TooLong);
    }
    match (recent, range) {
        (Some((a, b)), Some((c, d))) => Ok((a.max(c), b.min(d))),
        (Some(window), None) | (None, Some(window)) => Ok(window),
        (None, None) => Err(WindowError::Missing),
    }
}

/// A whole non-negative number, or `None` when absent.
fn count(value: Option<&str>, name: &str) -> Result<Option<u64>, WindowError> {
    value
        .map(|text| {
            text.trim()
                .parse()
                .map_err(|_| WindowError::Invalid(format!("{name} must be a whole number")))
        })
        .transpose()
}

/// `start...end` in Mountain Time, to UTC.
fn parse_range(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), WindowError> {
    let invalid = || {
        WindowError::Invalid(
            "filters[status_last_updated] must be yyyy-MM-dd+HH:mm:ss...yyyy-MM-dd+HH:mm:ss"
                .to_owned(),
        )
    };
    let (start, end) = text.split_once("...").ok_or_else(invalid)?;
    let start = mountain(start, Edge::Start).ok_or_else(invalid)?;
    let end = mountain(end, Edge::End).ok_or_else(invalid)?;
    if start > end {
        return Err(WindowError::Invalid(
            "filters[status_last_updated] starts after it ends".to_owned(),
        ));
    }
    Ok((start, end))
}

/// Which end of a range a time is, to settle the hour that occurs twice in autumn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

/// A `yyyy-MM-dd HH:mm:ss` Mountain Time (`+` taken as a space) as UTC.
///
/// In the autumn hour that occurs twice, a start is its first occurrence and an end its
/// second, so the range covers both; a time in the spring gap is read as standard time.
fn mountain(text: &str, edge: Edge) -> Option<DateTime<Utc>> {
    let text = text.trim().replace('+', " ");
    let local = NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S").ok()?;
    let time = match Denver.from_local_datetime(&local) {
        LocalResult::Single(time) => time.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => match edge {
            Edge::Start => first.with_timezone(&Utc),
            Edge::End => second.with_timezone(&Utc),
        },
        LocalResult::None => (local + TimeDelta::hours(7)).and_utc(),
    };
    Some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn query<'a>(
        minutes: Option<&'a str>,
        seconds: Option<&'a str>,
        range: Option<&'a str>,
    ) -> WindowQuery<'a> {
        WindowQuery {
            minutes,
            seconds,
            range,
        }
    }

    fn range(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), WindowError> {
        window(query(None, None, Some(text)), utc("2030-01-01T00:00:00Z"))
    }

    #[test]
    fn minutes_and_seconds_count_back_from_now() {
        let now = utc("2024-05-01T12:00:00Z");
        let recent = |minutes, seconds| window(query(minutes, seconds, None), now);
        assert_eq!(
            recent(Some("10"), Some("30")),
            Ok((utc("2024-05-01T11:49:30Z"), now))
        );
        assert_eq!(
            recent(None, Some("90")),
            Ok((utc("2024-05-01T11:58:30Z"), now))
        );
        assert!(recent(Some("10080"), None).is_ok());
        assert_eq!(recent(Some("10080"), Some("1")), Err(WindowError::TooLong));
        assert!(matches!(
            recent(Some("-5"), None),
            Err(WindowError::Invalid(_))
        ));
        assert!(recent(Some("99999999999999999999"), None).is_err());
        assert_eq!(recent(None, None), Err(WindowError::Missing));
    }

    #[test]
    fn ranges_are_mountain_time() {
        let cases = [
            // Summer: MDT, UTC-6.
            (
                "2019-08-01+00:00:00...2019-08-07+23:59:59",
                "2019-08-01T06:00:00Z",
                "2019-08-08T05:59:59Z",
            ),
            // Winter: MST, UTC-7; a space works as well as a plus.
            (
                "2024-01-10 08:00:00...2024-01-10 09:00:00",
                "2024-01-10T15:00:00Z",
                "2024-01-10T16:00:00Z",
            ),
            // Across the spring change (2024-03-10 02:00 MST becomes 03:00 MDT).
            (
                "2024-03-10+01:00:00...2024-03-10+04:00:00",
                "2024-03-10T08:00:00Z",
                "2024-03-10T10:00:00Z",
            ),
            // In the spring gap, standard time.
            (
                "2024-03-10+02:30:00...2024-03-10+02:45:00",
                "2024-03-10T09:30:00Z",
                "2024-03-10T09:45:00Z",
            ),
            // The autumn hour that happens twice (2024-11-03 01:00-02:00) is covered whole.
            (
                "2024-11-03+01:00:00...2024-11-03+01:59:59",
                "2024-11-03T07:00:00Z",
                "2024-11-03T08:59:59Z",
            ),
        ];
        for (mountain, from, to) in cases {
            assert_eq!(range(mountain), Ok((utc(from), utc(to))), "{mountain}");
        }
    }

    #[test]
    fn bad_ranges() {
        assert_eq!(
            range("2019-08-01+00:00:00...2019-08-09+00:00:00"),
            Err(WindowError::TooLong)
        );
        assert!(range("2019-08-01+00:00:00...2019-08-08+00:00:00").is_ok());
        for bad in [
            "2019-08-01",
            "2019-08-01+00:00:00..2019-08-02+00:00:00",
            "2019-13-01+00:00:00...2019-13-02+00:00:00",
            "2019-08-02+00:00:00...2019-08-01+00:00:00",
            "...",
        ] {
            assert!(matches!(range(bad), Err(WindowError::Invalid(_))), "{bad}");
        }
    }

    #[test]
    fn both_filters_overlap() {
        let now = utc("2019-08-03T12:00:00Z");
        let range = "2019-08-01+00:00:00...2019-08-03+05:30:00";
        assert_eq!(
            window(query(Some("60"), None, Some(range)), now),
            Ok((utc("2019-08-03T11:00:00Z"), utc("2019-08-03T11:30:00Z")))
        );
    }
}
