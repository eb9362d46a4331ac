//! The contenders of `cargo xtask bench --probe-only`: a loopback TLS server, the prober, and
//! a bare tokio-rustls handshake loop making the same handshakes at the same concurrency.
//!
//! ```text
//! loopback_bench serve DIR                          # writes DIR/ca.pem, prints the port, serves until killed
//! loopback_bench probe PORT CA_PEM TARGETS CONCURRENCY
//! loopback_bench bare PORT CA_PEM TARGETS CONCURRENCY
//! ```
//!
//! The server listens on 127.0.0.1 to 127.0.0.4 at one port with a `*.bench.test`
//! certificate from a CA made at start. Target `i` is `h<i>.bench.test` at 127.0.0.(1 + i % 4):
//! the prober gets it through a resolve entry, the bare loop dials it directly. Both trust the
//! CA (the prober also the bundled and system roots, as it runs for real), disable session
//! resumption, and close with close_notify. A client exits 1 unless every handshake
//! completed (and, for the prober, verified).

use std::error::Error;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use digicert_probe::{Options, Outcome, Prober, Resolve, Target, Verification};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Loopback addresses the server listens on, so that the clients' connections spread over
/// several address pairs.
const LISTENERS: u8 = 4;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["serve", dir] => runtime.block_on(serve(Path::new(dir))),
        [mode @ ("probe" | "bare"), port, ca, targets, concurrency] => {
            let run = Run {
                port: port.parse()?,
                ca_pem: std::fs::read(ca)?,
                targets: targets.parse()?,
                concurrency: concurrency.parse()?,
            };
            let done = if mode == "probe" {
                runtime.block_on(run.probe())?
            } else {
                runtime.block_on(run.bare())?
            };
            eprintln!("{mode}: {done} of {} handshakes", run.targets);
            if done == run.targets {
                Ok(())
            } else {
                Err(format!(
                    "{mode}: only {done} of {} handshakes completed",
                    run.targets
                )
                .into())
            }
        }
        _ => Err(
            "usage: loopback_bench serve DIR | (probe|bare) PORT CA_PEM TARGETS CONCURRENCY".into(),
        ),
    }
}

/// Serves every connection on 127.0.0.1..=4 at one port; prints the port.
async fn serve(dir: &Path) -> Result<()> {
    let (config, ca_pem) = server_config()?;
    std::fs::write(dir.join("ca.pem"), ca_pem)?;
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listeners = bind_all().await?;
    println!("{}", listeners[0].local_addr()?.port());
    let mut tasks = JoinSet::new();
    for listener in listeners {
        let acceptor = acceptor.clone();
        tasks.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        let _ = tls.read_to_end(&mut Vec::new()).await;
                    }
                });
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Listeners on 127.0.0.1 to 127.0.0.LISTENERS, all at the same free port.
async fn bind_all() -> Result<Vec<TcpListener>> {
    for _ in 0..50 {
        let first = TcpListener::bind((loopback(0), 0)).await?;
        let port = first.local_addr()?.port();
        let mut all = vec![first];
        for n in 1..LISTENERS {
            match TcpListener::bind((loopback(usize::from(n)), port)).await {
                Ok(listener) => all.push(listener),
                Err(_) => break,
            }
        }
        if all.len() == usize::from(LISTENERS) {
            return Ok(all);
        }
    }
    Err("no port free on every loopback address".into())
}

/// A CA, and a server configuration for `*.bench.test` with a certificate it signed.
fn server_config() -> Result<(ServerConfig, String)> {
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "digicert-probe bench CA");
    let ca_key = rcgen::KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let leaf = rcgen::CertificateParams::new(vec!["*.bench.test".to_owned()])?;
    let leaf_key = rcgen::KeyPair::generate()?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
    let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    Ok((config, ca_cert.pem()))
}

/// `127.0.0.(1 + n % LISTENERS)`.
fn loopback(n: usize) -> IpAddr {
    let last = 1 + (n % usize::from(LISTENERS)) as u8;
    IpAddr::from([127, 0, 0, last])
}

/// One client run.
struct Run {
    port: u16,
    ca_pem: Vec<u8>,
    targets: usize,
    concurrency: usize,
}

impl Run {
    fn name(&self, n: usize) -> String {
        format!("h{n}.bench.test")
    }

    fn address(&self, n: usize) -> SocketAddr {
        SocketAddr::new(loopback(n), self.port)
    }

    /// The prober over every target; the number served and verified.
    async fn probe(&self) -> Result<usize> {
        let mut options = Options::default()
            .with_concurrency(self.concurrency)
            .with_root_certificates_pem(&self.ca_pem)?;
        let mut targets = Vec::with_capacity(self.targets);
        for n in 0..self.targets {
            let name = self.name(n);
            let address = self.address(n);
            options = options.with_resolve(Resolve::parse(&format!(
                "{name}:{}:{}",
                self.port,
                address.ip()
            ))?);
            targets.push(Target::parse(&format!("{name}:{}", self.port), 443)?);
        }
        let observations = Prober::new(options)?.probe_all(targets).await;
        let mut verified = 0;
        for observation in &observations {
            match &observation.outcome {
                Outcome::Served(served) if served.verification == Verification::Verified => {
                    verified += 1
                }
                other => eprintln!("{}: {other:?}", observation.target),
            }
        }
        Ok(verified)
    }

    /// A bare tokio-rustls loop: the same handshakes, at most `concurrency` at once.
    async fn bare(&self) -> Result<usize> {
        let mut roots = RootCertStore::empty();
        for certificate in CertificateDer::pem_slice_iter(&self.ca_pem) {
            roots.add(certificate?)?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.resumption = rustls::client::Resumption::disabled();
        let connector = TlsConnector::from(Arc::new(config));
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        for n in 0..self.targets {
            let slot = slots.clone().acquire_owned().await?;
            let name = ServerName::try_from(self.name(n))?;
            let (address, connector) = (self.address(n), connector.clone());
            tasks.spawn(async move {
                let done = handshake(&connector, name, address).await;
                drop(slot);
                done
            });
        }
        let mut done = 0;
        while let Some(result) = tasks.join_next().await {
            match result? {
                Ok(()) => done += 1,
                Err(err) => eprintln!("bare: {err}"),
            }
        }
        Ok(done)
    }
}

/// Connects, shakes hands, sends close_notify and closes.
async fn handshake(
    connector: &TlsConnector,
    name: ServerName<'static>,
    address: SocketAddr,
) -> std::io::Result<()> {
    let tcp = TcpStream::connect(address).await?;
    tcp.set_nodelay(true)?;
    let mut tls = connector.connect(name, tcp).await?;
    tls.shutdown().await
}
