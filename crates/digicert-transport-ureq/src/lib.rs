//! A blocking [`BlockingTransport`] on [ureq] 3, for programs that want no async runtime.
//!
//! TLS is rustls with the ring provider; it trusts the Mozilla (webpki) root set, the
//! operating system's store ([`TransportConfig::native_roots`]) and any roots added with
//! [`TransportConfig::with_root_certificates_pem`]; https goes through the proxy that
//! `HTTPS_PROXY` names, unless `NO_PROXY` lists the host. Gzip bodies are decoded;
//! one shared [`ureq::Agent`] keeps connections alive between requests.
//! Every HTTP answer, 4xx and 5xx included, comes back as a response; redirects are
//! not followed; the body is capped at [`TransportConfig::max_response_bytes`].
//! Nothing here depends on tokio.
//!
//! ```no_run
//! use digicert_transport::{BlockingTransport, TransportConfig};
//! use digicert_transport_ureq::UreqTransport;
//!
//! let transport = UreqTransport::new(TransportConfig::default().with_user_agent("my-tool/1.0"));
//! let request = http::Request::get("https://www.digicert.com/services/v2/user/me")
//!     .header("X-DC-DEVKEY", "my-api-key")
//!     .body(Vec::new())?;
//! let response = transport.send(request)?;
//! println!("{} {} bytes", response.status(), response.body().len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [ureq]: https://docs.rs/ureq/3
//! [`ureq::Agent`]: https://docs.rs/ureq/3/ureq/struct.Agent.html

use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use digicert_transport::{
    BlockingTransport, BodyPool, Request, Response, TransportConfig, TransportError,
    TransportErrorKind,
};
use http::Method;

/// Blocking transport on one shared ureq [`ureq::Agent`], so connections are reused.
///
/// [`ureq::Agent`]: https://docs.rs/ureq/3/ureq/struct.Agent.html
///
/// Cheap to clone: clones share the agent and its connection pool.
#[derive(Debug, Clone)]
pub struct UreqTransport {
    /// For https: honours the proxy settings of the environment.
    agent: ureq::Agent,
    /// For plain http: never through a proxy, which would read the request (and its key) in clear.
    direct: ureq::Agent,
    max_response_bytes: u64,
    /// Bodies handed back with `recycle`, read into again.
    bodies: Arc<BodyPool>,
}

impl UreqTransport {
    /// Builds a transport from the shared settings.
    pub fn new(config: TransportConfig) -> Self {
        let roots = root_certs(&config);
        let agent = |through_proxy: bool| -> ureq::Agent {
            let mut builder = ureq::Agent::config_builder()
                // 4xx and 5xx are answers for the caller to judge, not transport failures.
                .http_status_as_error(false)
                // Redirects are returned as they are; with 0 ureq never errors on them.
                .max_redirects(0)
                .timeout_resolve(Some(config.connect_timeout))
                .timeout_connect(Some(config.connect_timeout))
                .timeout_global(Some(config.timeout));
            if through_proxy {
                // Only this agent speaks https; the direct one never needs roots.
                let tls = ureq::tls::TlsConfig::builder().root_certs(roots.clone());
                builder = builder.tls_config(tls.build());
            } else {
                builder = builder.proxy(None);
            }
            if let Some(user_agent) = &config.user_agent {
                builder = builder.user_agent(user_agent.as_str());
            }
            builder.build().into()
        };
        Self {
            agent: agent(true),
            direct: agent(false),
            max_response_bytes: config.max_response_bytes,
            bodies: Arc::default(),
        }
    }

    /// Sends the request and returns the response with its body not yet read.
    fn call(&self, request: Request) -> Result<http::Response<ureq::Body>, ureq::Error> {
        let (parts, body) = request.into_parts();
        // An empty body on GET, DELETE etc. is "no body" (no `Content-Length: 0` line);
        // methods that expect a body still send an explicit empty one.
        let expects_body = matches!(parts.method, Method::POST | Method::PUT | Method::PATCH);
        let agent = if parts.uri.scheme_str() == Some("http") {
            &self.direct
        } else {
            &self.agent
        };
        if body.is_empty() && !expects_body {
            agent.run(http::Request::from_parts(parts, ()))
        } else {
            agent.run(http::Request::from_parts(parts, body))
        }
    }

    /// Reads the whole (decoded) body, refusing it as soon as it is known to be too big.
    fn read_body(&self, body: &mut ureq::Body, target: &str) -> Result<Vec<u8>, TransportError> {
        let limit = self.max_response_bytes;
        // Content-Length is only reported when the body is not being decompressed.
        let declared = body.content_length();
        if declared.is_some_and(|length| length > limit) {
            return Err(too_large(target, limit));
        }
        let capacity = declared.map_or(0, |length| usize::try_from(length).unwrap_or(0));
        let mut buffer = self.bodies.take(capacity);
        body.with_config()
            .limit(limit)
            .reader()
            .read_to_end(&mut buffer)
            // ureq's own errors come through `Read` wrapped in io::Error; this unwraps them.
            .map_err(ureq::Error::from)
            .map_err(|err| match err {
                ureq::Error::BodyExceedsLimit(_) => too_large(target, limit),
                other => map_error(other, target, Phase::Body),
            })?;
        Ok(buffer)
    }
}

impl Default for UreqTransport {
    /// A transport with [`TransportConfig::default`] settings.
    fn default() -> Self {
        Self::new(TransportConfig::default())
    }
}

impl BlockingTransport for UreqTransport {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        // "METHOD URL" names the request in errors; headers never do (they hold the API key).
        let target = format!("{} {}", request.method(), request.uri());
        let response = self.call(request).map_err(|err| match err {
            // On the way out this means the request body did not match its length.
            ureq::Error::BodyExceedsLimit(_) => TransportError::new(
                TransportErrorKind::Other,
                format!("{target}: request body length mismatch"),
            )
            .with_source(err),
            other => map_error(other, &target, Phase::Send),
        })?;
        let (mut parts, mut body) = response.into_parts();
        let body = self.read_body(&mut body, &target)?;
        // ureq's own bookkeeping (final URI, timings) means nothing to callers.
        parts.extensions = http::Extensions::new();
        Ok(http::Response::from_parts(parts, body))
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn recycle(&self, body: Vec<u8>) {
        self.bodies.give(body);
    }
}

/// The roots to trust: the Mozilla set, plus the system's and the configured ones if any.
///
/// System certificates that cannot be read or parsed are skipped, as reqwest does: a store
/// often holds a few ancient ones.
fn root_certs(config: &TransportConfig) -> ureq::tls::RootCerts {
    use ureq::tls::{Certificate, RootCerts};
    if !config.native_roots && config.root_certificates.is_empty() {
        return RootCerts::WebPki;
    }
    let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()))
        .collect();
    if config.native_roots {
        let native = rustls_native_certs::load_native_certs();
        roots.extend(
            native
                .certs
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
        );
    }
    roots.extend(
        config
            .root_certificates
            .iter()
            .map(|der| Certificate::from_der(der).to_owned()),
    );
    RootCerts::from(roots)
}

/// The error for a body over the limit, naming the request.
fn too_large(target: &str, limit: u64) -> TransportError {
    let err = TransportError::body_too_large(limit);
    TransportError::new(err.kind(), format!("{target}: {}", err.message()))
}

/// Where the exchange was when it failed, which decides what an I/O error means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Resolving, connecting, sending, waiting for the response head.
    Send,
    /// Reading the response body.
    Body,
}

/// Maps a ureq error to a kind by its variant (and, for I/O, by its `io::ErrorKind`).
fn map_error(err: ureq::Error, target: &str, phase: Phase) -> TransportError {
    let kind = match &err {
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::TlsRequired => TransportErrorKind::Connect,
        ureq::Error::Io(io) => io_kind(io.kind(), phase),
        ureq::Error::Decompress(_, io) if is_broken_connection(io.kind()) => TransportErrorKind::Io,
        ureq::Error::BodyExceedsLimit(_) => TransportErrorKind::BodyTooLarge,
        _ => TransportErrorKind::Other,
    };
    let what = match phase {
        Phase::Send => "request failed",
        Phase::Body => "reading the response body failed",
    };
    TransportError::new(kind, format!("{target}: {what}: {err}")).with_source(err)
}

/// Sorts an I/O error: a timer, a connection that broke, or no connection at all.
///
/// Before the response head, only EOF/reset/abort/broken pipe mean an open connection
/// broke; any other I/O error (refused, unreachable, and DNS lookup failures, which std
/// reports with an uncategorized kind) means no connection was made.
fn io_kind(kind: io::ErrorKind, phase: Phase) -> TransportErrorKind {
    use io::ErrorKind as K;
    match kind {
        K::TimedOut | K::WouldBlock => TransportErrorKind::Timeout,
        K::ConnectionRefused
        | K::AddrNotAvailable
        | K::NetworkUnreachable
        | K::HostUnreachable
        | K::NetworkDown => TransportErrorKind::Connect,
        _ if phase == Phase::Body || is_broken_connection(kind) => TransportErrorKind::Io,
        _ => TransportErrorKind::Connect,
    }
}

/// Whether an I/O error means the peer went away mid-stream.
fn is_broken_connection(kind: io::ErrorKind) -> bool {
    use io::ErrorKind as K;
    matches!(
        kind,
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(err: ureq::Error, phase: Phase) -> TransportErrorKind {
        map_error(err, "GET http://x/", phase).kind()
    }

    fn io(kind: io::ErrorKind) -> ureq::Error {
        ureq::Error::Io(io::Error::from(kind))
    }

    #[test]
    fn timeouts() {
        let err = ureq::Error::Timeout(ureq::Timeout::Connect);
        assert_eq!(kind_of(err, Phase::Send), TransportErrorKind::Timeout);
        assert_eq!(
            kind_of(io(io::ErrorKind::TimedOut), Phase::Body),
            TransportErrorKind::Timeout
        );
    }

    #[test]
    fn no_connection() {
        for err in [
            ureq::Error::HostNotFound,
            ureq::Error::ConnectionFailed,
            io(io::ErrorKind::ConnectionRefused),
            // std reports failed DNS lookups with a kind outside the broken-connection set.
            ureq::Error::Io(io::Error::other("failed to lookup address information")),
        ] {
            assert_eq!(kind_of(err, Phase::Send), TransportErrorKind::Connect);
        }
    }

    #[test]
    fn broken_connection() {
        for kind in [io::ErrorKind::UnexpectedEof, io::ErrorKind::ConnectionReset] {
            assert_eq!(kind_of(io(kind), Phase::Send), TransportErrorKind::Io);
            assert_eq!(kind_of(io(kind), Phase::Body), TransportErrorKind::Io);
        }
        let other = ureq::Error::Io(io::Error::other("odd"));
        assert_eq!(kind_of(other, Phase::Body), TransportErrorKind::Io);
    }

    #[test]
    fn everything_else_is_other() {
        let err = ureq::Error::BadUri("nope".into());
        assert_eq!(kind_of(err, Phase::Send), TransportErrorKind::Other);
    }

    #[test]
    fn message_names_the_request() {
        let err = map_error(
            io(io::ErrorKind::UnexpectedEof),
            "GET http://x/y",
            Phase::Body,
        );
        assert!(
            err.to_string()
                .starts_with("I/O error: GET http://x/y: reading")
        );
        assert!(std::error::Error::source(&err).is_some());
    }
}
