//! What the integration tests share: a server with a fixed dataset and a raw blocking client.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use digicert_mock::{MockConfig, MockServer};
use digicert_model::{ErrorBody, decode_json};
use digicert_transport::{BlockingTransport, Response, TransportConfig, TransportError};
use digicert_transport_ureq::UreqTransport;

/// SHA-1 over `der`, upper-case hex: a certificate's thumbprint as CertCentral writes it.
pub fn sha1_hex(der: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der)
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect()
}

/// The API key of test servers.
pub const KEY: &str = "test-key";

/// "Now" of the fixed dataset: midday of the day US Mountain Time switched to daylight time.
pub fn reference() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap()
}

/// A server on a thread of its own, with the default 2,500 orders fixed at [`reference`].
pub fn server() -> MockServer {
    MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_reference_time(reference()),
    )
    .unwrap()
}

/// A [`server`] and a [`Client`] for it.
pub fn start() -> (MockServer, Client) {
    let server = server();
    let client = Client::new(&server);
    (server, client)
}

/// Sends raw requests to one server.
pub struct Client {
    transport: UreqTransport,
    base_url: String,
}

impl Client {
    /// A client with a 10 s timeout.
    pub fn new(server: &MockServer) -> Self {
        Self::with_timeout(server, Duration::from_secs(10))
    }

    /// A client that gives up after `timeout`.
    pub fn with_timeout(server: &MockServer, timeout: Duration) -> Self {
        let config = TransportConfig::default().with_timeout(timeout);
        Self {
            transport: UreqTransport::new(config),
            base_url: server.base_url().to_owned(),
        }
    }

    /// `GET base_url + path` with `key` (if any) in `X-DC-DEVKEY`.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
    ) -> Result<Response, TransportError> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base_url));
        if let Some(key) = key {
            request = request.header("X-DC-DEVKEY", key);
        }
        self.transport.send(request.body(Vec::new()).unwrap())
    }

    /// `GET` with the right key.
    pub fn get(&self, path: &str) -> Result<Response, TransportError> {
        self.send("GET", path, Some(KEY))
    }

    /// `GET` with the right key, expecting 200.
    pub fn ok(&self, path: &str) -> Response {
        let response = self.get(path).unwrap();
        assert_eq!(
            response.status(),
            200,
            "{path}: {}",
            String::from_utf8_lossy(response.body())
        );
        response
    }
}

/// The status and DigiCert error code of an error answer.
pub fn error(response: &Response) -> (u16, String) {
    assert_eq!(content_type(response), "application/json");
    let body: ErrorBody = decode_json(response.body()).unwrap();
    assert_eq!(body.errors.len(), 1);
    (
        response.status().as_u16(),
        body.errors[0].code.as_str().to_owned(),
    )
}

/// Asserts that `GET path` answers `status` with DigiCert's error `code`.
pub fn assert_error(client: &Client, path: &str, status: u16, code: &str) {
    let response = client.get(path).unwrap();
    assert_eq!(error(&response), (status, code.to_owned()), "{path}");
}

/// The answer's content type.
pub fn content_type(response: &Response) -> &str {
    response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
}
