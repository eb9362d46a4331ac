//! TLS for corporate networks, on both backends: a loopback https server whose certificate a
//! CA made here signed (a TLS-inspecting proxy's, say) is refused until that CA is trusted,
//! with `--ca-cert`, or through the system store (`SSL_CERT_FILE`). And TLS to a PostgreSQL
//! inventory: the test server behind a TLS front with such a certificate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Arc, OnceLock};

use digicert_mock::{MockConfig, MockServer};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use support::{KEY, exit_code, text};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The fake CertCentral, behind a TLS server, and the test CA's PEM file.
struct Setup {
    mock: MockServer,
    https: SocketAddr,
    ca_pem: PathBuf,
    /// Not a certificate at all.
    not_pem: PathBuf,
    _runtime: tokio::runtime::Runtime,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let mock = MockServer::start_background(MockConfig::default().with_api_key(KEY)).unwrap();
        let (ca_pem, server_config) = certificates();
        let dir = std::env::temp_dir().join(format!("digicert-tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_path = dir.join("ca.pem");
        std::fs::write(&ca_path, ca_pem).unwrap();
        let not_pem = dir.join("not.pem");
        std::fs::write(&not_pem, "just text\n").unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let https = runtime.block_on(tls_front(server_config, mock.addr().to_string(), false));
        Setup {
            mock,
            https,
            ca_pem: ca_path,
            not_pem,
            _runtime: runtime,
        }
    })
}

/// A CA, and a server configuration with a certificate for 127.0.0.1 and localhost it signed.
fn certificates() -> (String, ServerConfig) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "digicert-rs test proxy CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).unwrap();

    let chain = vec![
        CertificateDer::from(leaf_cert.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    (ca_cert.pem(), config)
}

/// PostgreSQL's request to start TLS: a length of 8 and the code 80877103.
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

/// Listens on 127.0.0.1 and relays each TLS connection, decrypted, to `backend`. With
/// `postgres`, a connection first speaks PostgreSQL's opening for TLS (an `SSLRequest`,
/// answered `S`), and one that does not ask for TLS is not served.
async fn tls_front(config: ServerConfig, backend: String, postgres: bool) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let backend = backend.clone();
            tokio::spawn(async move {
                if postgres {
                    let mut request = [0u8; 8];
                    if stream.read_exact(&mut request).await.is_err()
                        || request != SSL_REQUEST
                        || stream.write_all(b"S").await.is_err()
                    {
                        return;
                    }
                }
                // A client that refuses the certificate ends the handshake: nothing to relay.
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = tokio::net::TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    });
    addr
}

#[test]
fn a_postgresql_inventory_over_tls_is_verified_against_sslrootcert() {
    let Some(database) = support::db::PgDatabase::create() else {
        return;
    };
    // postgres://user@HOST:PORT/name: the server the front relays to.
    let backend = database
        .url
        .split_once('@')
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(host_port, _)| host_port.to_owned())
        .unwrap();
    let (ca_pem, server_config) = certificates();
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("postgres-ca.pem");
    std::fs::write(&ca_path, ca_pem).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let front = runtime.block_on(tls_front(server_config, backend, true));
    let secret = "tls-test-pa55word";
    let url = format!(
        "postgres://postgres:{secret}@127.0.0.1:{}/{}?sslmode=require",
        front.port(),
        database.name
    );
    let export = |url: &str| {
        support::command()
            .env_remove("SSL_CERT_FILE")
            .env_remove("SSL_CERT_DIR")
            .env_remove("PGPASSWORD")
            .args(["--db", url, "inventory", "export"])
            .output()
            .unwrap()
    };
    // A certificate that no trusted CA signed: refused, and the password is not shown.
    let refused = export(&url);
    let stderr = text(&refused.stderr);
    assert_ne!(refused.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("UnknownIssuer") || stderr.contains("unknown issuer"),
        "{stderr}"
    );
    assert!(!stderr.contains(secret), "{stderr}");
    // Trusted through `sslrootcert`: the inventory is made, over TLS (the front serves
    // nothing else).
    let trusted = export(&format!("{url}&sslrootcert={}", ca_path.display()));
    assert_eq!(trusted.status.code(), Some(0), "{}", text(&trusted.stderr));
    let mut direct = postgres::Client::connect(&database.url, postgres::NoTls).unwrap();
    let version: i64 = direct
        .query_one("SELECT schema_version FROM digicert_inventory", &[])
        .unwrap()
        .get(0);
    assert!(version >= 1);
}

/// `digicert order <id>` over https on `backend`, with extra arguments and environment.
fn order(backend: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let setup = setup();
    let id = setup.mock.dataset().order_ids().next().unwrap().to_string();
    let base_url = format!("https://127.0.0.1:{}/services/v2", setup.https.port());
    let home = std::env::temp_dir().join(format!("digicert-tls-home-{}", std::process::id()));
    let mut command = support::command();
    command
        // No config file, and a system store without the test CA unless a test sets one.
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .env_remove("DIGICERT_PROFILE")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .envs(env.iter().copied())
        .args(["--base-url", &base_url, "--api-key", KEY, "--no-rate-limit"])
        .args(["--backend", backend])
        .args(args)
        .args(["order", &id]);
    let output = command.output().unwrap();
    exit_code(&output);
    output
}

#[test]
fn an_unknown_ca_is_refused_with_a_clear_error() {
    for backend in ["blocking", "async"] {
        let output = order(backend, &[], &[]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{backend}: {stderr}");
        assert!(
            stderr.contains("UnknownIssuer") || stderr.contains("unknown issuer"),
            "{backend}: {stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn ca_cert_trusts_the_proxys_ca() {
    let ca = setup().ca_pem.to_str().unwrap();
    for backend in ["blocking", "async"] {
        let output = order(backend, &["--ca-cert", ca], &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{backend}: {}",
            text(&output.stderr)
        );
        assert!(!output.stdout.is_empty());
    }
}

#[test]
fn the_system_store_is_trusted_too() {
    // rustls-native-certs reads SSL_CERT_FILE as the system store, as OpenSSL does.
    let ca = setup().ca_pem.to_str().unwrap();
    for backend in ["blocking", "async"] {
        let output = order(backend, &[], &[("SSL_CERT_FILE", ca)]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{backend}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn a_ca_cert_that_is_not_pem_is_refused_before_any_request() {
    let setup = setup();
    let before = setup.mock.requests().len();
    for (path, message) in [
        (setup.not_pem.to_str().unwrap(), "no PEM certificate"),
        ("/nonexistent/ca.pem", "/nonexistent/ca.pem"),
    ] {
        let output = order("blocking", &["--ca-cert", path], &[]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
        assert!(
            text(&output.stderr).contains(message),
            "{}",
            text(&output.stderr)
        );
    }
    assert_eq!(setup.mock.requests().len(), before);
}
