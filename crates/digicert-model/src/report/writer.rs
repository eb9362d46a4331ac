//! Writing typed rows back out as an order report CSV.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};

use super::record::ReportRecord;
use super::row::{COLUMNS, ReportRow};
use super::value::utc_time;

/// Bytes buffered before they go to the output: large writes pass through a caller's
/// own `BufWriter` without another copy.
const BUFFER: usize = 256 * 1024;

/// Writes rows as an order report CSV, every value quoted, as CertCentral does. What
/// [`ReportReader`](super::ReportReader) reads from it equals what was written.
///
/// [`with_columns`](Self::with_columns) writes the columns given, in their order, known or
/// not: a report read and written with its own header
/// ([`ReportReader::columns`](super::ReportReader::columns)) keeps every column in its
/// place. [`new`](Self::new) writes every column the model knows ([`COLUMNS`]), then the
/// unknown columns of the first row written. A column the model does not know is written
/// from each row's [`unknown`](super::ReportExtra::unknown) columns.
///
/// Output is buffered; [`flush`](Self::flush) or [`into_inner`](Self::into_inner)
/// to see errors and to write the header of a report with no rows (dropping the writer
/// flushes too, but ignores errors).
///
/// ```
/// use digicert_model::{ReportReader, ReportWriter};
///
/// let input = "order_id,date_created,status,x_new\n\"1\",\"2018-10-26 10:15:33\",\"issued\",\"kept\"\n";
/// let mut reader = ReportReader::new(input.as_bytes())?;
/// let mut out = ReportWriter::with_columns(Vec::new(), reader.columns())?;
/// for row in reader {
///     out.write_row(&row?)?;
/// }
/// let csv = String::from_utf8(out.into_inner()?).unwrap();
/// assert_eq!(csv, input);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ReportWriter<W: Write> {
    output: BufWriter<W>,
    /// The columns written, in order.
    layout: Vec<Column>,
    /// Each known column's text of the row being written, reused.
    texts: Vec<String>,
    /// For [`write_record`](Self::write_record): the header last seen (its id) and where each
    /// column of `layout` is found in that header's records.
    sources: Option<(u64, Vec<Source>)>,
    /// Whether the header waits for the first row, whose unknown columns it adds.
    header_pending: bool,
    /// Which of [`COLUMNS`] are date-times written in RFC 3339 ([`utc_times`](Self::utc_times));
    /// empty to write them as read.
    utc_columns: Vec<bool>,
}

/// Where a record read with some header holds one column of a writer's layout.
#[derive(Clone, Copy)]
enum Source {
    /// The `n`th of [`COLUMNS`], as the record writes it.
    Known(usize),
    /// The record's `n`th field, as read.
    Field(usize),
    /// Nowhere: the record's report lacks this unknown column.
    Empty,
}

/// One column a writer writes.
enum Column {
    /// The `n`th of [`COLUMNS`].
    Known(usize),
    /// A column the model does not know, by name.
    Unknown(String),
}

impl<W: Write> ReportWriter<W> {
    /// Starts a report of every column the model knows, then the unknown columns of the
    /// first row; the header is written with the first row.
    pub fn new(output: W) -> io::Result<Self> {
        let mut writer = Self::with_layout(output, COLUMNS);
        writer.header_pending = true;
        Ok(writer)
    }

    /// Starts a report of `columns`, in their order, and writes the header.
    pub fn with_columns<I>(output: W, columns: I) -> io::Result<Self>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut writer = Self::with_layout(output, columns);
        writer.write_header()?;
        Ok(writer)
    }

    fn with_layout<I>(output: W, columns: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let layout = columns
            .into_iter()
            .map(|name| {
                let name = name.as_ref();
                match COLUMNS.iter().position(|known| *known == name) {
                    Some(column) => Column::Known(column),
                    None => Column::Unknown(name.to_owned()),
                }
            })
            .collect();
        Self {
            output: BufWriter::with_capacity(BUFFER, output),
            layout,
            texts: Vec::new(),
            sources: None,
            header_pending: false,
            utc_columns: Vec::new(),
        }
    }

    /// Writes the date-time columns (`date_created`) in RFC 3339, in UTC with `Z`
    /// (`2018-10-26T10:15:33Z`) rather than as CertCentral writes them
    /// (`2018-10-26 10:15:33`, no zone, UTC): the same instant, which
    /// [`ReportReader`](super::ReportReader) reads back.
    #[must_use]
    pub fn utc_times(mut self) -> Self {
        self.utc_columns = ReportRow::time_columns();
        self
    }

    /// `text` of the `column`th of [`COLUMNS`] as written: in RFC 3339 where it is a
    /// date-time and [`utc_times`](Self::utc_times) asked for it.
    fn spelled<'t>(utc_columns: &[bool], column: usize, text: &'t [u8]) -> Cow<'t, [u8]> {
        match utc_columns.get(column) {
            Some(true) => {
                utc_time(text).map_or(Cow::Borrowed(text), |utc| Cow::Owned(utc.into_bytes()))
            }
            _ => Cow::Borrowed(text),
        }
    }

    /// Writes the header: plain names, unquoted, as in CertCentral's reports.
    fn write_header(&mut self) -> io::Result<()> {
        self.header_pending = false;
        for (index, column) in self.layout.iter().enumerate() {
            if index > 0 {
                self.output.write_all(b",")?;
            }
            let name = match column {
                Column::Known(column) => COLUMNS.get(*column).copied().unwrap_or_default(),
                Column::Unknown(name) => name,
            };
            self.output.write_all(name.as_bytes())?;
        }
        self.output.write_all(b"\n")
    }

    /// Writes the header if it waits for the first row, adding `unknown` columns.
    fn header_with<'a>(&mut self, unknown: impl Iterator<Item = &'a str>) -> io::Result<()> {
        if !self.header_pending {
            return Ok(());
        }
        self.layout
            .extend(unknown.map(|name| Column::Unknown(name.to_owned())));
        self.write_header()
    }

    /// Writes one row.
    pub fn write_row(&mut self, row: &ReportRow) -> io::Result<()> {
        self.header_with(row.extra.unknown_columns().map(|(name, _)| name))?;
        row.encode(&mut self.texts);
        let mut fields = Fields::new(&mut self.output, true);
        for column in &self.layout {
            let text = match column {
                Column::Known(column) => {
                    let name = COLUMNS.get(*column).copied().unwrap_or_default();
                    let text = match row.extra.kept(name) {
                        Some(kept) => kept,
                        None => self.texts.get(*column).map_or("", String::as_str),
                    };
                    Self::spelled(&self.utc_columns, *column, text.as_bytes())
                }
                Column::Unknown(name) => {
                    Cow::Borrowed(row.extra.unknown(name).unwrap_or_default().as_bytes())
                }
            };
            fields.write(&text)?;
        }
        fields.end()
    }

    /// Writes one record as read by [`ReportReader::read_record`](super::ReportReader::read_record):
    /// the same text as writing the row it decodes to.
    pub fn write_record(&mut self, record: &ReportRecord<'_>) -> io::Result<()> {
        let header = record.header();
        self.header_with(header.unknown_names())?;
        let sources = match &self.sources {
            Some((id, sources)) if *id == header.id => sources,
            _ => {
                let sources = self
                    .layout
                    .iter()
                    .map(|column| match column {
                        Column::Known(column) => Source::Known(*column),
                        Column::Unknown(name) => header
                            .names
                            .iter()
                            .position(|known| known == name)
                            .map_or(Source::Empty, Source::Field),
                    })
                    .collect();
                &self.sources.insert((header.id, sources)).1
            }
        };
        let mut fields = Fields::new(&mut self.output, record.may_hold_quotes());
        for source in sources {
            fields.write(&match *source {
                Source::Known(column) => {
                    Self::spelled(&self.utc_columns, column, record.known(column))
                }
                Source::Field(index) => Cow::Borrowed(record.field(index)),
                Source::Empty => Cow::Borrowed(&[][..]),
            })?;
        }
        fields.end()
    }

    /// Flushes buffered rows to the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.header_with(std::iter::empty())?;
        self.output.flush()
    }

    /// Flushes and returns the output.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.header_with(std::iter::empty())?;
        self.output
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
    }
}

/// Writes one record's fields, each quoted, with `"` doubled, comma-separated.
struct Fields<'w, W: Write> {
    output: &'w mut W,
    first: bool,
    /// Whether a field may hold a `"`; if not, none is searched for one.
    quotes: bool,
}

impl<'w, W: Write> Fields<'w, W> {
    fn new(output: &'w mut W, quotes: bool) -> Self {
        Self {
            output,
            first: true,
            quotes,
        }
    }

    fn write(&mut self, text: &[u8]) -> io::Result<()> {
        self.output
            .write_all(if self.first { b"\"" } else { b"\",\"" })?;
        self.first = false;
        let mut rest = text;
        if !self.quotes {
            return self.output.write_all(rest);
        }
        while let Some(at) = memchr::memchr(b'"', rest) {
            let (quoted, after) = rest.split_at(at + 1);
            self.output.write_all(quoted)?;
            self.output.write_all(b"\"")?;
            rest = after;
        }
        self.output.write_all(rest)
    }

    /// Ends the record (an empty record is one empty field, as the csv crate writes it).
    fn end(self) -> io::Result<()> {
        self.output
            .write_all(if self.first { b"\"\"\n" } else { b"\"\n" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReportReader;

    /// Writes `input` (a report) with UTC times, row by row and record by record.
    fn in_utc(input: &str) -> [String; 2] {
        let rows = ReportReader::new(input.as_bytes()).unwrap();
        let mut out = ReportWriter::with_columns(Vec::new(), rows.columns())
            .unwrap()
            .utc_times();
        for row in rows {
            out.write_row(&row.unwrap()).unwrap();
        }
        let by_row = String::from_utf8(out.into_inner().unwrap()).unwrap();
        let mut records = ReportReader::new(input.as_bytes()).unwrap();
        let mut out = ReportWriter::with_columns(Vec::new(), records.columns().to_vec())
            .unwrap()
            .utc_times();
        while let Some(record) = records.read_record().unwrap() {
            out.write_record(&record).unwrap();
        }
        [
            by_row,
            String::from_utf8(out.into_inner().unwrap()).unwrap(),
        ]
    }

    #[test]
    fn utc_times_spell_date_times_in_rfc_3339_and_read_back_as_the_same_instant() {
        let sent = "order_id,date_created,status,note\n\"1\",\"2018-10-26 10:15:33\",\"issued\",\"2018-10-26 10:15:33\"\n";
        let utc = "order_id,date_created,status,note\n\"1\",\"2018-10-26T10:15:33Z\",\"issued\",\"2018-10-26 10:15:33\"\n";
        assert_eq!(in_utc(sent), [utc, utc]);
        // A UTC report reads as the same instant, and writes back in either form.
        assert_eq!(in_utc(utc), [utc, utc]);
        let read = |text: &str| {
            ReportReader::new(text.as_bytes())
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
        };
        assert_eq!(read(utc).date_created, read(sent).date_created);
        // So does a row in JSON with such a time.
        let json = r#"{"order_id":1,"date_created":"2018-10-26T10:15:33Z","status":"issued"}"#;
        let row: ReportRow = serde_json::from_str(json).unwrap();
        assert_eq!(row.date_created, read(sent).date_created);
        assert!(row.extra.is_empty());
        let mut out =
            ReportWriter::with_columns(Vec::new(), ["order_id", "date_created", "status", "note"])
                .unwrap();
        out.write_row(&read(utc)).unwrap();
        assert_eq!(String::from_utf8(out.into_inner().unwrap()).unwrap(), sent);
    }
}
