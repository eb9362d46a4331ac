//! Property tests: the lenient decoders accept every spelling of a value and
//! reject the rest without panicking; report rows survive CSV and back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use chrono::{NaiveDate, NaiveDateTime};
use digicert_model::{
    CustomField, Decimal, OrderCertificate, OrderInfo, OrderStatus, PayType, ProductType,
    ReportReader, ReportRow, ReportWriter, StatusChanges, decode_json,
};
use proptest::prelude::*;
use serde_json::json;

/// Decodes `{"orders":[{"order_id": <value>, "status": "issued"}]}` and returns the id.
fn order_id_from(value: serde_json::Value) -> Result<u64, String> {
    let body = json!({"orders": [{"order_id": value, "status": "issued"}]});
    decode_json::<StatusChanges>(body.to_string().as_bytes())
        .map(|changes| changes.orders[0].order_id)
        .map_err(|err| err.to_string())
}

/// Decodes `{"serial_number": <value>}` as an order certificate.
fn serial_from(value: serde_json::Value) -> Option<String> {
    let body = json!({ "serial_number": value });
    decode_json::<OrderCertificate>(body.to_string().as_bytes())
        .unwrap()
        .serial_number
}

/// Decodes `{"id":1,"status":"issued","disable_ct": <value>}` and returns the flag.
fn flag_from(value: serde_json::Value) -> Result<Option<bool>, String> {
    let body = json!({"id": 1, "status": "issued", "disable_ct": value});
    decode_json::<OrderInfo>(body.to_string().as_bytes())
        .map(|order| order.disable_ct)
        .map_err(|err| err.to_string())
}

proptest! {
    #[test]
    fn integers_decode_from_numbers_and_strings(n in any::<u64>()) {
        prop_assert_eq!(order_id_from(json!(n)), Ok(n));
        prop_assert_eq!(order_id_from(json!(n.to_string())), Ok(n));
        prop_assert_eq!(order_id_from(json!(format!(" {n} "))), Ok(n));
    }

    #[test]
    fn negative_integers_are_refused_for_ids(n in i64::MIN..0) {
        let err = order_id_from(json!(n)).unwrap_err();
        prop_assert!(err.contains("orders[0].order_id"), "{}", err);
    }

    #[test]
    fn non_numeric_text_is_refused_for_ids(text in "[a-zA-Z ._-]{1,12}") {
        prop_assert!(order_id_from(json!(text)).is_err());
    }

    #[test]
    fn text_decodes_from_strings_and_numbers(n in any::<u64>(), s in "\\PC{0,20}", f in -1.0e6f64..1.0e6) {
        prop_assert_eq!(serial_from(json!(n)), Some(n.to_string()));
        prop_assert_eq!(serial_from(json!(s.clone())), Some(s));
        prop_assert_eq!(serial_from(json!(f)), Some(f.to_string()));
    }

    #[test]
    fn flags_decode_from_every_spelling(b in any::<bool>()) {
        let n = u8::from(b);
        for spelling in [json!(b), json!(n), json!(n.to_string()), json!(b.to_string()), json!(b.to_string().to_uppercase())] {
            prop_assert_eq!(flag_from(spelling), Ok(Some(b)));
        }
    }

    /// A number that is no flag does not fail the order: the flag reads as absent, and the
    /// number is kept and written back as sent.
    #[test]
    fn other_numbers_are_not_flags_but_are_kept(n in 2u64..) {
        for sent in [json!(n), json!(n.to_string())] {
            let body = json!({"id": 1, "status": "issued", "disable_ct": sent});
            let order: OrderInfo = decode_json(body.to_string().as_bytes()).unwrap();
            prop_assert_eq!(order.disable_ct, None);
            prop_assert_eq!(serde_json::to_value(&order).unwrap(), body);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_json::<OrderInfo>(&bytes);
        let _ = decode_json::<StatusChanges>(&bytes);
        if let Ok(reader) = ReportReader::new(bytes.as_slice()) {
            for row in reader.take(64) {
                let _ = row;
            }
        }
    }

    #[test]
    fn report_rows_round_trip_through_csv(row in report_row()) {
        let mut writer = ReportWriter::new(Vec::new()).unwrap();
        writer.write_row(&row).unwrap();
        let csv = writer.into_inner().unwrap();
        let mut reader = ReportReader::new(csv.as_slice()).unwrap();
        let again = reader.next().unwrap().unwrap();
        prop_assert_eq!(again, row);
        prop_assert!(reader.next().is_none());
    }
}

/// Text with the characters CSV must quote: commas, quotes, line ends.
fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("(\\PC|[\",\r\n])(\\PC|[\",\r\n\u{1f}]){0,30}")
}

/// A list item: no comma, no surrounding space (the report's list separator rules).
fn list_item() -> impl Strategy<Value = String> {
    "[a-z0-9*@][a-z0-9.*@-]{0,20}"
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (1970i32..2100, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

fn date_time() -> impl Strategy<Value = NaiveDateTime> {
    (date(), 0u32..24, 0u32..60, 0u32..60)
        .prop_map(|(d, h, mi, s)| d.and_hms_opt(h, mi, s).unwrap())
}

fn status() -> impl Strategy<Value = OrderStatus> {
    prop_oneof![
        Just(OrderStatus::Issued),
        Just(OrderStatus::Pending),
        "[a-z_]{1,16}".prop_map(|s| OrderStatus::from(s.as_str())),
    ]
}

fn cost() -> impl Strategy<Value = Option<Decimal>> {
    proptest::option::of((any::<i64>(), proptest::option::of("[0-9]{1,8}")).prop_map(
        |(whole, fraction)| {
            let text = match fraction {
                Some(f) => format!("{whole}.{f}"),
                None => whole.to_string(),
            };
            text.parse().unwrap()
        },
    ))
}

fn metadata() -> impl Strategy<Value = Vec<CustomField>> {
    let part = || proptest::option::of("[^\u{1f}\r]{1,12}");
    proptest::collection::vec(
        (proptest::option::of(any::<u64>()), part(), part()).prop_map(
            |(metadata_id, label, value)| CustomField {
                metadata_id,
                label,
                value,
                ..Default::default()
            },
        ),
        0..4,
    )
}

/// The seed report's first row, with every kind of column varied.
fn report_row() -> impl Strategy<Value = ReportRow> {
    let seed = include_bytes!("../../../fixtures/report/seed_limit3.csv");
    let base = ReportReader::new(&seed[..])
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let ids = (
        any::<u64>(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<i64>()),
        proptest::collection::vec(any::<u64>(), 0..4),
    );
    let texts = (text(), text(), text(), text());
    let dates = (
        date_time(),
        proptest::option::of(date()),
        proptest::option::of(date()),
    );
    let enums = (
        status(),
        proptest::option::of("[A-Z]{1,2}".prop_map(|s| PayType::from(s.as_str()))),
        proptest::option::of("[a-z_]{1,20}".prop_map(|s| ProductType::from(s.as_str()))),
    );
    let flags = (
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
    );
    let lists = (
        proptest::collection::vec(list_item(), 0..5),
        proptest::collection::vec(list_item(), 0..3),
    );
    (ids, texts, dates, enums, flags, lists, cost(), metadata()).prop_map(
        move |(ids, texts, dates, enums, flags, lists, cost, metadata)| {
            let mut row = base.clone();
            (
                row.order_id,
                row.container_id,
                row.server_type,
                row.user_assignments,
            ) = ids;
            (
                row.customer_order_id,
                row.organization_name,
                row.tech_email,
                row.csr,
            ) = texts;
            (row.date_created, row.valid_from, row.valid_till) = dates;
            (row.status, row.pay_type, row.product_type) = enums;
            (row.plus_feature, row.has_duplicates) = flags;
            (row.dns_names, row.additional_emails) = lists;
            row.cost = cost;
            row.metadata = metadata;
            row
        },
    )
}
