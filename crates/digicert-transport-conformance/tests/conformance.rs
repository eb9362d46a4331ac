//! One conformance suite for every transport backend.
//!
//! Each case is a plain function taking a [`Backend`]; the `conformance!` macro at the
//! bottom turns every case into one `#[test]` per backend. The blocking backend is called
//! directly, the async one inside a tokio runtime, through the small [`Sender`] adapter.
//! The server is a raw HTTP/1.1 responder on 127.0.0.1 (port 0), so cases can misbehave
//! on purpose: stall, cut a body short, stream forever. Nothing here reaches the internet.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use digicert_transport::{
    AsyncTransport, BlockingTransport, Request, Response, TransportConfig, TransportError,
    TransportErrorKind,
};
use digicert_transport_reqwest::ReqwestTransport;
use digicert_transport_ureq::UreqTransport;

// ---------------------------------------------------------------------------------------
// Adapter: one synchronous face for both kinds of backend.
// ---------------------------------------------------------------------------------------

/// What a case needs from a backend, whether it is blocking or async.
trait Sender {
    fn send(&self, request: Request) -> Result<Response, TransportError>;
    fn sleep(&self, duration: Duration);
    fn recycle(&self, body: Vec<u8>);
}

/// A blocking transport, called directly.
struct Blocking<T>(T);

impl<T: BlockingTransport> Sender for Blocking<T> {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        self.0.send(request)
    }
    fn sleep(&self, duration: Duration) {
        self.0.sleep(duration);
    }
    fn recycle(&self, body: Vec<u8>) {
        self.0.recycle(body);
    }
}

/// An async transport, driven to completion on its own tokio runtime.
struct Async<T> {
    runtime: tokio::runtime::Runtime,
    transport: T,
}

impl<T: AsyncTransport> Sender for Async<T> {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        self.runtime.block_on(self.transport.send(request))
    }
    fn sleep(&self, duration: Duration) {
        self.runtime.block_on(self.transport.sleep(duration));
    }
    fn recycle(&self, body: Vec<u8>) {
        self.transport.recycle(body);
    }
}

/// The backends under test.
#[derive(Debug, Clone, Copy)]
enum Backend {
    Ureq,
    Reqwest,
}

impl Backend {
    /// A transport of this backend built from `config`.
    fn transport(self, config: TransportConfig) -> Box<dyn Sender> {
        match self {
            Backend::Ureq => Box::new(Blocking(UreqTransport::new(config))),
            Backend::Reqwest => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let transport = ReqwestTransport::new(config).unwrap();
                Box::new(Async { runtime, transport })
            }
        }
    }

    /// A transport with settings short enough for fast tests.
    fn default_transport(self) -> Box<dyn Sender> {
        self.transport(test_config())
    }
}

/// Default settings with a timeout that keeps a hung case from hanging the suite.
fn test_config() -> TransportConfig {
    TransportConfig::default()
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout(Duration::from_secs(10))
}

// ---------------------------------------------------------------------------------------
// Loopback server writing raw HTTP/1.1.
// ---------------------------------------------------------------------------------------

/// A request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Whether the server keeps the connection open for another request.
#[derive(PartialEq)]
enum After {
    KeepAlive,
    Close,
}

type Handler = dyn Fn(&Seen, &mut TcpStream) -> After + Send + Sync;

/// A server that records requests and answers each with `handler`.
struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start(handler: impl Fn(&Seen, &mut TcpStream) -> After + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (seen2, connections2) = (Arc::clone(&seen), Arc::clone(&connections));
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                connections2.fetch_add(1, Ordering::SeqCst);
                let (handler, seen) = (Arc::clone(&handler), Arc::clone(&seen2));
                thread::spawn(move || serve(stream, &*handler, &seen));
            }
        });
        Server {
            addr,
            seen,
            connections,
        }
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{}", self.addr, path_and_query)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Answers requests on one connection until the client or the handler closes it.
fn serve(stream: TcpStream, handler: &Handler, seen: &Mutex<Vec<Seen>>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        seen.lock().unwrap().push(request.clone());
        if handler(&request, &mut writer) == After::Close {
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

/// Reads one request (Content-Length bodies only); `None` at end of stream.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

/// Writes a complete response with a Content-Length; write errors are the client's doing.
fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

fn get(url: &str) -> Request {
    http::Request::get(url).body(Vec::new()).unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Asserts `result` failed with `kind`, and that its message leaks no request header.
fn expect_error(
    result: Result<Response, TransportError>,
    kind: TransportErrorKind,
) -> TransportError {
    let err = match result {
        Ok(response) => panic!("expected {kind:?}, got response {}", response.status()),
        Err(err) => err,
    };
    assert_eq!(err.kind(), kind, "wrong kind for error: {err}");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("secret-key"),
        "error leaks a header: {shown}"
    );
    err
}

/// A request carrying an API-key header, to check errors never show it.
fn get_with_key(url: &str) -> Request {
    http::Request::get(url)
        .header("X-DC-DEVKEY", "secret-key")
        .body(Vec::new())
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// Cases.
// ---------------------------------------------------------------------------------------

fn status_pass_through(backend: Backend) {
    let server = Server::start(|seen, stream| {
        match seen.target.as_str() {
            "/ok" => respond(stream, "200 OK", &[], b"fine"),
            "/missing" => respond(stream, "404 Not Found", &[], b"no such order"),
            _ => respond(
                stream,
                "503 Service Unavailable",
                &[("Retry-After", "7")],
                b"try later",
            ),
        }
        After::KeepAlive
    });
    let transport = backend.default_transport();
    for (path, status, body) in [
        ("/ok", 200, "fine"),
        ("/missing", 404, "no such order"),
        ("/busy", 503, "try later"),
    ] {
        let response = transport.send(get(&server.url(path))).unwrap();
        assert_eq!(response.status(), status, "{path}");
        assert_eq!(response.body(), body.as_bytes(), "{path}");
    }
}

fn request_arrives_as_sent(backend: Backend) {
    let server = Server::start(|_, stream| {
        respond(stream, "201 Created", &[], b"{}");
        After::KeepAlive
    });
    let transport = backend.default_transport();
    let body = br#"{"certificate":{"common_name":"example.com"}}"#.to_vec();
    let request =
        http::Request::post(server.url("/services/v2/order?limit=2&filters[status]=issued"))
            .header("X-DC-DEVKEY", "secret-key")
            .header("Content-Type", "application/json")
            .header("X-Repeated", "one")
            .header("X-Repeated", "two")
            .body(body.clone())
            .unwrap();
    let response = transport.send(request).unwrap();
    assert_eq!(response.status(), 201);

    let request = http::Request::delete(server.url("/services/v2/order/42"))
        .body(Vec::new())
        .unwrap();
    assert_eq!(transport.send(request).unwrap().status(), 201);

    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let post = &seen[0];
    assert_eq!(post.method, "POST");
    assert_eq!(
        post.target,
        "/services/v2/order?limit=2&filters[status]=issued"
    );
    assert_eq!(post.header("x-dc-devkey"), Some("secret-key"));
    assert_eq!(post.header("content-type"), Some("application/json"));
    let repeated: Vec<_> = post
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("x-repeated"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(repeated, ["one", "two"]);
    assert_eq!(post.body, body);
    assert_eq!(post.header("host"), Some(server.addr.to_string().as_str()));

    let delete = &seen[1];
    assert_eq!(delete.method, "DELETE");
    assert_eq!(delete.target, "/services/v2/order/42");
    assert!(delete.body.is_empty());
}

fn user_agent_from_config(backend: Backend) {
    let server = Server::start(|_, stream| {
        respond(stream, "200 OK", &[], b"");
        After::KeepAlive
    });
    let transport = backend.transport(test_config().with_user_agent("conformance/1.0"));
    transport.send(get(&server.url("/"))).unwrap();
    // A User-Agent on the request itself wins over the configured one.
    let request = http::Request::get(server.url("/"))
        .header("User-Agent", "per-request/2.0")
        .body(Vec::new())
        .unwrap();
    transport.send(request).unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].header("user-agent"), Some("conformance/1.0"));
    assert_eq!(seen[1].header("user-agent"), Some("per-request/2.0"));
}

fn response_headers_kept(backend: Backend) {
    let server = Server::start(|_, stream| {
        let headers = [
            ("Set-Cookie", "a=1; Path=/"),
            ("X-Request-Id", "abc-123"),
            ("Set-Cookie", "b=2; Path=/"),
            ("Content-Type", "application/json"),
        ];
        respond(stream, "200 OK", &headers, b"[]");
        After::KeepAlive
    });
    let response = backend
        .default_transport()
        .send(get(&server.url("/")))
        .unwrap();
    let cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=2; Path=/"]);
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["content-length"], "2");
}

fn gzip_body_decoded(backend: Backend) {
    let plain = b"{\"orders\":[]} ".repeat(200);
    let compressed = gzip(&plain);
    assert!(compressed.len() < plain.len());
    let server = Server::start(move |_, stream| {
        respond(
            stream,
            "200 OK",
            &[("Content-Encoding", "gzip")],
            &compressed,
        );
        After::KeepAlive
    });
    let response = backend
        .default_transport()
        .send(get(&server.url("/")))
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), &plain);
    // The body is no longer encoded, so the headers no longer say it is.
    assert!(response.headers().get("content-encoding").is_none());
    let accept = server.seen()[0]
        .header("accept-encoding")
        .unwrap_or("")
        .to_owned();
    assert!(accept.contains("gzip"), "Accept-Encoding was {accept:?}");
}

fn redirect_not_followed(backend: Backend) {
    let server = Server::start(|_, stream| {
        respond(stream, "302 Found", &[("Location", "/elsewhere")], b"moved");
        After::KeepAlive
    });
    let response = backend
        .default_transport()
        .send(get(&server.url("/start")))
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/elsewhere");
    assert_eq!(response.body(), b"moved");
    let targets: Vec<_> = server.seen().into_iter().map(|s| s.target).collect();
    assert_eq!(targets, ["/start"]);
}

fn connection_reused(backend: Backend) {
    let server = Server::start(|_, stream| {
        respond(stream, "200 OK", &[], b"again");
        After::KeepAlive
    });
    let transport = backend.default_transport();
    for _ in 0..3 {
        assert_eq!(
            transport.send(get(&server.url("/"))).unwrap().body(),
            b"again"
        );
    }
    assert_eq!(server.seen().len(), 3);
    assert_eq!(server.connections(), 1);
}

fn timeout_waiting_for_response(backend: Backend) {
    let server = Server::start(|_, stream| {
        thread::sleep(Duration::from_secs(3));
        respond(stream, "200 OK", &[], b"too late");
        After::Close
    });
    expect_quick_timeout(backend, &server.url("/slow"));
}

fn timeout_covers_body(backend: Backend) {
    let server = Server::start(|_, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
        let _ = stream.flush();
        thread::sleep(Duration::from_secs(3));
        After::Close
    });
    expect_quick_timeout(backend, &server.url("/"));
}

/// A GET with a 300 ms timeout to a server that stalls for 3 s ends in a Timeout error, soon.
fn expect_quick_timeout(backend: Backend, url: &str) {
    let transport = backend.transport(test_config().with_timeout(Duration::from_millis(300)));
    let started = Instant::now();
    expect_error(
        transport.send(get_with_key(url)),
        TransportErrorKind::Timeout,
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

fn connection_closed_mid_body(backend: Backend) {
    let server = Server::start(|_, stream| {
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b");
        After::Close
    });
    let err = expect_error(
        backend
            .default_transport()
            .send(get_with_key(&server.url("/cut"))),
        TransportErrorKind::Io,
    );
    assert!(
        err.to_string().contains("/cut"),
        "message names the URL: {err}"
    );
}

fn connection_closed_before_response(backend: Backend) {
    let server = Server::start(|_, _| After::Close);
    expect_error(
        backend
            .default_transport()
            .send(get_with_key(&server.url("/"))),
        TransportErrorKind::Io,
    );
}

fn connection_refused(backend: Backend) {
    // Bind, note the port, and close: nothing listens there any more.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let err = expect_error(
        backend
            .default_transport()
            .send(get_with_key(&format!("http://{addr}/"))),
        TransportErrorKind::Connect,
    );
    assert!(
        std::error::Error::source(&err).is_some(),
        "keeps the cause: {err:?}"
    );
}

fn body_too_large_declared(backend: Backend) {
    // Declares 1 GiB and streams until the client hangs up.
    let server = Server::start(|_, stream| {
        let head = "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        let chunk = [b'x'; 16 * 1024];
        while stream.write_all(&chunk).is_ok() {}
        After::Close
    });
    let transport = backend.transport(test_config().with_max_response_bytes(4096));
    let started = Instant::now();
    expect_error(
        transport.send(get(&server.url("/"))),
        TransportErrorKind::BodyTooLarge,
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn body_too_large_streamed(backend: Backend) {
    // Chunked, so no length is declared; the server never stops on its own.
    let server = Server::start(|_, stream| {
        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let _ = stream.write_all(head.as_bytes());
        let chunk = format!("400\r\n{}\r\n", "x".repeat(1024));
        while stream.write_all(chunk.as_bytes()).is_ok() {}
        After::Close
    });
    let transport = backend.transport(test_config().with_max_response_bytes(4096));
    expect_error(
        transport.send(get(&server.url("/"))),
        TransportErrorKind::BodyTooLarge,
    );
}

fn body_too_large_after_gzip(backend: Backend) {
    // Small on the wire, large once decoded: the limit applies to what lands in memory.
    let compressed = gzip(&vec![b'0'; 1024 * 1024]);
    assert!(compressed.len() < 4096);
    let server = Server::start(move |_, stream| {
        respond(
            stream,
            "200 OK",
            &[("Content-Encoding", "gzip")],
            &compressed,
        );
        After::KeepAlive
    });
    let transport = backend.transport(test_config().with_max_response_bytes(4096));
    expect_error(
        transport.send(get(&server.url("/"))),
        TransportErrorKind::BodyTooLarge,
    );
}

fn body_at_limit_accepted(backend: Backend) {
    let server = Server::start(|seen, stream| {
        let body = match seen.target.as_str() {
            "/chunked" => {
                let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
                let body = format!("{head}800\r\n{}\r\n0\r\n\r\n", "y".repeat(2048));
                let _ = stream.write_all(body.as_bytes());
                return After::KeepAlive;
            }
            _ => vec![b'y'; 2048],
        };
        respond(stream, "200 OK", &[], &body);
        After::KeepAlive
    });
    let transport = backend.transport(test_config().with_max_response_bytes(2048));
    for path in ["/sized", "/chunked"] {
        let response = transport.send(get(&server.url(path))).unwrap();
        assert_eq!(response.body().len(), 2048, "{path}");
    }
}

fn recycled_body_reused_empty(backend: Backend) {
    let server = Server::start(|seen, stream| {
        match seen.target.as_str() {
            "/long" => respond(stream, "200 OK", &[], &[b'a'; 65536]),
            "/chunked" => {
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\ncc\r\n0\r\n\r\n",
                );
            }
            _ => respond(stream, "200 OK", &[], b"b"),
        }
        After::KeepAlive
    });
    let transport = backend.default_transport();
    for (path, expected) in [("/sized", &b"b"[..]), ("/chunked", b"cc")] {
        let long = transport.send(get(&server.url("/long"))).unwrap();
        let memory = long.body().as_ptr();
        transport.recycle(long.into_body());
        let short = transport.send(get(&server.url(path))).unwrap();
        assert_eq!(
            short.body(),
            expected,
            "{path}: nothing of the long body shows"
        );
        assert_eq!(
            short.body().as_ptr(),
            memory,
            "{path}: read into the recycled body"
        );
    }
}

fn empty_body(backend: Backend) {
    let server = Server::start(|_, stream| {
        let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
        After::KeepAlive
    });
    let response = backend
        .default_transport()
        .send(get(&server.url("/")))
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.body().is_empty());
}

fn sleep_waits(backend: Backend) {
    let transport = backend.default_transport();
    let started = Instant::now();
    transport.sleep(Duration::from_millis(50));
    assert!(started.elapsed() >= Duration::from_millis(50));
}

fn dns_failure(backend: Backend) {
    // `.invalid` never resolves (RFC 6761), but asking still goes to the system resolver.
    expect_error(
        backend
            .default_transport()
            .send(get_with_key("http://no-such-host.invalid/")),
        TransportErrorKind::Connect,
    );
}

/// Runs every case once per backend, as separately named tests; cases after `ignored:`
/// need something beyond loopback and run only with `--ignored`.
macro_rules! conformance {
    ($($case:ident),* $(,)? ; ignored: $($ignored:ident),* $(,)?) => {
        conformance!(@backend ureq, Ureq, [$($case),*], [$($ignored),*]);
        conformance!(@backend reqwest, Reqwest, [$($case),*], [$($ignored),*]);
    };
    (@backend $module:ident, $backend:ident, [$($case:ident),*], [$($ignored:ident),*]) => {
        mod $module {
            $(#[test] fn $case() { super::$case(super::Backend::$backend) })*
            $(
                #[test]
                #[ignore = "asks the system DNS resolver"]
                fn $ignored() { super::$ignored(super::Backend::$backend) }
            )*
        }
    };
}

conformance!(
    status_pass_through,
    request_arrives_as_sent,
    user_agent_from_config,
    response_headers_kept,
    gzip_body_decoded,
    redirect_not_followed,
    connection_reused,
    timeout_waiting_for_response,
    timeout_covers_body,
    connection_closed_mid_body,
    connection_closed_before_response,
    connection_refused,
    body_too_large_declared,
    body_too_large_streamed,
    body_too_large_after_gzip,
    body_at_limit_accepted,
    recycled_body_reused_empty,
    empty_body,
    sleep_waits;
    ignored: dns_failure,
);
