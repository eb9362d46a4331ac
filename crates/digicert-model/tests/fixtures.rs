//! Every file under `fixtures/` decodes to its reviewed snapshot.
//!
//! Conventions (see `fixtures/README.md`): `<endpoint>/*.json|csv` must decode;
//! a name starting with `error_` holds DigiCert's error body; files under
//! `<endpoint>/invalid/` must fail, and the error message is the snapshot.
//! Every decoded fixture must also survive a trip out and back in unchanged.

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

/// Every top-level folder of `fixtures/` and the pattern its files must match.
const ENDPOINT_FOLDERS: &[&str] = &[
    "field",
    "order_info",
    "reissues",
    "report",
    "status_changes",
    "subaccount_orders",
];

/// Top-level folders of `fixtures/` that `tests/malformed.rs` reads whole (`<folder>/*`,
/// every file against its row in the folder's README): any file there is tested, but a
/// subfolder would not be.
const CORPUS_FOLDERS: &[&str] = &["malformed"];

fn read_report(path: &Path) -> Result<Vec<ReportRow>, DecodeError> {
    let file = fs::File::open(path).map_err(DecodeError::Io)?;
    ReportReader::new(file)?.collect()
}

/// Decodes a JSON fixture as `T` (or as the error body), checks that nothing is lost on
/// the way back out, and snapshots the typed value (its `Debug` form: every typed field, and
/// what was kept beside them).
fn check_json<T>(endpoint: &str, path: &Path)
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let body = fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    if name.starts_with("error_") {
        let value = lossless::<ErrorBody>(&body);
        assert!(!value.errors.is_empty(), "{name}: no error entries");
        insta::assert_debug_snapshot!(endpoint, value);
    } else {
        let value = lossless::<T>(&body);
        insta::assert_debug_snapshot!(endpoint, value);
    }
}

/// Decodes `body`, and asserts that serializing the value gives back the JSON value of the
/// body (key order aside) and that decoding that again gives the same value.
fn lossless<T>(body: &[u8]) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let value: T = decode_json(body).unwrap_or_else(|err| panic!("fixture does not decode: {err}"));
    let sent: serde_json::Value = serde_json::from_slice(body).unwrap();
    let written = serde_json::to_value(&value).unwrap();
    assert_eq!(
        written, sent,
        "decode then serialize lost or changed something"
    );
    let again: T = decode_json(&serde_json::to_vec(&value).unwrap()).unwrap();
    assert_eq!(again, value, "JSON round trip changed the value");
    value
}

fn check_invalid_json<T: DeserializeOwned + Debug>(endpoint: &str, path: &Path) {
    let body = fs::read(path).unwrap();
    let err = decode_json::<T>(&body).expect_err("an invalid fixture decoded");
    insta::assert_snapshot!(format!("{endpoint}_invalid"), err.to_string());
}

/// Report fixtures written as CertCentral writes reports (unquoted header, every value
/// quoted, LF line ends, no byte-order mark): converting them gives back the same bytes.
const API_QUOTED_REPORTS: &[&str] = &[
    "seed_limit3.csv",
    "quirk_columns_reordered.csv",
    "quirk_header_only.csv",
    "quirk_metadata.csv",
    "quirk_non_ascii.csv",
    "quirk_unknown_values.csv",
];

#[test]
fn report_fixtures_decode_and_round_trip() {
    insta::glob!("../../../fixtures", "report/*.csv", |path| {
        let bytes = fs::read(path).unwrap();
        let reader = ReportReader::new(bytes.as_slice()).unwrap();
        let columns = reader.columns().to_vec();
        let rows: Vec<ReportRow> = reader
            .collect::<Result<_, _>>()
            .unwrap_or_else(|err| panic!("fixture does not decode: {err}"));
        // Written back with the report's own header and read again: the same rows.
        let mut writer = ReportWriter::with_columns(Vec::new(), &columns).unwrap();
        for row in &rows {
            writer.write_row(row).unwrap();
        }
        let csv = writer.into_inner().unwrap();
        let again: Vec<ReportRow> = ReportReader::new(csv.as_slice())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(again, rows, "CSV round trip changed the rows");
        // Converted record by record: the same text as writing the rows.
        let mut reader = ReportReader::new(bytes.as_slice()).unwrap();
        let mut converted = ReportWriter::with_columns(Vec::new(), &columns).unwrap();
        while let Some(record) = reader.read_record().unwrap() {
            converted.write_record(&record).unwrap();
        }
        let converted = converted.into_inner().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&converted),
            String::from_utf8_lossy(&csv)
        );
        let name = path.file_name().unwrap().to_string_lossy();
        if API_QUOTED_REPORTS.contains(&name.as_ref()) {
            assert_eq!(
                String::from_utf8_lossy(&converted),
                String::from_utf8_lossy(&bytes),
                "{name}: a conversion changed the report"
            );
        }
        // And as JSON.
        let json = serde_json::to_vec(&rows).unwrap();
        assert_eq!(
            serde_json::from_slice::<Vec<ReportRow>>(&json).unwrap(),
            rows
        );
        insta::assert_yaml_snapshot!("report", rows);
    });
}

#[test]
fn invalid_report_fixtures_fail_with_a_clear_message() {
    insta::glob!("../../../fixtures", "report/invalid/*.csv", |path| {
        let err = read_report(path).expect_err("an invalid fixture decoded");
        insta::assert_snapshot!("report_invalid", err.to_string());
    });
}

#[test]
fn subaccount_order_fixtures() {
    const ENDPOINT: &str = "subaccount_orders";
    insta::glob!("../../../fixtures", "subaccount_orders/*.json", |path| {
        check_json::<SubaccountOrdersPage>(ENDPOINT, path)
    });
    insta::glob!(
        "../../../fixtures",
        "subaccount_orders/invalid/*.json",
        |path| { check_invalid_json::<SubaccountOrdersPage>(ENDPOINT, path) }
    );
}

#[test]
fn order_info_fixtures() {
    const ENDPOINT: &str = "order_info";
    insta::glob!(
        "../../../fixtures",
        "order_info/*.json",
        |path| check_json::<OrderInfo>(ENDPOINT, path)
    );
    insta::glob!("../../../fixtures", "order_info/invalid/*.json", |path| {
        check_invalid_json::<OrderInfo>(ENDPOINT, path)
    });
}

#[test]
fn reissue_fixtures() {
    const ENDPOINT: &str = "reissues";
    insta::glob!("../../../fixtures", "reissues/*.json", |path| check_json::<
        Reissues,
    >(
        ENDPOINT, path
    ));
}

#[test]
fn status_change_fixtures() {
    const ENDPOINT: &str = "status_changes";
    insta::glob!("../../../fixtures", "status_changes/*.json", |path| {
        check_json::<StatusChanges>(ENDPOINT, path)
    });
}

/// The field corpus: bodies other clients recorded or mock, named `<shape>_<source>_*.json`,
/// each decoded as the model type of its shape; `field/invalid/` holds bodies whose order has
/// no usable id (a strict field), which must fail.
#[test]
fn field_fixtures() {
    const ENDPOINT: &str = "field";
    insta::glob!("../../../fixtures", "field/*.json", |path| {
        let name = path.file_name().unwrap().to_string_lossy();
        match name.split('_').next().unwrap() {
            "order" if name.starts_with("order_info_") => check_json::<OrderInfo>(ENDPOINT, path),
            // The order list (`GET /order/certificate`) has the sub-account list's shape.
            "order" | "subaccount" => check_json::<SubaccountOrdersPage>(ENDPOINT, path),
            "reissues" => check_json::<Reissues>(ENDPOINT, path),
            "status" => check_json::<StatusChanges>(ENDPOINT, path),
            "error" => check_json::<ErrorBody>(ENDPOINT, path),
            other => panic!("{name}: no model type for the shape {other:?}"),
        }
    });
    insta::glob!("../../../fixtures", "field/invalid/*.json", |path| {
        check_invalid_json::<OrderInfo>(ENDPOINT, path)
    });
}

/// A fixture in a folder no test globs would be silently untested.
#[test]
fn every_fixture_is_covered_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    for entry in fs::read_dir(&root).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_file() {
            assert_eq!(name, "README.md", "stray file fixtures/{name}");
            continue;
        }
        if CORPUS_FOLDERS.contains(&name.as_str()) {
            for file in fs::read_dir(entry.path()).unwrap() {
                let file = file.unwrap();
                assert!(
                    file.file_type().unwrap().is_file(),
                    "fixtures/{name}/{} is not a file, so no test reads it",
                    file.file_name().to_string_lossy()
                );
            }
            continue;
        }
        assert!(
            ENDPOINT_FOLDERS.contains(&name.as_str()),
            "fixtures/{name} is not tested"
        );
        let extension = if name == "report" { "csv" } else { "json" };
        for file in fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            let file_name = file.file_name().to_string_lossy().into_owned();
            if name == "field" && file_name.ends_with(".md") {
                continue; // the corpus's provenance notes
            }
            if file.file_type().unwrap().is_dir() {
                assert_eq!(
                    file_name, "invalid",
                    "fixtures/{name}/{file_name} is not tested"
                );
                continue;
            }
            assert!(
                file_name.ends_with(&format!(".{extension}")),
                "fixtures/{name}/{file_name} is not a .{extension} file, so no test reads it"
            );
        }
    }
}
