//! `digicert expiring`: issued orders whose certificate expires within N days, soonest
//! first, from the order report or an exported file.

use std::io::Write;
use std::path::PathBuf;

use chrono::{Days, NaiveDate, Utc};
use digicert_api::ReportQuery;
use digicert_api::model::{OrderStatus, ReportRow};

use super::input::read_report;
use crate::error::CliError;
use crate::flags::ExpiringFlags;
use crate::output::{ExpiringOrder, counted, nothing_found, progress, write_items};
use crate::settings::Settings;

/// The options of `digicert expiring`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert expiring --days 30
  digicert expiring --days 14 --include-expired --format csv
  digicert -q expiring --days 7 --fail-if-any || mail -s 'certificates expiring' pki@example.com")]
pub struct Args {
    /// Which certificates to list.
    #[command(flatten)]
    select: ExpiringFlags,
    /// Read an exported order report CSV ("-" for stdin) instead of calling the API.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
}

/// Runs `digicert expiring`.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let Args { select, input } = args;
    let ExpiringFlags {
        days,
        include_expired,
        ..
    } = select;
    let found = match input {
        Some(path) => expiring(read_report(&path)?, days, include_expired, today())?,
        None => {
            let connection = super::connect(settings)?;
            // Expired certificates may be `issued` or `expired` orders: ask for both then.
            let query = if include_expired {
                ReportQuery::new()
            } else {
                ReportQuery::new().status(OrderStatus::Issued)
            };
            let bar = progress::counter(settings.quiet, "orders read");
            let rows = connection
                .api
                .order_report_all(query)
                .inspect(|_| bar.inc(1));
            let found = expiring(rows, days, include_expired, today());
            bar.finish_and_clear();
            found?
        }
    };
    let count = write_items(settings.format, found, out)?;
    found_expiring(count, select, settings.quiet)
}

/// What `expiring` (online or from the inventory) says after its list: a note when nothing
/// expires, and with `fail_if_any` the error of exit 3 when something does. That error is
/// the point of such a run, so it is printed even with `-q`.
pub(super) fn found_expiring(
    count: u64,
    select: ExpiringFlags,
    quiet: bool,
) -> Result<(), CliError> {
    let ExpiringFlags {
        days,
        include_expired,
        fail_if_any,
    } = select;
    let within = format!(
        "{}{}",
        match days {
            0 => "today".to_owned(),
            days => format!("within {}", counted(u64::from(days), "day")),
        },
        if include_expired { " or expired" } else { "" }
    );
    nothing_found(quiet, count, || {
        format!("no issued certificate expires {within}")
    });
    if fail_if_any && count > 0 {
        return Err(CliError::Found(format!(
            "{} expiring {within} (--fail-if-any)",
            counted(count, "order")
        )));
    }
    Ok(())
}

/// Today's date in UTC, the day `expiring` counts from.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Issued orders whose certificate expires from `today` to `days` later, soonest first;
/// with `include_expired`, also those (issued or expired) whose certificate expired before.
fn expiring<E>(
    rows: impl Iterator<Item = Result<ReportRow, E>>,
    days: u32,
    include_expired: bool,
    today: NaiveDate,
) -> Result<Vec<ExpiringOrder>, CliError>
where
    CliError: From<E>,
{
    let until = today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX);
    let mut found = Vec::new();
    for row in rows {
        let row = row?;
        let Some(till) = row.valid_till else {
            continue;
        };
        let wanted = match row.status {
            OrderStatus::Issued => till <= until && (include_expired || till >= today),
            OrderStatus::Expired => include_expired && till <= until,
            _ => false,
        };
        if wanted {
            let days_left = (till - today).num_days();
            found.push(ExpiringOrder { days_left, row });
        }
    }
    found.sort_by_key(|order| (order.row.valid_till, order.row.order_id));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use digicert_api::model::ReportReader;

    use super::*;

    fn row(id: u64, status: &str, till: Option<&str>) -> ReportRow {
        let csv = format!(
            "order_id,date_created,status,valid_till\n\"{id}\",\"2020-01-01 00:00:00\",\"{status}\",\"{}\"\n",
            till.unwrap_or("")
        );
        ReportReader::new(csv.as_bytes())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
    }

    #[test]
    fn expiring_keeps_issued_orders_in_the_window_soonest_first() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let rows = vec![
            row(1, "issued", Some("2026-12-20")),
            row(2, "issued", Some("2026-11-23")),
            row(3, "revoked", Some("2026-11-30")),
            row(4, "issued", Some("2026-11-22")),
            row(5, "issued", Some("2026-12-24")),
            row(6, "issued", None),
            row(7, "issued", Some("2026-12-23")),
            row(8, "issued", Some("2026-12-20")),
        ];
        let found = expiring(
            rows.clone().into_iter().map(Ok::<_, CliError>),
            30,
            false,
            today,
        )
        .unwrap();
        let ids: Vec<u64> = found.iter().map(|r| r.row.order_id).collect();
        assert_eq!(ids, [2, 1, 8, 7]);
        let days_left: Vec<i64> = found.iter().map(|r| r.days_left).collect();
        assert_eq!(days_left, [0, 27, 27, 30]);
        // With the expired: order 4 (issued, expired yesterday) and 9 (expired), not 3 (revoked).
        let mut rows = rows;
        rows.push(row(9, "expired", Some("2026-01-05")));
        rows.push(row(10, "expired", Some("2027-01-05")));
        let found = expiring(rows.into_iter().map(Ok::<_, CliError>), 30, true, today).unwrap();
        let ids: Vec<u64> = found.iter().map(|r| r.row.order_id).collect();
        assert_eq!(ids, [9, 4, 2, 1, 8, 7]);
        assert_eq!(found[1].days_left, -1);
    }
}
