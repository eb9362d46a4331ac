//! The dataset changing while the server runs, over real HTTP on loopback: every endpoint
//! answers from the current state, and the status-changes endpoint sees each change in the
//! windows (Mountain Time) that hold it, across both daylight-saving edges.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{Client, KEY, assert_error, start};
use digicert_mock::{ChangeRecord, MockConfig, MockServer};
use digicert_model::{
    OrderInfo, OrderStatus, Reissues, ReportReader, ReportRow, StatusChanges, SubaccountOrdersPage,
    decode_json,
};

fn rows(body: &[u8]) -> Vec<ReportRow> {
    ReportReader::new(body)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// Every report row, through pages of 1,000.
fn whole_report(client: &Client) -> Vec<ReportRow> {
    let mut all = Vec::new();
    for offset in (0..).step_by(1000) {
        let page = rows(
            client
                .ok(&format!("/report/order?limit=1000&offset={offset}"))
                .body(),
        );
        let last = page.len() < 1000;
        all.extend(page);
        if last {
            return all;
        }
    }
    unreachable!()
}

fn order_info(client: &Client, reference: &str) -> OrderInfo {
    decode_json(client.ok(&format!("/order/certificate/{reference}")).body()).unwrap()
}

fn reissues(client: &Client, order_id: u64) -> Reissues {
    decode_json(
        client
            .ok(&format!("/order/certificate/{order_id}/reissue"))
            .body(),
    )
    .unwrap()
}

/// The status changes a query answers (an empty list for `{}`).
fn changes(client: &Client, query: &str) -> StatusChanges {
    let response = client.ok(&format!("/order/certificate/status-changes?{query}"));
    if response.body() == b"{}" {
        return StatusChanges {
            orders: Vec::new(),
            ..Default::default()
        };
    }
    decode_json(response.body()).unwrap()
}

/// The status changes of a Mountain Time range, `yyyy-MM-dd+HH:mm:ss` each end.
fn changes_between(client: &Client, from: &str, to: &str) -> StatusChanges {
    changes(
        client,
        &format!("filters[status_last_updated]={from}...{to}"),
    )
}

/// `(order_id, certificate_id, status)` of each change, for comparing.
fn triples(changes: &StatusChanges) -> Vec<(u64, Option<u64>, OrderStatus)> {
    changes
        .orders
        .iter()
        .map(|change| {
            (
                change.order_id,
                change.certificate_id,
                change.status.clone(),
            )
        })
        .collect()
}

/// An issued order of a sub-account that sees certificates, so every endpoint shows it.
fn direct_subaccount_order(server: &MockServer) -> u64 {
    let dataset = server.dataset();
    dataset
        .subaccount_order_ids()
        .find(|&id| {
            dataset.subaccount_order(id).is_some_and(|order| {
                order.certificate.is_some() && order.status == OrderStatus::Issued
            })
        })
        .unwrap()
}

#[test]
fn a_revocation_shows_on_every_endpoint() {
    let (server, client) = start();
    let id = direct_subaccount_order(&server);
    let before = server.dataset().report_row(id).unwrap();
    let thumbprint = before.thumbprint.clone().unwrap();
    let serial = before.serial_number.clone().unwrap();
    assert!(changes(&client, "minutes=5").orders.is_empty());

    assert!(server.revoke(id));
    assert!(!server.revoke(id), "already revoked");

    let report = whole_report(&client);
    assert_eq!(report.len(), 2500);
    let row = report.iter().find(|row| row.order_id == id).unwrap();
    assert_eq!(row.status, OrderStatus::Revoked);
    assert_eq!(row.thumbprint, before.thumbprint);
    let revoked = rows(
        client
            .ok("/report/order?filters[status]=revoked&limit=1000")
            .body(),
    );
    assert!(revoked.iter().any(|row| row.order_id == id));
    let issued = rows(
        client
            .ok("/report/order?filters[status]=issued&limit=1000")
            .body(),
    );
    assert!(issued.iter().all(|row| row.order_id != id));
    for reference in [id.to_string(), thumbprint.to_lowercase(), serial] {
        let info = order_info(&client, &reference);
        assert_eq!((info.id, info.status), (id, OrderStatus::Revoked));
    }
    let subaccounts: SubaccountOrdersPage =
        decode_json(client.ok("/account/subaccount/order").body()).unwrap();
    let sub = subaccounts.orders.iter().find(|o| o.id == id).unwrap();
    assert_eq!(sub.status, OrderStatus::Revoked);

    let log = server.change_log();
    assert_eq!(log.len(), 1);
    let ChangeRecord {
        order_id,
        certificate_id,
        ref status,
        at,
    } = log[0];
    assert_eq!(
        (order_id, Some(certificate_id), status),
        (id, before.certificate_tracker_id, &OrderStatus::Revoked)
    );
    assert!(at <= Utc::now() && at > Utc::now() - chrono::TimeDelta::minutes(1));
    let recent = changes(&client, "minutes=5");
    assert_eq!(
        triples(&recent),
        [(id, before.certificate_tracker_id, OrderStatus::Revoked)]
    );
    // A window that ends before it does not see it (nothing else changed since 2024).
    assert!(
        changes_between(&client, "2024-03-10+06:00:00", "2024-03-10+12:00:00")
            .orders
            .iter()
            .all(|change| change.order_id != id)
    );
}

#[test]
fn a_reissue_shows_on_every_endpoint() {
    let (server, client) = start();
    let id = direct_subaccount_order(&server);
    let before = order_info(&client, &id.to_string()).certificate.unwrap();
    assert!(server.reissue(id));
    let today = Utc::now().date_naive();

    let info = order_info(&client, &id.to_string());
    let after = info.certificate.clone().unwrap();
    assert_eq!(info.status, OrderStatus::Issued);
    assert_ne!(after.id, before.id);
    assert_ne!(after.thumbprint, before.thumbprint);
    assert_ne!(after.serial_number, before.serial_number);
    assert!(
        after
            .valid_from
            .is_some_and(|from| (from - today).num_days().abs() <= 1)
    );
    assert!(after.valid_till > before.valid_till);
    // Found by the new thumbprint and serial number, and by the replaced ones too.
    for reference in [
        after.thumbprint.clone().unwrap(),
        after.serial_number.clone().unwrap().to_lowercase(),
        before.thumbprint.clone().unwrap(),
        before.serial_number.clone().unwrap(),
    ] {
        assert_eq!(order_info(&client, &reference), info);
    }
    let row = whole_report(&client)
        .into_iter()
        .find(|row| row.order_id == id)
        .unwrap();
    assert_eq!(row.certificate_tracker_id, after.id);
    assert_eq!(row.thumbprint, after.thumbprint);
    assert_eq!(row.valid_from, after.valid_from);
    assert_eq!(row.valid_till, after.valid_till);
    let subaccounts: SubaccountOrdersPage =
        decode_json(client.ok("/account/subaccount/order").body()).unwrap();
    let sub = subaccounts.orders.iter().find(|o| o.id == id).unwrap();
    let sub_certificate = sub.certificate.as_ref().unwrap();
    assert_eq!(sub_certificate.id, after.id);
    assert_eq!(sub_certificate.thumbprint, after.thumbprint);
    assert_eq!(sub_certificate.valid_till, after.valid_till);
    let list = reissues(&client, id).certificates;
    assert_eq!(Some(list[0].id), after.id);
    assert_eq!(list[0].status, OrderStatus::Issued);
    assert_eq!(list[0].thumbprint, after.thumbprint);
    assert_eq!(Some(list[1].id), before.id);
    assert_eq!(list[1].status, OrderStatus::Revoked);

    let recent = changes(&client, "seconds=300");
    assert_eq!(triples(&recent), [(id, after.id, OrderStatus::Issued)]);
    assert_eq!(server.change_log()[0].certificate_id, after.id.unwrap());
}

#[test]
fn new_orders_come_first_and_count_everywhere() {
    let (server, client) = start();
    let first_before = rows(client.ok("/report/order?limit=1").body())[0].order_id;
    let ids = server.add_orders(3);
    assert_eq!(ids.len(), 3);
    assert!(ids[0] > first_before);
    let report = whole_report(&client);
    assert_eq!(report.len(), 2503);
    let newest: Vec<u64> = report[..4].iter().map(|row| row.order_id).collect();
    assert_eq!(newest, [ids[2], ids[1], ids[0], first_before]);
    for row in &report[..3] {
        assert_eq!(row.status, OrderStatus::Issued);
        let thumbprint = row.thumbprint.clone().unwrap();
        let info = order_info(&client, &thumbprint);
        assert_eq!(info.id, row.order_id);
        assert_eq!(info.certificate.unwrap().valid_till, row.valid_till);
        assert!(reissues(&client, row.order_id).certificates.is_empty());
    }
    // Paging still sees each order once, with the new ones shifting the rest.
    let shifted = rows(client.ok("/report/order?offset=3&limit=1").body());
    assert_eq!(shifted[0].order_id, first_before);
    let recent = changes(&client, "minutes=1");
    let mut expected: Vec<_> = report[..3]
        .iter()
        .map(|row| {
            (
                row.order_id,
                row.certificate_tracker_id,
                OrderStatus::Issued,
            )
        })
        .collect();
    assert_eq!(triples(&recent), expected);
    // Then one of them is revoked: the window holding both changes says revoked.
    assert!(server.revoke(ids[1]));
    expected[1].2 = OrderStatus::Revoked;
    assert_eq!(triples(&changes(&client, "minutes=1")), expected);
    assert_eq!(server.change_log().len(), 4);
    // Sub-account orders: new orders are the account's own; the total stays.
    let page: SubaccountOrdersPage =
        decode_json(client.ok("/account/subaccount/order?limit=1").body()).unwrap();
    assert_eq!(
        page.page.unwrap().total,
        server.dataset().subaccount_order_ids().len() as u64
    );
}

/// A server whose generated orders all changed before 2024, so the 2024 daylight-saving
/// days hold only the changes a test records.
fn quiet_server() -> (MockServer, Client) {
    let server = MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(300)
            .with_reference_time(Utc.with_ymd_and_hms(2023, 12, 31, 0, 0, 0).unwrap()),
    )
    .unwrap();
    let client = Client::new(&server);
    (server, client)
}

fn issued_ids(server: &MockServer, count: usize) -> Vec<u64> {
    server
        .dataset()
        .report_rows(&[OrderStatus::Issued], 0, count)
        .map(|row| row.order_id)
        .collect()
}

fn ids_of(changes: &StatusChanges) -> Vec<u64> {
    changes
        .orders
        .iter()
        .map(|change| change.order_id)
        .collect()
}

#[test]
fn the_repeated_autumn_hour_is_read_as_denver_reads_it() {
    // 2024-11-03: Denver goes from MDT (UTC-6) back to MST (UTC-7) at 02:00 local, so
    // 01:00-01:59 happens twice: 07:00-07:59 UTC, then 08:00-08:59 UTC.
    let (server, client) = quiet_server();
    let ids = issued_ids(&server, 3);
    let (first, second, before) = (ids[0], ids[1], ids[2]);
    let first_at = utc("2024-11-03T07:30:00Z"); // 01:30 MDT
    let second_at = utc("2024-11-03T08:30:00Z"); // 01:30 MST
    assert!(server.record_change_at(first, OrderStatus::Revoked, first_at));
    assert!(server.record_change_at(second, OrderStatus::Revoked, second_at));
    assert!(server.record_change_at(before, OrderStatus::Canceled, utc("2024-11-03T06:59:59Z")));

    let day = "2024-11-03";
    let between = |from: &str, to: &str| {
        ids_of(&changes_between(
            &client,
            &format!("{day}+{from}"),
            &format!("{day}+{to}"),
        ))
    };
    // The hour named once covers both of its occurrences.
    assert_eq!(between("01:00:00", "01:59:59"), [first, second]);
    assert_eq!(between("01:30:00", "01:30:00"), [first, second]);
    // A start in that hour is its first occurrence, an end its second.
    assert_eq!(between("01:45:00", "03:00:00"), [second]);
    assert_eq!(between("00:00:00", "01:29:59"), [first, before]);
    assert_eq!(between("00:59:59", "00:59:59"), [before]);
    assert_eq!(between("01:31:00", "01:59:59"), [second]);
    // Windows that exclude them: from the first 01:31 to the second 01:29:59 lies between.
    assert!(between("01:31:00", "01:29:59").is_empty());
    assert!(between("02:00:00", "12:00:00").is_empty());
    let other_day = changes_between(&client, "2024-11-02+00:00:00", "2024-11-02+23:59:59");
    assert!(other_day.orders.is_empty());
    // The status each reports is the one recorded, with the order's certificate.
    let both = changes_between(&client, "2024-11-03+01:00:00", "2024-11-03+01:59:59");
    for change in &both.orders {
        assert_eq!(change.status, OrderStatus::Revoked);
        assert_eq!(
            change.certificate_id,
            server
                .dataset()
                .report_row(change.order_id)
                .unwrap()
                .certificate_tracker_id
        );
    }
    // Recorded after the generated changes: the orders are revoked now, everywhere.
    assert_eq!(
        order_info(&client, &first.to_string()).status,
        OrderStatus::Revoked
    );
    let log = server.change_log();
    assert_eq!(
        log.iter().map(|record| record.at).collect::<Vec<_>>(),
        [first_at, second_at, utc("2024-11-03T06:59:59Z")]
    );
}

#[test]
fn the_skipped_spring_hour_is_read_as_denver_reads_it() {
    // 2024-03-10: Denver goes from MST (UTC-7) to MDT (UTC-6) at 02:00 local: 01:59:59 MST
    // (08:59:59 UTC) is followed by 03:00:00 MDT (09:00:00 UTC).
    let (server, client) = quiet_server();
    let ids = issued_ids(&server, 2);
    let (before_gap, after_gap) = (ids[0], ids[1]);
    assert!(server.record_change_at(
        before_gap,
        OrderStatus::Revoked,
        utc("2024-03-10T08:59:30Z") // 01:59:30 MST
    ));
    assert!(server.record_change_at(
        after_gap,
        OrderStatus::Revoked,
        utc("2024-03-10T09:00:30Z") // 03:00:30 MDT
    ));
    let day = "2024-03-10";
    let between = |from: &str, to: &str| {
        ids_of(&changes_between(
            &client,
            &format!("{day}+{from}"),
            &format!("{day}+{to}"),
        ))
    };
    assert_eq!(between("01:59:00", "03:01:00"), [before_gap, after_gap]);
    assert_eq!(between("01:00:00", "01:59:59"), [before_gap]);
    assert_eq!(between("03:00:00", "04:00:00"), [after_gap]);
    // A time in the gap is read as standard time: 02:00 MST is 03:00 MDT.
    assert_eq!(between("02:00:00", "02:00:30"), [after_gap]);
    assert!(between("00:00:00", "01:59:29").is_empty());
    assert!(between("03:00:31", "23:59:59").is_empty());
}

#[test]
fn status_change_windows_keep_their_rules_and_latest_status() {
    let (server, client) = quiet_server();
    let id = issued_ids(&server, 1)[0];
    let certificate = server
        .dataset()
        .report_row(id)
        .unwrap()
        .certificate_tracker_id;
    // Revoked, then (backdated, earlier) a reissue in progress.
    assert!(server.record_change_at(id, OrderStatus::Revoked, utc("2024-06-01T18:00:00Z")));
    assert!(server.record_change_at(id, OrderStatus::ReissuePending, utc("2024-06-01T17:00:00Z")));
    // 17:00 and 18:00 UTC are 11:00 and 12:00 MDT.
    let window = |from: &str, to: &str| triples(&changes_between(&client, from, to));
    assert_eq!(
        window("2024-06-01+10:00:00", "2024-06-01+12:00:00"),
        [(id, certificate, OrderStatus::Revoked)]
    );
    assert_eq!(
        window("2024-06-01+10:00:00", "2024-06-01+11:59:59"),
        [(id, certificate, OrderStatus::ReissuePending)]
    );
    assert_eq!(
        order_info(&client, &id.to_string()).status,
        OrderStatus::Revoked
    );
    // Nothing in the window: `{}`; longer than seven days: refused, changes or not.
    let empty = client.ok(
        "/order/certificate/status-changes?filters[status_last_updated]=2024-06-01+12:00:01...2024-06-08+12:00:01",
    );
    assert_eq!(empty.body(), b"{}");
    assert_error(
        &client,
        "/order/certificate/status-changes?filters[status_last_updated]=2024-05-30+00:00:00...2024-06-06+00:00:01",
        400,
        "time_frame_too_long",
    );
}
