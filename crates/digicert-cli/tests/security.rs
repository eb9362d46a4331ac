//! What the `digicert` binary refuses to send, and where it refuses to go: an order
//! reference can never change the request's path or query (checked in the fake server's
//! own request log), a plain-http base URL must be loopback (checked with every proxy
//! variable pointing at a loopback server that would see any attempt), and redirects are
//! never followed (the redirect's target sees nothing).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::process::Command;

use digicert_mock::{MockConfig, MockServer, RawServer};
use support::{KEY, PROXY_VARIABLES, command, digicert_at, exit_code, text};

const BACKENDS: [&str; 2] = ["blocking", "async"];

/// Requests the fake server received that are not `GET /services/v2/order/certificate/<digits>`
/// (with `/reissue`), with no query.
fn off_path(server: &MockServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .map(|request| request.path_and_query)
        .filter(|path| {
            let rest = path.strip_prefix("/services/v2/order/certificate/");
            let id = rest.map(|rest| rest.strip_suffix("/reissue").unwrap_or(rest));
            !id.is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect()
}

#[test]
fn an_order_reference_never_changes_the_path_or_query() {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(10))
            .unwrap();
    let references = [
        "../..",
        "../../account",
        "..%2F..%2Faccount",
        "12%2F34",
        "12/34",
        "12\\34",
        "1?limit=1000",
        "1#fragment",
        "%2e%2e",
        "%31",
        "1%00",
        // ("1 2" is no longer refused: spaces and colons between digits are separators
        // as certificates are printed, dropped before sending; see tests/daily_use.rs.)
        "1;2",
        "1&x=2",
        "-1",
        "+1",
        // (`0x1F` is taken, as the hex 1F it writes; what follows a `0x` is checked as
        // any reference is: see tests/one_voice.rs.)
        "0x1F/..",
        "0x",
        "SHA1 Fingerprint=../..",
        "１２３",       // fullwidth digits
        "1․2",          // U+2024 one dot leader
        "١٢٣",          // Arabic-Indic digits
        "12\u{200b}34", // zero-width space
        "",
        &"A".repeat(129), // longer than any thumbprint
    ];
    for reference in references {
        for backend in BACKENDS {
            // An order reference is refused before anything is sent.
            let args = ["--backend", backend, "order", reference];
            let before = server.request_count();
            let output = digicert_at(server.base_url(), &args);
            assert_eq!(exit_code(&output), 2, "{args:?}: {}", text(&output.stderr));
            assert!(!output.stderr.is_empty(), "{args:?}: no reason given");
            assert_eq!(server.request_count(), before, "{args:?} sent a request");
            // `reissues` takes a number: refused, or (`+1`) read as the number it is.
            let args = ["--backend", backend, "reissues", reference];
            let output = digicert_at(server.base_url(), &args);
            assert!(exit_code(&output) >= 1, "{args:?}");
        }
    }
    assert_eq!(off_path(&server), Vec::<String>::new());
    let sent: Vec<String> = server
        .requests()
        .into_iter()
        .map(|r| r.path_and_query)
        .collect();
    assert_eq!(
        sent, ["/services/v2/order/certificate/1/reissue"; 2],
        "only `reissues +1` may send, as order 1"
    );
    // A good reference goes to exactly the path it names.
    server.clear_requests();
    let output = digicert_at(server.base_url(), &["order", "123456"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(
        server.requests()[0].path_and_query,
        "/services/v2/order/certificate/123456"
    );
}

/// The binary with every proxy variable pointing at `proxy`, so any request it sends,
/// wherever to, reaches that server.
fn through(proxy: &RawServer, args: &[&str]) -> Command {
    let url = format!("http://{}", proxy.addr());
    let mut command = command();
    for name in PROXY_VARIABLES {
        command.env(name, &url);
    }
    command.args(["--api-key", KEY]).args(args);
    command
}

#[test]
fn plain_http_is_refused_unless_the_host_is_loopback() {
    let proxy = RawServer::start(RawServer::answer("403 Forbidden", &[], b"")).unwrap();
    // Plain http to loopback never goes through a proxy, which would read the key in clear:
    // with every proxy variable set, the request still goes straight to the server.
    let target = RawServer::ok("application/json", br#"{"id":1,"status":"issued"}"#).unwrap();
    let base = format!("http://{}/services/v2", target.addr());
    for backend in BACKENDS {
        let output = through(
            &proxy,
            &["--backend", backend, "--base-url", &base, "order", "1"],
        )
        .output()
        .unwrap();
        assert_eq!(exit_code(&output), 0, "{backend}: {}", text(&output.stderr));
    }
    assert_eq!(
        target.requests().len(),
        BACKENDS.len(),
        "each backend asked the server directly"
    );
    assert!(
        proxy.requests().is_empty(),
        "a plain-http request went through the proxy"
    );
    let seen = proxy.requests();

    for url in [
        "http://example.com/services/v2",
        "HTTP://EXAMPLE.COM/services/v2",
        "http://www.digicert.com/services/v2",
        "http://10.0.0.1/services/v2",
        "http://0.0.0.0:8080/services/v2",
        "http://127.0.0.1.example.com/services/v2",
        "http://localhost.example.com/services/v2",
        "http://127.0.0.1@example.com/services/v2",
        "http://[::ffff:127.0.0.1]/services/v2",
        "ftp://127.0.0.1/services/v2",
        "www.digicert.com/services/v2",
    ] {
        for backend in BACKENDS {
            let args = ["--backend", backend, "--base-url", url, "order", "1"];
            let output = through(&proxy, &args).output().unwrap();
            let stderr = text(&output.stderr);
            assert_eq!(exit_code(&output), 2, "{url}: {stderr}");
            assert!(stderr.contains("base URL"), "{url}: {stderr}");
        }
    }
    // The same from the environment.
    let output = through(&proxy, &["order", "1"])
        .env("DIGICERT_BASE_URL", "http://example.com/services/v2")
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2, "{}", text(&output.stderr));
    assert_eq!(proxy.requests(), seen, "a refused URL was sent");
}

#[test]
fn redirects_are_never_followed() {
    let target = RawServer::ok("application/json", br#"{"id":1,"status":"issued"}"#).unwrap();
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = format!("{}/order/certificate/1", target.base_url());
        let redirect =
            RawServer::start(RawServer::answer(status, &[("Location", &location)], b"")).unwrap();
        for backend in BACKENDS {
            let output = digicert_at(&redirect.base_url(), &["--backend", backend, "order", "1"]);
            let stderr = text(&output.stderr);
            assert_eq!(exit_code(&output), 1, "{status} {backend}: {stderr}");
            assert!(
                stderr.contains(&format!("unexpected answer {status}")),
                "{status} {backend}: {stderr}"
            );
        }
        assert_eq!(
            redirect.requests().len(),
            2,
            "{status}: once per backend, never retried"
        );
    }
    assert!(
        target.requests().is_empty(),
        "followed: {:?}",
        target.requests()
    );
}
