//! The loopback TLS endpoints serve the chosen chain per address and per server name, on one
//! port for every address, count the handshakes each address saw, stop when dropped; the
//! demo's endpoints serve what they say.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use common::sha1_hex;
use digicert_mock::{
    Dataset, DatasetConfig, DemoEndpoints, DemoState, Handshake, IssuedCertificate, MockCa,
    MockConfig, MockServer, TlsEndpoints, TlsEntry,
};
use digicert_model::OrderStatus;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::crypto::{
    CryptoProvider, verify_tls12_signature, verify_tls13_signature,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error as TlsError, RootCertStore,
    SignatureScheme,
};

const A: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
const B: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);

/// Takes any certificate (checking only the handshake's signatures), so a test sees what
/// was served.
#[derive(Debug)]
struct AnyCertificate(CryptoProvider);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn any_certificate() -> Arc<dyn ServerCertVerifier> {
    Arc::new(AnyCertificate(default_provider()))
}

/// Trusts the mock CA only.
fn mock_ca_only() -> Arc<dyn ServerCertVerifier> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(
            MockCa::get().unwrap().certificate_der().to_vec(),
        ))
        .unwrap();
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::new(default_provider()))
        .build()
        .unwrap()
}

/// Connects to `addr` asking for `name`, and returns the chain served (DER).
async fn served_chain(
    addr: SocketAddr,
    name: Option<&str>,
    verifier: Arc<dyn ServerCertVerifier>,
) -> io::Result<Vec<Vec<u8>>> {
    let mut config = ClientConfig::builder_with_provider(Arc::new(default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    let server_name = match name {
        Some(name) => ServerName::try_from(name.to_owned()).unwrap(),
        // No SNI: an IP address as the name.
        None => {
            config.enable_sni = false;
            ServerName::from(addr.ip())
        }
    };
    let connector = TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await?;
    let tls = tokio::time::timeout(Duration::from_secs(10), connector.connect(server_name, tcp))
        .await??;
    let (_, connection) = tls.get_ref();
    Ok(connection
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|der| der.to_vec())
        .collect())
}

/// Why a client refused the certificate served, if it did.
fn refusal(err: &io::Error) -> Option<&CertificateError> {
    match err.get_ref()?.downcast_ref::<TlsError>()? {
        TlsError::InvalidCertificate(refusal) => Some(refusal),
        _ => None,
    }
}

/// A dataset whose "now" is now, so that its issued certificates are valid by the clock.
fn dataset() -> Dataset {
    Dataset::new(&DatasetConfig::default().with_orders(300))
}

/// The current certificates of the first `count` issued orders with a DNS name, and a name each.
fn certificates(dataset: &Dataset, count: usize) -> Vec<(IssuedCertificate, String)> {
    dataset
        .report_rows(&[OrderStatus::Issued], 0, usize::MAX)
        .filter_map(|row| {
            let name = row.dns_names.iter().find(|name| !name.starts_with('*'))?;
            Some((dataset.certificate(row.order_id)?, name.clone()))
        })
        .take(count)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_per_server_name_and_per_address_on_one_port() {
    let dataset = dataset();
    let certificates = certificates(&dataset, 3);
    let [(first, first_name), (second, second_name), (third, _)] = &certificates[..] else {
        panic!("three certificates");
    };
    let endpoints = TlsEndpoints::start(vec![
        TlsEntry::for_certificate(A, first).unwrap(),
        TlsEntry::for_certificate(A, second)
            .unwrap()
            .with_server_name(second_name.to_uppercase()),
        TlsEntry::for_certificate(B, third).unwrap(),
    ])
    .await
    .unwrap();
    assert_eq!(endpoints.addresses(), [A, B]);
    let port = endpoints.port();
    let at = |addr| SocketAddr::from((addr, port));
    // A: the default, or the chain of the name asked for (in any case).
    let served = served_chain(at(A), Some(first_name), mock_ca_only())
        .await
        .unwrap();
    assert_eq!(served, first.chain_der());
    let served = served_chain(at(A), Some(second_name), mock_ca_only())
        .await
        .unwrap();
    assert_eq!(served, second.chain_der());
    let served = served_chain(at(A), None, any_certificate()).await.unwrap();
    assert_eq!(served[0], first.der());
    // B, same port: its own chain, whatever the name (which it does not match).
    let served = served_chain(at(B), Some(first_name), any_certificate())
        .await
        .unwrap();
    assert_eq!(served[0], third.der());
    let refused = served_chain(at(B), Some(first_name), mock_ca_only()).await;
    assert!(
        matches!(
            refused.as_ref().err().and_then(refusal),
            Some(CertificateError::NotValidForNameContext { .. })
        ),
        "{refused:?}"
    );
    assert_eq!(endpoints.handshakes(A), 3);
    assert_eq!(endpoints.handshakes(B), 2);
    assert_eq!(endpoints.handshakes(Ipv4Addr::new(127, 0, 0, 9)), 0);
    let log = endpoints.handshake_log();
    assert_eq!(log[1].server_name.as_deref(), Some(second_name.as_str()));
    assert_eq!(log[2].server_name, None);
    assert!(log.iter().all(|handshake| handshake.served));
    assert_eq!(
        endpoints.resolve("shop.example.com", &[A, B]),
        format!("shop.example.com:{port}:127.0.0.2,127.0.0.3")
    );
    endpoints.clear_handshakes();
    assert!(endpoints.handshake_log().is_empty());
}

#[tokio::test]
async fn a_name_no_entry_serves_is_closed_and_counted() {
    let dataset = dataset();
    let certificates = certificates(&dataset, 1);
    let (certificate, name) = &certificates[0];
    let endpoints = TlsEndpoints::start(vec![
        TlsEntry::for_certificate(A, certificate)
            .unwrap()
            .with_server_name(name),
    ])
    .await
    .unwrap();
    let at = SocketAddr::from((A, endpoints.port()));
    assert!(
        served_chain(at, Some("other.example.org"), any_certificate())
            .await
            .is_err()
    );
    let log: Vec<Handshake> = endpoints.handshake_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].addr, A);
    assert_eq!(log[0].server_name.as_deref(), Some("other.example.org"));
    assert!(!log[0].served);
    served_chain(at, Some(name), mock_ca_only()).await.unwrap();
    assert!(endpoints.handshake_log()[1].served);
}

#[test]
fn runs_on_a_thread_of_its_own_and_stops_when_dropped() {
    let dataset = dataset();
    let certificates = certificates(&dataset, 1);
    let (certificate, name) = &certificates[0];
    let endpoints =
        TlsEndpoints::start_background(vec![TlsEntry::for_certificate(A, certificate).unwrap()])
            .unwrap();
    let at = endpoints.socket_addr(A);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let served = runtime
        .block_on(served_chain(at, Some(name), mock_ca_only()))
        .unwrap();
    assert_eq!(served, certificate.chain_der());
    assert_eq!(endpoints.handshakes(A), 1);
    endpoints.shutdown();
    assert!(std::net::TcpStream::connect(at).is_err());
}

#[test]
fn refuses_what_it_cannot_serve() {
    let dataset = dataset();
    let certificate = &certificates(&dataset, 1)[0].0;
    let bad_key = TlsEntry::new(A, certificate.chain_der(), b"not a key".to_vec());
    let err = TlsEndpoints::start_background(vec![bad_key]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let err = TlsEndpoints::start_background(Vec::new()).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

#[test]
fn the_demo_serves_every_state() {
    // "Now" is the start time, as in `digicert --demo`: the certificates are checked against
    // the clock.
    let server = MockServer::start_background(MockConfig::default().with_orders(500)).unwrap();
    let demo: DemoEndpoints = server.start_demo_endpoints().unwrap();
    let sites = demo.sites();
    assert_eq!(sites.len(), 8);
    let states: Vec<Vec<DemoState>> = sites
        .iter()
        .map(|site| site.nodes.iter().map(|node| node.expected).collect())
        .collect();
    use DemoState::{Current, Expired, HandshakeFailed, Stale, Unknown, Unreachable, WrongName};
    assert_eq!(
        states,
        [
            vec![Current],
            vec![Stale],
            vec![Unknown],
            vec![Current, Stale],
            vec![Expired],
            vec![WrongName],
            vec![Unreachable],
            vec![HandshakeFailed],
        ]
    );
    let dataset = server.dataset();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut addresses = Vec::new();
    for site in sites {
        let row = dataset.report_row(site.order_id).unwrap();
        assert_eq!(row.common_name.as_deref(), Some(site.name.as_str()));
        let nothing_served = site
            .nodes
            .iter()
            .find(|node| matches!(node.expected, Unreachable | HandshakeFailed));
        if let Some(node) = nothing_served {
            assert_eq!(site.nodes.len(), 1);
            addresses.push(node.addr);
            let addr = SocketAddr::from((node.addr, site.port));
            let served = runtime.block_on(served_chain(addr, Some(&site.name), any_certificate()));
            let err = served.expect_err("no chain");
            assert!(node.thumbprint.is_empty() && node.order_id.is_none());
            if node.expected == Unreachable {
                assert_ne!(site.port, demo.port(), "a port of its own");
                assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
            } else {
                assert_eq!(site.port, demo.port());
                assert!(err.to_string().contains("AccessDenied"), "an alert: {err}");
                assert_eq!(demo.endpoints().handshakes(node.addr), 1);
            }
            continue;
        }
        assert_eq!(site.port, demo.port());
        assert_eq!(
            site.resolve(),
            demo.endpoints().resolve(&site.name, &site.addresses())
        );
        for node in &site.nodes {
            addresses.push(node.addr);
            let served = runtime
                .block_on(served_chain(
                    SocketAddr::from((node.addr, site.port)),
                    Some(&site.name),
                    any_certificate(),
                ))
                .unwrap();
            assert_eq!(sha1_hex(&served[0]), node.thumbprint);
            let verified = runtime.block_on(served_chain(
                SocketAddr::from((node.addr, site.port)),
                Some(&site.name),
                mock_ca_only(),
            ));
            let refusal = verified.as_ref().err().and_then(refusal);
            match node.expected {
                Current | Stale => assert!(verified.is_ok(), "{node:?}: {verified:?}"),
                Unknown => assert!(
                    matches!(refusal, Some(CertificateError::UnknownIssuer)),
                    "{verified:?}"
                ),
                Expired => assert!(
                    matches!(refusal, Some(CertificateError::ExpiredContext { .. })),
                    "{verified:?}"
                ),
                WrongName => assert!(
                    matches!(
                        refusal,
                        Some(CertificateError::NotValidForNameContext { .. })
                    ),
                    "{verified:?}"
                ),
                _ => panic!("{:?}", node.expected),
            }
            // What the dataset says of the certificate served is what the node expects.
            let found = dataset.find(&node.thumbprint);
            let certificates = node.order_id.map(|id| dataset.certificates(id));
            let served_is = |current| {
                certificates.iter().flatten().any(|certificate| {
                    certificate.thumbprint == node.thumbprint && certificate.current == current
                })
            };
            match node.expected {
                Current | Expired => {
                    assert_eq!(found, Some(site.order_id));
                    assert!(served_is(true));
                }
                Stale => {
                    assert_eq!(found, Some(site.order_id));
                    assert!(served_is(false));
                    assert_eq!(
                        dataset.reissues(site.order_id).unwrap().certificates[1]
                            .thumbprint
                            .as_deref(),
                        Some(node.thumbprint.as_str())
                    );
                }
                Unknown => {
                    assert_eq!(found, None);
                    assert_eq!(node.order_id, None);
                }
                WrongName => {
                    assert_ne!(node.order_id, Some(site.order_id));
                    assert!(served_is(true));
                }
                _ => panic!("{:?}", node.expected),
            }
            if node.expected == Expired {
                assert_eq!(row.status, OrderStatus::Expired);
            } else {
                assert_eq!(row.status, OrderStatus::Issued);
            }
            assert_eq!(demo.endpoints().handshakes(node.addr), 2, "{node:?}");
        }
    }
    addresses.dedup();
    assert_eq!(addresses.len(), 9);
    assert_eq!(demo.resolves().len(), 8);
    // A second demo on the same server reuses the reissued orders: nothing reissued again.
    let reissues = server.change_log().len();
    let again = server.start_demo_endpoints().unwrap();
    assert_eq!(server.change_log().len(), reissues);
    assert_ne!(again.port(), demo.port());
}
