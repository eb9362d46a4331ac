//! The page of `digicert serve`, through the binary against `digicert-mock`, on SQLite and
//! on PostgreSQL: the overview, a search by a pasted thumbprint, an order's page with its
//! history, a hostile common name shown as text everywhere, the security headers on every
//! route, GET and HEAD only, the header size limit, and one client flooding the server with
//! idle connections while another is still served.

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
    // A table filtered on the server: only the rows with the text.
    let filtered = get(&addr, "/?statuses.q=revoked");
    assert!(
        filtered.body.contains("match the filter"),
        "{}",
        filtered.body
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
