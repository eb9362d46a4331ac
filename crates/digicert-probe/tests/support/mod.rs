//! Loopback servers for the probe tests: TLS servers with certificates made here (a test CA,
//! self-signed, expired, wrong name, huge), and hostile ones (silent, garbage, closing
//! mid-handshake, a TLS alert, SMTP refusing STARTTLS).

#![allow(dead_code)] // Each test file uses a part.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rcgen::{BasicConstraints, CertificateParams, CustomExtension, DnType, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate chain (leaf first) and the leaf's key.
pub struct Chain {
    pub certs: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Chain {
    /// A rustls server configuration serving this chain.
    pub fn config(&self) -> Arc<ServerConfig> {
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.certs.clone(), self.key.clone_key())
            .unwrap();
        Arc::new(config)
    }
}

/// A test CA that signs leaf certificates.
pub struct Ca {
    pub pem: String,
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "digicert-probe test CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` (rcgen's default validity: 1975 to 4096), and the CA after it.
    pub fn leaf(&self, names: &[&str]) -> Chain {
        self.sign(leaf_params(names))
    }

    /// A leaf for `names` that expired in 2021.
    pub fn expired(&self, names: &[&str]) -> Chain {
        let mut params = leaf_params(names);
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        self.sign(params)
    }

    /// A leaf for `names` followed by extra certificates (4 KB of an unknown extension
    /// each) up to `bytes` in all: a chain of that size.
    pub fn huge(&self, names: &[&str], bytes: usize) -> Chain {
        let mut chain = self.leaf(names);
        let mut filler = leaf_params(&["filler.test"]);
        let extension =
            CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99999, 1], vec![0x5a; 4000]);
        filler.custom_extensions.push(extension);
        let filler = self.sign(filler).certs.swap_remove(0);
        while chain.certs.iter().map(|c| c.len()).sum::<usize>() < bytes {
            chain.certs.push(filler.clone());
        }
        chain
    }

    /// A leaf for `names` followed by bytes that are no certificate.
    pub fn garbage_intermediate(&self, names: &[&str]) -> Chain {
        let mut chain = self.leaf(names);
        chain.certs[1] = CertificateDer::from(b"not a certificate".to_vec());
        chain
    }

    fn sign(&self, params: CertificateParams) -> Chain {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Chain {
            certs: vec![cert.der().clone(), self.der.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        }
    }
}

/// A self-signed certificate for `names`.
pub fn self_signed(names: &[&str]) -> Chain {
    let key = KeyPair::generate().unwrap();
    let cert = leaf_params(names).self_signed(&key).unwrap();
    Chain {
        certs: vec![cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    if let Some(first) = names.first() {
        params.distinguished_name.push(DnType::CommonName, first);
    }
    params
}

/// A listening server: its address, and what it saw.
#[derive(Clone)]
pub struct Server {
    pub addr: SocketAddr,
    /// Connections accepted.
    pub accepted: Arc<AtomicUsize>,
    /// The SNI of each completed TLS handshake (`None`: no SNI sent).
    pub names: Arc<Mutex<Vec<Option<String>>>>,
}

impl Server {
    fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            accepted: Arc::new(AtomicUsize::new(0)),
            names: Arc::new(Mutex::new(Vec::new())),
        }
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The SNI names of the handshakes, once `count` are recorded (the server records a
    /// handshake a moment after the client has seen it complete); at most 10 s.
    pub async fn names_seen(&self, count: usize) -> Vec<Option<String>> {
        for _ in 0..1000 {
            let names = self.names.lock().unwrap().clone();
            if names.len() >= count {
                return names;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.names.lock().unwrap().clone()
    }
}

async fn listen(addr: &str) -> (TcpListener, Server) {
    let listener = TcpListener::bind(addr).await.unwrap();
    let server = Server::new(listener.local_addr().unwrap());
    (listener, server)
}

/// Runs `serve` on each connection accepted on `listener`, as a task of its own.
fn accept_loop<F, Fut>(listener: TcpListener, server: &Server, serve: F)
where
    F: Fn(TcpStream, Server) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let server = server.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            server.accepted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream, server.clone()));
        }
    });
}

/// A TLS server on 127.0.0.1 serving `chain`.
pub async fn tls(chain: &Chain) -> Server {
    tls_at("127.0.0.1:0", chain.config(), None).await
}

/// A TLS server on `addr`; with `gate`, no connection is answered before that many were
/// accepted.
pub async fn tls_at(addr: &str, config: Arc<ServerConfig>, gate: Option<usize>) -> Server {
    let (listener, server) = listen(addr).await;
    serve_tls(listener, &server, config, gate);
    server
}

fn serve_tls(
    listener: TcpListener,
    server: &Server,
    config: Arc<ServerConfig>,
    gate: Option<usize>,
) {
    let acceptor = TlsAcceptor::from(config);
    let (open, _) = watch::channel(gate.is_none());
    let open = Arc::new(open);
    accept_loop(listener, server, move |stream, server| {
        let (acceptor, open) = (acceptor.clone(), open.clone());
        async move {
            if let Some(gate) = gate {
                if server.accepted() >= gate {
                    open.send_replace(true);
                }
                let mut opened = open.subscribe();
                if opened.wait_for(|open| *open).await.is_err() {
                    return;
                }
            }
            let Ok(mut tls) = acceptor.accept(stream).await else {
                return;
            };
            let name = tls.get_ref().1.server_name().map(str::to_owned);
            server.names.lock().unwrap().push(name);
            let mut rest = Vec::new();
            let _ = tls.read_to_end(&mut rest).await;
        }
    });
}

/// Two TLS servers on the same free port of 127.0.0.2 and 127.0.0.3, serving `first` and
/// `second`.
pub async fn twin_tls(first: &Chain, second: &Chain) -> (Server, Server) {
    for _ in 0..50 {
        let (listener, one) = listen("127.0.0.2:0").await;
        let Ok(other) = TcpListener::bind(("127.0.0.3", one.port())).await else {
            continue;
        };
        let two = Server::new(other.local_addr().unwrap());
        serve_tls(listener, &one, first.config(), None);
        serve_tls(other, &two, second.config(), None);
        return (one, two);
    }
    panic!("no port free on both 127.0.0.2 and 127.0.0.3");
}

/// How a hostile server behaves once a connection is accepted.
#[derive(Debug, Clone, Copy)]
pub enum Hostile {
    /// Reads, never answers.
    Silent,
    /// Answers the ClientHello with an HTTP error.
    Garbage,
    /// Reads the ClientHello, sends a few bytes of a record, closes.
    CloseMidHandshake,
    /// Answers the ClientHello with a fatal handshake_failure alert.
    Alert,
    /// An SMTP server that refuses STARTTLS.
    SmtpRefusing,
}

/// A hostile server on 127.0.0.1.
pub async fn hostile(behaviour: Hostile) -> Server {
    let (listener, server) = listen("127.0.0.1:0").await;
    accept_loop(listener, &server, move |mut stream, _| async move {
        let mut buf = vec![0u8; 4096];
        match behaviour {
            Hostile::Silent => {}
            Hostile::Garbage => {
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    .await;
            }
            Hostile::CloseMidHandshake => {
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(&[0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00])
                    .await;
                return;
            }
            Hostile::Alert => {
                let _ = stream.read(&mut buf).await;
                let _ = stream
                    .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])
                    .await;
            }
            Hostile::SmtpRefusing => {
                smtp(stream, None).await;
                return;
            }
        }
        // Hold the connection until the client goes.
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    });
    server
}

/// An SMTP server on 127.0.0.1 that agrees to STARTTLS and serves `chain`.
pub async fn smtp_tls(chain: &Chain) -> Server {
    let (listener, server) = listen("127.0.0.1:0").await;
    let config = chain.config();
    accept_loop(listener, &server, move |stream, _| {
        smtp(stream, Some(config.clone()))
    });
    server
}

/// Greets, answers EHLO, and answers STARTTLS with 220 and a TLS handshake (`config`) or
/// with 454.
async fn smtp(stream: TcpStream, config: Option<Arc<ServerConfig>>) {
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    if stream
        .get_mut()
        .write_all(b"220-mx.test ESMTP\r\n220 ready\r\n")
        .await
        .is_err()
    {
        return;
    }
    loop {
        line.clear();
        if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") {
            b"250-mx.test\r\n250 STARTTLS\r\n"
        } else if command == "STARTTLS" && config.is_some() {
            b"220 go ahead\r\n"
        } else if command == "STARTTLS" {
            b"454 4.7.0 TLS not available due to local problem\r\n"
        } else {
            b"502 5.5.2 not implemented\r\n"
        };
        if stream.get_mut().write_all(reply).await.is_err() {
            return;
        }
        if command == "STARTTLS" {
            break;
        }
    }
    let Some(config) = config else {
        let _ = stream.read_to_end(&mut Vec::new()).await;
        return;
    };
    let Ok(mut tls) = TlsAcceptor::from(config).accept(stream.into_inner()).await else {
        return;
    };
    let _ = tls.read_to_end(&mut Vec::new()).await;
}

/// A port on 127.0.0.1 where nothing listens.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// `127.0.0.N`.
pub fn loopback(n: u8) -> IpAddr {
    IpAddr::from([127, 0, 0, n])
}
