//! A record of the report checked against every column's type but not decoded:
//! what converting a report needs, without copying its text.

use std::ops::Range;

use csv::ByteRecord;

use super::reader::Header;
use super::row::COLUMNS;
use super::value::ColumnValue;

/// Where a column's written text is.
#[derive(Debug, Clone)]
enum Span {
    /// In the record, as read.
    Record(Range<usize>),
    /// In [`Normalized::text`]: writing the value changes its text, or the report lacks the column.
    Rewritten(Range<usize>),
}

/// Where the written text of each column of one record is, in [`COLUMNS`] order.
#[derive(Debug, Default)]
pub(crate) struct Normalized {
    /// The text of the columns whose written text differs from what was read.
    text: String,
    spans: Vec<Span>,
}

impl Normalized {
    /// Forgets the previous record, keeping the allocations.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// Checks the next column's text `raw`, found at `range` of the record, and notes
    /// where its written text is; on error, says what is wrong with it.
    pub(crate) fn push<T: ColumnValue>(
        &mut self,
        raw: &str,
        range: Range<usize>,
    ) -> Result<(), String> {
        let start = self.text.len();
        let span = if T::normalize_column(raw, &mut self.text)? {
            Span::Rewritten(start..self.text.len())
        } else {
            Span::Record(range)
        };
        self.spans.push(span);
        Ok(())
    }

    /// Notes the next column as written as read: its text does not fit the column's type,
    /// and is kept as sent.
    pub(crate) fn push_as_read(&mut self, range: Range<usize>) {
        self.spans.push(Span::Record(range));
    }

    /// Notes the next column as `value`, for a column the report lacks.
    pub(crate) fn push_value<T: ColumnValue>(&mut self, value: &T) {
        let start = self.text.len();
        value.write_column(&mut self.text);
        self.spans.push(Span::Rewritten(start..self.text.len()));
    }
}

/// One record of an order report, every column checked, read by
/// [`ReportReader::read_record`](super::ReportReader::read_record).
///
/// Each column's text is what [`ReportWriter`](super::ReportWriter) would write for
/// the decoded row: mostly the record's own text, never copied.
#[derive(Debug, Clone, Copy)]
pub struct ReportRecord<'r> {
    record: &'r ByteRecord,
    /// The record's bytes, looked up once rather than for every column.
    bytes: &'r [u8],
    normalized: &'r Normalized,
    header: &'r Header,
}

impl<'r> ReportRecord<'r> {
    pub(crate) fn new(
        record: &'r ByteRecord,
        normalized: &'r Normalized,
        header: &'r Header,
    ) -> Self {
        Self {
            record,
            bytes: record.as_slice(),
            normalized,
            header,
        }
    }

    /// The text of column `name` as a written report holds it: a column of [`COLUMNS`], or
    /// one the model does not know; `None` for a name the report does not have.
    pub fn get(&self, name: &str) -> Option<&'r str> {
        let text = match COLUMNS.iter().position(|known| *known == name) {
            Some(column) => self.known(column),
            None => self.field(self.header.names.iter().position(|known| known == name)?),
        };
        // Every column was checked as UTF-8 when the record was read.
        std::str::from_utf8(text).ok()
    }

    /// The written text of column `column` of [`COLUMNS`].
    #[inline]
    pub(crate) fn known(&self, column: usize) -> &'r [u8] {
        self.normalized
            .spans
            .get(column)
            .map_or(&[], |span| self.column(span))
    }

    /// The text of the report's `index`th field, as read.
    pub(crate) fn field(&self, index: usize) -> &'r [u8] {
        self.record.get(index).unwrap_or_default()
    }

    /// The header of the report the record was read from.
    pub(crate) fn header(&self) -> &'r Header {
        self.header
    }

    /// Whether any column's text may hold a `"` (to be doubled when written): one
    /// search of the whole record costs less than one per column.
    pub(crate) fn may_hold_quotes(&self) -> bool {
        memchr::memchr(b'"', self.bytes).is_some()
            || memchr::memchr(b'"', self.normalized.text.as_bytes()).is_some()
    }

    #[inline]
    fn column(&self, span: &Span) -> &'r [u8] {
        match span {
            Span::Record(range) => self.bytes.get(range.clone()),
            Span::Rewritten(range) => self.normalized.text.as_bytes().get(range.clone()),
        }
        .unwrap_or_default()
    }
}
