//! An async [`AsyncTransport`] on [reqwest] and tokio, for async programs.
//!
//! TLS is rustls with the ring provider; it trusts the Mozilla (webpki) root set, the
//! operating system's store ([`TransportConfig::native_roots`]) and any roots added with
//! [`TransportConfig::with_root_certificates_pem`]; https goes through the proxy that
//! `HTTPS_PROXY` names, unless `NO_PROXY` lists the host. Gzip bodies are decoded;
//! one shared [`reqwest::Client`] keeps connections alive between requests.
//! Every HTTP answer, 4xx and 5xx included, comes back as a response; redirects are
//! not followed; the body is capped at [`TransportConfig::max_response_bytes`] while it
//! streams in. Futures must run inside a tokio runtime with its timer enabled.
//!
//! ```no_run
//! use digicert_transport::{AsyncTransport, TransportConfig};
//! use digicert_transport_reqwest::ReqwestTransport;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = ReqwestTransport::new(TransportConfig::default())?;
//! let request = http::Request::get("https://www.digicert.com/services/v2/user/me")
//!     .header("X-DC-DEVKEY", "my-api-key")
//!     .body(Vec::new())?;
//! let response = transport.send(request).await?;
//! println!("{} {} bytes", response.status(), response.body().len());
//! # Ok(())
//! # }
//! ```
//!
//! `send` runs each exchange as a tokio task, so it must be awaited inside a
//! tokio runtime with time enabled.
//!
//! [reqwest]: https://docs.rs/reqwest/0.12
//! [`reqwest::Client`]: https://docs.rs/reqwest/0.12/reqwest/struct.Client.html

use std::error::Error as StdError;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use digicert_transport::{
    AsyncTransport, BodyPool, Request, Response, TransportConfig, TransportError,
    TransportErrorKind,
};

/// Async transport on one shared [`reqwest::Client`], so connections are reused.
///
/// [`reqwest::Client`]: https://docs.rs/reqwest/0.12/reqwest/struct.Client.html
///
/// Cheap to clone: clones share the client and its connection pool.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    /// For https: honours the proxy settings of the environment.
    client: reqwest::Client,
    /// For plain http: never through a proxy, which would read the request (and its key) in clear.
    direct: reqwest::Client,
    max_response_bytes: u64,
    /// Bodies handed back with `recycle`, read into again.
    bodies: Arc<BodyPool>,
}

impl ReqwestTransport {
    /// Builds a transport from the shared settings.
    ///
    /// Fails (kind [`TransportErrorKind::Other`]) only if the client cannot be set up,
    /// e.g. an invalid `User-Agent` value or a TLS initialisation failure.
    pub fn new(config: TransportConfig) -> Result<Self, TransportError> {
        let client = |through_proxy: bool| {
            let mut builder = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.connect_timeout)
                .timeout(config.timeout);
            if through_proxy {
                builder = builder.tls_built_in_native_certs(config.native_roots);
                for der in &config.root_certificates {
                    builder = builder.add_root_certificate(
                        reqwest::Certificate::from_der(der).map_err(|err| {
                            TransportError::new(
                                TransportErrorKind::Other,
                                format!("invalid root certificate: {err}"),
                            )
                            .with_source(err)
                        })?,
                    );
                }
            } else {
                // Plain http only: no proxy, and no need to read the system's roots.
                builder = builder.no_proxy().tls_built_in_native_certs(false);
            }
            if let Some(user_agent) = &config.user_agent {
                builder = builder.user_agent(user_agent.as_str());
            }
            builder.build().map_err(|err| {
                TransportError::new(
                    TransportErrorKind::Other,
                    format!("building the HTTP client failed: {err}"),
                )
                .with_source(err)
            })
        };
        Ok(Self {
            client: client(true)?,
            direct: client(false)?,
            max_response_bytes: config.max_response_bytes,
            bodies: Arc::default(),
        })
    }

    /// Sends the request and reads the whole body; errors are mapped by the caller.
    async fn exchange(&self, request: Request, target: &str) -> Result<Response, TransportError> {
        let request = reqwest::Request::try_from(request).map_err(|err| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("{target}: invalid request: {err}"),
            )
            .with_source(err)
        })?;
        let client = if request.url().scheme() == "http" {
            &self.direct
        } else {
            &self.client
        };
        let mut response = client
            .execute(request)
            .await
            .map_err(|err| map_error(err, target, "request failed"))?;
        // Before the body: while hyper's header values live, its connection buffer is
        // shared, so every read of the body allocates a new one.
        let headers = detach(response.headers());
        response.headers_mut().clear();
        let body = self.read_body(&mut response, target).await?;
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(builder_headers) = builder.headers_mut() {
            *builder_headers = headers;
        }
        builder.body(body).map_err(|err| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("{target}: building the response failed: {err}"),
            )
            .with_source(err)
        })
    }

    /// Reads the body chunk by chunk, refusing it as soon as it is known to be too big.
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        target: &str,
    ) -> Result<Vec<u8>, TransportError> {
        let limit = self.max_response_bytes;
        // Content-Length is only reported when the body is not being decompressed.
        let declared = response.content_length();
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large(target, limit));
        }
        let capacity = declared.map_or(0, |length| usize::try_from(length).unwrap_or(0));
        let mut body = self.bodies.take(capacity);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|err| map_error(err, target, "reading the response body failed"))?
        {
            let total = body.len().saturating_add(chunk.len());
            if u64::try_from(total).map_or(true, |total| total > limit) {
                return Err(too_large(target, limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl AsyncTransport for ReqwestTransport {
    async fn send(&self, request: Request) -> Result<Response, TransportError> {
        // "METHOD URL" names the request in errors; headers never do (they hold the API key).
        let target = format!("{} {}", request.method(), request.uri());
        // The exchange runs as a task of its own, so the body keeps arriving
        // while the caller is busy with something else (decoding the previous page).
        let transport = self.clone();
        let mut task = AbortOnDrop(tokio::spawn(async move {
            transport.exchange(request, &target).await
        }));
        (&mut task.0).await.map_err(|err| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("the request task failed: {err}"),
            )
        })?
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }

    fn recycle(&self, body: Vec<u8>) {
        self.bodies.give(body);
    }
}

/// Copies the headers out of the connection's read buffer.
///
/// hyper hands header values out as slices of that buffer (up to about 400 KB), so a
/// response kept while earlier pages are decoded would keep the whole buffer alive:
/// a 100,000-order pull at `--concurrency 8` held 6.5 MB of these buffers at its
/// peak, against 3.3 MB with copied headers (heaptrack).
fn detach(headers: &http::HeaderMap) -> http::HeaderMap {
    let mut copy = http::HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        // `from_bytes` copies; the value was already valid, so the clone is only a fallback.
        let mut owned =
            http::HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        owned.set_sensitive(value.is_sensitive());
        copy.append(name.clone(), owned);
    }
    copy
}

/// A task that stops when its caller stops waiting for it (a dropped `send`).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The error for a body over the limit, naming the request.
fn too_large(target: &str, limit: u64) -> TransportError {
    let err = TransportError::body_too_large(limit);
    TransportError::new(err.kind(), format!("{target}: {}", err.message()))
}

/// Maps a reqwest error to a kind from reqwest's own predicates and its source chain.
fn map_error(err: reqwest::Error, target: &str, what: &str) -> TransportError {
    let kind = classify(&err);
    // reqwest's Display would repeat the URL; the chain below it says what happened.
    let mut message = format!("{target}: {what}");
    let mut source = StdError::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError::new(kind, message).with_source(err.without_url())
}

/// Timeout and connect first (reqwest knows those), then the first telling cause.
fn classify(err: &reqwest::Error) -> TransportErrorKind {
    if err.is_timeout() {
        return TransportErrorKind::Timeout;
    }
    if err.is_connect() {
        return TransportErrorKind::Connect;
    }
    let mut source = StdError::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return io_kind(io.kind());
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
                return TransportErrorKind::Io;
            }
            if hyper.is_parse() || hyper.is_user() {
                return TransportErrorKind::Other;
            }
        }
        source = cause.source();
    }
    // A body that failed to stream or decode after the headers came is a broken exchange.
    if err.is_body() || err.is_decode() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    }
}

/// Sorts an I/O error: no connection, a timer, or a connection that broke.
fn io_kind(kind: io::ErrorKind) -> TransportErrorKind {
    use io::ErrorKind as K;
    match kind {
        K::ConnectionRefused
        | K::AddrNotAvailable
        | K::NetworkUnreachable
        | K::HostUnreachable
        | K::NetworkDown => TransportErrorKind::Connect,
        K::TimedOut => TransportErrorKind::Timeout,
        _ => TransportErrorKind::Io,
    }
}
