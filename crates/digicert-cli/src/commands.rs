//! Each command: what it asks for and how it writes the answer.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use chrono::{Days, NaiveDate, Utc};
use clap::CommandFactory;
use digicert_api::model::{OrderStatus, ReportReader, ReportRow, ReportWriter};
use digicert_api::{
    OrderRef, ReportQuery, StatusChangesQuery, SubaccountOrdersQuery, merge_status_changes,
};

use crate::api::Api;
use crate::args::{Backend, Cli, Command, Format, ReportFilters};
use crate::connect::connect;
use crate::error::CliError;
use crate::inventory;
use crate::output::{ExpiringOrder, ListWriter, write_list, write_one};
use crate::progress;
use crate::serve;

/// Output buffer size: large writes keep a big report fast.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// Runs the command the line asks for.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let format = cli.global.format;
    let quiet = cli.global.quiet;
    let mut out = BufWriter::with_capacity(OUTPUT_BUFFER, io::stdout().lock());
    match cli.command {
        Command::Completions { shell } => {
            // Generated into memory: clap_complete panics on a failed write (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "digicert", &mut script);
            out.write_all(&script)?;
            Ok(out.flush()?)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            Ok(out.flush()?)
        }
        Command::Report {
            input: Some(path),
            status,
            ..
        } => {
            let status = status.map(|text| status_filter(&text, quiet));
            convert_report(&path, status.as_ref(), format, out)
        }
        Command::Expiring {
            days,
            include_expired,
            fail_if_any,
            input: Some(path),
        } => {
            let found = expiring(read_report(&path)?, days, include_expired, today())?;
            write_expiring(found, days, include_expired, fail_if_any, format, out)
        }
        Command::Inventory { command } => inventory::query(&cli.global, command, out),
        Command::Sync { full } => inventory::sync(&cli.global, full),
        Command::Serve { listen, interval } => serve::serve(&cli.global, listen, interval),
        command => {
            if cli.global.concurrency.is_some() && cli.global.backend == Backend::Blocking {
                warn(
                    quiet,
                    "--concurrency has no effect with --backend blocking, which sends one \
                     request at a time; use --backend async for pages in flight at once",
                );
            }
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
            filters,
            input: _,
        } => {
            let mut query = report_query(filters).limit(limit).offset(offset);
            if let Some(status) = status {
                query = query.status(status_filter(&status, quiet));
            }
            if all {
                let bar = progress::counter(quiet, "orders");
                let rows = api.order_report_all(query).inspect(|_| bar.inc(1));
                let written = write_list(format, rows, out);
                bar.finish_and_clear();
                written.map(drop)
            } else {
                let rows = api.order_report(&query)?;
                let shown = rows.len();
                write_list(format, rows.into_iter().map(Ok::<_, CliError>), out)?;
                if !quiet && shown == limit as usize && more_report_rows(api, &query) {
                    note(&format!(
                        "showing {} orders from offset {offset}; more exist: use --all for \
                         every page, or --offset {} for the next one",
                        thousands(shown as u64),
                        offset + u64::from(limit)
                    ));
                }
                Ok(())
            }
        }
        Command::SubaccountOrders { limit, offset, all } => {
            let query = SubaccountOrdersQuery::new().limit(limit).offset(offset);
            if all {
                let bar = subaccount_progress(api, quiet, offset);
                let orders = api.subaccount_orders_all(query).inspect(|_| bar.inc(1));
                let written = write_list(format, orders, out);
                bar.finish_and_clear();
                written.map(drop)
            } else {
                let page = api.subaccount_orders(&query)?;
                let shown = page.orders.len() as u64;
                let total = page.page.as_ref().map(|page| page.total);
                write_list(format, page.orders.into_iter().map(Ok::<_, CliError>), out)?;
                if let Some(total) = total.filter(|total| !quiet && offset + shown < *total) {
                    note(&format!(
                        "showing {} of {} orders; use --all for every page",
                        thousands(shown),
                        thousands(total)
                    ));
                }
                Ok(())
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
            let changes = match (from, minutes) {
                (Some(from), _) => {
                    let to = to.map_or_else(Utc::now, |to| to.to_utc());
                    let windows = StatusChangesQuery::windows(from.to_utc(), to)?;
                    let bar = if windows.len() > 1 {
                        progress::bar(quiet, windows.len() as u64, "7-day windows")
                    } else {
                        indicatif::ProgressBar::hidden()
                    };
                    let answers = api
                        .status_changes_in_windows(windows)
                        .inspect(|_| bar.inc(1))
                        .collect::<Result<Vec<_>, _>>();
                    bar.finish_and_clear();
                    merge_status_changes(answers?)
                }
                (None, Some(minutes)) => api.status_changes(
                    &StatusChangesQuery::last_minutes(minutes).and_seconds(seconds.unwrap_or(0)),
                )?,
                (None, None) => {
                    api.status_changes(&StatusChangesQuery::last_seconds(seconds.unwrap_or(0)))?
                }
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
        Command::Expiring {
            days,
            include_expired,
            fail_if_any,
            input: _,
        } => {
            // Expired certificates may be `issued` or `expired` orders: ask for both then.
            let query = if include_expired {
                ReportQuery::new()
            } else {
                ReportQuery::new().status(OrderStatus::Issued)
            };
            let bar = progress::counter(quiet, "orders read");
            let rows = api.order_report_all(query).inspect(|_| bar.inc(1));
            let found = expiring(rows, days, include_expired, today());
            bar.finish_and_clear();
            write_expiring(found?, days, include_expired, fail_if_any, format, out)
        }
        Command::Completions { .. } | Command::Man => Ok(()),
    }
}

/// A report query with the server-side filters the line gives.
fn report_query(filters: ReportFilters) -> ReportQuery {
    let ReportFilters {
        common_name,
        valid_till,
        product_name_id,
        organization_id,
        container_id,
    } = filters;
    let mut query = ReportQuery::new();
    if let Some(common_name) = common_name {
        query = query.common_name(common_name);
    }
    if let Some(valid_till) = valid_till {
        query = query.valid_till(valid_till);
    }
    if let Some(product_name_id) = product_name_id {
        query = query.product_name_id(product_name_id);
    }
    if let Some(organization_id) = organization_id {
        query = query.organization_id(organization_id);
    }
    if let Some(container_id) = container_id {
        query = query.container_id(container_id);
    }
    query
}

/// A status as typed, in any case; a status this version does not know is warned
/// about and used as given (CertCentral adds statuses), in lower case.
fn status_filter(text: &str, quiet: bool) -> OrderStatus {
    let status = OrderStatus::from(text.trim().to_ascii_lowercase().as_str());
    if status.is_unknown() {
        warn(
            quiet,
            &format!(
                "`{}` is not an order status this version knows ({}); using it as given",
                status.as_str(),
                OrderStatus::KNOWN.join(", ")
            ),
        );
    }
    status
}

/// Whether the report has a row after the page `query` asked for (one more request).
fn more_report_rows(api: &Api, query: &ReportQuery) -> bool {
    let next = query
        .clone()
        .offset(query.start() + u64::from(query.page_size()))
        .limit(1);
    api.order_report(&next).is_ok_and(|rows| !rows.is_empty())
}

/// Progress for every sub-account order: the total is known from a one-order page,
/// asked only when a person is watching.
fn subaccount_progress(api: &Api, quiet: bool, offset: u64) -> indicatif::ProgressBar {
    let counter = progress::counter(quiet, "orders");
    if counter.is_hidden() {
        return counter;
    }
    let total = api
        .subaccount_orders(&SubaccountOrdersQuery::new().limit(1))
        .ok()
        .and_then(|page| page.page)
        .map(|page| page.total.saturating_sub(offset));
    match total {
        Some(total) => {
            counter.finish_and_clear();
            progress::bar(quiet, total, "orders")
        }
        None => counter,
    }
}

/// A warning on stderr, unless `-q`.
fn warn(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("warning: {message}");
    }
}

/// A note on stderr (the caller checks `-q`).
fn note(message: &str) {
    eprintln!("note: {message}");
}

/// A count with thousands separators: 2,500.
fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Writes the orders `expiring` found; with `fail_if_any`, finding any is exit 3.
fn write_expiring(
    found: Vec<ExpiringOrder>,
    days: u32,
    include_expired: bool,
    fail_if_any: bool,
    format: Format,
    out: impl Write,
) -> Result<(), CliError> {
    let count = found.len();
    write_list(format, found.into_iter().map(Ok::<_, CliError>), out)?;
    if fail_if_any && count > 0 {
        return Err(CliError::Found(format!(
            "{} order{} expiring within {days} days{} (--fail-if-any)",
            thousands(count as u64),
            if count == 1 { "" } else { "s" },
            if include_expired { " or expired" } else { "" }
        )));
    }
    Ok(())
}

/// Rows of an exported report file, or of stdin for `-`.
fn read_report(path: &Path) -> Result<ReportReader<Box<dyn Read>>, CliError> {
    let input: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        Box::new(open_input(path)?)
    };
    Ok(ReportReader::new(input)?)
}

/// Opens an `--input` file; a file that cannot be opened is refused input (exit 2),
/// with its path and the reason.
fn open_input(path: &Path) -> Result<File, CliError> {
    let refused = |reason: String| CliError::Usage(format!("--input {}: {reason}", path.display()));
    let reason = |err: io::Error| match err.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => err.to_string(),
    };
    let metadata = std::fs::metadata(path).map_err(|err| refused(reason(err)))?;
    if metadata.is_dir() {
        return Err(refused("is a directory".to_owned()));
    }
    File::open(path).map_err(|err| refused(reason(err)))
}

/// Writes an exported report in `format`, keeping only `status` rows if given.
///
/// One row is reused for the whole file, so a report of any size converts in
/// flat memory and allocates almost nothing per row.
fn convert_report(
    path: &Path,
    wanted: Option<&OrderStatus>,
    format: Format,
    out: impl Write,
) -> Result<(), CliError> {
    let mut reader = read_report(path)?;
    if format == Format::Csv {
        return copy_report(&mut reader, wanted.map(OrderStatus::as_str), out);
    }
    let mut writer = ListWriter::<_, ReportRow>::new(format, out)?;
    let Some(mut row) = reader.read_row()? else {
        writer.finish()?;
        return Ok(());
    };
    loop {
        if wanted.is_none_or(|wanted| row.status == *wanted) {
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
    // The report's own header: every column, known or not, stays in its place.
    let mut writer = ReportWriter::with_columns(out, reader.columns().to_vec())?;
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

    #[test]
    fn counts_have_thousands_separators() {
        for (count, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (2500, "2,500"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(thousands(count), text);
        }
    }
}
