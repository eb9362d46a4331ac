//! Each command: what it asks for and how it writes the answer.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use chrono::{Days, NaiveDate, Utc};
use digicert_api::model::{OrderStatus, ReportReader, ReportRow, ReportWriter};
use digicert_api::{OrderRef, ReportQuery, StatusChangesQuery, SubaccountOrdersQuery};

use crate::api::Api;
use crate::args::{Cli, Command, Format};
use crate::connect::connect;
use crate::error::CliError;
use crate::inventory;
use crate::output::{ListWriter, write_list, write_one};
use crate::progress;
use crate::serve;

/// Output buffer size: large writes keep a big report fast.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// Runs the command the line asks for.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let format = cli.global.format;
    let quiet = cli.global.quiet;
    let out = BufWriter::with_capacity(OUTPUT_BUFFER, io::stdout().lock());
    match cli.command {
        Command::Report {
            input: Some(path),
            status,
            ..
        } => convert_report(&path, status.as_deref(), format, out),
        Command::Expiring {
            days,
            input: Some(path),
        } => {
            let rows = expiring(read_report(&path)?, days, today())?;
            write_list(format, rows.into_iter().map(Ok::<_, CliError>), out).map(drop)
        }
        Command::Inventory { command } => inventory::query(&cli.global, command, out),
        Command::Sync { full } => inventory::sync(&cli.global, full),
        Command::Serve { listen, interval } => serve::serve(&cli.global, listen, interval),
        command => {
            let connection = connect(&cli.global)?;
            run_api(&connection.api, command, format, quiet, out)
        }
    }
}

/// Runs a command that calls the API.
fn run_api(
    api: &Api,
    command: Command,
    format: Format,
    quiet: bool,
    out: impl Write,
) -> Result<(), CliError> {
    match command {
        Command::Report {
            limit,
            offset,
            all,
            status,
            input: _,
        } => {
            let mut query = ReportQuery::new().limit(limit).offset(offset);
            if let Some(status) = status {
                query = query.status(OrderStatus::from(status.as_str()));
            }
            if all {
                let bar = progress::counter(quiet, "orders");
                let rows = api.order_report_all(query).inspect(|_| bar.inc(1));
                let written = write_list(format, rows, out);
                bar.finish_and_clear();
                written.map(drop)
            } else {
                write_list(
                    format,
                    api.order_report(&query)?.into_iter().map(Ok::<_, CliError>),
                    out,
                )
                .map(drop)
            }
        }
        Command::SubaccountOrders { limit, offset, all } => {
            let query = SubaccountOrdersQuery::new().limit(limit).offset(offset);
            if all {
                let bar = progress::counter(quiet, "orders");
                let orders = api.subaccount_orders_all(query).inspect(|_| bar.inc(1));
                let written = write_list(format, orders, out);
                bar.finish_and_clear();
                written.map(drop)
            } else {
                let page = api.subaccount_orders(&query)?;
                write_list(format, page.orders.into_iter().map(Ok::<_, CliError>), out).map(drop)
            }
        }
        Command::Order { reference } => {
            let order = api.order_info(&OrderRef::parse(&reference)?)?;
            write_one(format, &order, out)
        }
        Command::Reissues { order_id } => {
            let reissues = api.reissues(order_id)?;
            write_list(
                format,
                reissues.certificates.into_iter().map(Ok::<_, CliError>),
                out,
            )
            .map(drop)
        }
        Command::StatusChanges {
            minutes,
            seconds,
            from,
            to,
        } => {
            let changes = match (from, to, minutes) {
                (Some(from), Some(to), _) => {
                    api.status_changes_between(from.to_utc(), to.to_utc())?
                }
                (_, _, Some(minutes)) => api.status_changes(
                    &StatusChangesQuery::last_minutes(minutes).and_seconds(seconds.unwrap_or(0)),
                )?,
                _ => api.status_changes(&StatusChangesQuery::last_seconds(seconds.unwrap_or(0)))?,
            };
            write_list(
                format,
                changes.orders.into_iter().map(Ok::<_, CliError>),
                out,
            )
            .map(drop)
        }
        Command::Sync { .. } | Command::Inventory { .. } | Command::Serve { .. } => {
            Err(CliError::Usage("not an API command".to_owned()))
        }
        Command::Expiring { days, input: _ } => {
            let bar = progress::counter(quiet, "orders read");
            let rows = api
                .order_report_all(ReportQuery::new().status(OrderStatus::Issued))
                .inspect(|_| bar.inc(1));
            let expiring = expiring(rows, days, today());
            bar.finish_and_clear();
            write_list(format, expiring?.into_iter().map(Ok::<_, CliError>), out).map(drop)
        }
    }
}

/// Rows of an exported report file, or of stdin for `-`.
fn read_report(path: &Path) -> Result<ReportReader<Box<dyn Read>>, CliError> {
    let input: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(|err| {
            io::Error::new(err.kind(), format!("cannot read {}: {err}", path.display()))
        })?)
    };
    Ok(ReportReader::new(input)?)
}

/// Writes an exported report in `format`, keeping only `status` rows if given.
///
/// One row is reused for the whole file, so a report of any size converts in
/// flat memory and allocates almost nothing per row.
fn convert_report(
    path: &Path,
    status: Option<&str>,
    format: Format,
    out: impl Write,
) -> Result<(), CliError> {
    let mut reader = read_report(path)?;
    if format == Format::Csv {
        return copy_report(&mut reader, status, out);
    }
    let wanted = status.map(OrderStatus::from);
    let mut writer = ListWriter::<_, ReportRow>::new(format, out)?;
    let Some(mut row) = reader.read_row()? else {
        writer.finish()?;
        return Ok(());
    };
    loop {
        if wanted.as_ref().is_none_or(|wanted| row.status == *wanted) {
            writer.item(&row)?;
        }
        if !reader.read_row_into(&mut row)? {
            break;
        }
    }
    writer.finish()?;
    Ok(())
}

/// Writes an exported report as a report CSV, keeping only `status` rows if given.
///
/// Records are checked as rows would be decoded, and written as those rows would
/// be, but their text is not copied into rows: this is the fast way.
fn copy_report(
    reader: &mut ReportReader<Box<dyn Read>>,
    status: Option<&str>,
    out: impl Write,
) -> Result<(), CliError> {
    let mut writer = ReportWriter::new(out)?;
    while let Some(record) = reader.read_record()? {
        if status.is_none_or(|wanted| record.get("status") == Some(wanted)) {
            writer.write_record(&record)?;
        }
    }
    writer.flush()?;
    Ok(())
}

/// Today's date in UTC, the day `expiring` counts from.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Issued orders whose certificate expires from `today` to `days` later, soonest first.
fn expiring<E>(
    rows: impl Iterator<Item = Result<ReportRow, E>>,
    days: u32,
    today: NaiveDate,
) -> Result<Vec<ReportRow>, CliError>
where
    CliError: From<E>,
{
    let until = today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX);
    let mut found = Vec::new();
    for row in rows {
        let row = row?;
        let expires_in_window = row
            .valid_till
            .is_some_and(|till| till >= today && till <= until);
        if row.status == OrderStatus::Issued && expires_in_window {
            found.push(row);
        }
    }
    found.sort_by_key(|row| (row.valid_till, row.order_id));
    Ok(found)
}

#[cfg(test)]
mod tests {
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
        let found = expiring(rows.into_iter().map(Ok::<_, CliError>), 30, today).unwrap();
        let ids: Vec<u64> = found.iter().map(|r| r.order_id).collect();
        assert_eq!(ids, [2, 1, 8, 7]);
    }
}
