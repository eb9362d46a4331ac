//! Writing typed rows back out as an order report CSV.

use std::io::{self, Write};

use super::row::{COLUMNS, ReportRow};

/// Writes rows as an order report CSV: every known column, every value quoted,
/// as CertCentral does. What [`ReportReader`](super::ReportReader) reads from it
/// equals what was written.
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
    csv: csv::Writer<W>,
    buffer: String,
}

impl<W: Write> ReportWriter<W> {
    /// Starts a report on `output` and writes the header.
    pub fn new(mut output: W) -> io::Result<Self> {
        // The header is plain names, unquoted, as in CertCentral's reports.
        output.write_all(COLUMNS.join(",").as_bytes())?;
        output.write_all(b"\n")?;
        let csv = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .terminator(csv::Terminator::Any(b'\n'))
            .buffer_capacity(64 * 1024)
            .from_writer(output);
        Ok(Self {
            csv,
            buffer: String::new(),
        })
    }

    /// Writes one row.
    pub fn write_row(&mut self, row: &ReportRow) -> io::Result<()> {
        let csv = &mut self.csv;
        row.encode(&mut self.buffer, |field| csv.write_field(field))?;
        csv.write_record(None::<&[u8]>)?;
        Ok(())
    }

    /// Flushes buffered rows to the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.csv.flush()
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|err| err.into_error())
    }
}
