//! The one error every decoder returns: what failed, and where in the input.

/// Why a response body or report could not be decoded.
///
/// Every variant says where the problem is (a JSON path, or a CSV record and
/// column) and quotes a short excerpt of the offending input, so a failure in a
/// nightly job can be understood from the log line alone.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A JSON body did not match the expected shape.
    #[error("invalid JSON at `{path}` (line {line}, column {column}): {message}; near `{excerpt}`")]
    Json {
        /// Path of the field that failed, such as `orders[2].certificate.id` (`.` for the root).
        path: String,
        /// 1-based line in the body.
        line: usize,
        /// 1-based column in the body.
        column: usize,
        /// What serde said was wrong.
        message: String,
        /// A short piece of the body around the failure.
        excerpt: String,
    },
    /// A report value could not be read as its column's type.
    #[error(
        "report record {record} (line {line}), column `{column}`: {message}; value `{excerpt}`"
    )]
    CsvValue {
        /// 1-based number of the data record (the header is record 0).
        record: u64,
        /// 1-based line where the record starts.
        line: u64,
        /// The column's header name.
        column: &'static str,
        /// What was wrong with the value.
        message: String,
        /// The start of the offending value.
        excerpt: String,
    },
    /// The report has no header line at all: the input is empty (or only a byte-order mark).
    #[error(
        "the report is empty: no header line (an order report starts with `order_id,date_created,status,...`)"
    )]
    EmptyReport,
    /// The report header lacks a column that every row needs.
    #[error("report header has no `{column}` column, which every order report row needs")]
    MissingColumn {
        /// The missing column's name.
        column: &'static str,
    },
    /// The report is not well-formed CSV (for example a record with too few fields).
    #[error("malformed report CSV at record {record} (line {line}): {message}")]
    CsvSyntax {
        /// 1-based number of the data record (the header is record 0).
        record: u64,
        /// 1-based line where the record starts.
        line: u64,
        /// What the CSV reader said.
        message: String,
    },
    /// Reading the report's bytes failed.
    #[error("could not read the report: {0}")]
    Io(#[from] std::io::Error),
}

/// Longest excerpt quoted in an error, in characters.
const EXCERPT_CHARS: usize = 40;

/// A printable, single-line prefix of `value` for error messages.
pub(crate) fn excerpt(value: &str) -> String {
    let mut out = String::new();
    for (count, ch) in value.chars().enumerate() {
        if count == EXCERPT_CHARS {
            out.push('…');
            break;
        }
        if ch.is_control() {
            out.extend(ch.escape_debug());
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_short_and_single_line() {
        assert_eq!(excerpt("a\nb"), "a\\nb");
        let long = "x".repeat(100);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("çé日本"), "çé日本");
    }
}
