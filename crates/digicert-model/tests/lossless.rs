//! Property tests of the lossless promise: fields and columns the model does not know,
//! added anywhere, come back out exactly as they went in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::fs;
use std::path::PathBuf;

use digicert_model::{OrderInfo, ReportReader, ReportRow, ReportWriter, decode_json};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The order info bodies of `fixtures/` that decode as orders (not error bodies).
fn order_info_bodies() -> Vec<Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut bodies = Vec::new();
    for (folder, prefix) in [("order_info", ""), ("field", "order_info_")] {
        for entry in fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") && name.starts_with(prefix) && !name.starts_with("error_") {
                bodies.push(serde_json::from_slice(&fs::read(&path).unwrap()).unwrap());
            }
        }
    }
    assert!(
        bodies.len() >= 8,
        "found {} order info bodies",
        bodies.len()
    );
    bodies
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1.0e12f64..1.0e12).prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Fields to add to one object: names no model type uses (`x_` first), any values.
fn extra_fields() -> impl Strategy<Value = Vec<(String, Value)>> {
    proptest::collection::vec(("x_[a-z0-9_]{1,10}", json_value()), 0..3)
}

/// Adds the next set of `extras` to every object of `value`, depth first.
fn add_everywhere(value: &mut Value, extras: &mut impl Iterator<Item = Vec<(String, Value)>>) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                add_everywhere(child, extras);
            }
            for (name, extra) in extras.next().unwrap_or_default() {
                map.insert(name, extra);
            }
        }
        Value::Array(items) => {
            for item in items {
                add_everywhere(item, extras);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random fields added at every object level of every order info fixture are kept, and
    /// the order writes back exactly the JSON value it was read from.
    #[test]
    fn unknown_json_fields_at_every_level_come_back(
        pick in any::<prop::sample::Index>(),
        extras in proptest::collection::vec(extra_fields(), 64),
    ) {
        let bodies = order_info_bodies();
        let mut body = bodies[pick.index(bodies.len())].clone();
        add_everywhere(&mut body, &mut extras.into_iter().cycle());
        let order: OrderInfo = decode_json(body.to_string().as_bytes()).unwrap();
        prop_assert_eq!(serde_json::to_value(&order).unwrap(), body);
    }
}

/// A report written as CertCentral writes one: plain header, every value quoted, LF.
fn api_report(header: &[String], records: &[Vec<String>]) -> String {
    let mut out = header.join(",");
    out.push('\n');
    for record in records {
        let fields: Vec<String> = record
            .iter()
            .map(|field| format!("\"{}\"", field.replace('"', "\"\"")))
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// The seed report as header and records.
fn seed_report() -> (Vec<String>, Vec<Vec<String>>) {
    let seed = include_bytes!("../../../fixtures/report/seed_limit3.csv");
    let mut csv = csv::Reader::from_reader(&seed[..]);
    let header = csv.headers().unwrap().iter().map(str::to_owned).collect();
    let records = csv
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, records)
}

/// Unknown columns to add to the seed report: where, named how, and each row's text.
fn extra_columns() -> impl Strategy<Value = Vec<(prop::sample::Index, String, Vec<String>)>> {
    proptest::collection::vec(
        (
            any::<prop::sample::Index>(),
            "x_[a-z0-9_]{1,10}",
            proptest::collection::vec("(\\PC|[\",\n])*", 3),
        ),
        1..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Unknown columns anywhere in a report are kept by name and in order: a conversion
    /// gives back the same bytes, rows carry them, and JSON includes them.
    #[test]
    fn unknown_report_columns_come_back(columns in extra_columns()) {
        let (mut header, mut records) = seed_report();
        let mut added = Vec::new();
        for (at, name, texts) in columns {
            if header.contains(&name) {
                continue;
            }
            let at = at.index(header.len() + 1);
            header.insert(at, name.clone());
            for (record, text) in records.iter_mut().zip(&texts) {
                record.insert(at, text.clone());
            }
            added.push((name, texts));
        }
        let input = api_report(&header, &records);

        let mut reader = ReportReader::new(input.as_bytes()).unwrap();
        prop_assert_eq!(reader.columns(), header.as_slice());
        let mut out = ReportWriter::with_columns(Vec::new(), reader.columns().to_vec()).unwrap();
        while let Some(record) = reader.read_record().unwrap() {
            out.write_record(&record).unwrap();
        }
        prop_assert_eq!(String::from_utf8(out.into_inner().unwrap()).unwrap(), input.clone());

        let rows: Vec<ReportRow> = ReportReader::new(input.as_bytes())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let unknown_order: Vec<&str> = header
            .iter()
            .map(String::as_str)
            .filter(|name| added.iter().any(|(added, _)| added == name))
            .collect();
        for (index, row) in rows.iter().enumerate() {
            let names: Vec<&str> = row.extra.unknown_columns().map(|(name, _)| name).collect();
            prop_assert_eq!(&names, &unknown_order);
            let json: Map<String, Value> =
                serde_json::from_value(serde_json::to_value(row).unwrap()).unwrap();
            for (name, texts) in &added {
                prop_assert_eq!(row.extra.unknown(name), Some(texts[index].as_str()));
                prop_assert_eq!(json.get(name), Some(&Value::from(texts[index].clone())));
            }
        }
        let mut out = ReportWriter::with_columns(Vec::new(), &header).unwrap();
        for row in &rows {
            out.write_row(row).unwrap();
        }
        prop_assert_eq!(String::from_utf8(out.into_inner().unwrap()).unwrap(), input);
    }
}

/// A report row with an odd value and an unknown column reads back from its own JSON equal,
/// the odd value still kept as sent.
#[test]
fn a_report_row_reads_back_from_its_json() {
    let csv = "order_id,date_created,status,valid_till,x_new\n\
               \"1\",\"2018-10-26 10:15:33\",\"issued\",\"31/12/2025\",\"kept\"\n";
    let row = ReportReader::new(csv.as_bytes())
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let json = serde_json::to_value(&row).unwrap();
    assert_eq!(json["valid_till"], "31/12/2025");
    assert_eq!(json["x_new"], "kept");
    let again: ReportRow = serde_json::from_value(json).unwrap();
    assert_eq!(again, row);
    assert_eq!(again.extra.kept("valid_till"), Some("31/12/2025"));
}
