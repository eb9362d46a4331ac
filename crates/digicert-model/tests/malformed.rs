//! The malformed corpus, `fixtures/malformed/`: every file ends in the outcome its README
//! row states, an error or (where the input is valid) the right result, and never a panic
//! or a hang. The error messages are snapshots.
//!
//! A `.csv` file is read as an order report, a `.json` file is decoded as each endpoint's
//! answer and as DigiCert's error body, and any other file goes through both. Bodies of
//! many megabytes are generated here rather than committed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use digicert_model::{
    DecodeError, ErrorBody, OrderInfo, Reissues, ReportReader, StatusChanges, SubaccountOrdersPage,
    decode_json,
};

/// What one decoder made of a file: the number of items it read, or its error message.
type Outcome = Result<usize, String>;

/// Decodes a body and counts the items in it.
type Decoder = fn(&[u8]) -> Result<usize, DecodeError>;

/// Decoders of a JSON body, by the name the README uses.
const JSON_DECODERS: &[(&str, Decoder)] = &[
    ("subaccount_orders", |body| {
        decode_json::<SubaccountOrdersPage>(body).map(|page| page.orders.len())
    }),
    ("order_info", |body| {
        decode_json::<OrderInfo>(body).map(|_| 1)
    }),
    ("reissues", |body| {
        decode_json::<Reissues>(body).map(|reissues| reissues.certificates.len())
    }),
    ("status_changes", |body| {
        decode_json::<StatusChanges>(body).map(|changes| changes.orders.len())
    }),
    ("error_body", |body| {
        decode_json::<ErrorBody>(body).map(|body| body.errors.len())
    }),
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/malformed")
}

/// Reads a report to the end: the rows, or the first error. Reading on past errors must
/// end too, after at most one item per input byte.
fn read_report(body: &[u8]) -> Outcome {
    let reader = ReportReader::new(body).map_err(|err| err.to_string())?;
    let bound = body.len() + 2;
    let items: Vec<_> = reader.take(bound).collect();
    assert!(items.len() < bound, "the report reader does not stop");
    items
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map(|rows| rows.len())
        .map_err(|err| err.to_string())
}

/// Every decoder a file goes through, by its extension, and what each made of it.
fn outcomes(name: &str, body: &[u8]) -> BTreeMap<&'static str, Outcome> {
    let mut outcomes = BTreeMap::new();
    let extension = Path::new(name).extension().and_then(|e| e.to_str());
    if extension != Some("json") {
        outcomes.insert("report", read_report(body));
    }
    if extension != Some("csv") {
        for (decoder, decode) in JSON_DECODERS {
            outcomes.insert(*decoder, decode(body).map_err(|err| err.to_string()));
        }
    }
    outcomes
}

/// `decoder: ok N` or `decoder: error: message`, one line each.
fn describe(outcomes: &BTreeMap<&str, Outcome>) -> String {
    outcomes
        .iter()
        .map(|(decoder, outcome)| match outcome {
            Ok(count) => format!("{decoder}: ok {count}\n"),
            Err(message) => format!("{decoder}: error: {message}\n"),
        })
        .collect()
}

/// One row of the README's table: a file and its expected outcome.
struct Expected {
    /// The outcome of every decoder not named in `exceptions`: `None` for an error.
    default: Option<usize>,
    exceptions: BTreeMap<String, Option<usize>>,
}

impl Expected {
    /// Reads `error` or `ok N`, then `; decoder: error` or `; decoder: ok N` clauses.
    fn parse(cell: &str) -> Self {
        let outcome = |text: &str| match text.trim() {
            "error" => None,
            ok => Some(
                ok.strip_prefix("ok ")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("README: `{ok}` is neither `error` nor `ok N`")),
            ),
        };
        let mut clauses = cell.split(';');
        let default = outcome(clauses.next().unwrap_or_default());
        let exceptions = clauses
            .map(|clause| {
                let (decoder, expected) = clause
                    .split_once(':')
                    .unwrap_or_else(|| panic!("README: `{clause}` is not `decoder: outcome`"));
                (decoder.trim().to_owned(), outcome(expected))
            })
            .collect();
        Self {
            default,
            exceptions,
        }
    }

    fn check(&self, name: &str, outcomes: &BTreeMap<&str, Outcome>) {
        for decoder in self.exceptions.keys() {
            assert!(
                outcomes.contains_key(decoder.as_str()),
                "README: {name} is not decoded as {decoder}"
            );
        }
        for (decoder, outcome) in outcomes {
            let expected = self.exceptions.get(*decoder).unwrap_or(&self.default);
            match (expected, outcome) {
                (None, Err(_)) => {}
                (Some(count), Ok(got)) => assert_eq!(got, count, "{name} as {decoder}"),
                _ => panic!("{name} as {decoder}: expected {expected:?}, got {outcome:?}"),
            }
        }
    }
}

/// The README's table: file name to expected outcome.
fn readme_table() -> BTreeMap<String, Expected> {
    let readme = fs::read_to_string(corpus().join("README.md")).unwrap();
    readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // `| `file` | what it is | expected |` has five cells, the outer two empty.
            let [_, file, _, expected, _] = cells[..] else {
                return None;
            };
            let file = file.strip_prefix('`')?.strip_suffix('`')?;
            Some((file.to_owned(), Expected::parse(expected)))
        })
        .collect()
}

#[test]
fn every_malformed_file_ends_as_its_readme_row_says() {
    let table = readme_table();
    let mut seen = Vec::new();
    insta::glob!("../../../fixtures", "malformed/*", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == "README.md" {
            return;
        }
        let body = fs::read(path).unwrap();
        let outcomes = outcomes(&name, &body);
        table
            .get(&name)
            .unwrap_or_else(|| panic!("fixtures/malformed/{name} has no row in the README"))
            .check(&name, &outcomes);
        insta::assert_snapshot!("malformed", describe(&outcomes));
        seen.push(name);
    });
    let rows: Vec<&String> = table.keys().collect();
    seen.sort();
    assert_eq!(
        rows,
        seen.iter().collect::<Vec<_>>(),
        "README rows without a file"
    );
}

/// About 20 MB: `rows` report rows, each carrying a 4 KB CSR.
fn big_report(rows: usize) -> Vec<u8> {
    let csr = "A".repeat(4096);
    let mut body = b"order_id,date_created,status,csr\n".to_vec();
    for id in 1..=rows {
        body.extend_from_slice(
            format!("\"{id}\",\"2018-10-26 10:15:33\",\"issued\",\"{csr}\"\n").as_bytes(),
        );
    }
    body
}

/// About 20 MB: a sub-account page of `orders` orders, each with a 4 KB unknown field.
fn big_subaccount_page(orders: usize) -> Vec<u8> {
    let padding = "x".repeat(4096);
    let items: Vec<String> = (1..=orders)
        .map(|id| format!(r#"{{"id":{id},"status":"issued","x_padding":"{padding}"}}"#))
        .collect();
    format!(
        r#"{{"orders":[{}],"page":{{"total":{orders},"limit":{orders},"offset":0}}}}"#,
        items.join(",")
    )
    .into_bytes()
}

const BIG_ITEMS: usize = 5000;

#[test]
fn bodies_of_many_megabytes_decode_or_fail_with_a_short_message() {
    let report = big_report(BIG_ITEMS);
    assert!(report.len() > 20_000_000, "{}", report.len());
    assert_eq!(read_report(&report), Ok(BIG_ITEMS));

    let page = big_subaccount_page(BIG_ITEMS);
    assert!(page.len() > 20_000_000, "{}", page.len());
    assert_eq!(
        decode_json::<SubaccountOrdersPage>(&page)
            .map(|p| p.orders.len())
            .unwrap(),
        BIG_ITEMS
    );

    // Cut off before its end, the message still fits on a line: it quotes 40 characters.
    let cut = &page[..page.len() - 100];
    let message = decode_json::<SubaccountOrdersPage>(cut)
        .unwrap_err()
        .to_string();
    assert!(message.len() < 300, "{} bytes: {message}", message.len());
    insta::assert_snapshot!("big_json_cut_short", message);

    // A report cut off inside its last quoted value.
    let cut = &report[..report.len() - 100];
    let message = read_report(cut).unwrap_err();
    assert!(message.len() < 300, "{} bytes: {message}", message.len());
    insta::assert_snapshot!("big_report_cut_short", message);
}
