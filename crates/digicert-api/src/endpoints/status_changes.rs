//! `GET /order/certificate/status-changes`: orders whose status changed in a window.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use digicert_model::{DecodeError, StatusChanges, decode_json};

use crate::endpoint::{Endpoint, Format, Target};
use crate::error::Error;
use crate::status_window::{MAX_WINDOW, filter_value, fits_one_window};

/// The longest window DigiCert accepts, in minutes.
pub const MAX_WINDOW_MINUTES: u32 = 10_080;

/// The time window to ask about; DigiCert accepts at most 7 days.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use digicert_api::StatusChangesQuery;
///
/// let last_hour = StatusChangesQuery::last_minutes(60);
/// let with_seconds = StatusChangesQuery::last_minutes(5).and_seconds(30);
/// let range = StatusChangesQuery::between(
///     Utc.with_ymd_and_hms(2019, 8, 1, 6, 0, 0).unwrap(),
///     Utc.with_ymd_and_hms(2019, 8, 8, 5, 59, 59).unwrap(),
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChangesQuery(Window);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Window {
    Recent {
        minutes: u32,
        seconds: u32,
    },
    Range {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

impl StatusChangesQuery {
    /// Changes in the last `minutes` (at most 10080).
    pub fn last_minutes(minutes: u32) -> Self {
        Self(Window::Recent {
            minutes,
            seconds: 0,
        })
    }

    /// Changes in the last `seconds` (at most 7 days).
    pub fn last_seconds(seconds: u32) -> Self {
        Self(Window::Recent {
            minutes: 0,
            seconds,
        })
    }

    /// Adds seconds to a recent window (DigiCert's `seconds` parameter).
    pub fn and_seconds(self, extra: u32) -> Self {
        match self.0 {
            Window::Recent { minutes, seconds } => Self(Window::Recent {
                minutes,
                seconds: seconds.saturating_add(extra),
            }),
            range @ Window::Range { .. } => Self(range),
        }
    }

    /// The windows of at most 7 days that cover `from..=to`, oldest first: what
    /// `status_changes_between` asks, one request each. Refused if `from` is after `to`.
    ///
    /// ```
    /// use chrono::{Duration, Utc};
    /// use digicert_api::StatusChangesQuery;
    ///
    /// let now = Utc::now();
    /// assert_eq!(StatusChangesQuery::windows(now - Duration::days(20), now)?.len(), 3);
    /// # Ok::<(), digicert_api::Error>(())
    /// ```
    pub fn windows<Tz: TimeZone>(
        from: DateTime<Tz>,
        to: DateTime<Tz>,
    ) -> Result<Vec<StatusChangesQuery>, Error> {
        split_range(from.with_timezone(&Utc), to.with_timezone(&Utc))
    }

    /// Changes between two instants, both included (whole seconds). The instants
    /// may be in any time zone; they are sent in US Mountain Time, as DigiCert reads them.
    pub fn between<Tz: TimeZone>(from: DateTime<Tz>, to: DateTime<Tz>) -> Self {
        Self(Window::Range {
            from: from.with_timezone(&Utc),
            to: to.with_timezone(&Utc),
        })
    }
}

impl Endpoint for StatusChangesQuery {
    type Output = StatusChanges;
    const NAME: &'static str = "status changes";
    const FORMAT: Format = Format::Json;

    fn target(&self) -> Result<Target, Error> {
        let mut query = Vec::new();
        match self.0 {
            Window::Recent { minutes, seconds } => {
                let total = u64::from(minutes) * 60 + u64::from(seconds);
                if total == 0 {
                    return Err(Error::InvalidInput(
                        "a status-change query needs a window: minutes, seconds or a date-time range".to_owned(),
                    ));
                }
                if total > u64::from(MAX_WINDOW_MINUTES) * 60 {
                    return Err(too_long(format!("{minutes} minutes and {seconds} seconds")));
                }
                if minutes > 0 {
                    query.push(("minutes".to_owned(), minutes.to_string()));
                }
                if seconds > 0 {
                    query.push(("seconds".to_owned(), seconds.to_string()));
                }
            }
            Window::Range { from, to } => {
                if from > to {
                    return Err(starts_after_it_ends(from, to));
                }
                if to - from > MAX_WINDOW {
                    return Err(too_long(format!("{} to {}", instant(from), instant(to))));
                }
                if !fits_one_window(from, to) {
                    return Err(Error::InvalidInput(format!(
                        "status-change window {} to {} cannot be written as one US Mountain Time \
                         window (it is over 7 days on the wall clock, or runs backwards through the \
                         repeated hour of the autumn clock change): ask for it as a range, which \
                         is split into windows that fit",
                        instant(from),
                        instant(to)
                    )));
                }
                query.push((
                    "filters[status_last_updated]".to_owned(),
                    filter_value(from, to),
                ));
            }
        }
        Ok(Target {
            path: "/order/certificate/status-changes".to_owned(),
            query,
        })
    }

    fn decode(&self, body: Vec<u8>) -> Result<StatusChanges, DecodeError> {
        decode_json(&body)
    }
}

/// One query per window of at most 7 days covering `from..=to`, oldest first.
pub(crate) fn split_range(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<StatusChangesQuery>, Error> {
    if from > to {
        return Err(starts_after_it_ends(from, to));
    }
    Ok(crate::status_window::split(from, to)
        .into_iter()
        .map(|(from, to)| StatusChangesQuery(Window::Range { from, to }))
        .collect())
}

/// The error for a window DigiCert would refuse.
fn too_long(window: String) -> Error {
    Error::InvalidInput(format!(
        "status-change window {window} is longer than DigiCert's {} days: ask for a \
         date-time range instead (`--from`/`--to` on the command line); a range of any \
         length is split into 7-day windows",
        MAX_WINDOW.num_days()
    ))
}

/// The error for a range that starts after it ends.
fn starts_after_it_ends(from: DateTime<Utc>, to: DateTime<Utc>) -> Error {
    Error::InvalidInput(format!(
        "status-change range starts ({}) after it ends ({})",
        instant(from),
        instant(to)
    ))
}

/// An instant as messages show it: RFC 3339 in UTC, to the second.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
