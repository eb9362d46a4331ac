//! The streaming report reader: one typed row at a time from any `io::Read`.

use std::io::Read;
use std::ops::Range;

use csv::{ByteRecord, Position};

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::extra::ReportExtra;
use super::record::{Normalized, ReportRecord};
use super::row::{COLUMNS, ReportRow};
use super::value::ColumnValue;
use crate::error::{DecodeError, excerpt};

/// Reads an order report CSV one row at a time, never holding the whole report.
///
/// Columns are matched by header name, in any order; unknown columns are kept
/// with each row ([`ReportRow::extra`]), in the report's order, and
/// [`columns`](Self::columns) gives the whole header to write them back in place. A
/// missing required column (`order_id`, `date_created`, `status`) is an error before
/// any row is read. A value that does not fit its optional column reads as absent and
/// is kept as sent (see [`ReportExtra`]). Quoted values may span lines
/// (the CSR); CRLF line ends, a UTF-8 byte-order mark and non-ASCII text are
/// all fine.
///
/// ```
/// use digicert_model::ReportReader;
///
/// let csv = "order_id,date_created,status,common_name\n\
///            \"123456\",\"2018-10-26 10:15:33\",\"issued\",\"example.com\"\n";
/// let mut rows = ReportReader::new(csv.as_bytes())?;
/// let row = rows.next().expect("one row")?;
/// assert_eq!(row.order_id, 123456);
/// assert_eq!(row.common_name.as_deref(), Some("example.com"));
/// assert!(rows.next().is_none());
/// # Ok::<(), digicert_model::DecodeError>(())
/// ```
pub struct ReportReader<R> {
    csv: csv::Reader<QuoteParity<R>>,
    /// For each entry of [`COLUMNS`], its field index in this report, if present.
    indices: Vec<Option<usize>>,
    record: ByteRecord,
    record_number: u64,
    /// Where [`read_record`](Self::read_record) finds each column's text.
    normalized: Normalized,
    /// The report's own header.
    header: Header,
    /// Set after an I/O error, after which the input cannot be trusted to resume.
    finished: bool,
}

impl<R: Read> ReportReader<R> {
    /// Reads the header and maps its columns.
    pub fn new(input: R) -> Result<Self, DecodeError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .buffer_capacity(64 * 1024)
            .from_reader(QuoteParity {
                inner: input,
                odd: false,
                ended: false,
            });
        let header = csv.byte_headers().map_err(|err| csv_error(err, 0))?;
        let (indices, header) = map_columns(header)?;
        Ok(Self {
            csv,
            indices,
            record: ByteRecord::new(),
            record_number: 0,
            normalized: Normalized::default(),
            header,
            finished: false,
        })
    }

    /// The report's header: every column's name, known or not, in the report's order
    /// (trimmed, without a byte-order mark). A writer made with these columns
    /// ([`ReportWriter::with_columns`](super::ReportWriter::with_columns)) writes rows back
    /// in the same layout.
    ///
    /// ```
    /// use digicert_model::ReportReader;
    ///
    /// let reader = ReportReader::new(&b"status,x_new,order_id,date_created\n"[..])?;
    /// assert_eq!(reader.columns(), ["status", "x_new", "order_id", "date_created"]);
    /// # Ok::<(), digicert_model::DecodeError>(())
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.header.names
    }

    /// Gives back the input, e.g. a page's body buffer to read the next page into.
    ///
    /// ```
    /// use digicert_model::ReportReader;
    ///
    /// let mut rows = ReportReader::new(&b"order_id,date_created,status\n"[..])?;
    /// assert!(rows.next().is_none());
    /// let rest: &[u8] = rows.into_inner();
    /// assert!(rest.is_empty(), "the header was read from it");
    /// # Ok::<(), digicert_model::DecodeError>(())
    /// ```
    pub fn into_inner(self) -> R {
        self.csv.into_inner().inner
    }

    /// Reads the next row, or `None` at the end of the report.
    pub fn read_row(&mut self) -> Result<Option<ReportRow>, DecodeError> {
        if !self.advance()? {
            return Ok(None);
        }
        ReportRow::decode(&self.fields()).map(Some)
    }

    /// Reads the next row into `row`, reusing its allocations; returns `false`
    /// at the end of the report.
    ///
    /// This is the fast way through a large report: a loop that keeps one row
    /// allocates almost nothing per record. After an error the row's contents
    /// are unspecified (but valid).
    ///
    /// ```
    /// use digicert_model::ReportReader;
    ///
    /// let csv = "order_id,date_created,status\n\"1\",\"2018-10-26 10:15:33\",\"issued\"\n\"2\",\"2018-10-27 11:00:00\",\"pending\"\n";
    /// let mut reader = ReportReader::new(csv.as_bytes())?;
    /// let mut row = reader.read_row()?.expect("a first row");
    /// let mut ids = vec![row.order_id];
    /// while reader.read_row_into(&mut row)? {
    ///     ids.push(row.order_id);
    /// }
    /// assert_eq!(ids, [1, 2]);
    /// # Ok::<(), digicert_model::DecodeError>(())
    /// ```
    pub fn read_row_into(&mut self, row: &mut ReportRow) -> Result<bool, DecodeError> {
        if !self.advance()? {
            return Ok(false);
        }
        row.decode_into(&self.fields()).map(|()| true)
    }

    /// Reads the next record and checks every column as [`read_row`](Self::read_row)
    /// would, without building a row; `None` at the end of the report.
    ///
    /// The record gives each column's text as [`ReportWriter`](super::ReportWriter)
    /// would write the decoded row, and the writer writes it as such: this is how to
    /// convert a large report. The same input gives the same output, and the same
    /// errors, as reading rows and writing them, but most text is never copied.
    ///
    /// ```
    /// use digicert_model::{ReportReader, ReportWriter};
    ///
    /// let csv = "status,order_id,date_created\nissued,1,2018-10-26 10:15:33\npending, 2 ,2018-10-27 11:00:00\n";
    /// let mut reader = ReportReader::new(csv.as_bytes())?;
    /// let mut out = ReportWriter::new(Vec::new())?;
    /// while let Some(record) = reader.read_record()? {
    ///     if record.get("status") == Some("pending") {
    ///         // As the decoded row is written: ` 2 ` as `2`.
    ///         assert_eq!(record.get("order_id"), Some("2"));
    ///         out.write_record(&record)?;
    ///     }
    /// }
    /// let written = out.into_inner()?;
    /// let rows = ReportReader::new(written.as_slice())?.collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(rows.len(), 1);
    /// assert_eq!(rows[0].order_id, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_record(&mut self) -> Result<Option<ReportRecord<'_>>, DecodeError> {
        if !self.advance()? {
            return Ok(None);
        }
        // Not `self.fields()`: `self.normalized` is borrowed mutably beside it.
        let fields = RecordFields::new(
            &self.record,
            &self.indices,
            &self.header,
            self.record_number,
        );
        self.normalized.clear();
        ReportRow::normalize(&fields, &mut self.normalized)?;
        fields.check_unknown_columns()?;
        Ok(Some(ReportRecord::new(
            &self.record,
            &self.normalized,
            &self.header,
        )))
    }

    /// Reads the next record into `self.record`; `false` at the end.
    fn advance(&mut self) -> Result<bool, DecodeError> {
        if self.finished {
            return Ok(false);
        }
        self.record_number += 1;
        match self.csv.read_byte_record(&mut self.record) {
            // The CSV reader closes a quoted value the input ends in; that input was cut short.
            Ok(read) if self.csv.get_ref().ended_in_quotes() => {
                self.finished = true;
                let at = if read { self.record.position() } else { None };
                Err(DecodeError::CsvSyntax {
                    record: self.record_number,
                    line: at.unwrap_or(self.csv.position()).line(),
                    message: "the input ends inside a quoted value (an unmatched `\"`): \
                              was it cut short?"
                        .to_owned(),
                })
            }
            Ok(read) => {
                self.finished = !read;
                Ok(read)
            }
            Err(err) => {
                let err = csv_error(err, self.record_number);
                self.finished = matches!(err, DecodeError::Io(_));
                Err(err)
            }
        }
    }

    /// The fields of the record just read.
    fn fields(&self) -> RecordFields<'_> {
        RecordFields::new(
            &self.record,
            &self.indices,
            &self.header,
            self.record_number,
        )
    }
}

impl<R: Read> Iterator for ReportReader<R> {
    type Item = Result<ReportRow, DecodeError>;

    /// Yields rows; after a bad row the next one is still read, after an I/O error nothing is.
    fn next(&mut self) -> Option<Self::Item> {
        self.read_row().transpose()
    }
}

/// The input, counting the double quotes that pass, so the reader can tell when it ends
/// inside a quoted value: the CSV reader would silently close that value.
struct QuoteParity<R> {
    inner: R,
    /// Whether an odd number of `"` has been read so far.
    odd: bool,
    /// Whether the input has reported its end.
    ended: bool,
}

impl<R> QuoteParity<R> {
    /// Whether the whole input has been read and it ended inside a quoted value.
    fn ended_in_quotes(&self) -> bool {
        self.ended && self.odd
    }
}

impl<R: Read> Read for QuoteParity<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.ended |= read == 0 && !buf.is_empty();
        let bytes = buf.get(..read).unwrap_or(buf);
        self.odd ^= odd_quotes(bytes);
        Ok(read)
    }
}

/// Whether `bytes` hold an odd number of `"`: the reader counts every byte of a
/// report, so this must cost far less than parsing it (memchr counts with SIMD).
fn odd_quotes(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'"', bytes).count() % 2 == 1
}

/// A report's header as read.
#[derive(Debug)]
pub(crate) struct Header {
    /// Every column's name, in the report's order.
    pub(crate) names: Vec<String>,
    /// The positions of the columns the model does not know.
    unknown: Vec<usize>,
    /// Tells headers apart, so a writer can remember where a header's columns are.
    pub(crate) id: u64,
}

impl Header {
    /// The names of the columns the model does not know, in the report's order.
    pub(crate) fn unknown_names(&self) -> impl Iterator<Item = &str> {
        self.unknown
            .iter()
            .filter_map(|&index| self.names.get(index).map(String::as_str))
    }
}

/// Finds each known column in the header; header names are trimmed and a BOM is ignored.
/// Returns, for each of [`COLUMNS`], its position in the report, and the header.
fn map_columns(header: &ByteRecord) -> Result<(Vec<Option<usize>>, Header), DecodeError> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(0);
    let names: Vec<&[u8]> = header
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let name = if index == 0 {
                name.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(name)
            } else {
                name
            };
            name.trim_ascii()
        })
        .collect();
    if matches!(names[..], [] | [[]]) {
        return Err(DecodeError::EmptyReport);
    }
    let indices: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|column| names.iter().position(|name| *name == column.as_bytes()))
        .collect();
    for ((column, index), required) in COLUMNS
        .iter()
        .zip(&indices)
        .zip(ReportRow::required_columns())
    {
        if required && index.is_none() {
            return Err(DecodeError::MissingColumn { column });
        }
    }
    let unknown = (0..names.len())
        .filter(|at| !indices.contains(&Some(*at)))
        .collect();
    let header = Header {
        names: names
            .iter()
            .map(|name| String::from_utf8_lossy(name).into_owned())
            .collect(),
        unknown,
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
    };
    Ok((indices, header))
}

/// Warns, once per column and run, that a value was kept as sent because it does not fit.
fn warn_odd_column(column: &'static str, line: u64, message: &str) {
    static WARNED: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let first = WARNED
        .lock()
        .map(|mut warned| warned.insert(column))
        .unwrap_or(true);
    if first {
        tracing::warn!(
            column,
            line,
            "kept a report value that does not fit as sent, and read the column as absent: {message}"
        );
    }
}

/// Turns the CSV reader's error into a [`DecodeError`] that says where.
fn csv_error(err: csv::Error, record_number: u64) -> DecodeError {
    let line = err.position().map_or(0, Position::line);
    let message = err.to_string();
    match err.into_kind() {
        csv::ErrorKind::Io(io) => DecodeError::Io(io),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DecodeError::CsvSyntax {
            record: record_number,
            line,
            message: format!(
                "the record has {len} field{} but the header has {expected_len}",
                if len == 1 { "" } else { "s" }
            ),
        },
        _ => DecodeError::CsvSyntax {
            record: record_number,
            line,
            message,
        },
    }
}

/// The name of column `column` of [`COLUMNS`].
fn column_name(column: usize) -> &'static str {
    COLUMNS.get(column).copied().unwrap_or("?")
}

/// The value of column `column` (an index into [`COLUMNS`]) where the report lacks it:
/// an error for a required column (which the header check has already refused).
fn absent<T: ColumnValue>(column: usize) -> Result<T, DecodeError> {
    T::absent().ok_or(DecodeError::MissingColumn {
        column: column_name(column),
    })
}

/// One column's text in a record.
struct RawField<'a> {
    /// The column's name, for errors.
    name: &'static str,
    text: &'a str,
    /// Where the text is in the record's bytes.
    range: Range<usize>,
}

/// The fields of one record, looked up by column, with what an error must say.
pub(crate) struct RecordFields<'a> {
    record: &'a ByteRecord,
    /// The whole record as text, when all of it is valid UTF-8 (checked in one
    /// pass; then no field needs its own check).
    text: Option<&'a str>,
    indices: &'a [Option<usize>],
    header: &'a Header,
    record_number: u64,
}

impl<'a> RecordFields<'a> {
    fn new(
        record: &'a ByteRecord,
        indices: &'a [Option<usize>],
        header: &'a Header,
        record_number: u64,
    ) -> Self {
        Self {
            record,
            text: std::str::from_utf8(record.as_slice()).ok(),
            indices,
            header,
            record_number,
        }
    }

    /// Decodes the value of column `column` (an index into [`COLUMNS`]); a value that does not
    /// fit an optional column is kept in `extra`.
    pub(crate) fn decode<T: ColumnValue>(
        &self,
        column: usize,
        extra: &mut ReportExtra,
    ) -> Result<T, DecodeError> {
        match self.raw(column)? {
            Some(raw) => match T::parse_column(raw.text) {
                Ok(value) => Ok(value),
                Err(message) => self.odd(&raw, message, extra),
            },
            None => absent(column),
        }
    }

    /// Decodes the value of column `column` into `value`, reusing its allocations.
    pub(crate) fn decode_into<T: ColumnValue>(
        &self,
        column: usize,
        value: &mut T,
        extra: &mut ReportExtra,
    ) -> Result<(), DecodeError> {
        match self.raw(column)? {
            Some(raw) => match value.parse_column_into(raw.text) {
                Ok(()) => Ok(()),
                Err(message) => {
                    *value = self.odd(&raw, message, extra)?;
                    Ok(())
                }
            },
            None => {
                *value = absent(column)?;
                Ok(())
            }
        }
    }

    /// A value that does not fit its column: kept as sent where the column is optional,
    /// an error where it is required.
    fn odd<T: ColumnValue>(
        &self,
        raw: &RawField<'_>,
        message: String,
        extra: &mut ReportExtra,
    ) -> Result<T, DecodeError> {
        match T::absent() {
            Some(absent) => {
                warn_odd_column(raw.name, self.line(), &message);
                extra.keep(raw.name, raw.text);
                Ok(absent)
            }
            None => Err(self.value_error(raw.name, message, raw.text)),
        }
    }

    /// Checks the value of column `column` and notes in `out` where its written text is.
    pub(crate) fn normalize<T: ColumnValue>(
        &self,
        column: usize,
        out: &mut Normalized,
    ) -> Result<(), DecodeError> {
        match self.raw(column)? {
            Some(raw) => match out.push::<T>(raw.text, raw.range.clone()) {
                Ok(()) => Ok(()),
                Err(message) if T::absent().is_some() => {
                    warn_odd_column(raw.name, self.line(), &message);
                    out.push_as_read(raw.range);
                    Ok(())
                }
                Err(message) => Err(self.value_error(raw.name, message, raw.text)),
            },
            None => {
                out.push_value(&absent::<T>(column)?);
                Ok(())
            }
        }
    }

    /// Sets `extra`'s unknown columns to this record's (and forgets its kept values).
    pub(crate) fn unknown_columns(&self, extra: &mut ReportExtra) -> Result<(), DecodeError> {
        let mut texts = Vec::with_capacity(self.header.unknown.len());
        for &index in &self.header.unknown {
            texts.push(self.text_at(index, "?")?);
        }
        extra.refill(self.header.unknown_names().zip(texts));
        Ok(())
    }

    /// Checks that every unknown column is text, as [`unknown_columns`](Self::unknown_columns)
    /// would, without copying it.
    fn check_unknown_columns(&self) -> Result<(), DecodeError> {
        if self.text.is_some() {
            return Ok(());
        }
        for &index in &self.header.unknown {
            self.text_at(index, "?")?;
        }
        Ok(())
    }

    /// The text of the field at `index` of the record, named `name` in errors.
    fn text_at(&self, index: usize, name: &'static str) -> Result<&'a str, DecodeError> {
        self.text_in(self.record.range(index).unwrap_or_default(), name)
    }

    /// The text at `range` of the record (a field's), named `name` in errors. Inlined: it
    /// runs for every column of every record.
    #[inline]
    fn text_in(&self, range: Range<usize>, name: &'static str) -> Result<&'a str, DecodeError> {
        match self.text.and_then(|text| text.get(range.clone())) {
            Some(text) => Ok(text),
            None => self.checked_text(range, name),
        }
    }

    /// [`text_in`](Self::text_in) where the record as a whole is not UTF-8: this field is
    /// checked on its own.
    #[cold]
    fn checked_text(
        &self,
        range: Range<usize>,
        name: &'static str,
    ) -> Result<&'a str, DecodeError> {
        let bytes = self.record.as_slice().get(range).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|_| {
            self.value_error(
                name,
                "not valid UTF-8".to_owned(),
                &String::from_utf8_lossy(bytes),
            )
        })
    }

    fn line(&self) -> u64 {
        self.record.position().map_or(0, Position::line)
    }

    /// The column's text in this record, or `None` if the report lacks the column.
    fn raw(&self, column: usize) -> Result<Option<RawField<'_>>, DecodeError> {
        let name = column_name(column);
        let Some(index) = self.indices.get(column).copied().flatten() else {
            return Ok(None);
        };
        let range = self.record.range(index).unwrap_or_default();
        let text = self.text_in(range.clone(), name)?;
        Ok(Some(RawField { name, text, range }))
    }

    fn value_error(&self, column: &'static str, message: String, raw: &str) -> DecodeError {
        DecodeError::CsvValue {
            record: self.record_number,
            line: self.record.position().map_or(0, Position::line),
            column,
            message,
            excerpt: excerpt(raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_parity_counts_every_quote() {
        for text in [
            "",
            "\"",
            "\"\"",
            "abc\"defgh\"ij\"",
            "\"\"\"\"\"\"\"\"\"",
            "ééé\"ééééé",
        ] {
            let expected = text.bytes().filter(|&b| b == b'"').count() % 2 == 1;
            assert_eq!(odd_quotes(text.as_bytes()), expected, "{text:?}");
        }
        let mut long = vec![b'x'; 1000];
        for at in [0, 7, 8, 63, 64, 999] {
            long[at] = b'"';
        }
        assert!(!odd_quotes(&long));
        long[500] = b'"';
        assert!(odd_quotes(&long));
        // Bytes next to `"` in value (0x21, 0x23, 0xA2) are not quotes.
        assert!(!odd_quotes(&[
            0x21, 0x23, 0xA2, 0x22, 0x22, 0x00, 0xFF, 0x7F, 0x80
        ]));
    }
}
