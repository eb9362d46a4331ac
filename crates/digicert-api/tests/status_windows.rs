//! A long status-change range: its 7-day windows are asked concurrently by the async
//! client (up to the configured concurrency), one at a time by the blocking one, and both
//! merge the answers the same way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::sync::Mutex;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use digicert_api::transport::{AsyncTransport, Request, Response, TransportError};
use digicert_api::{Client, StatusChangesQuery, blocking, merge_status_changes};
use futures_util::TryStreamExt;
use support::{Fake, block_on, config, response};

/// Answers every window with one change of order 1 (status: the window's number) after
/// yielding once, and counts how many requests were in flight at once.
#[derive(Default)]
struct Counting {
    state: Mutex<(usize, usize, usize)>, // (in flight, most in flight, sent)
}

impl AsyncTransport for Counting {
    async fn send(&self, _request: Request) -> Result<Response, TransportError> {
        let number = {
            let mut state = self.state.lock().unwrap();
            state.0 += 1;
            state.1 = state.1.max(state.0);
            state.2 += 1;
            state.2
        };
        // Let the other windows start before this one is answered.
        tokio::task::yield_now().await;
        tokio::task::yield_now().await;
        self.state.lock().unwrap().0 -= 1;
        let body = format!(
            r#"{{"orders":[{{"order_id":1,"certificate_id":{number},"status":"issued"}}]}}"#
        );
        Ok(response(200, body))
    }

    fn sleep(&self, _duration: Duration) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
}

#[test]
fn async_windows_are_fetched_concurrently_and_merged_in_order() {
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let to = from + chrono::Duration::days(27);
    assert_eq!(StatusChangesQuery::windows(from, to).unwrap().len(), 4);

    let transport = Counting::default();
    let client = Client::new(&transport, config().concurrency(3));
    let merged = block_on(client.status_changes_between(from, to)).unwrap();
    let (in_flight, most, sent) = *transport.state.lock().unwrap();
    assert_eq!((in_flight, sent), (0, 4));
    assert_eq!(most, 3, "three windows in flight at once");
    // The later window wins, whatever order the answers came in.
    assert_eq!(merged.orders.len(), 1);
    assert_eq!(merged.orders[0].certificate_id, Some(4));

    let transport = Counting::default();
    let one_at_a_time = Client::new(&transport, config().concurrency(1));
    block_on(one_at_a_time.status_changes_between(from, to)).unwrap();
    assert_eq!(transport.state.lock().unwrap().1, 1);
}

#[test]
fn windows_one_by_one_merge_to_what_between_gives() {
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let to = from + chrono::Duration::days(20);
    let answer = |_: &Request, call: usize| {
        let body = format!(
            r#"{{"orders":[{{"order_id":{},"certificate_id":{call},"status":"issued"}},{{"order_id":7,"certificate_id":{call},"status":"pending"}}]}}"#,
            call + 10
        );
        Ok(response(200, body))
    };
    let client = blocking::Client::new(Fake::new(answer), config());
    let windows = StatusChangesQuery::windows(from, to).unwrap();
    let answers: Vec<_> = client
        .status_changes_in_windows(windows.clone())
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(answers.len(), 3);
    let between = blocking::Client::new(Fake::new(answer), config())
        .status_changes_between(from, to)
        .unwrap();
    assert_eq!(merge_status_changes(answers), between);
    let async_client = Client::new(Fake::new(answer), config().concurrency(2));
    let async_answers: Vec<_> = block_on(
        async_client
            .status_changes_in_windows(windows)
            .try_collect(),
    )
    .unwrap();
    assert_eq!(merge_status_changes(async_answers), between);
    assert_eq!(between.orders.len(), 4, "orders 10, 7, 11, 12");
    assert_eq!(
        between.orders[1].certificate_id,
        Some(2),
        "the last window's order 7"
    );
}
