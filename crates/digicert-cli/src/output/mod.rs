//! Writing results in the four formats, streaming: each item is written as it arrives.
//! Beside the writer: the table's lines, how each listed type is written, how values are
//! spelled in every format (`spelling`, and JSON's writer, `json`), the progress on stderr,
//! and the warnings and notes for a person (`stderr`: with the note for an empty answer).
//!
//! A new output is a [`Listed`] impl in `listed.rs`: its cells spell times and hex with
//! `spelling::time` and [`hex`], its JSON is written by this module (hex fields in upper case
//! by name), and its command says an empty answer with [`nothing_found`].

mod deployments;
mod json;
mod listed;
pub mod progress;
mod spelling;
mod stderr;
mod table;

use std::io::{self, Write};
use std::marker::PhantomData;

use digicert_api::model::ReportWriter;
use indicatif::ProgressBar;
use serde::Serialize;

pub use deployments::HistoryEvent;
pub use listed::ExpiringOrder;
pub use spelling::hex;
pub use stderr::{counted, note, nothing_found, thousands, warn};

use crate::flags::Format;
use table::write_cells;

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

    /// Whether this is one of CertCentral's own objects (a report row, order details, ...),
    /// written in JSON as CertCentral sent it (the lossless promise, in CertCentral's own
    /// spelling) but for its times, in UTC with `Z` as in every output; every other item's
    /// JSON gets every spelling rule (`json.rs`).
    const AS_SENT: bool = false;

    /// This item's cells, one per column.
    fn cells(&self) -> Vec<String>;

    /// The CSV header; by default the table's columns.
    fn csv_columns() -> Vec<&'static str> {
        Self::COLUMNS.iter().map(|(name, _)| *name).collect()
    }

    /// This item's CSV cells, one per [`Listed::csv_columns`]; by default the table's.
    fn csv_cells(&self) -> Vec<String> {
        self.cells()
    }

    /// Starts CSV output and writes its header.
    fn csv_out<W: Write>(out: W) -> io::Result<CsvOut<W>> {
        let mut csv = csv::Writer::from_writer(out);
        csv.write_record(Self::csv_columns())?;
        Ok(CsvOut::Plain(Box::new(csv)))
    }

    /// Writes this item as one CSV row.
    fn csv_row<W: Write>(&self, out: &mut CsvOut<W>) -> io::Result<()> {
        match out {
            CsvOut::Plain(csv) => Ok(csv.write_record(self.csv_cells())?),
            CsvOut::Report(_) => Err(io::Error::other("only report rows go to a report CSV")),
        }
    }
}

/// A report CSV in CertCentral's columns, quoting and spelling, but for its times (RFC 3339
/// in UTC with `Z`, as in every output): the report's own columns (`columns`), or every
/// column the model knows and then the first row's unknown ones.
pub fn report_csv<W: Write>(out: W, columns: Option<&[String]>) -> io::Result<ReportWriter<W>> {
    let writer = match columns {
        Some(columns) => ReportWriter::with_columns(out, columns)?,
        None => ReportWriter::new(out)?,
    };
    Ok(writer.utc_times())
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
                json::compact(&mut *out, item, !T::AS_SENT)?;
            }
            (Sink::Text(out), Format::Jsonl) => {
                json::compact(&mut *out, item, !T::AS_SENT)?;
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
pub fn write_list<T: Listed, W: Write, F, E>(
    format: Format,
    items: impl Iterator<Item = Result<T, F>>,
    out: W,
) -> Result<u64, E>
where
    E: From<F> + From<io::Error>,
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

/// Writes a listing as [`write_list`] does, counting its items on `bar`, which is cleared
/// when the listing ends; returns how many items were written.
pub fn write_list_counted<T: Listed, W: Write, F, E>(
    format: Format,
    bar: &ProgressBar,
    items: impl Iterator<Item = Result<T, F>>,
    out: W,
) -> Result<u64, E>
where
    E: From<F> + From<io::Error>,
{
    let written = write_list(format, items.inspect(|_| bar.inc(1)), out);
    bar.finish_and_clear();
    written
}

/// Writes a list that is already at hand; returns how many items it held.
pub fn write_items<T: Listed, W: Write>(format: Format, items: Vec<T>, out: W) -> io::Result<u64> {
    write_list::<_, _, io::Error, io::Error>(format, items.into_iter().map(Ok), out)
}

/// Writes one item: an object in JSON, a line in JSON Lines, a CSV row, or
/// `field  value` lines in a table.
pub fn write_one<T: Listed, W: Write>(format: Format, item: &T, mut out: W) -> io::Result<()> {
    match format {
        Format::Json => {
            json::pretty(&mut out, item, !T::AS_SENT)?;
            out.write_all(b"\n")?;
        }
        Format::Jsonl => {
            json::compact(&mut out, item, !T::AS_SENT)?;
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
