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

/// Decodes a JSON fixture as `T` (or as the error body), checks the JSON round
/// trip, and snapshots the value.
fn check_json<T>(endpoint: &str, path: &Path)
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let body = fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_string_lossy();
    if name.starts_with("error_") {
        let value = json_round_trip::<ErrorBody>(&body);
        assert!(!value.errors.is_empty(), "{name}: no error entries");
        insta::assert_yaml_snapshot!(endpoint, value);
    } else {
        let value = json_round_trip::<T>(&body);
        insta::assert_yaml_snapshot!(endpoint, value);
    }
}

/// Decodes, serializes, decodes again, and asserts the two values are equal.
fn json_round_trip<T>(body: &[u8]) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let value: T = decode_json(body).unwrap_or_else(|err| panic!("fixture does not decode: {err}"));
    let again: T = decode_json(&serde_json::to_vec(&value).unwrap()).unwrap();
    assert_eq!(again, value, "JSON round trip changed the value");
    value
}

fn check_invalid_json<T: DeserializeOwned + Debug>(endpoint: &str, path: &Path) {
    let body = fs::read(path).unwrap();
    let err = decode_json::<T>(&body).expect_err("an invalid fixture decoded");
    insta::assert_snapshot!(format!("{endpoint}_invalid"), err.to_string());
}

#[test]
fn report_fixtures_decode_and_round_trip() {
    insta::glob!("../../../fixtures", "report/*.csv", |path| {
        let rows = read_report(path).unwrap_or_else(|err| panic!("fixture does not decode: {err}"));
        // Written back as CSV and read again: the same rows.
        let mut writer = ReportWriter::new(Vec::new()).unwrap();
        for row in &rows {
            writer.write_row(row).unwrap();
        }
        let csv = writer.into_inner().unwrap();
        let again: Vec<ReportRow> = ReportReader::new(csv.as_slice())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(again, rows, "CSV round trip changed the rows");
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
