//! Loopback TLS endpoints for probes to dial: chosen certificate chains, per address
//! (127.0.0.x) and per server name (SNI), all on one port.
//!
//! [`TlsEndpoints`] binds every address its entries name on the same port, so that one host
//! name can point at several nodes (curl's `--resolve host:PORT:127.0.0.2,127.0.0.3`) that
//! serve different certificates. It answers the TLS handshake only (or, for
//! [`TlsEntry::alert`], a fatal alert), then closes the connection, and counts the handshakes each address saw (a `ClientHello` read, whether
//! or not the client went on), so a test can tell that each node was dialled once. On
//! Linux every address of 127.0.0.0/8 is local; elsewhere the addresses other than
//! 127.0.0.1 may need to be added to the loopback interface first.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::LazyConfigAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::server::{Acceptor, ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;

use crate::certs::{CertificateError, IssuedCertificate, MockCa};
use crate::runner::{Runner, Running, spawn_thread, stop_signal};

/// How long a client may take over its part of the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports to try for one that is free on every address.
const PORT_ATTEMPTS: usize = 20;

/// One certificate chain to serve: on an address, to the clients that ask for a server name
/// (or to any client of that address, without one).
///
/// ```
/// use std::net::Ipv4Addr;
/// use digicert_mock::{MockCa, TlsEntry};
///
/// # fn demo(chain: Vec<Vec<u8>>) -> Result<(), digicert_mock::CertificateError> {
/// let key = MockCa::get()?.leaf_key_der().to_vec();
/// let entry = TlsEntry::new(Ipv4Addr::new(127, 0, 0, 2), chain, key)
///     .with_server_name("shop1.example.com");
/// assert_eq!(entry.server_name(), Some("shop1.example.com"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TlsEntry {
    addr: Ipv4Addr,
    server_name: Option<String>,
    chain: Vec<Vec<u8>>,
    key: Vec<u8>,
    /// Answers with a fatal alert instead of a chain.
    alert: bool,
}

impl fmt::Debug for TlsEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsEntry")
            .field("addr", &self.addr)
            .field("server_name", &self.server_name)
            .field("chain", &self.chain.len())
            .field("alert", &self.alert)
            .finish_non_exhaustive()
    }
}

impl TlsEntry {
    /// Serves `chain` (DER, leaf first) with `key` (PKCS#8 DER) on `addr`, to every client
    /// whose server name no other entry of `addr` names.
    pub fn new(addr: Ipv4Addr, chain: Vec<Vec<u8>>, key: Vec<u8>) -> Self {
        Self {
            addr,
            server_name: None,
            chain,
            key,
            alert: false,
        }
    }

    /// Answers every `ClientHello` on `addr` with a fatal TLS alert (`access_denied`, as
    /// rustls sends when it has no certificate for the client) instead of a chain.
    pub fn alert(addr: Ipv4Addr) -> Self {
        Self {
            alert: true,
            ..Self::new(addr, Vec::new(), Vec::new())
        }
    }

    /// Serves one of the mock's certificates, with the mock CA after it and the shared key.
    pub fn for_certificate(
        addr: Ipv4Addr,
        certificate: &IssuedCertificate,
    ) -> Result<Self, CertificateError> {
        let key = MockCa::get()?.leaf_key_der().to_vec();
        Ok(Self::new(addr, certificate.chain_der(), key))
    }

    /// Serves the chain only to clients that ask for `server_name` (SNI; in any case).
    #[must_use]
    pub fn with_server_name(mut self, server_name: impl Into<String>) -> Self {
        self.server_name = Some(server_name.into());
        self
    }

    /// The address it is served on.
    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The server name it is served for; `None` for any.
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The TLS server configuration that serves this chain.
    fn config(&self) -> io::Result<Arc<ServerConfig>> {
        let invalid = |err: &dyn fmt::Display| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot serve the chain for {} ({}): {err}",
                    self.addr,
                    self.server_name.as_deref().unwrap_or("any name")
                ),
            )
        };
        let builder = ServerConfig::builder_with_provider(Arc::new(default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|err| invalid(&err))?
            .with_no_client_auth();
        if self.alert {
            return Ok(Arc::new(
                builder.with_cert_resolver(Arc::new(NoCertificate)),
            ));
        }
        let chain = self
            .chain
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        let config = builder
            .with_single_cert(chain, key)
            .map_err(|err| invalid(&err))?;
        Ok(Arc::new(config))
    }
}

/// A certificate resolver that has none: rustls answers the `ClientHello` with a fatal alert.
#[derive(Debug)]
struct NoCertificate;

impl ResolvesServerCert for NoCertificate {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        None
    }
}

/// One handshake an endpoint saw: where, and for which server name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Handshake {
    /// The address dialled.
    pub addr: Ipv4Addr,
    /// The server name the client asked for (SNI), if any.
    pub server_name: Option<String>,
    /// Whether an entry served it (else the connection was closed at once).
    pub served: bool,
}

/// The chains of one address, by server name (lower case), and the default one.
#[derive(Default)]
struct Chains {
    by_name: BTreeMap<String, Arc<ServerConfig>>,
    default: Option<Arc<ServerConfig>>,
}

impl Chains {
    fn pick(&self, server_name: Option<&str>) -> Option<Arc<ServerConfig>> {
        server_name
            .and_then(|name| self.by_name.get(&name.to_ascii_lowercase()))
            .or(self.default.as_ref())
            .cloned()
    }
}

/// What the accept loops share.
struct Shared {
    chains: BTreeMap<Ipv4Addr, Chains>,
    handshakes: Mutex<Vec<Handshake>>,
}

/// Loopback TLS endpoints serving chosen certificate chains per address and server name,
/// all on one port; dropping them stops them.
///
/// ```no_run
/// use std::net::Ipv4Addr;
/// use chrono::{TimeZone, Utc};
/// use digicert_mock::{MockConfig, MockServer, TlsEndpoints, TlsEntry};
/// use digicert_model::OrderStatus;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = MockServer::start_background(MockConfig::default())?;
/// let id = server.dataset().report_rows(&[OrderStatus::Issued], 0, 1).next().unwrap().order_id;
/// let current = server.certificate(id).unwrap();
/// assert!(server.reissue(id));
/// let (node_a, node_b) = (Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3));
/// let endpoints = TlsEndpoints::start_background(vec![
///     TlsEntry::for_certificate(node_a, &server.certificate(id).unwrap())?,
///     TlsEntry::for_certificate(node_b, &current)?, // the replaced one: stale
/// ])?;
/// // curl --resolve shop.example.com:PORT:127.0.0.2,127.0.0.3 https://shop.example.com:PORT/
/// let resolve = endpoints.resolve("shop.example.com", &[node_a, node_b]);
/// assert_eq!(resolve, format!("shop.example.com:{}:127.0.0.2,127.0.0.3", endpoints.port()));
/// // ... probe both nodes ...
/// assert!(endpoints.handshakes(node_a) <= 1);
/// # Ok(()) }
/// ```
pub struct TlsEndpoints {
    shared: Arc<Shared>,
    port: u16,
    running: Running,
}

impl fmt::Debug for TlsEndpoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsEndpoints")
            .field("port", &self.port)
            .field("addresses", &self.addresses())
            .finish_non_exhaustive()
    }
}

impl TlsEndpoints {
    /// Starts serving `entries` on the current tokio runtime (which must have I/O and time
    /// enabled), on a free port shared by every address.
    ///
    /// Fails if an entry's chain or key cannot be served, or no port is free on every address.
    pub async fn start(entries: Vec<TlsEntry>) -> io::Result<Self> {
        let (shared, listeners, port) = bind(&entries)?;
        let listeners = async_listeners(listeners)?;
        let (mut endpoints, stopping) = Self::new(shared, port);
        tokio::spawn(serve(Arc::clone(&endpoints.shared), listeners, stopping));
        endpoints.running.started(Runner::Task);
        Ok(endpoints)
    }

    /// Starts serving `entries` on a thread of its own with its own runtime, for blocking
    /// code (works inside an async runtime too); see [`TlsEndpoints::start`].
    pub fn start_background(entries: Vec<TlsEntry>) -> io::Result<Self> {
        let (shared, listeners, port) = bind(&entries)?;
        let (mut endpoints, stopping) = Self::new(shared, port);
        let serving = Arc::clone(&endpoints.shared);
        let runner = spawn_thread(
            format!("digicert-mock-tls-{port}"),
            move || async_listeners(listeners),
            move |listeners| serve(serving, listeners, stopping),
        )?;
        endpoints.running.started(runner);
        Ok(endpoints)
    }

    fn new(shared: Shared, port: u16) -> (Self, watch::Receiver<bool>) {
        let (running, stopping) = Running::new();
        let endpoints = Self {
            shared: Arc::new(shared),
            port,
            running,
        };
        (endpoints, stopping)
    }

    /// The port every address listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The addresses listened on, in order.
    pub fn addresses(&self) -> Vec<Ipv4Addr> {
        self.shared.chains.keys().copied().collect()
    }

    /// The socket address of one of the addresses.
    pub fn socket_addr(&self, addr: Ipv4Addr) -> SocketAddr {
        SocketAddr::from((addr, self.port))
    }

    /// A curl-style resolve entry that points `host` at `addrs` on this port:
    /// `host:PORT:ADDR1,ADDR2`.
    pub fn resolve(&self, host: &str, addrs: &[Ipv4Addr]) -> String {
        resolve_entry(host, self.port, addrs)
    }

    /// How many handshakes `addr` saw (each `ClientHello` read, served or not).
    pub fn handshakes(&self, addr: Ipv4Addr) -> usize {
        self.lock()
            .iter()
            .filter(|handshake| handshake.addr == addr)
            .count()
    }

    /// Every handshake seen so far, in order.
    pub fn handshake_log(&self) -> Vec<Handshake> {
        self.lock().clone()
    }

    /// Forgets the handshakes seen so far.
    pub fn clear_handshakes(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Handshake>> {
        self.shared
            .handshakes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the endpoints; same as dropping them.
    pub fn shutdown(self) {
        drop(self);
    }
}

/// `host:PORT:ADDR1,ADDR2`, as curl's `--resolve` takes it.
pub(crate) fn resolve_entry(host: &str, port: u16, addrs: &[Ipv4Addr]) -> String {
    let addrs: Vec<String> = addrs.iter().map(Ipv4Addr::to_string).collect();
    format!("{host}:{port}:{}", addrs.join(","))
}

/// The entries' chains by address and name, and a listener on each address, all on one port.
#[allow(clippy::type_complexity)]
fn bind(entries: &[TlsEntry]) -> io::Result<(Shared, Vec<(Ipv4Addr, std::net::TcpListener)>, u16)> {
    let mut chains: BTreeMap<Ipv4Addr, Chains> = BTreeMap::new();
    for entry in entries {
        let config = entry.config()?;
        let chains = chains.entry(entry.addr).or_default();
        match &entry.server_name {
            Some(name) => {
                chains.by_name.insert(name.to_ascii_lowercase(), config);
            }
            None => chains.default = Some(config),
        }
    }
    let addrs: Vec<Ipv4Addr> = chains.keys().copied().collect();
    let (listeners, port) = bind_same_port(&addrs)?;
    let shared = Shared {
        chains,
        handshakes: Mutex::default(),
    };
    Ok((shared, listeners, port))
}

/// A listener on each address, all on one free port (tried again on another port when the
/// first address's free port is taken on another).
fn bind_same_port(addrs: &[Ipv4Addr]) -> io::Result<(Vec<(Ipv4Addr, std::net::TcpListener)>, u16)> {
    let Some((&first, rest)) = addrs.split_first() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no TLS entries to serve",
        ));
    };
    let mut last_error = None;
    for _ in 0..PORT_ATTEMPTS {
        let listener = std::net::TcpListener::bind((first, 0))?;
        let port = listener.local_addr()?.port();
        let mut listeners = vec![(first, listener)];
        for &addr in rest {
            match std::net::TcpListener::bind((addr, port)) {
                Ok(listener) => listeners.push((addr, listener)),
                Err(err) if err.kind() == io::ErrorKind::AddrInUse => {
                    last_error = Some(err);
                    break;
                }
                Err(err) => return Err(err),
            }
        }
        if listeners.len() == addrs.len() {
            for (_, listener) in &listeners {
                listener.set_nonblocking(true)?;
            }
            return Ok((listeners, port));
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no port free on every address")))
}

/// The listeners, made async (on the runtime that will serve them).
fn async_listeners(
    listeners: Vec<(Ipv4Addr, std::net::TcpListener)>,
) -> io::Result<Vec<(Ipv4Addr, TcpListener)>> {
    listeners
        .into_iter()
        .map(|(addr, listener)| Ok((addr, TcpListener::from_std(listener)?)))
        .collect()
}

/// Accepts on every listener until told to stop.
async fn serve(
    shared: Arc<Shared>,
    listeners: Vec<(Ipv4Addr, TcpListener)>,
    stopping: watch::Receiver<bool>,
) {
    let mut loops = tokio::task::JoinSet::new();
    for (addr, listener) in listeners {
        loops.spawn(accept_loop(
            Arc::clone(&shared),
            addr,
            listener,
            stopping.clone(),
        ));
    }
    stop_signal(stopping).await;
    loops.shutdown().await;
}

/// Accepts connections on one address, each answered on a task of its own.
async fn accept_loop(
    shared: Arc<Shared>,
    addr: Ipv4Addr,
    listener: TcpListener,
    stopping: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = stop_signal(stopping.clone()) => return,
        };
        // A failed accept (out of descriptors, a reset) drops that one connection only.
        if let Ok((stream, _)) = accepted {
            tokio::spawn(handshake(Arc::clone(&shared), addr, stream));
        }
    }
}

/// Reads the `ClientHello`, records it, answers with the chain its server name picks (or
/// closes at once if none), then closes.
async fn handshake(shared: Arc<Shared>, addr: Ipv4Addr, stream: TcpStream) {
    let acceptor = LazyConfigAcceptor::new(Acceptor::default(), stream);
    let Ok(Ok(start)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor).await else {
        return;
    };
    let server_name = start.client_hello().server_name().map(str::to_owned);
    let config = shared
        .chains
        .get(&addr)
        .and_then(|chains| chains.pick(server_name.as_deref()));
    shared
        .handshakes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Handshake {
            addr,
            server_name,
            served: config.is_some(),
        });
    let Some(config) = config else {
        return;
    };
    let accept = start.into_stream(config);
    if let Ok(Ok(mut stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, accept).await {
        let _ = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.shutdown()).await;
    }
}
