//! The streaming report reader: one typed row at a time from any `io::Read`.

use std::io::Read;

use csv::{ByteRecord, Position};

use super::row::{COLUMNS, ReportRow};
use super::value::ColumnValue;
use crate::error::{DecodeError, excerpt};

/// Reads an order report CSV one row at a time, never holding the whole report.
///
/// Columns are matched by header name, in any order; unknown columns are
/// ignored, and a missing required column (`order_id`, `date_created`,
/// `status`) is an error before any row is read. Quoted values may span lines
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
        let indices = map_columns(header)?;
        Ok(Self {
            csv,
            indices,
            record: ByteRecord::new(),
            record_number: 0,
            finished: false,
        })
    }

    /// Reads the next row, or `None` at the end of the report.
    pub fn read_row(&mut self) -> Result<Option<ReportRow>, DecodeError> {
        match self.next_record()? {
            Some(fields) => ReportRow::decode(&fields).map(Some),
            None => Ok(None),
        }
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
        match self.next_record()? {
            Some(fields) => row.decode_into(&fields).map(|()| true),
            None => Ok(false),
        }
    }

    /// Reads the next record, or `None` at the end.
    fn next_record(&mut self) -> Result<Option<RecordFields<'_>>, DecodeError> {
        if self.finished {
            return Ok(None);
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
            Ok(true) => Ok(Some(RecordFields {
                record: &self.record,
                text: std::str::from_utf8(self.record.as_slice()).ok(),
                indices: &self.indices,
                record_number: self.record_number,
            })),
            Ok(false) => {
                self.finished = true;
                Ok(None)
            }
            Err(err) => {
                let err = csv_error(err, self.record_number);
                self.finished = matches!(err, DecodeError::Io(_));
                Err(err)
            }
        }
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

/// Whether `bytes` hold an odd number of `"`, eight bytes at a time: the reader
/// counts every byte of a report, so this must cost far less than parsing it.
fn odd_quotes(bytes: &[u8]) -> bool {
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const LOW_BITS: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut count = 0u32;
    for word in &mut words {
        // Bytes equal to `"` become zero; a byte's high bit then marks it exactly.
        let x = u64::from_ne_bytes(word.try_into().unwrap_or([0; 8])) ^ QUOTES;
        count += (!(((x & LOW_BITS) + LOW_BITS) | x) & HIGH_BITS).count_ones();
    }
    let rest = words.remainder().iter().filter(|&&b| b == b'"').count();
    (count as usize + rest) % 2 == 1
}

/// Finds each known column in the header; header names are trimmed and a BOM is ignored.
fn map_columns(header: &ByteRecord) -> Result<Vec<Option<usize>>, DecodeError> {
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
    Ok(indices)
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

/// The fields of one record, looked up by column, with what an error must say.
pub(crate) struct RecordFields<'a> {
    record: &'a ByteRecord,
    /// The whole record as text, when all of it is valid UTF-8 (checked in one
    /// pass; then no field needs its own check).
    text: Option<&'a str>,
    indices: &'a [Option<usize>],
    record_number: u64,
}

impl RecordFields<'_> {
    /// Decodes the value of column `column` (an index into [`COLUMNS`]).
    pub(crate) fn decode<T: ColumnValue>(&self, column: usize) -> Result<T, DecodeError> {
        match self.raw(column)? {
            Some((name, raw)) => {
                T::parse_column(raw).map_err(|message| self.value_error(name, message, raw))
            }
            None => T::absent().ok_or(DecodeError::MissingColumn {
                column: column_name(column),
            }),
        }
    }

    /// Decodes the value of column `column` into `value`, reusing its allocations.
    pub(crate) fn decode_into<T: ColumnValue>(
        &self,
        column: usize,
        value: &mut T,
    ) -> Result<(), DecodeError> {
        match self.raw(column)? {
            Some((name, raw)) => value
                .parse_column_into(raw)
                .map_err(|message| self.value_error(name, message, raw)),
            None => {
                *value = T::absent().ok_or(DecodeError::MissingColumn {
                    column: column_name(column),
                })?;
                Ok(())
            }
        }
    }

    /// The column's name and text in this record, or `None` if the report lacks the column.
    fn raw(&self, column: usize) -> Result<Option<(&'static str, &str)>, DecodeError> {
        let name = column_name(column);
        let Some(index) = self.indices.get(column).copied().flatten() else {
            return Ok(None);
        };
        if let Some(raw) = self
            .text
            .zip(self.record.range(index))
            .and_then(|(text, range)| text.get(range))
        {
            return Ok(Some((name, raw)));
        }
        let bytes = self.record.get(index).unwrap_or_default();
        let raw = std::str::from_utf8(bytes).map_err(|_| {
            self.value_error(
                name,
                "not valid UTF-8".to_owned(),
                &String::from_utf8_lossy(bytes),
            )
        })?;
        Ok(Some((name, raw)))
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
