//! What the fuzz targets check, shared so that each target is one line.
//!
//! Decoding arbitrary bytes must never panic. When a body does decode, the
//! model promises a lossless trip out and back in: the value serializes, the
//! result decodes to an equal value, and serializing that gives the same bytes
//! (which also catches what `PartialEq` ignores, such as a date-time's offset).

use std::fmt::Debug;

use digicert_model::{DecodeError, ReportReader, ReportRow, ReportWriter, decode_json};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decodes `data` as `T`; if that works, checks the JSON round trip.
pub fn json_round_trip<T>(data: &[u8])
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let Ok(value) = decode_json::<T>(data) else {
        return;
    };
    let json = serde_json::to_vec(&value).expect("a decoded value serializes");
    let again: T = decode_json(&json).unwrap_or_else(|err| {
        panic!(
            "its own JSON does not decode: {err}\n{}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(again, value, "the JSON round trip changed the value");
    let json_again = serde_json::to_vec(&again).expect("a decoded value serializes");
    assert_eq!(
        String::from_utf8_lossy(&json_again),
        String::from_utf8_lossy(&json),
        "the JSON round trip changed the serialized form"
    );
}

/// Reads `data` as an order report three ways and checks they agree, then
/// writes the rows back out (as CSV and as JSON) and checks they read back equal.
pub fn report_round_trip(data: &[u8]) {
    let Ok(reader) = ReportReader::new(data) else {
        return;
    };
    // The iterator (which is `read_row`).
    let results: Vec<Result<ReportRow, DecodeError>> = reader.collect();

    // `read_row_into`, reusing one row; seeded with a decoded row (if any) so
    // that its allocations are really reused.
    if let Some(Ok(seed)) = results.iter().rev().find(|result| result.is_ok()) {
        let mut row = seed.clone();
        let mut reader = ReportReader::new(data).expect("the header read the first time");
        for expected in &results {
            match (reader.read_row_into(&mut row), expected) {
                (Ok(true), Ok(expected)) => assert_eq!(&row, expected, "read_row_into differs"),
                (Err(err), Err(expected)) => assert_eq!(err.to_string(), expected.to_string()),
                (got, expected) => panic!("read_row_into gave {got:?}, read_row {expected:?}"),
            }
        }
        assert!(
            matches!(reader.read_row_into(&mut row), Ok(false)),
            "read_row_into reads more rows than read_row"
        );
    }

    let rows: Vec<ReportRow> = results.iter().filter_map(|row| row.as_ref().ok()).cloned().collect();

    // Written back as CSV and read again: the same rows.
    let mut writer = ReportWriter::new(Vec::new()).expect("writing to a Vec");
    for row in &rows {
        writer.write_row(row).expect("writing to a Vec");
    }
    let csv = writer.into_inner().expect("writing to a Vec");

    // `read_record` fails where `read_row` does, and what `write_record` writes of the
    // other records is what `write_row` wrote of their rows.
    let mut reader = ReportReader::new(data).expect("the header read the first time");
    let mut writer = ReportWriter::new(Vec::new()).expect("writing to a Vec");
    for expected in &results {
        match (reader.read_record(), expected) {
            (Ok(Some(record)), Ok(_)) => writer.write_record(&record).expect("writing to a Vec"),
            (Err(err), Err(expected)) => assert_eq!(err.to_string(), expected.to_string()),
            (got, expected) => panic!("read_record gave {got:?}, read_row {expected:?}"),
        }
    }
    assert!(
        matches!(reader.read_record(), Ok(None)),
        "read_record reads more records than read_row"
    );
    let records = writer.into_inner().expect("writing to a Vec");
    assert_eq!(
        String::from_utf8_lossy(&records),
        String::from_utf8_lossy(&csv),
        "write_record differs from write_row"
    );
    let again: Vec<ReportRow> = ReportReader::new(csv.as_slice())
        .and_then(|reader| reader.collect())
        .unwrap_or_else(|err| {
            panic!(
                "the written report does not read: {err}\n{}",
                String::from_utf8_lossy(&csv)
            )
        });
    assert_eq!(again, rows, "the CSV round trip changed the rows");

    // And as JSON.
    let json = serde_json::to_vec(&rows).expect("rows serialize");
    let again: Vec<ReportRow> = serde_json::from_slice(&json).unwrap_or_else(|err| {
        panic!(
            "the rows' JSON does not read: {err}\n{}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(again, rows, "the JSON round trip changed the rows");
}
