//! The streaming report reader's behaviour, beyond what the fixture snapshots show.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::io::Read;

use digicert_model::report::COLUMNS;
use digicert_model::{DecodeError, OrderStatus, ReportReader, ReportRow, ReportWriter};
use proptest::prelude::*;

const HEADER: &str = "order_id,date_created,status,common_name\n";

fn row(id: u64) -> String {
    format!("\"{id}\",\"2021-03-04 05:06:07\",\"issued\",\"host{id}.example.com\"\n")
}

fn read_all(csv: &[u8]) -> Vec<Result<ReportRow, DecodeError>> {
    ReportReader::new(csv).unwrap().collect()
}

#[test]
fn bom_and_crlf_are_handled() {
    let csv = include_bytes!("../../../fixtures/report/quirk_crlf_bom.csv");
    assert!(
        csv.starts_with(b"\xEF\xBB\xBF"),
        "the fixture should start with a BOM"
    );
    let rows: Vec<ReportRow> = read_all(csv).into_iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows[0].order_id, 900101);
    let csr = rows[0].csr.as_deref().unwrap();
    assert!(
        csr.contains("\r\n") && csr.ends_with("-----END CERTIFICATE REQUEST-----\r\n"),
        "{csr:?}"
    );
}

#[test]
fn columns_are_matched_by_name_and_unknown_ones_ignored() {
    let csv = "x_new,status,common_name,order_id,date_created\n\"?\",\"pending\",\"example.com\",\"7\",\"2021-01-02 03:04:05\"\n";
    let rows = read_all(csv.as_bytes());
    let row = rows[0].as_ref().unwrap();
    assert_eq!(row.order_id, 7);
    assert_eq!(row.status, OrderStatus::Pending);
    assert_eq!(row.common_name.as_deref(), Some("example.com"));
    assert_eq!(row.valid_till, None, "an absent optional column is None");
}

#[test]
fn a_missing_required_column_is_named_before_any_row() {
    for (header, missing) in [
        ("date_created,status\n", "order_id"),
        ("order_id,status\n", "date_created"),
        ("order_id,date_created\n", "status"),
    ] {
        let err = ReportReader::new(header.as_bytes()).err().unwrap();
        assert!(
            matches!(err, DecodeError::MissingColumn { column } if column == missing),
            "{err}"
        );
        assert!(err.to_string().contains(missing));
    }
}

#[test]
fn a_bad_value_names_record_line_and_column_and_reading_goes_on() {
    let csv = format!(
        "{HEADER}{}\"12a3\",\"2021-03-04 05:06:07\",\"issued\",\"x\"\n{}",
        row(1),
        row(3)
    );
    let rows = read_all(csv.as_bytes());
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].as_ref().unwrap().order_id, 1);
    match &rows[1] {
        Err(DecodeError::CsvValue {
            record,
            line,
            column,
            excerpt,
            ..
        }) => {
            assert_eq!(
                (*record, *line, *column, excerpt.as_str()),
                (2, 3, "order_id", "12a3")
            );
        }
        other => panic!("expected a value error, got {other:?}"),
    }
    assert_eq!(rows[2].as_ref().unwrap().order_id, 3);
}

#[test]
fn invalid_utf8_is_a_value_error() {
    let mut csv = HEADER.as_bytes().to_vec();
    csv.extend_from_slice(b"\"1\",\"2021-03-04 05:06:07\",\"issued\",\"caf\xE9\"\n");
    let err = read_all(&csv).remove(0).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::CsvValue {
                column: "common_name",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("UTF-8"), "{err}");
}

#[test]
fn an_unterminated_quote_ends_in_an_error_not_a_panic() {
    let csv = format!("{HEADER}{}\"2\",\"2021-03-04 05:06:07\",\"issued", row(1));
    let rows = read_all(csv.as_bytes());
    assert!(rows[0].is_ok());
    assert!(rows[1].is_err(), "{:?}", rows[1]);
}

/// An endless report: a header, then rows generated as they are read.
struct EndlessReport {
    pending: Vec<u8>,
    next_id: u64,
    bytes_served: usize,
}

impl Read for EndlessReport {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.len() < buf.len() {
            self.pending.extend_from_slice(row(self.next_id).as_bytes());
            self.next_id += 1;
        }
        let n = buf.len();
        buf.copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        self.bytes_served += n;
        Ok(n)
    }
}

#[test]
fn rows_stream_without_reading_the_whole_input() {
    let source = EndlessReport {
        pending: HEADER.as_bytes().to_vec(),
        next_id: 1,
        bytes_served: 0,
    };
    let mut reader = ReportReader::new(source).unwrap();
    for expected in 1..=10_000 {
        assert_eq!(reader.read_row().unwrap().unwrap().order_id, expected);
    }
    // If the reader held the report, it would never have returned from an endless one.
}

/// Reading into a reused row gives exactly what reading fresh rows gives,
/// whatever the previous row held (lists shrinking, values becoming empty).
#[test]
fn reading_into_a_reused_row_equals_reading_fresh_rows() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/report");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "csv") {
            continue;
        }
        let csv = std::fs::read(&path).unwrap();
        let fresh: Vec<ReportRow> = read_all(&csv)
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        let Some(first) = fresh.first() else { continue };
        // Start from the last row, so each field is overwritten from something else.
        let mut row = fresh.last().unwrap().clone();
        let mut reader = ReportReader::new(csv.as_slice()).unwrap();
        let mut reused = Vec::new();
        while reader.read_row_into(&mut row).unwrap() {
            reused.push(row.clone());
        }
        assert_eq!(reused, fresh, "{}", path.display());
        assert_eq!(&reused[0], first);
    }
}

/// Every report fixture, valid or not, converts to the same bytes and the same errors
/// through `read_record`/`write_record` as through typed rows.
#[test]
fn converting_records_equals_converting_rows() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut checked = 0;
    for dir in ["report", "report/invalid", "malformed"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                continue;
            }
            let csv = std::fs::read(&path).unwrap();
            assert_eq!(
                convert_records(&csv),
                convert_rows(&csv),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} fixtures");
}

/// What a conversion through typed rows writes, then the first error, as text.
fn convert_rows(csv: &[u8]) -> (String, Option<String>) {
    convert(csv, |reader, writer| {
        let row = reader.read_row()?;
        if let Some(row) = &row {
            writer.write_row(row).unwrap();
        }
        Ok(row.is_some())
    })
}

/// What a conversion through checked records writes, then the first error, as text.
fn convert_records(csv: &[u8]) -> (String, Option<String>) {
    convert(csv, |reader, writer| {
        let record = reader.read_record()?;
        if let Some(record) = &record {
            writer.write_record(record).unwrap();
        }
        Ok(record.is_some())
    })
}

/// Converts `csv` by calling `step` until it returns `false` or fails.
fn convert(
    csv: &[u8],
    mut step: impl FnMut(
        &mut ReportReader<&[u8]>,
        &mut ReportWriter<Vec<u8>>,
    ) -> Result<bool, DecodeError>,
) -> (String, Option<String>) {
    let mut reader = match ReportReader::new(csv) {
        Ok(reader) => reader,
        Err(err) => return (String::new(), Some(err.to_string())),
    };
    let mut writer = ReportWriter::new(Vec::new()).unwrap();
    let error = loop {
        match step(&mut reader, &mut writer) {
            Ok(true) => {}
            Ok(false) => break None,
            Err(err) => break Some(err.to_string()),
        }
    };
    (
        String::from_utf8(writer.into_inner().unwrap()).unwrap(),
        error,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Records whose cells are spelled every way the decoders accept (white space around
    /// values, leading zeros, `true` for 1, lists with spaces and empty items), or are
    /// plain wrong, convert as typed rows do: same bytes, same first error.
    #[test]
    fn messy_records_convert_as_rows_do(rows in proptest::collection::vec(messy_row(), 1..3)) {
        let mut csv = COLUMNS.join(",");
        csv.push('\n');
        for row in &rows {
            let cells: Vec<String> = row.iter().map(|cell| format!("\"{}\"", cell.replace('"', "\"\""))).collect();
            csv.push_str(&cells.join(","));
            csv.push('\n');
        }
        prop_assert_eq!(convert_records(csv.as_bytes()), convert_rows(csv.as_bytes()));
    }
}

/// One cell per column of the seed report's first row, each kept, respelled or replaced.
fn messy_row() -> impl Strategy<Value = Vec<String>> {
    let seed = include_str!("../../../fixtures/report/seed_limit3.csv");
    let mut reader = ReportReader::new(seed.as_bytes()).unwrap();
    let mut writer = ReportWriter::new(Vec::new()).unwrap();
    writer
        .write_row(&reader.read_row().unwrap().unwrap())
        .unwrap();
    let written = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let mut cells = csv::Reader::from_reader(written.as_bytes());
    let base: Vec<String> = cells
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    base.into_iter()
        .map(|cell| {
            prop_oneof![
                120 => Just(cell.clone()),
                1 => Just(format!(" {cell}")),
                1 => Just(format!("{cell}\t")),
                1 => Just(format!("0{cell}")),
                1 => Just(format!("+{cell}")),
                1 => Just(cell.replace(',', " , ")),
                1 => Just(format!("{cell},")),
                1 => prop_oneof![
                    Just(String::new()), Just("true".to_owned()), Just("FALSE".to_owned()), Just("1".to_owned()),
                    Just("-0".to_owned()), Just("2021-02-29".to_owned()), Just("12\u{1f}a\u{1f}".to_owned()),
                    "\\PC{0,8}", "[0-9 ,.-]{0,8}",
                ],
            ]
        })
        .collect::<Vec<_>>()
}
