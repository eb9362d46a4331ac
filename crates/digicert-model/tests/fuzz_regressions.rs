//! Inputs the fuzz targets (`fuzz/`) found to break a decoder, kept so they stay fixed.
//!
//! Every file of `fuzz/regressions/` is named `<target>-<short name>` after the fuzz
//! target that found it, and goes through the same checks as that target: decoding
//! never panics, and what decodes survives the trip out and back in unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::fmt::Debug;
use std::fs;
use std::path::Path;

use digicert_model::{
    DecodeError, ErrorBody, OrderInfo, Reissues, ReportReader, ReportRow, ReportWriter,
    StatusChanges, SubaccountOrdersPage, decode_json,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decodes `body` as `T`; if that works, checks that its JSON decodes to an equal
/// value and serializes to the same bytes again.
fn json_round_trip<T>(body: &[u8]) -> Result<T, DecodeError>
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let value = decode_json::<T>(body)?;
    let json = serde_json::to_vec(&value).unwrap();
    let again: T = decode_json(&json).unwrap_or_else(|err| {
        panic!(
            "its own JSON does not decode: {err}\n{}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(again, value, "the JSON round trip changed the value");
    assert_eq!(
        String::from_utf8_lossy(&serde_json::to_vec(&again).unwrap()),
        String::from_utf8_lossy(&json),
        "the JSON round trip changed the serialized form"
    );
    Ok(value)
}

/// Reads a report with the iterator, with `read_row_into` and with `read_record` (they
/// must agree), then writes the rows back as CSV and as JSON, which must read back equal.
fn report_round_trip(body: &[u8]) {
    let Ok(reader) = ReportReader::new(body) else {
        return;
    };
    let results: Vec<Result<ReportRow, DecodeError>> = reader.collect();
    if let Some(Ok(seed)) = results.iter().rev().find(|result| result.is_ok()) {
        let mut row = seed.clone();
        let mut reader = ReportReader::new(body).unwrap();
        for expected in &results {
            match (reader.read_row_into(&mut row), expected) {
                (Ok(true), Ok(expected)) => assert_eq!(&row, expected),
                (Err(err), Err(expected)) => assert_eq!(err.to_string(), expected.to_string()),
                (got, expected) => panic!("read_row_into gave {got:?}, read_row {expected:?}"),
            }
        }
        assert!(matches!(reader.read_row_into(&mut row), Ok(false)));
    }
    let rows: Vec<ReportRow> = results
        .iter()
        .filter_map(|row| row.as_ref().ok())
        .cloned()
        .collect();
    let mut writer = ReportWriter::new(Vec::new()).unwrap();
    for row in &rows {
        writer.write_row(row).unwrap();
    }
    let csv = writer.into_inner().unwrap();
    // `read_record` fails where `read_row` does and `write_record` writes the same bytes.
    let mut reader = ReportReader::new(body).unwrap();
    let mut writer = ReportWriter::new(Vec::new()).unwrap();
    for expected in &results {
        match (reader.read_record(), expected) {
            (Ok(Some(record)), Ok(_)) => writer.write_record(&record).unwrap(),
            (Err(err), Err(expected)) => assert_eq!(err.to_string(), expected.to_string()),
            (got, expected) => panic!("read_record gave {got:?}, read_row {expected:?}"),
        }
    }
    assert!(matches!(reader.read_record(), Ok(None)));
    assert_eq!(writer.into_inner().unwrap(), csv, "write_record differs");
    let again: Vec<ReportRow> = ReportReader::new(csv.as_slice())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(again, rows, "the CSV round trip changed the rows");
    let json = serde_json::to_vec(&rows).unwrap();
    assert_eq!(
        serde_json::from_slice::<Vec<ReportRow>>(&json).unwrap(),
        rows
    );
}

/// Runs `body` through the checks of fuzz target `target`.
fn check(target: &str, body: &[u8]) {
    match target {
        "report_csv" => report_round_trip(body),
        "subaccount_page" => drop(json_round_trip::<SubaccountOrdersPage>(body)),
        "order_info" => drop(json_round_trip::<OrderInfo>(body)),
        "reissues" => drop(json_round_trip::<Reissues>(body)),
        "status_changes" => drop(json_round_trip::<StatusChanges>(body)),
        "error_body" => drop(json_round_trip::<ErrorBody>(body)),
        other => panic!("no fuzz target is called `{other}`"),
    }
}

#[test]
fn every_fuzz_reproducer_decodes_without_panic_and_round_trips() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut checked = 0;
    for entry in fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (target, _) = name
            .split_once('-')
            .unwrap_or_else(|| panic!("fuzz/regressions/{name} is not named <target>-<name>"));
        let body = fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(target, &body));
        assert!(outcome.is_ok(), "fuzz/regressions/{name} fails its checks");
        checked += 1;
    }
    assert!(checked > 0, "no reproducers in {}", folder.display());
}

/// Found by `subaccount_page`: `"cost": "09"` was written back as the number `9`.
#[test]
fn a_cost_a_json_number_would_change_is_written_as_its_digits() {
    let page: SubaccountOrdersPage =
        json_round_trip(br#"{"orders":[{"id":1,"status":"issued","order_price":{"cost":"09"}}]}"#)
            .unwrap();
    let cost = page.orders[0].order_price.as_ref().unwrap().cost.as_ref();
    assert_eq!(cost.unwrap().as_str(), "09");
    let json = serde_json::to_string(&page).unwrap();
    assert!(json.contains(r#""cost":"09""#), "{json}");
}

/// A date-time whose year RFC 3339 cannot write is not read as a date: the field is absent
/// and the text is kept as sent, and written back unchanged.
#[test]
fn a_date_time_year_outside_0000_to_9999_is_kept_as_sent() {
    for date in ["-0001-01-01", "+12345-01-01", "+12345-01-01T00:00:00+00:00"] {
        let body = format!(r#"{{"id":1,"status":"issued","date_created":"{date}"}}"#);
        let order = json_round_trip::<OrderInfo>(body.as_bytes()).unwrap();
        assert_eq!(order.date_created, None);
        assert_eq!(
            order.extra.kept("date_created"),
            Some(&serde_json::json!(date))
        );
        let written = serde_json::to_value(&order).unwrap();
        assert_eq!(written["date_created"], date);
    }
    for date in ["0000-01-01T00:00:00+00:00", "9999-12-31 23:59:59"] {
        let body = format!(r#"{{"id":1,"status":"issued","date_created":"{date}"}}"#);
        assert!(
            json_round_trip::<OrderInfo>(body.as_bytes()).is_ok(),
            "{date}"
        );
    }
}
