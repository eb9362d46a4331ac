//! Every endpoint through both clients: same result, same request (snapshotted).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use chrono::{FixedOffset, TimeZone, Utc};
use digicert_api::model::{OrderStatus, decode_json};
use digicert_api::{Error, OrderRef, ReportQuery, StatusChangesQuery, SubaccountOrdersQuery};
use support::{Fake, config, fixture};

#[test]
fn order_info_by_id_thumbprint_and_serial() {
    for reference in ["123456", "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567", "0fda"] {
        let reference = OrderRef::parse(reference).unwrap();
        let (result, fake) = both!(
            Fake::always(200, fixture("order_info/seed_issued.json")),
            config(),
            |client| client.order_info(&reference)
        );
        let order = result.unwrap();
        assert_eq!(
            order,
            decode_json(&fixture("order_info/seed_issued.json")).unwrap()
        );
        insta::assert_snapshot!(
            format!("order_info_{reference}"),
            fake.requests().join("\n")
        );
    }
}

#[test]
fn hostile_order_references_are_refused() {
    // An OrderRef can only be built from digits and hex, so nothing else can reach a path.
    let long = "a".repeat(129);
    for bad in [
        "../..",
        "1/2",
        "12?x=1",
        "12#x",
        "%2e%2e",
        "12%2F34",
        "",
        "１２３",
        "ＡＢＣ",
        "0x12/..",
        "serial=../..",
        "1\u{0}",
        &long,
    ] {
        let err = OrderRef::parse(bad).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{bad:?}: {err}");
        assert!(bad.parse::<OrderRef>().is_err());
    }
    // Surrounding whitespace (a line read from a file) is not part of the reference.
    assert_eq!(OrderRef::parse(" 123\n").unwrap().as_str(), "123");
    // Spaces and colons between hex pairs, as certificates are printed, are dropped.
    assert_eq!(OrderRef::parse("0f:da 12").unwrap().as_str(), "0FDA12");
    // So are openssl's label and a `0x` prefix.
    assert_eq!(OrderRef::parse("0x0fda12").unwrap().as_str(), "0FDA12");
    assert_eq!(OrderRef::parse("serial=0FDA12").unwrap().as_str(), "0FDA12");
}

#[test]
fn reissues() {
    let (result, fake) = both!(
        Fake::always(200, fixture("reissues/seed_reissues.json")),
        config(),
        |client| client.reissues(123456)
    );
    let reissues = result.unwrap();
    assert_eq!(reissues.certificates.len(), 3);
    assert_eq!(reissues.certificates[1].status, OrderStatus::Rejected);
    insta::assert_snapshot!(fake.requests().join("\n"));
}

#[test]
fn status_change_windows_are_written_as_digicert_reads_them() {
    let denver_summer = FixedOffset::west_opt(6 * 3600).unwrap();
    let cases = [
        ("minutes", StatusChangesQuery::last_minutes(10)),
        (
            "minutes_and_seconds",
            StatusChangesQuery::last_minutes(5).and_seconds(30),
        ),
        ("seconds", StatusChangesQuery::last_seconds(90)),
        (
            // 2019-08-01 00:00:00 to 2019-08-07 23:59:59 in Denver (MDT, UTC-6).
            "range",
            StatusChangesQuery::between(
                denver_summer.with_ymd_and_hms(2019, 8, 1, 0, 0, 0).unwrap(),
                denver_summer
                    .with_ymd_and_hms(2019, 8, 7, 23, 59, 59)
                    .unwrap(),
            ),
        ),
    ];
    for (name, query) in cases {
        let (result, fake) = both!(
            Fake::always(200, fixture("status_changes/seed_orders.json")),
            config(),
            |client| client.status_changes(&query)
        );
        assert_eq!(result.unwrap().orders.len(), 7);
        insta::assert_snapshot!(format!("status_changes_{name}"), fake.requests().join("\n"));
    }
}

#[test]
fn an_empty_status_change_answer_is_an_empty_list() {
    let (result, _) = both!(Fake::always(200, "{}"), config(), |client| client
        .status_changes(&StatusChangesQuery::last_minutes(1)));
    assert!(result.unwrap().orders.is_empty());
}

#[test]
fn status_change_windows_over_seven_days_or_empty_are_refused_before_sending() {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let refused = [
        StatusChangesQuery::last_minutes(10_081),
        StatusChangesQuery::last_minutes(10_080).and_seconds(1),
        StatusChangesQuery::last_seconds(0),
        StatusChangesQuery::last_minutes(0),
        StatusChangesQuery::between(
            start,
            start + chrono::Duration::days(7) + chrono::Duration::seconds(1),
        ),
        StatusChangesQuery::between(start, start - chrono::Duration::seconds(1)),
    ];
    for query in refused {
        let (result, fake) = both!(Fake::always(200, "{}"), config(), |client| client
            .status_changes(&query));
        assert!(
            matches!(result, Err(Error::InvalidInput(_))),
            "{query:?}: {result:?}"
        );
        assert!(fake.requests().is_empty(), "{query:?} was sent");
    }
    let (result, _) = both!(Fake::always(200, "{}"), config(), |client| client
        .status_changes(&StatusChangesQuery::last_minutes(10_080)));
    assert!(result.is_ok(), "exactly 7 days is allowed");
}

#[test]
fn every_documented_report_filter_is_sent_encoded() {
    let query = ReportQuery::new()
        .limit(3)
        .status(OrderStatus::Issued)
        .common_name("*.example.org")
        .valid_till("2026-07-01...2026-07-31")
        .product_name_id("ssl_plus")
        .organization_id(112_233)
        .container_id(5);
    let (result, fake) = both!(
        Fake::always(200, fixture("report/seed_limit3.csv")),
        config(),
        |client| client.order_report(&query)
    );
    assert!(result.is_ok());
    let first = fake.requests()[0].lines().next().unwrap().to_owned();
    assert!(
        first.ends_with(
            "/report/order?limit=3&offset=0&filters%5Bstatus%5D=issued\
             &filters%5Bcommon_name%5D=%2A.example.org\
             &filters%5Bvalid_till%5D=2026-07-01...2026-07-31\
             &filters%5Bproduct_name_id%5D=ssl_plus\
             &filters%5Borganization_id%5D=112233&filters%5Bcontainer_id%5D=5"
        ),
        "{first}"
    );
}

#[test]
fn report_page_with_filters() {
    let query = ReportQuery::new()
        .limit(3)
        .offset(6)
        .status(OrderStatus::Issued)
        .filter("common_name", "*.example.org");
    let (result, fake) = both!(
        Fake::always(200, fixture("report/seed_limit3.csv")),
        config(),
        |client| client.order_report(&query)
    );
    let rows = result.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.order_id).collect::<Vec<_>>(),
        [123456, 123455, 123454]
    );
    insta::assert_snapshot!(fake.requests().join("\n"));
}

#[test]
fn report_queries_are_checked_before_sending() {
    for query in [
        ReportQuery::new().limit(0),
        ReportQuery::new().limit(1001),
        ReportQuery::new().filter("status]&x[", "1"),
    ] {
        let (result, fake) = both!(Fake::always(200, ""), config(), |client| client
            .order_report(&query));
        assert!(matches!(result, Err(Error::InvalidInput(_))), "{result:?}");
        assert!(fake.requests().is_empty());
    }
}

#[test]
fn subaccount_orders_page() {
    let (result, fake) = both!(
        Fake::always(200, fixture("subaccount_orders/seed_page.json")),
        config(),
        |client| client.subaccount_orders(&SubaccountOrdersQuery::new().limit(50).offset(100))
    );
    let page = result.unwrap();
    assert_eq!(page.orders.len(), 3);
    assert_eq!(page.page.unwrap().total, 3);
    insta::assert_snapshot!(fake.requests().join("\n"));
}

#[test]
fn digicert_errors_keep_status_codes_and_messages() {
    let cases = [
        ("order_info/error_not_found.json", 404),
        ("subaccount_orders/error_access_denied.json", 403),
        ("order_info/error_single_object.json", 403),
        ("status_changes/error_time_frame_too_long.json", 400),
    ];
    for (file, status) in cases {
        let (result, _) = both!(Fake::always(status, fixture(file)), config(), |client| {
            client.order_info(&OrderRef::from(1))
        });
        let err = result.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        let body: digicert_api::model::ErrorBody = decode_json(&fixture(file)).unwrap();
        assert_eq!(err.api_errors(), body.errors.as_slice(), "{file}");
        for entry in &body.errors {
            assert!(err.to_string().contains(entry.code.as_str()), "{err}");
            assert!(err.to_string().contains(&entry.message), "{err}");
        }
        assert_eq!(err.is_not_found(), status == 404, "{file}");
        assert_eq!(err.is_access_denied(), status == 403, "{file}");
    }
}

#[test]
fn answers_that_are_not_the_documented_body() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    // A proxy's HTML page with status 200, an empty 200, and a 200 of the wrong JSON shape.
    let (result, _) = both!(Fake::always(200, html), config(), |client| client
        .order_info(&OrderRef::from(1)));
    let err = result.unwrap_err();
    assert!(
        matches!(&err, Error::UnexpectedResponse { status, content_type: Some(t), excerpt }
        if status.as_u16() == 200 && t == "text/html" && excerpt.contains("502 Bad Gateway")),
        "{err:?}"
    );

    let (result, _) = both!(Fake::always(200, ""), config(), |client| client.reissues(1));
    assert!(
        matches!(result, Err(Error::UnexpectedResponse { .. })),
        "{result:?}"
    );

    let (result, _) = both!(
        Fake::always(200, r#"{"id":"x1","status":"issued"}"#),
        config(),
        |client| client.order_info(&OrderRef::from(1))
    );
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                endpoint: "order info",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("`id`"), "{err}");

    // A report answered with HTML, and one whose header lacks order_id.
    let (result, _) = both!(Fake::always(200, html), config(), |client| client
        .order_report(&ReportQuery::new()));
    assert!(
        matches!(result, Err(Error::UnexpectedResponse { .. })),
        "{result:?}"
    );
    let (result, _) = both!(
        Fake::always(200, "status,date_created\n"),
        config(),
        |client| client.order_report(&ReportQuery::new())
    );
    assert!(result.unwrap_err().to_string().contains("order_id"));

    // A redirect is an answer, never followed.
    let (result, fake) = both!(
        Fake::new(|_, _| Ok(http::Response::builder()
            .status(302)
            .header("location", "https://evil.example/")
            .body(Vec::new())
            .unwrap())),
        config(),
        |client| client.reissues(1)
    );
    assert!(
        matches!(result, Err(Error::UnexpectedResponse { status, .. }) if status.as_u16() == 302)
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn long_status_change_ranges_are_split_into_windows_and_merged() {
    // 15 days, across the November 2024 change from MDT to MST: three windows.
    let from = Utc.with_ymd_and_hms(2024, 10, 25, 6, 0, 0).unwrap();
    let to = from + chrono::Duration::days(15);
    let answers = [
        r#"{"orders":[{"order_id":1,"certificate_id":11,"status":"pending"},{"order_id":2,"certificate_id":12,"status":"pending"}]}"#,
        "{}",
        r#"{"orders":[{"order_id":1,"certificate_id":11,"status":"issued"},{"order_id":3,"certificate_id":13,"status":"revoked"}]}"#,
    ];
    let (result, fake) = both!(
        Fake::new(move |_, call| Ok(support::response(200, answers[call]))),
        config(),
        |client| client.status_changes_between(from, to)
    );
    let merged = result.unwrap();
    let got: Vec<(u64, OrderStatus)> = merged
        .orders
        .iter()
        .map(|c| (c.order_id, c.status.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (1, OrderStatus::Issued),
            (2, OrderStatus::Pending),
            (3, OrderStatus::Revoked)
        ]
    );
    let urls: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.lines().next().unwrap().to_owned())
        .collect();
    insta::assert_snapshot!(urls.join("\n"));
}
