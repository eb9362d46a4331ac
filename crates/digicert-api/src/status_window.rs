//! DigiCert's status-change time filter: instants written in US Mountain Time, windows of at
//! most 7 days, longer ranges split into windows and their answers merged.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeDelta, Utc};
use chrono_tz::America::Denver;
use digicert_model::{StatusChange, StatusChanges};

/// The longest window DigiCert accepts.
pub(crate) const MAX_WINDOW: TimeDelta = TimeDelta::days(7);

/// An instant written as DigiCert reads this filter: Mountain Time, `yyyy-MM-dd HH:mm:ss`
/// (sub-seconds dropped).
pub(crate) fn mountain_time(instant: DateTime<Utc>) -> String {
    instant
        .with_timezone(&Denver)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The filter value for one window: "{from}...{to}" in Mountain Time.
pub(crate) fn filter_value(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format!("{}...{}", mountain_time(from), mountain_time(to))
}

/// Whether one window is acceptable: from <= to, and at most MAX_WINDOW long both as elapsed
/// time and as the difference of the two Mountain wall-clock times (across a DST change they
/// differ by an hour).
///
/// The wall-clock end must also not come before the wall-clock start, which happens only
/// inside the repeated hour of a November change (01:30 MDT to 01:10 MST): DigiCert would
/// read such a window backwards.
pub(crate) fn fits_one_window(from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let elapsed = to - from;
    let wall = wall_clock(to) - wall_clock(from);
    TimeDelta::zero() <= elapsed
        && elapsed <= MAX_WINDOW
        && TimeDelta::zero() <= wall
        && wall <= MAX_WINDOW
}

/// Consecutive windows covering [from, to] (whole seconds, inclusive ends: the next window
/// starts one second after the previous ends), each acceptable to fits_one_window; empty if
/// from > to.
///
/// Sub-seconds are dropped from both ends, as the filter drops them. Each window is as long
/// as DigiCert allows, so a range takes as few requests as it can.
pub(crate) fn split(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut windows = Vec::new();
    if from > to {
        return windows;
    }
    let (mut start, to) = (from.trunc_subsecs(0), to.trunc_subsecs(0));
    loop {
        let end = window_end(start, to);
        windows.push((start, end));
        match end.checked_add_signed(TimeDelta::seconds(1)) {
            Some(next) if end < to => start = next,
            _ => return windows,
        }
    }
}

/// Merges the answers of consecutive windows, given oldest window first: one entry per order
/// id, at the position where the order first appears, with the status (and certificate_id) of
/// the latest window listing it.
///
/// This is how `status_changes_between` joins the answers of the windows that
/// [`StatusChangesQuery::windows`](crate::StatusChangesQuery::windows) gives, for
/// callers that fetch the windows themselves (`status_changes_in_windows`).
pub fn merge(answers: impl IntoIterator<Item = StatusChanges>) -> StatusChanges {
    let mut orders: Vec<StatusChange> = Vec::new();
    let mut positions: HashMap<u64, usize> = HashMap::new();
    for change in answers.into_iter().flat_map(|answer| answer.orders) {
        match positions.get(&change.order_id) {
            Some(&at) => {
                if let Some(slot) = orders.get_mut(at) {
                    *slot = change;
                }
            }
            None => {
                positions.insert(change.order_id, orders.len());
                orders.push(change);
            }
        }
    }
    StatusChanges {
        orders,
        ..Default::default()
    }
}

/// The Mountain wall-clock time DigiCert compares against.
fn wall_clock(instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&Denver).naive_local()
}

/// The latest end (at most `to`) of a window that starts at `start` and fits.
///
/// With at most one DST change in 7 days, the best end is one of: 7 days on, 7 days less an
/// hour on (spring: the wall clock runs an hour ahead), or the last second before the change
/// (November: the wall clock must not go backwards).
fn window_end(start: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let after = |length| {
        start
            .checked_add_signed(length)
            .map_or(to, |end| end.min(to))
    };
    let cap = after(MAX_WINDOW);
    let hour_less = after(MAX_WINDOW - TimeDelta::hours(1));
    [cap, hour_less]
        .into_iter()
        .chain(last_second_before_change(start, cap))
        .filter(|&end| fits_one_window(start, end))
        .max()
        .unwrap_or(start)
}

/// The last whole second in [start, end] with the same UTC offset as `start`, if the offset
/// changes before `end`.
fn last_second_before_change(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let offset = |instant: DateTime<Utc>| wall_clock(instant) - instant.naive_utc();
    let before = offset(start);
    if offset(end) == before {
        return None;
    }
    // Binary search between an instant with the old offset and one with the new; offsets
    // change on whole seconds, so the second of `low` is the last one before the change.
    let (mut low, mut high) = (start, end);
    while high - low > TimeDelta::seconds(1) {
        let middle = low + (high - low) / 2;
        if offset(middle) == before {
            low = middle;
        } else {
            high = middle;
        }
    }
    Some(low.trunc_subsecs(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use digicert_model::OrderStatus;
    use proptest::prelude::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    fn secs(n: i64) -> TimeDelta {
        TimeDelta::seconds(n)
    }

    #[test]
    fn max_window_is_a_week() {
        assert_eq!(MAX_WINDOW.num_minutes(), 10_080);
    }

    #[test]
    fn winter_is_utc_minus_seven() {
        assert_eq!(
            mountain_time(utc(2024, 1, 15, 12, 0, 0)),
            "2024-01-15 05:00:00"
        );
        assert_eq!(
            mountain_time(utc(2024, 1, 1, 3, 4, 5)),
            "2023-12-31 20:04:05"
        );
    }

    #[test]
    fn summer_is_utc_minus_six() {
        assert_eq!(
            mountain_time(utc(2024, 7, 15, 12, 0, 0)),
            "2024-07-15 06:00:00"
        );
    }

    #[test]
    fn sub_seconds_are_dropped() {
        let instant = utc(2024, 1, 15, 12, 0, 0) + TimeDelta::milliseconds(999);
        assert_eq!(mountain_time(instant), "2024-01-15 05:00:00");
    }

    #[test]
    fn spring_forward_skips_two_oclock() {
        // 2024-03-10 02:00 MST became 03:00 MDT, at 09:00 UTC.
        assert_eq!(
            mountain_time(utc(2024, 3, 10, 8, 59, 59)),
            "2024-03-10 01:59:59"
        );
        assert_eq!(
            mountain_time(utc(2024, 3, 10, 9, 0, 0)),
            "2024-03-10 03:00:00"
        );
    }

    #[test]
    fn fall_back_repeats_one_oclock() {
        // 2024-11-03 02:00 MDT became 01:00 MST, at 08:00 UTC.
        assert_eq!(
            mountain_time(utc(2024, 11, 3, 7, 59, 59)),
            "2024-11-03 01:59:59"
        );
        assert_eq!(
            mountain_time(utc(2024, 11, 3, 8, 0, 0)),
            "2024-11-03 01:00:00"
        );
        // Two instants an hour apart print the same wall time.
        assert_eq!(
            mountain_time(utc(2024, 11, 3, 7, 30, 0)),
            "2024-11-03 01:30:00"
        );
        assert_eq!(
            mountain_time(utc(2024, 11, 3, 8, 30, 0)),
            "2024-11-03 01:30:00"
        );
    }

    #[test]
    fn filter_value_joins_both_ends() {
        let value = filter_value(utc(2019, 8, 1, 6, 0, 0), utc(2019, 8, 8, 5, 59, 59));
        assert_eq!(value, "2019-08-01 00:00:00...2019-08-07 23:59:59");
    }

    #[test]
    fn seven_days_fit_and_no_more() {
        let from = utc(2024, 1, 10, 12, 0, 0);
        assert!(fits_one_window(from, from));
        assert!(fits_one_window(from, from + MAX_WINDOW));
        assert!(!fits_one_window(from, from + MAX_WINDOW + secs(1)));
        assert!(!fits_one_window(from, from - secs(1)));
    }

    #[test]
    fn a_week_across_spring_forward_is_too_long_on_the_wall() {
        // 05:00 MST to 06:00 MDT a week later: 7 days elapsed, 7 days and an hour on the wall.
        let from = utc(2024, 3, 7, 12, 0, 0);
        assert!(!fits_one_window(from, from + MAX_WINDOW));
        assert!(fits_one_window(
            from,
            from + MAX_WINDOW - TimeDelta::hours(1)
        ));
        assert!(!fits_one_window(
            from,
            from + MAX_WINDOW - TimeDelta::hours(1) + secs(1)
        ));
    }

    #[test]
    fn a_week_across_fall_back_fits() {
        // 06:00 MDT to 05:00 MST a week later: 7 days elapsed, 7 days less an hour on the wall.
        let from = utc(2024, 10, 31, 12, 0, 0);
        assert!(fits_one_window(from, from + MAX_WINDOW));
        assert!(!fits_one_window(from, from + MAX_WINDOW + secs(1)));
    }

    #[test]
    fn a_backwards_wall_clock_does_not_fit() {
        // 01:30 MDT to 01:10 MST: forty minutes, but the wall clock reads backwards.
        let from = utc(2024, 11, 3, 7, 30, 0);
        let to = utc(2024, 11, 3, 8, 10, 0);
        assert!(!fits_one_window(from, to));
        assert_eq!(
            split(from, to),
            [
                (from, utc(2024, 11, 3, 7, 59, 59)),
                (utc(2024, 11, 3, 8, 0, 0), to)
            ]
        );
    }

    #[test]
    fn under_a_week_is_one_window() {
        let from = utc(2024, 5, 1, 0, 0, 0);
        let to = from + TimeDelta::days(3);
        assert_eq!(split(from, to), [(from, to)]);
        assert_eq!(split(from, from), [(from, from)]);
        assert_eq!(split(from, from + MAX_WINDOW), [(from, from + MAX_WINDOW)]);
    }

    #[test]
    fn fifteen_days_are_three_windows() {
        let from = utc(2024, 5, 1, 0, 0, 0);
        let to = from + TimeDelta::days(15);
        let second = from + MAX_WINDOW + secs(1);
        let third = second + MAX_WINDOW + secs(1);
        assert_eq!(
            split(from, to),
            [
                (from, from + MAX_WINDOW),
                (second, second + MAX_WINDOW),
                (third, to)
            ]
        );
    }

    #[test]
    fn a_week_across_spring_forward_is_two_windows() {
        let from = utc(2024, 3, 7, 12, 0, 0);
        let first_end = from + MAX_WINDOW - TimeDelta::hours(1);
        assert_eq!(
            split(from, from + MAX_WINDOW),
            [(from, first_end), (first_end + secs(1), from + MAX_WINDOW)]
        );
    }

    #[test]
    fn a_range_ending_before_the_cap_still_uses_the_whole_wall_week() {
        // Starts a second before spring forward; 7 days less an hour and a second later the
        // wall clock is a second past 7 days, so the first window ends one second early.
        let from = utc(2024, 3, 10, 8, 59, 59);
        let to = from + MAX_WINDOW - TimeDelta::hours(1) + secs(1);
        assert_eq!(split(from, to), [(from, to - secs(1)), (to, to)]);
    }

    #[test]
    fn reversed_range_is_empty() {
        let from = utc(2024, 5, 1, 0, 0, 0);
        assert!(split(from, from - secs(1)).is_empty());
        assert!(
            split(
                from + TimeDelta::milliseconds(600),
                from + TimeDelta::milliseconds(300)
            )
            .is_empty()
        );
    }

    #[test]
    fn sub_seconds_are_truncated() {
        let from = utc(2024, 5, 1, 0, 0, 0);
        let windows = split(
            from + TimeDelta::milliseconds(900),
            from + secs(5) + TimeDelta::milliseconds(1),
        );
        assert_eq!(windows, [(from, from + secs(5))]);
    }

    fn change(order_id: u64, certificate_id: Option<u64>, status: OrderStatus) -> StatusChange {
        StatusChange {
            order_id,
            certificate_id,
            status,
            extra: Default::default(),
        }
    }

    #[test]
    fn merge_keeps_one_entry_per_order_and_the_later_status() {
        let older = StatusChanges {
            orders: vec![
                change(1, None, OrderStatus::Pending),
                change(2, Some(20), OrderStatus::Issued),
            ],
            ..Default::default()
        };
        let newer = StatusChanges {
            orders: vec![
                change(3, None, OrderStatus::NeedsApproval),
                change(1, Some(10), OrderStatus::Issued),
            ],
            ..Default::default()
        };
        let newest = StatusChanges {
            orders: vec![change(2, Some(20), OrderStatus::Revoked)],
            ..Default::default()
        };
        let merged = merge([older, StatusChanges::default(), newer, newest]);
        assert_eq!(
            merged.orders,
            [
                change(1, Some(10), OrderStatus::Issued),
                change(2, Some(20), OrderStatus::Revoked),
                change(3, None, OrderStatus::NeedsApproval),
            ]
        );
        assert_eq!(merge([]), StatusChanges::default());
    }

    proptest! {
        #[test]
        fn split_covers_the_range_exactly(
            // 2020-01-01 to 2030-01-01, so plenty of DST changes.
            from_secs in 1_577_836_800i64..1_893_456_000,
            length in 0i64..(60 * 86_400),
            from_nanos in 0u32..1_000_000_000,
            to_nanos in 0u32..1_000_000_000,
        ) {
            let from = Utc.timestamp_opt(from_secs, from_nanos).unwrap();
            let to = Utc.timestamp_opt(from_secs + length, to_nanos).unwrap();
            let windows = split(from, to);
            prop_assert_eq!(windows.first().map(|w| w.0), Some(from.trunc_subsecs(0)));
            prop_assert_eq!(windows.last().map(|w| w.1), Some(to.trunc_subsecs(0)));
            for &(start, end) in &windows {
                prop_assert!(fits_one_window(start, end), "{start} to {end}");
            }
            for pair in windows.windows(2) {
                prop_assert_eq!(pair[1].0, pair[0].1 + secs(1));
                // As long as allowed: one more second would not fit.
                prop_assert!(!fits_one_window(pair[0].0, pair[0].1 + secs(1)));
            }
            // A DST change costs at most one extra window.
            let most = length / (MAX_WINDOW - TimeDelta::hours(1)).num_seconds() + 2;
            prop_assert!(windows.len() as i64 <= most, "{} windows", windows.len());
        }

        #[test]
        fn split_near_dst_changes(
            // Starts within a week of the 2024 changes, so windows end near them.
            base in prop::sample::select(vec![
                utc(2024, 3, 10, 9, 0, 0).timestamp(),
                utc(2024, 11, 3, 8, 0, 0).timestamp(),
            ]),
            before in 0i64..(8 * 86_400),
            length in 0i64..(16 * 86_400),
        ) {
            let from = Utc.timestamp_opt(base - before, 0).unwrap();
            let to = from + secs(length);
            let windows = split(from, to);
            prop_assert_eq!(windows.first().map(|w| w.0), Some(from));
            prop_assert_eq!(windows.last().map(|w| w.1), Some(to));
            for &(start, end) in &windows {
                prop_assert!(fits_one_window(start, end), "{start} to {end}");
            }
            for pair in windows.windows(2) {
                prop_assert_eq!(pair[1].0, pair[0].1 + secs(1));
                prop_assert!(!fits_one_window(pair[0].0, pair[0].1 + secs(1)));
            }
        }
    }
}
