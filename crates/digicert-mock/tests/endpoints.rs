//! Every endpoint over real HTTP on loopback, decoded with the model: happy paths, paging,
//! consistency of one order across endpoints, authentication, 404s, status-change windows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::America::Denver;
use common::{Client, KEY, assert_error, content_type, error, reference, start};
use digicert_mock::{MockConfig, MockServer};
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

#[test]
fn report_page_decodes_with_the_model() {
    let (server, client) = start();
    let response = client.ok("/report/order");
    assert!(content_type(&response).starts_with("text/csv"));
    let text = std::str::from_utf8(response.body()).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("order_id,customer_order_id,date_created,container_id,"));
    assert!(
        text.lines().nth(1).unwrap().starts_with("\"1"),
        "every value quoted"
    );
    let rows = rows(response.body());
    assert_eq!(rows.len(), 1000, "default limit");
    let expected: Vec<ReportRow> = server.dataset().report_rows(&[], 0, 1000).collect();
    assert_eq!(rows, expected);
    assert!(
        rows.windows(2)
            .all(|pair| pair[0].order_id > pair[1].order_id)
    );
}

#[test]
fn report_pages_cover_every_order_once() {
    let (_server, client) = start();
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    for offset in (0..).step_by(1000) {
        let page = rows(
            client
                .ok(&format!("/report/order?limit=1000&offset={offset}"))
                .body(),
        );
        sizes.push(page.len());
        if page.len() < 1000 {
            break;
        }
        ids.extend(page.iter().map(|row| row.order_id));
    }
    assert_eq!(sizes, [1000, 1000, 500]);
    let past_end = client.ok("/report/order?offset=2500&limit=10");
    let text = std::str::from_utf8(past_end.body()).unwrap();
    assert_eq!(text.lines().count(), 1, "header only: {text}");
    let small = rows(client.ok("/report/order?limit=3&offset=2497").body());
    assert_eq!(
        small.iter().map(|row| row.order_id).collect::<Vec<_>>(),
        [123456, 123455, 123454]
    );
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 2000);
}

#[test]
fn report_paging_values_are_checked() {
    let (_server, client) = start();
    for bad in [
        "limit=1001",
        "limit=0",
        "limit=abc",
        "offset=-1",
        "limit=1.5",
    ] {
        assert_error(
            &client,
            &format!("/report/order?{bad}"),
            400,
            "bad_request_format",
        );
    }
    assert_error(
        &client,
        "/account/subaccount/order?limit=5000",
        400,
        "bad_request_format",
    );
}

#[test]
fn report_filters_by_status_before_paging() {
    let (server, client) = start();
    let pending = rows(client.ok("/report/order?filters[status]=pending").body());
    let expected = server
        .dataset()
        .report_rows(&[OrderStatus::Pending], 0, 1000)
        .count();
    assert_eq!(pending.len(), expected);
    assert!(pending.len() > 20);
    assert!(pending.iter().all(|row| row.status == OrderStatus::Pending));
    // Brackets percent-encoded, paged, and two statuses at once.
    let page = rows(
        client
            .ok("/report/order?filters%5Bstatus%5D=pending&offset=5&limit=5")
            .body(),
    );
    assert_eq!(page, pending[5..10]);
    let two = rows(
        client
            .ok("/report/order?filters[status]=pending,revoked")
            .body(),
    );
    assert!(two.len() > pending.len());
    assert!(
        two.iter()
            .all(|row| matches!(row.status, OrderStatus::Pending | OrderStatus::Revoked))
    );
}

#[test]
fn subaccount_orders_page_through() {
    let (_server, client) = start();
    let first: SubaccountOrdersPage =
        decode_json(client.ok("/account/subaccount/order").body()).unwrap();
    let page = first.page.unwrap();
    assert_eq!((page.limit, page.offset), (1000, 0));
    assert!(page.total > 300 && page.total < 1000, "{}", page.total);
    let mut seen = Vec::new();
    for offset in (0..page.total).step_by(100) {
        let body = client.ok(&format!(
            "/account/subaccount/order?offset={offset}&limit=100"
        ));
        let part: SubaccountOrdersPage = decode_json(body.body()).unwrap();
        assert_eq!(part.page.unwrap().total, page.total);
        seen.extend(part.orders);
    }
    assert_eq!(seen, first.orders);
    for order in &seen {
        let account = order.subaccount.as_ref().unwrap().account_id.unwrap();
        let direct = [123445, 223344].contains(&account);
        assert_eq!(order.certificate.is_some(), direct, "order {}", order.id);
    }
    let past_end: SubaccountOrdersPage =
        decode_json(client.ok("/account/subaccount/order?offset=5000").body()).unwrap();
    assert!(past_end.orders.is_empty());
}

#[test]
fn order_info_by_id_thumbprint_or_serial() {
    let (server, client) = start();
    let row = server
        .dataset()
        .report_rows(&[OrderStatus::Issued], 10, 1)
        .next()
        .unwrap();
    let by_id: OrderInfo = decode_json(
        client
            .ok(&format!("/order/certificate/{}", row.order_id))
            .body(),
    )
    .unwrap();
    assert_eq!(by_id.id, row.order_id);
    let thumbprint = row.thumbprint.clone().unwrap();
    let serial = row.serial_number.clone().unwrap();
    for reference in [
        thumbprint.clone(),
        thumbprint.to_lowercase(),
        serial.clone(),
        serial.to_lowercase(),
    ] {
        let info: OrderInfo =
            decode_json(client.ok(&format!("/order/certificate/{reference}")).body()).unwrap();
        assert_eq!(info, by_id, "{reference}");
    }
    let seed: OrderInfo = decode_json(client.ok("/order/certificate/123456").body()).unwrap();
    assert_eq!(seed.status, OrderStatus::Issued);
    for unknown in ["1", "999999999", "nope", &"A".repeat(40), &"0".repeat(32)] {
        assert_error(
            &client,
            &format!("/order/certificate/{unknown}"),
            404,
            "not_found|order",
        );
    }
}

#[test]
fn reissues_list() {
    let (server, client) = start();
    let dataset = server.dataset();
    let reissued = dataset
        .order_ids()
        .find(|&id| dataset.reissues(id).unwrap().certificates.len() >= 2)
        .unwrap();
    let body = client.ok(&format!("/order/certificate/{reissued}/reissue"));
    let reissues: Reissues = decode_json(body.body()).unwrap();
    assert_eq!(reissues, dataset.reissues(reissued).unwrap());
    let never: Reissues =
        decode_json(client.ok("/order/certificate/123456/reissue").body()).unwrap();
    assert!(never.certificates.is_empty());
    assert_error(
        &client,
        "/order/certificate/42/reissue",
        404,
        "not_found|order",
    );
}

/// `yyyy-MM-dd+HH:mm:ss` in US Mountain Time.
fn mountain(time: DateTime<Utc>) -> String {
    time.with_timezone(&Denver)
        .format("%Y-%m-%d+%H:%M:%S")
        .to_string()
}

#[test]
fn one_order_is_the_same_everywhere() {
    let (server, client) = start();
    let dataset = server.dataset();
    // An issued order of a direct sub-account: it shows in all five endpoints.
    let (position, id) = dataset
        .order_ids()
        .enumerate()
        .find(|&(_, id)| {
            dataset.subaccount_order(id).is_some_and(|order| {
                order.certificate.is_some() && order.status == OrderStatus::Issued
            }) && dataset.reissues(id).unwrap().certificates.len() >= 2
        })
        .unwrap();
    let page = rows(
        client
            .ok(&format!("/report/order?offset={position}&limit=1"))
            .body(),
    );
    let row = &page[0];
    assert_eq!(row.order_id, id);
    let info: OrderInfo =
        decode_json(client.ok(&format!("/order/certificate/{id}")).body()).unwrap();
    let certificate = info.certificate.as_ref().unwrap();
    let subaccount: SubaccountOrdersPage =
        decode_json(client.ok("/account/subaccount/order").body()).unwrap();
    let sub = subaccount
        .orders
        .iter()
        .find(|order| order.id == id)
        .unwrap();
    let sub_certificate = sub.certificate.as_ref().unwrap();
    let changed = dataset.status_last_updated(id).unwrap();
    let window = format!(
        "{}...{}",
        mountain(changed - TimeDelta::seconds(1)),
        mountain(changed + TimeDelta::seconds(1))
    );
    let changes: StatusChanges = decode_json(
        client
            .ok(&format!(
                "/order/certificate/status-changes?filters[status_last_updated]={window}"
            ))
            .body(),
    )
    .unwrap();
    let change = changes.orders.iter().find(|c| c.order_id == id).unwrap();
    let reissues: Reissues = decode_json(
        client
            .ok(&format!("/order/certificate/{id}/reissue"))
            .body(),
    )
    .unwrap();
    let current = &reissues.certificates[0];

    let certificate_id = row.certificate_tracker_id;
    assert_eq!(certificate.id, certificate_id);
    assert_eq!(sub_certificate.id, certificate_id);
    assert_eq!(change.certificate_id, certificate_id);
    assert_eq!(Some(current.id), certificate_id);
    for status in [&info.status, &sub.status, &change.status] {
        assert_eq!(status, &row.status);
    }
    for thumbprint in [
        &certificate.thumbprint,
        &sub_certificate.thumbprint,
        &current.thumbprint,
    ] {
        assert_eq!(thumbprint, &row.thumbprint);
    }
    assert_eq!(certificate.serial_number, row.serial_number);
    assert_eq!(sub_certificate.serial_number, row.serial_number);
    assert_eq!(certificate.common_name, row.common_name);
    assert_eq!(sub_certificate.common_name, row.common_name);
    assert_eq!(certificate.dns_names, row.dns_names);
    assert_eq!(sub_certificate.dns_names, row.dns_names);
    assert_eq!(certificate.valid_till, row.valid_till);
    assert_eq!(sub_certificate.valid_till, row.valid_till);
    assert_eq!(current.valid_till, row.valid_till);
    assert_eq!(info.date_created.unwrap().naive_utc(), row.date_created);
    assert_eq!(sub.date_created, info.date_created);
    assert_eq!(sub.subaccount.as_ref().unwrap().account_id, row.account_id);
}

#[test]
fn api_key_is_required() {
    let (server, client) = start();
    for key in [None, Some("wrong"), Some("")] {
        let response = client.send("GET", "/report/order", key).unwrap();
        assert_eq!(
            error(&response),
            (403, "access_denied|access_denied_invalid_key".into()),
            "{key:?}"
        );
    }
    let records = server.requests();
    assert_eq!(server.request_count(), 3);
    assert!(records.iter().all(|record| record.status == Some(403)));
    assert_eq!(records[0].path_and_query, "/services/v2/report/order");
    assert_eq!(records[0].method, "GET");
}

#[test]
fn unknown_routes_are_digicert_404s() {
    let (_server, client) = start();
    for path in [
        "/order/certificates",
        "/report",
        "/../report/order",
        "/order/certificate/1/2/3",
    ] {
        assert_error(&client, path, 404, "not_found|route");
    }
    let response = client.send("POST", "/report/order", Some(KEY)).unwrap();
    assert_eq!(error(&response), (404, "not_found|route".into()));
}

#[test]
fn status_changes_in_the_last_minutes() {
    // Default reference time: the server's start, so "the last hour" has changes.
    let server = MockServer::start_background(MockConfig::default().with_api_key(KEY)).unwrap();
    let client = Client::new(&server);
    let before = Utc::now();
    let changes: StatusChanges = decode_json(
        client
            .ok("/order/certificate/status-changes?minutes=60")
            .body(),
    )
    .unwrap();
    let after = Utc::now();
    assert!(changes.orders.len() >= 3, "{}", changes.orders.len());
    for change in &changes.orders {
        let changed = server
            .dataset()
            .status_last_updated(change.order_id)
            .unwrap();
        assert!(changed >= before - TimeDelta::minutes(60) - TimeDelta::seconds(1));
        assert!(changed <= after);
        let expected = server.dataset().report_row(change.order_id).unwrap();
        assert_eq!(change.status, expected.status);
    }
    let day: StatusChanges = decode_json(
        client
            .ok("/order/certificate/status-changes?minutes=1380&seconds=3600")
            .body(),
    )
    .unwrap();
    assert!(day.orders.len() > changes.orders.len());
    let week = client
        .get("/order/certificate/status-changes?minutes=10080")
        .unwrap();
    assert_eq!(week.status(), 200);
}

#[test]
fn status_change_window_rules() {
    let (_server, client) = start();
    let path = |query: &str| format!("/order/certificate/status-changes{query}");
    assert_error(&client, &path(""), 400, "bad_request_format");
    for too_long in [
        "?minutes=10081",
        "?minutes=10080&seconds=1",
        "?seconds=604801",
        "?filters[status_last_updated]=2024-03-01+00:00:00...2024-03-08+00:00:01",
    ] {
        assert_error(&client, &path(too_long), 400, "time_frame_too_long");
    }
    for bad in [
        "?minutes=soon",
        "?filters[status_last_updated]=yesterday",
        "?filters[status_last_updated]=2024-03-02+00:00:00...2024-03-01+00:00:00",
    ] {
        assert_error(&client, &path(bad), 400, "bad_request_format");
    }
    // Nothing changed: exactly `{}`.
    let empty = client.ok(&path(
        "?filters[status_last_updated]=2001-08-01+00:00:00...2001-08-07+23:59:59",
    ));
    assert_eq!(empty.body(), b"{}");
    assert_eq!(content_type(&empty), "application/json");
    // The dataset is fixed at 2024-03-10 12:00 UTC, so "the last hour" of today is empty.
    let empty = client.ok(&path("?minutes=60"));
    assert_eq!(empty.body(), b"{}");
}

#[test]
fn status_change_ranges_are_mountain_time_across_daylight_saving() {
    let (server, client) = start();
    // 2024-03-10: Denver moves from MST (UTC-7) to MDT (UTC-6) at 02:00 local.
    // 01:00 MST is 08:00 UTC; 05:30 MDT is 11:30 UTC.
    let query = "filters[status_last_updated]=2024-03-10+01:00:00...2024-03-10+05:30:00";
    let body = client.ok(&format!("/order/certificate/status-changes?{query}"));
    let changes: StatusChanges = decode_json(body.body()).unwrap();
    let utc = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
    let expected = server
        .dataset()
        .status_changes(utc("2024-03-10T08:00:00Z"), utc("2024-03-10T11:30:00Z"));
    assert!(!expected.orders.is_empty());
    assert_eq!(changes, expected);
    // Read as UTC, the same text would be another window with other orders.
    let naive = server
        .dataset()
        .status_changes(utc("2024-03-10T01:00:00Z"), utc("2024-03-10T05:30:00Z"));
    assert_ne!(changes, naive);
    // A summer range, with the `+` sent percent-encoded as a literal plus.
    let summer =
        "filters%5Bstatus_last_updated%5D=2023-08-01%2B00%3A00%3A00...2023-08-03%2B00%3A00%3A00";
    let body = client.ok(&format!("/order/certificate/status-changes?{summer}"));
    let changes: StatusChanges = decode_json(body.body()).unwrap();
    let expected = server
        .dataset()
        .status_changes(utc("2023-08-01T06:00:00Z"), utc("2023-08-03T06:00:00Z"));
    assert_eq!(changes, expected);
    assert!(!changes.orders.is_empty());
}

#[test]
fn async_start_on_the_callers_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = MockConfig::default()
            .with_api_key(KEY)
            .with_orders(50)
            .with_reference_time(reference());
        let server = MockServer::start(config).await.unwrap();
        assert!(server.base_url().starts_with("http://127.0.0.1:"));
        assert!(server.base_url().ends_with("/services/v2"));
        let client = Client::new(&server);
        let response = tokio::task::spawn_blocking(move || client.ok("/report/order?limit=5"))
            .await
            .unwrap();
        assert_eq!(rows(response.body()).len(), 5);
        assert_eq!(server.request_count(), 1);
        assert_eq!(server.requests()[0].status, Some(200));
        server.shutdown();
    });
}

#[test]
fn dropping_the_server_stops_it() {
    let (server, client) = start();
    client.ok("/report/order?limit=1");
    drop(server);
    let err = client.get("/report/order?limit=1").unwrap_err();
    assert_eq!(
        err.kind(),
        digicert_transport::TransportErrorKind::Connect,
        "{err}"
    );
}

#[test]
fn binary_prints_its_url_and_serves() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_digicert-mock"))
        .args(["--port", "0", "--orders", "40", "--api-key", "cli-key"])
        .args([
            "--reference-time",
            "2024-03-10T12:00:00Z",
            "--latency-ms",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/services/v2"),
        "{url}"
    );
    let transport = digicert_transport_ureq::UreqTransport::default();
    let request = http::Request::get(format!("{url}/report/order"))
        .header("X-DC-DEVKEY", "cli-key")
        .body(Vec::new())
        .unwrap();
    let response = digicert_transport::BlockingTransport::send(&transport, request);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(rows(response.unwrap().body()).len(), 40);
    let status = Command::new(env!("CARGO_BIN_EXE_digicert-mock"))
        .arg("--bogus")
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn report_filters_by_common_name_product_organization_container_and_expiry() {
    let (server, client) = start();
    let every: Vec<ReportRow> = server.dataset().report_rows(&[], 0, usize::MAX).collect();
    let sample = every
        .iter()
        .find(|row| row.status == OrderStatus::Issued)
        .unwrap();
    let common_name = sample.common_name.clone().unwrap();
    let till = sample.valid_till.unwrap();
    let until = till + chrono::Days::new(5);
    type Keeps<'a> = Box<dyn Fn(&ReportRow) -> bool + 'a>;
    let cases: [(String, Keeps<'_>); 5] = [
        (
            format!("filters[common_name]={}", common_name.to_uppercase()),
            Box::new(|row| row.common_name.as_deref() == Some(common_name.as_str())),
        ),
        (
            format!(
                "filters[product_name_id]={}",
                sample.product_name_id.as_deref().unwrap()
            ),
            Box::new(|row| row.product_name_id == sample.product_name_id),
        ),
        (
            format!(
                "filters[organization_id]={}&filters[status]=issued",
                sample.organization_id.unwrap()
            ),
            Box::new(|row| {
                row.organization_id == sample.organization_id && row.status == OrderStatus::Issued
            }),
        ),
        (
            format!("filters[container_id]={}", sample.container_id.unwrap()),
            Box::new(|row| row.container_id == sample.container_id),
        ),
        (
            format!("filters[valid_till]={till}...{until}"),
            Box::new(|row| row.valid_till.is_some_and(|t| t >= till && t <= until)),
        ),
    ];
    for (query, keeps) in &cases {
        let got = rows(client.ok(&format!("/report/order?{query}")).body());
        let expected: Vec<ReportRow> = every
            .iter()
            .filter(|row| keeps(row))
            .take(1000)
            .cloned()
            .collect();
        assert!(got.contains(sample), "{query}");
        assert!(expected.len() < every.len(), "{query}: nothing filtered");
        assert_eq!(got, expected, "{query}");
    }
    assert_error(
        &client,
        "/report/order?filters[organization_id]=abc",
        400,
        "bad_request_format",
    );
}
