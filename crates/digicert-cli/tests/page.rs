//! The page of `digicert serve`, through the binary against `digicert-mock`, on SQLite and
//! on PostgreSQL: the overview, a search by a pasted thumbprint, an order's page with its
//! history, a hostile common name shown as text everywhere, the security headers on every
//! route, GET and HEAD only, the header size limit, and one client flooding the server with
//! idle connections while another is still served. Also: the expiring certificates soonest
//! first, a filter's count, a search by name, wildcard, order id and serial number, and an
//! account never synced or not for two intervals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use digicert_mock::{MockConfig, MockServer};
use support::KEY;
use support::db::TestDb;
use support::hostile::{ESCAPED, HOSTILE, mock_with_a_hostile_name, pasted};
use support::served::{Served, get, get_from, send};

fn page_answers(db: &TestDb) {
    let (server, id, thumbprint) = mock_with_a_hostile_name();
    let served = Served::start(server.base_url(), db.path().to_str().unwrap(), "2s", &[]);
    let addr = served.addr.clone();
    served.wait_until("a sync", || get(&addr, "/healthz").status == 200);

    // The overview: every section, the hostile name as text.
    let overview = get(&addr, "/");
    assert_eq!(overview.status, 200, "{}", db.kind());
    assert_eq!(
        overview.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    // Every section, the probe's endpoints to look at first.
    let at = |heading: &str| {
        let found = overview.body.find(&format!(">{heading}</h2>"));
        found.unwrap_or_else(|| panic!("no section {heading}"))
    };
    let order = [
        at("Endpoints to look at"),
        at("Accounts and syncs"),
        at("Certificates expiring within 30 days"),
        at("Orders by status"),
    ];
    assert!(order.is_sorted(), "sections out of order: {order:?}");
    // Counted as people write it: one account, many orders.
    assert!(
        overview.body.contains(" orders in 1 account."),
        "{}",
        overview.body
    );
    assert!(
        overview.body.contains(ESCAPED),
        "the hostile name is not on the overview"
    );
    assert!(!overview.body.contains(HOSTILE));
    assert!(
        overview
            .body
            .contains(&format!("href=\"/orders/default/{id}\""))
    );
    assert!(overview.body.contains("(urgent)") || overview.body.contains("(soon)"));
    // The control: another window, one out of range clamped, nonsense the default.
    assert!(
        get(&addr, "/?days=90")
            .body
            .contains("expiring within 90 days")
    );
    assert!(
        get(&addr, "/?days=99999")
            .body
            .contains("expiring within 3650 days")
    );
    assert!(
        get(&addr, "/?days=soon")
            .body
            .contains("expiring within 30 days")
    );
    // The expiring certificates, soonest first (the first cell sorts by days left).
    let days: Vec<i64> = rows(&overview.body, "expiring")
        .iter()
        .map(|row| first_sort_key(row))
        .collect();
    assert!(days.len() > 1, "{days:?}");
    assert!(days.is_sorted(), "not soonest first: {days:?}");
    // A table filtered on the server: only the rows with the text, counted.
    let filtered = get(&addr, "/?statuses.q=revoked");
    let shown = rows(&filtered.body, "statuses");
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|row| row.contains("revoked")), "{shown:?}");
    let all = rows(&overview.body, "statuses").len();
    assert!(shown.len() < all);
    assert!(
        filtered
            .body
            .contains(&format!("{} of {all} rows match the filter.", shown.len())),
        "{}",
        filtered.body
    );

    // A search by name, by wildcard, by order id and by a pasted serial number.
    let (other, name, serial) = plain_order(&server, id);
    let link = format!("href=\"/orders/default/{other}\"");
    let domain = name.split_once('.').unwrap().1;
    for query in [
        name.clone(),
        format!("*.{domain}"),
        other.to_string(),
        pasted(&serial),
    ] {
        let found = get(&addr, &format!("/search?q={}", query.replace(':', "%3A")));
        assert_eq!(found.status, 200, "{query}");
        assert!(found.body.contains(&link), "{query}: {}", found.body);
    }
    assert!(
        rows(
            &get(&addr, &format!("/search?q=*.{domain}")).body,
            "results"
        )
        .len()
            > 1
    );

    // A search by the thumbprint as pasted: one order, linked.
    let found = get(
        &addr,
        &format!("/search?q={}", pasted(&thumbprint).replace(':', "%3A")),
    );
    assert_eq!(found.status, 200);
    assert!(
        found
            .body
            .contains(&format!("href=\"/orders/default/{id}\""))
    );
    assert!(found.body.contains("1 row."), "{}", found.body);
    assert!(found.body.contains(ESCAPED));
    // A query that is no name, id or hex: refused, and shown as text.
    let refused = get(&addr, "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains(ESCAPED) && !refused.body.contains(HOSTILE));

    // The order's page, then its certificate reissued: the history shows both.
    let path = format!("/orders/default/{id}");
    let order = get(&addr, &path);
    assert_eq!(order.status, 200);
    assert!(order.body.contains(&thumbprint));
    assert!(order.body.contains(ESCAPED) && !order.body.contains(HOSTILE));
    assert!(order.body.contains("Status history"));
    assert!(server.reissue(id));
    served.wait_until("the reissue synced", || {
        get(&addr, &path)
            .body
            .matches("<td data-sort=\"issued\">")
            .count()
            == 2
    });
    let order = get(&addr, &path);
    assert!(order.body.contains(">earlier<"), "{}", order.body);
    assert!(
        !order.body.contains(&thumbprint),
        "the old thumbprint is still current"
    );

    assert_eq!(get(&addr, "/orders/default/1").status, 404);
    assert_eq!(get(&addr, "/orders/default/x").status, 404);
    assert_eq!(get(&addr, &format!("/orders/elsewhere/{id}")).status, 404);
    assert_eq!(
        get(&addr, "/assets/sort.js").header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(get(&addr, "/assets/page.css").status, 200);
    assert!(!served.log().contains(KEY));
}

/// The rows of the table `id` on a page, each as its HTML.
fn rows(body: &str, id: &str) -> Vec<String> {
    let start = body
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let table = &body[start..];
    let table = &table[..table.find("</table>").unwrap()];
    let tbody = table.split_once("<tbody>").unwrap().1;
    tbody
        .split("<tr>")
        .filter(|row| row.contains("<td data-sort"))
        .map(str::to_owned)
        .collect()
}

/// The sort key of a row's first cell.
fn first_sort_key(row: &str) -> i64 {
    let rest = row.split_once("data-sort=\"").unwrap().1;
    rest[..rest.find('"').unwrap()].parse().unwrap()
}

/// An issued order other than `not`, with a plain host name and a serial number: its id,
/// name and serial number.
fn plain_order(server: &MockServer, not: u64) -> (u64, String, String) {
    let dataset = server.dataset();
    dataset
        .order_ids()
        .filter(|&id| id != not)
        .find_map(|id| {
            let row = dataset.report_row(id)?;
            let name = row.common_name?.to_ascii_lowercase();
            let serial = server.certificate(id)?.serial_number;
            let plain =
                row.status.as_str() == "issued" && !name.contains('*') && name.contains('.');
            plain.then_some((id, name, serial))
        })
        .unwrap()
}

#[test]
fn the_page_shows_the_inventory_on_sqlite_and_postgres() {
    for db in TestDb::all() {
        page_answers(&db);
    }
}

#[test]
fn every_route_is_served_safely_get_and_head_only() {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(10))
            .unwrap();
    let db = TestDb::file();
    let served = Served::start(server.base_url(), db.path().to_str().unwrap(), "1h", &[]);
    let addr = served.addr.clone();
    served.wait_until("a sync", || get(&addr, "/healthz").status == 200);
    for path in ["/", "/metrics", "/healthz", "/search?q=x", "/nothing"] {
        let answer = get(&addr, path);
        let csp = answer.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            answer.header("referrer-policy"),
            Some("no-referrer"),
            "{path}"
        );
    }
    let head = send(&addr, "HEAD", "/", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "TRACE"] {
        let answer = send(&addr, method, "/metrics", &["Content-Length: 0".to_owned()]);
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("allow"), Some("GET, HEAD"));
    }
    // Headers beyond the limit (16 KiB): refused, and the server still answers others.
    let big = vec![format!("X-Big: {}", "a".repeat(20_000))];
    assert_eq!(send(&addr, "GET", "/", &big).status, 431);
    assert_eq!(get(&addr, "/healthz").status, 200);
}

#[test]
fn a_client_flooding_connections_does_not_starve_another() {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(3))
            .unwrap();
    let db = TestDb::file();
    let served = Served::start(server.base_url(), db.path().to_str().unwrap(), "1h", &[]);
    let addr = served.addr.clone();
    served.wait_until("a sync", || get(&addr, "/healthz").status == 200);

    // More idle connections from 127.0.0.1 than the server holds in all (1,024) and than it
    // holds from one client (256): the server keeps its share and closes the rest.
    let idle: Vec<TcpStream> = (0..1_100)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    // One more from the flooding address: closed unanswered.
    let refused = get_from(Ipv4Addr::LOCALHOST.into(), &addr, "/healthz");
    assert!(refused.is_err(), "{refused:?}");
    // Another address is served.
    let other = get_from(Ipv4Addr::new(127, 0, 0, 2).into(), &addr, "/healthz").unwrap();
    assert_eq!(other.status, 200);

    // A held connection that sends half a header is closed after the header time (10 s).
    let mut slow = &idle[0];
    slow.write_all(b"GET / HTTP/1.1\r\nX-Half: ").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut rest = Vec::new();
    let ended = slow.read_to_end(&mut rest);
    assert!(
        ended.is_ok() || matches!(&ended, Err(err) if err.kind() == ErrorKind::ConnectionReset),
        "still open: {ended:?}"
    );
}

/// The row of the accounts table (filtered: the page as first shown is kept up to 30 s,
/// a filtered one is made for each request).
fn account_row(addr: &str) -> String {
    rows(&get(addr, "/?accounts.q=default").body, "accounts").concat()
}

#[test]
fn an_account_never_synced_or_not_for_two_intervals_shows_as_such() {
    for db in TestDb::all() {
        let server =
            MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(5))
                .unwrap();
        // CertCentral answers 503 to everything: the account never synced.
        server.faults().service_unavailable_next(u32::MAX);
        let served = Served::start(server.base_url(), db.path().to_str().unwrap(), "1s", &[]);
        let addr = served.addr.clone();
        served.wait_until("the account shown never synced", || {
            account_row(&addr).contains("never synced")
        });
        assert!(
            get(&addr, "/")
                .body
                .contains("1 of them not synced within two intervals")
        );
        // It answers: a sync, and the account current.
        server.faults().reset();
        served.wait_until("a sync", || get(&addr, "/healthz").status == 200);
        assert!(account_row(&addr).contains(">current<"), "{}", db.kind());
        // It refuses again: once two intervals pass without a sync, stale.
        server.faults().service_unavailable_next(u32::MAX);
        served.wait_until("the account shown stale", || {
            account_row(&addr).contains("stale: over two intervals old")
        });
    }
}
