//! Walking every page, through both clients: nothing lost, nothing twice, in order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use digicert_api::transport::{Request, Response, TransportError};
use digicert_api::{Error, ReportQuery, SubaccountOrdersQuery};
use support::{Fake, config, response};

/// The value of a query parameter.
fn param(request: &Request, name: &str) -> u64 {
    let query = request.uri().query().unwrap_or_default();
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .map_or(0, |v| v.parse().unwrap())
}

/// A report of orders `count, count-1, ..., 1` served by offset and limit.
fn report_server(count: u64) -> impl Fn(&Request, usize) -> Result<Response, TransportError> {
    move |request, _| {
        let (offset, limit) = (param(request, "offset"), param(request, "limit"));
        let mut body = String::from("order_id,date_created,status\n");
        for id in (1..=count).rev().skip(offset as usize).take(limit as usize) {
            body.push_str(&format!("\"{id}\",\"2020-01-01 00:00:00\",\"issued\"\n"));
        }
        Ok(response(200, body))
    }
}

/// Sub-account orders `1..=count` served by offset and limit; `total` may differ from `count`.
fn subaccount_server(
    count: u64,
    total: impl Fn(usize) -> u64 + Send + Sync + 'static,
) -> impl Fn(&Request, usize) -> Result<Response, TransportError> {
    move |request, call| {
        let (offset, limit) = (param(request, "offset"), param(request, "limit"));
        let orders: Vec<String> = (1..=count)
            .skip(offset as usize)
            .take(limit as usize)
            .map(|id| format!(r#"{{"id":{id},"status":"issued"}}"#))
            .collect();
        let body = format!(
            r#"{{"orders":[{}],"page":{{"total":{},"limit":{limit},"offset":{offset}}}}}"#,
            orders.join(","),
            total(call)
        );
        Ok(response(200, body))
    }
}

fn ids<T, E: std::fmt::Debug>(items: Vec<Result<T, E>>, id: impl Fn(&T) -> u64) -> Vec<u64> {
    items.into_iter().map(|item| id(&item.unwrap())).collect()
}

#[test]
fn report_pages_end_at_the_first_short_page() {
    // Pages needed: a multiple of the page size needs one more (empty) page to know it ended.
    for (count, limit, pages) in [(7, 3, 3), (6, 3, 3), (0, 3, 1), (3, 1000, 1), (1, 1, 2)] {
        let (rows, blocking, async_fake) = both_all!(
            Fake::new(report_server(count)),
            config().concurrency(3),
            |client| client.order_report_all(ReportQuery::new().limit(limit))
        );
        let expected: Vec<u64> = (1..=count).rev().collect();
        assert_eq!(
            ids(rows, |r| r.order_id),
            expected,
            "count {count}, limit {limit}"
        );
        // The blocking client asks for one page ahead of the one it waits for.
        let sent = blocking.requests().len();
        assert!(
            sent == pages || sent == pages + 1,
            "count {count}, limit {limit}: {sent} requests"
        );
        // Each page read to its end goes back to the transport, in order, for reuse.
        for fake in [&blocking, &async_fake] {
            let recycled = fake.recycled();
            assert_eq!(recycled.len(), pages, "count {count}, limit {limit}");
            let first_ids: Vec<Option<u64>> = recycled.iter().map(|body| first_id(body)).collect();
            let expected: Vec<Option<u64>> = (0..pages as u64)
                .map(|page| {
                    count
                        .checked_sub(page * u64::from(limit))
                        .filter(|&id| id > 0)
                })
                .collect();
            assert_eq!(first_ids, expected, "count {count}, limit {limit}");
        }
    }
}

/// The order id of a report page's first row, if it has one.
fn first_id(body: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(body).unwrap();
    let row = text.lines().nth(1)?;
    row.split(',').next()?.trim_matches('"').parse().ok()
}

#[test]
fn the_async_report_fetches_ahead_and_still_yields_in_order() {
    let (rows, _, async_fake) = both_all!(
        Fake::new(report_server(25)),
        config().concurrency(4),
        |client| client.order_report_all(ReportQuery::new().limit(2))
    );
    assert_eq!(
        ids(rows, |r| r.order_id),
        (1..=25).rev().collect::<Vec<_>>()
    );
    // 13 pages hold the report; fetching ahead asks for at most 3 more.
    let sent = async_fake.requests().len();
    assert!((13..=16).contains(&sent), "{sent} requests");
}

#[test]
fn report_rows_repeated_by_shifted_offsets_are_yielded_once() {
    // Between the first and second page two orders are added at the front,
    // so the second page starts with the last two rows of the first.
    let shifted = |request: &Request, call: usize| {
        let count = if call == 0 { 10 } else { 12 };
        report_server(count)(request, call)
    };
    let fake = Arc::new(Fake::new(shifted));
    let client = digicert_api::blocking::Client::new(Arc::clone(&fake), config());
    let rows: Vec<u64> = client
        .order_report_all(ReportQuery::new().limit(4))
        .map(|row| row.unwrap().order_id)
        .collect();
    assert_eq!(rows, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
}

#[test]
fn subaccount_orders_follow_the_total() {
    for (count, limit, requests) in [(5, 2, 3), (4, 2, 2), (0, 2, 1), (1000, 1000, 1)] {
        let (orders, blocking, async_fake) = both_all!(
            Fake::new(subaccount_server(count, move |_| count)),
            config().concurrency(3),
            |client| client.subaccount_orders_all(SubaccountOrdersQuery::new().limit(limit))
        );
        assert_eq!(ids(orders, |o| o.id), (1..=count).collect::<Vec<_>>());
        assert_eq!(blocking.requests().len(), requests);
        assert_eq!(
            async_fake.requests().len(),
            requests,
            "a known total needs no speculation"
        );
    }
}

#[test]
fn a_total_that_grows_between_pages_is_followed() {
    // The first page says 4 orders, later pages say 6: every order is read once.
    let (orders, ..) = both_all!(
        Fake::new(subaccount_server(6, |call| if call == 0 { 4 } else { 6 })),
        config().concurrency(2),
        |client| client.subaccount_orders_all(SubaccountOrdersQuery::new().limit(2))
    );
    assert_eq!(ids(orders, |o| o.id), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn a_total_that_shrinks_between_pages_stops_early_without_duplicates() {
    let (orders, ..) = both_all!(
        Fake::new(subaccount_server(6, |call| if call == 0 { 6 } else { 4 })),
        config().concurrency(1),
        |client| client.subaccount_orders_all(SubaccountOrdersQuery::new().limit(2))
    );
    assert_eq!(ids(orders, |o| o.id), [1, 2, 3, 4]);
}

#[test]
fn a_page_that_fails_ends_the_walk_with_its_error_after_the_orders_before_it() {
    let calls = Arc::new(AtomicU64::new(0));
    let counter = calls.clone();
    let failing = move |request: &Request, call: usize| {
        counter.fetch_add(1, Ordering::SeqCst);
        if param(request, "offset") == 2 {
            return Ok(response(
                404,
                r#"{"errors":[{"code":"not_found|route","message":"gone"}]}"#,
            ));
        }
        subaccount_server(6, |_| 6)(request, call)
    };
    let fake = Arc::new(Fake::new(failing));
    let client = digicert_api::blocking::Client::new(Arc::clone(&fake), config());
    let items: Vec<Result<u64, Error>> = client
        .subaccount_orders_all(SubaccountOrdersQuery::new().limit(2))
        .map(|o| o.map(|o| o.id))
        .collect();
    assert_eq!(items.len(), 3, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap(), &1);
    assert_eq!(items[1].as_ref().unwrap(), &2);
    assert!(items[2].as_ref().unwrap_err().is_not_found());
    // The first page, the failing one, and at most the one asked for ahead of it.
    let sent = calls.load(Ordering::SeqCst);
    assert!((2..=3).contains(&sent), "{sent} requests");
}
