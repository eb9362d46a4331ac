//! `digicert report`: the order report, one page or every page, or an exported CSV file
//! converted to another format.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use digicert_api::ReportQuery;
use digicert_api::model::{OrderStatus, ReportReader, ReportRow};

use super::Page;
use super::input::read_report;
use super::report_filter::{LocalFilter, row_column};
use crate::client::Api;
use crate::error::CliError;
use crate::flags::{Format, date_or_range};
use crate::output::{
    ListWriter, counted, note, nothing_found, progress, report_csv, warn, write_items,
    write_list_counted,
};
use crate::settings::Settings;

/// The options of `digicert report`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert report --all --format csv > orders.csv
  digicert report --status issued --common-name www.example.com
  digicert report --input exported.csv --format json --valid-till 2026-07-01...2026-07-31")]
pub struct Args {
    #[command(flatten)]
    page: Page,
    /// Every page, written as pages arrive.
    #[arg(long)]
    all: bool,
    /// Only orders with this status (issued, pending, revoked, ...), in any case.
    #[arg(long)]
    status: Option<String>,
    #[command(flatten)]
    filters: ReportFilters,
    /// Read an order report CSV exported from CertCentral ("-" for stdin) instead of calling the API.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["all", "limit", "offset"])]
    input: Option<PathBuf>,
}

/// The order report's filters: sent as `filters[name]` to the server, or applied to an
/// `--input` file the same way (`local.rs`).
// The field docs are `--help` text, where `filters[common_name]` is the API's name, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Default, clap::Args)]
pub(super) struct ReportFilters {
    /// Only orders for this common name (filters[common_name]).
    #[arg(long, value_name = "NAME")]
    pub(super) common_name: Option<String>,
    /// Only orders expiring on a date or in a range: 2026-07-01 or 2026-07-01...2026-07-31
    /// (filters[valid_till]).
    #[arg(long, value_name = "DATE[...DATE]", value_parser = date_or_range)]
    pub(super) valid_till: Option<String>,
    /// Only orders for this product, such as ssl_plus (filters[product_name_id]).
    #[arg(long, value_name = "NAME_ID")]
    pub(super) product_name_id: Option<String>,
    /// Only orders of this organization (filters[organization_id]).
    #[arg(long, value_name = "ID")]
    pub(super) organization_id: Option<u64>,
    /// Only orders of this container, or division (filters[container_id]).
    #[arg(long, value_name = "ID")]
    pub(super) container_id: Option<u64>,
}

/// Runs `digicert report`.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let Args {
        page: Page { limit, offset },
        all,
        status,
        filters,
        input,
    } = args;
    let (format, quiet) = (settings.format, settings.quiet);
    if let Some(path) = input {
        let status = status.map(|text| status_filter(&text, quiet));
        let filter = LocalFilter::new(status, &filters);
        let count = convert_report(&path, &filter, format, out)?;
        nothing_found(quiet, count, || {
            if filter.keeps_all() {
                "the input holds no order".to_owned()
            } else {
                "no order of the input passes the filters".to_owned()
            }
        });
        return Ok(());
    }
    let connection = super::connect(settings)?;
    let api = &connection.api;
    let mut query = report_query(filters).limit(limit).offset(offset);
    if let Some(status) = status {
        query = query.status(status_filter(&status, quiet));
    }
    let shown = if all {
        let bar = progress::counter(quiet, "orders");
        write_list_counted::<_, _, _, CliError>(format, &bar, api.order_report_all(query), out)?
    } else {
        let rows = api.order_report(&query)?;
        let shown = write_items(format, rows, out)?;
        if !quiet && shown == u64::from(limit) && more_report_rows(api, &query) {
            note(&format!(
                "showing {} from offset {offset}; more exist: use --all for every page, \
                 or --offset {} for the next one",
                counted(shown, "order"),
                offset + u64::from(limit)
            ));
        }
        shown
    };
    nothing_found(quiet, shown, || {
        "no order in the report passes the filters (or none from that offset)".to_owned()
    });
    Ok(())
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

/// Writes an exported report in `format`, keeping only the rows `filter` keeps; returns
/// how many were written.
///
/// One row is reused for the whole file, so a report of any size converts in
/// flat memory and allocates almost nothing per row.
fn convert_report(
    path: &Path,
    filter: &LocalFilter,
    format: Format,
    out: impl Write,
) -> Result<u64, CliError> {
    let mut reader = read_report(path)?;
    if format == Format::Csv {
        return copy_report(&mut reader, filter, out);
    }
    let mut writer = ListWriter::<_, ReportRow>::new(format, out)?;
    let Some(mut row) = reader.read_row()? else {
        return Ok(writer.finish()?);
    };
    loop {
        if filter.keeps(|column| row_column(&row, column)) {
            writer.item(&row)?;
        }
        if !reader.read_row_into(&mut row)? {
            break;
        }
    }
    Ok(writer.finish()?)
}

/// Writes an exported report as a report CSV, keeping only the rows `filter` keeps; returns
/// how many were written.
///
/// Records are checked as rows would be decoded, and written as those rows would
/// be, but their text is not copied into rows: this is the fast way.
fn copy_report(
    reader: &mut ReportReader<Box<dyn Read>>,
    filter: &LocalFilter,
    out: impl Write,
) -> Result<u64, CliError> {
    // The report's own header: every column, known or not, stays in its place.
    let mut writer = report_csv(out, Some(reader.columns()))?;
    let mut written = 0;
    while let Some(record) = reader.read_record()? {
        if filter.keeps(|column| record.get(column).map(Cow::Borrowed)) {
            writer.write_record(&record)?;
            written += 1;
        }
    }
    writer.flush()?;
    Ok(written)
}
