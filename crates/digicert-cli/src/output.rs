//! Writing results in the four formats, streaming: each item is written as it arrives.

use std::io::{self, Write};
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use digicert_api::model::{
    CustomField, OrderInfo, ReissuedCertificate, ReportRow, ReportWriter, StatusChange,
    SubaccountOrder,
};
use serde::Serialize;

use crate::args::Format;
use crate::error::CliError;

/// A table column: its header and width (the last column is not padded).
pub type Column = (&'static str, usize);

/// Where CSV rows go: the report's own format, or plain CSV of the table's columns.
pub enum CsvOut<W: Write> {
    /// Order report rows, every column, as CertCentral writes them.
    Report(ReportWriter<W>),
    /// Anything else: the table's columns (boxed: the csv writer holds its state inline).
    Plain(Box<csv::Writer<W>>),
}

/// Something written as a row of a table or CSV, and as a JSON object.
pub trait Listed: Serialize + Sized {
    /// The columns a person scans first.
    const COLUMNS: &'static [Column];

    /// This item's cells, one per column.
    fn cells(&self) -> Vec<String>;

    /// Starts CSV output and writes its header; by default the table's columns.
    fn csv_out<W: Write>(out: W) -> io::Result<CsvOut<W>> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(Self::COLUMNS.iter().map(|(name, _)| *name))?;
        Ok(CsvOut::Plain(Box::new(csv)))
    }

    /// Writes this item as one CSV row.
    fn csv_row<W: Write>(&self, out: &mut CsvOut<W>) -> io::Result<()> {
        match out {
            CsvOut::Plain(csv) => Ok(csv.write_record(self.cells())?),
            CsvOut::Report(_) => Err(io::Error::other("only report rows go to a report CSV")),
        }
    }
}

/// Writes a list in one format, one item at a time, so nothing waits for the whole list.
pub struct ListWriter<W: Write, T> {
    format: Format,
    sink: Sink<W>,
    count: u64,
    _items: PhantomData<fn(&T)>,
}

/// The writer behind a [`ListWriter`].
enum Sink<W: Write> {
    Text(W),
    Csv(CsvOut<W>),
}

impl<W: Write, T: Listed> ListWriter<W, T> {
    /// Starts the list: the table or CSV header, or JSON's opening bracket.
    pub fn new(format: Format, mut out: W) -> io::Result<Self> {
        let sink = match format {
            Format::Csv => Sink::Csv(T::csv_out(out)?),
            Format::Json => {
                out.write_all(b"[")?;
                Sink::Text(out)
            }
            Format::Jsonl => Sink::Text(out),
            Format::Table => {
                write_cells(
                    &mut out,
                    T::COLUMNS,
                    T::COLUMNS
                        .iter()
                        .map(|(name, _)| (*name).to_owned())
                        .collect(),
                )?;
                Sink::Text(out)
            }
        };
        Ok(Self {
            format,
            sink,
            count: 0,
            _items: PhantomData,
        })
    }

    /// Writes one item.
    pub fn item(&mut self, item: &T) -> io::Result<()> {
        match (&mut self.sink, self.format) {
            (Sink::Csv(csv), _) => item.csv_row(csv)?,
            (Sink::Text(out), Format::Json) => {
                out.write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, item)?;
            }
            (Sink::Text(out), Format::Jsonl) => {
                serde_json::to_writer(&mut *out, item)?;
                out.write_all(b"\n")?;
            }
            (Sink::Text(out), _) => write_cells(out, T::COLUMNS, item.cells())?,
        }
        self.count += 1;
        Ok(())
    }

    /// Ends the list (JSON's closing bracket), flushes, and says how many items were written.
    pub fn finish(mut self) -> io::Result<u64> {
        self.flush_end()?;
        Ok(self.count)
    }

    /// Closes what is open and flushes; also used when a list stops at an error.
    fn flush_end(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(csv) => match csv {
                CsvOut::Report(writer) => writer.flush(),
                CsvOut::Plain(writer) => writer.flush(),
            },
            Sink::Text(out) => {
                if self.format == Format::Json {
                    out.write_all(if self.count == 0 { b"]\n" } else { b"\n]\n" })?;
                }
                out.flush()
            }
        }
    }
}

/// Writes every item of a list as it comes; at the first error, flushes what
/// was written and returns the error. Returns how many items were written.
pub fn write_list<T: Listed, W: Write, E>(
    format: Format,
    items: impl Iterator<Item = Result<T, E>>,
    out: W,
) -> Result<u64, CliError>
where
    CliError: From<E>,
{
    let mut writer = ListWriter::<W, T>::new(format, out)?;
    for item in items {
        match item {
            Ok(item) => writer.item(&item)?,
            Err(err) => {
                // Keep what was written readable, then report the failure.
                let _ = writer.flush_end();
                return Err(err.into());
            }
        }
    }
    Ok(writer.finish()?)
}

/// Writes one item: an object in JSON, a line in JSON Lines, a CSV row, or
/// `field  value` lines in a table.
pub fn write_one<T: Listed, W: Write>(
    format: Format,
    item: &T,
    mut out: W,
) -> Result<(), CliError> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, item).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        Format::Jsonl => {
            serde_json::to_writer(&mut out, item).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(&mut out);
            csv.write_record(T::COLUMNS.iter().map(|(name, _)| *name))
                .map_err(io::Error::from)?;
            csv.write_record(item.cells()).map_err(io::Error::from)?;
            csv.flush()?;
        }
        Format::Table => {
            let width = T::COLUMNS
                .iter()
                .map(|(name, _)| name.len())
                .max()
                .unwrap_or(0);
            for ((name, _), cell) in T::COLUMNS.iter().zip(item.cells()) {
                writeln!(out, "{name:width$}  {cell}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// One table line: each cell cut or padded to its column's width, its line breaks and tabs
/// shown as spaces. Built in one buffer, without a copy of each cell (a table of thousands of
/// orders is written line by line).
fn write_cells<W: Write>(out: &mut W, columns: &[Column], cells: Vec<String>) -> io::Result<()> {
    let mut line = String::new();
    let last = columns.len().saturating_sub(1);
    for (index, ((_, width), cell)) in columns.iter().zip(&cells).enumerate() {
        let cut = cell.chars().count() > *width;
        let kept = if cut { width.saturating_sub(1) } else { *width };
        let mut shown = 0;
        for c in cell.chars().take(kept) {
            line.push(if matches!(c, '\n' | '\r' | '\t') {
                ' '
            } else {
                c
            });
            shown += 1;
        }
        if cut {
            line.push('…');
            shown += 1;
        }
        if index < last {
            let pad = width.saturating_sub(shown) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line.truncate(line.trim_end().len());
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// Text of an optional value, empty when absent.
fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A time as every table writes times: RFC 3339 in UTC, to the second (`2026-05-01T08:30:00Z`).
fn time(value: Option<DateTime<FixedOffset>>) -> String {
    value
        .map(|time| time.to_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Custom fields as a person reads them: `label=value; label=value` (the CSV keeps the
/// API's own encoding).
fn custom_fields(fields: &[CustomField]) -> String {
    fields
        .iter()
        .map(|field| {
            let label = field
                .label
                .clone()
                .or_else(|| field.metadata_id.map(|id| format!("#{id}")))
                .unwrap_or_default();
            format!("{label}={}", field.value.as_deref().unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Listed for ReportRow {
    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("status", 14),
        ("valid_till", 10),
        ("product_name_id", 20),
        ("common_name", 40),
        ("metadata", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.order_id.to_string(),
            self.status.to_string(),
            text(self.valid_till),
            text(self.product_name_id.as_deref()),
            text(self.common_name.as_deref()),
            custom_fields(&self.metadata),
        ]
    }

    /// The report's own columns, every value quoted, as CertCentral writes it.
    fn csv_out<W: Write>(out: W) -> io::Result<CsvOut<W>> {
        Ok(CsvOut::Report(ReportWriter::new(out)?))
    }

    fn csv_row<W: Write>(&self, out: &mut CsvOut<W>) -> io::Result<()> {
        match out {
            CsvOut::Report(writer) => writer.write_row(self),
            CsvOut::Plain(csv) => Ok(csv.write_record(self.cells())?),
        }
    }
}

/// An order of `expiring`: the report row, and the days left until its certificate expires.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiringOrder {
    /// Days from today (UTC) to `valid_till`; below 0 once expired.
    pub days_left: i64,
    /// The order's report row, its columns beside `days_left` in JSON.
    #[serde(flatten)]
    pub row: ReportRow,
}

impl Listed for ExpiringOrder {
    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("days_left", 9),
        ("valid_till", 10),
        ("status", 14),
        ("product_name_id", 20),
        ("common_name", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.row.order_id.to_string(),
            self.days_left.to_string(),
            text(self.row.valid_till),
            self.row.status.to_string(),
            text(self.row.product_name_id.as_deref()),
            text(self.row.common_name.as_deref()),
        ]
    }
}

impl Listed for SubaccountOrder {
    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("status", 14),
        ("account_id", 10),
        ("product_name_id", 20),
        ("date_created", 20),
        ("common_name", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.status.to_string(),
            text(self.subaccount.as_ref().and_then(|s| s.account_id)),
            text(self.product.as_ref().and_then(|p| p.name_id.as_deref())),
            time(self.date_created),
            text(
                self.certificate
                    .as_ref()
                    .and_then(|c| c.common_name.as_deref()),
            ),
        ]
    }
}

impl Listed for OrderInfo {
    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("status", 14),
        ("common_name", 40),
        ("dns_names", 40),
        ("product_name_id", 20),
        ("date_created", 20),
        ("valid_from", 10),
        ("valid_till", 10),
        ("thumbprint", 40),
        ("serial_number", 32),
        ("organization_name", 40),
        ("custom_fields", 60),
    ];

    fn cells(&self) -> Vec<String> {
        let certificate = self.certificate.as_ref();
        vec![
            self.id.to_string(),
            self.status.to_string(),
            text(certificate.and_then(|c| c.common_name.as_deref())),
            certificate
                .map(|c| c.dns_names.join(","))
                .unwrap_or_default(),
            text(self.product.as_ref().and_then(|p| p.name_id.as_deref())),
            time(self.date_created),
            text(certificate.and_then(|c| c.valid_from)),
            text(certificate.and_then(|c| c.valid_till)),
            text(certificate.and_then(|c| c.thumbprint.as_deref())),
            text(certificate.and_then(|c| c.serial_number.as_deref())),
            text(self.organization.as_ref().and_then(|o| o.name.as_deref())),
            custom_fields(&self.custom_fields),
        ]
    }
}

impl Listed for ReissuedCertificate {
    const COLUMNS: &'static [Column] = &[
        ("certificate_id", 14),
        ("status", 14),
        ("date_created", 20),
        ("valid_till", 10),
        ("thumbprint", 40),
        ("serial_number", 32),
        ("common_name", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.status.to_string(),
            time(self.date_created),
            text(self.valid_till),
            text(self.thumbprint.as_deref()),
            text(self.serial_number.as_deref()),
            text(self.common_name.as_deref()),
        ]
    }
}

impl Listed for StatusChange {
    const COLUMNS: &'static [Column] = &[("order_id", 10), ("certificate_id", 14), ("status", 14)];

    fn cells(&self) -> Vec<String> {
        vec![
            self.order_id.to_string(),
            text(self.certificate_id),
            self.status.to_string(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_are_cut_and_padded() {
        let mut out = Vec::new();
        write_cells(
            &mut out,
            &[("a", 3), ("b", 4)],
            vec!["abcdef".into(), "x\ny".into()],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "ab…  x y\n");
        // Counted in characters, not bytes; a cell of its column's width is not cut.
        let mut out = Vec::new();
        write_cells(
            &mut out,
            &[("a", 4), ("b", 0), ("c", 2)],
            vec!["Niño".into(), "z".into(), "\tq".into()],
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "Niño  …   q\n");
    }

    #[test]
    fn times_are_utc_rfc_3339_and_custom_fields_read_as_label_value() {
        let denver = DateTime::parse_from_rfc3339("2026-05-01T02:30:00-06:00").unwrap();
        assert_eq!(time(Some(denver)), "2026-05-01T08:30:00Z");
        assert_eq!(time(None), "");
        let fields = [
            CustomField {
                metadata_id: Some(7),
                label: Some("Cost center".into()),
                value: Some("42".into()),
                ..Default::default()
            },
            CustomField {
                metadata_id: Some(9),
                label: None,
                value: Some("x".into()),
                ..Default::default()
            },
        ];
        assert_eq!(custom_fields(&fields), "Cost center=42; #9=x");
    }
}
