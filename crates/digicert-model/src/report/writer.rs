//! Writing typed rows back out as an order report CSV.

use std::io::{self, BufWriter, Write};

use super::record::ReportRecord;
use super::row::{COLUMNS, ReportRow};

/// Bytes buffered before they go to the output: large writes pass through a caller's
/// own `BufWriter` without another copy.
const BUFFER: usize = 256 * 1024;

/// Writes rows as an order report CSV: every known column, every value quoted,
/// as CertCentral does. What [`ReportReader`](super::ReportReader) reads from it
/// equals what was written.
///
/// Output is buffered; [`flush`](Self::flush) or [`into_inner`](Self::into_inner)
/// to see errors (dropping the writer flushes too, but ignores them).
///
/// ```
/// use digicert_model::{ReportReader, ReportWriter};
///
/// let input = "order_id,date_created,status\n\"1\",\"2018-10-26 10:15:33\",\"issued\"\n";
/// let mut out = ReportWriter::new(Vec::new())?;
/// for row in ReportReader::new(input.as_bytes())? {
///     out.write_row(&row?)?;
/// }
/// let csv = String::from_utf8(out.into_inner()?).unwrap();
/// assert!(csv.starts_with("order_id,customer_order_id,date_created,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ReportWriter<W: Write> {
    output: BufWriter<W>,
    /// One column's text at a time, reused.
    text: String,
}

impl<W: Write> ReportWriter<W> {
    /// Starts a report on `output` and writes the header.
    pub fn new(output: W) -> io::Result<Self> {
        let mut output = BufWriter::with_capacity(BUFFER, output);
        // The header is plain names, unquoted, as in CertCentral's reports.
        output.write_all(COLUMNS.join(",").as_bytes())?;
        output.write_all(b"\n")?;
        Ok(Self {
            output,
            text: String::new(),
        })
    }

    /// Writes one row.
    pub fn write_row(&mut self, row: &ReportRow) -> io::Result<()> {
        let mut fields = Fields::new(&mut self.output, true);
        row.encode(&mut self.text, |text| fields.write(text.as_bytes()))?;
        fields.end()
    }

    /// Writes one record as read by [`ReportReader::read_record`](super::ReportReader::read_record):
    /// the same text as writing the row it decodes to.
    pub fn write_record(&mut self, record: &ReportRecord<'_>) -> io::Result<()> {
        let mut fields = Fields::new(&mut self.output, record.may_hold_quotes());
        for text in record.columns() {
            fields.write(text)?;
        }
        fields.end()
    }

    /// Flushes buffered rows to the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.output.flush()
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> io::Result<W> {
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
