//! `digicert serve --web-config FILE`, through the binary: TLS with a client certificate
//! required (present, missing, from another CA), basic auth (a wrong password, a right one,
//! none), on the page, `/metrics` and `/healthz` alike; a bad file refused at start with
//! exporter-toolkit's message; nothing secret in the log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use digicert_mock::{MockConfig, MockServer};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use support::served::{Answer, Served, exchange, request};
use support::{KEY, command, exit_code, text};

const PASSWORD: &str = "correct horse battery staple";

/// A CA that signs the server's and the clients' certificates.
struct Ca {
    cert: rcgen::Certificate,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        Self {
            cert,
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for `names` and its key, as PEM.
    fn issue(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A TLS client trusting `ca`, with a client certificate or none.
fn client(ca: &Ca, identity: Option<&(String, String)>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    Arc::new(match identity {
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_slice(cert.as_bytes()).unwrap()],
                PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap(),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    })
}

/// `GET path` over TLS with `credentials` (user, password), or the I/O error.
fn get_tls(
    addr: &str,
    config: &Arc<rustls::ClientConfig>,
    path: &str,
    credentials: Option<(&str, &str)>,
) -> std::io::Result<Answer> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::clone(config), name).unwrap();
    let tls = rustls::StreamOwned::new(connection, stream);
    let extra: Vec<String> = credentials
        .map(|(user, password)| {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Authorization: Basic {encoded}")
        })
        .into_iter()
        .collect();
    exchange(tls, &request("GET", addr, path, &extra))
}

/// `digicert serve` of a new inventory in `dir`, against `server`, with the web config
/// `config`.
fn serve_with(server: &MockServer, dir: &Path, config: &str) -> Served {
    let db = dir.join("inventory.sqlite");
    Served::start(
        server.base_url(),
        db.to_str().unwrap(),
        "1h",
        &["--web-config", config],
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn tls_with_a_required_client_certificate_and_basic_auth_cover_every_route() {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(50))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("test CA");
    let (server_cert, server_key) = ca.issue(&["localhost", "127.0.0.1"]);
    write(dir.path(), "server.pem", &server_cert);
    write(dir.path(), "server.key", &server_key);
    write(dir.path(), "ca.pem", &ca.cert.pem());
    let hash = bcrypt::hash(PASSWORD, 4).unwrap();
    // Relative file names: beside the config file, as in exporter-toolkit.
    let config = write(
        dir.path(),
        "web.yml",
        &format!(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n  \
             client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  \
             min_version: TLS12\nhttp_server_config:\n  headers:\n    \
             Strict-Transport-Security: max-age=31536000\nbasic_auth_users:\n  alice: {hash}\n"
        ),
    );
    let served = serve_with(&server, dir.path(), &config);
    assert!(
        served.log().contains("serving https://"),
        "{}",
        served.log()
    );
    let addr = served.addr.clone();

    let identity = ca.issue(&["prometheus.example.internal"]);
    let with_cert = client(&ca, Some(&identity));
    let right = Some(("alice", PASSWORD));
    served.wait_until("a sync", || {
        get_tls(&addr, &with_cert, "/healthz", right).is_ok_and(|a| a.status == 200)
    });
    for path in [
        "/",
        "/metrics",
        "/healthz",
        "/search?q=example.com",
        "/assets/sort.js",
    ] {
        let answer = get_tls(&addr, &with_cert, path, right).unwrap();
        assert_eq!(answer.status, 200, "{path}");
        assert_eq!(
            answer.header("strict-transport-security"),
            Some("max-age=31536000")
        );
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));

        for credentials in [None, Some(("alice", "wrong")), Some(("mallory", PASSWORD))] {
            let refused = get_tls(&addr, &with_cert, path, credentials).unwrap();
            assert_eq!(refused.status, 401, "{path} {credentials:?}");
            assert_eq!(refused.header("www-authenticate"), Some("Basic"));
            assert!(
                !refused.body.contains("digicert_"),
                "{path}: {}",
                refused.body
            );
        }
    }
    // No client certificate, or one from another CA: no TLS session, no answer.
    let without = client(&ca, None);
    assert!(get_tls(&addr, &without, "/metrics", right).is_err());
    let stranger = Ca::new("another CA");
    let foreign = client(&ca, Some(&stranger.issue(&["prometheus.example.internal"])));
    assert!(get_tls(&addr, &foreign, "/metrics", right).is_err());
    // Plain HTTP on the TLS port: no page either.
    let plain = TcpStream::connect(&addr).unwrap();
    plain
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let answer = exchange(plain, &request("GET", &addr, "/", &[]));
    assert!(answer.is_err() || answer.is_ok_and(|a| !a.body.contains("inventory")));

    let log = served.log();
    assert!(!log.contains(KEY), "the API key was logged");
    assert!(!log.contains(PASSWORD) && !log.contains(&hash), "{log}");
}

/// `serve --web-config` with `yaml` fails at start, exit 2, saying `expected`.
fn refused(yaml: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "web.yml", yaml);
    let output = command()
        .args(["--api-key", KEY, "--base-url", "http://127.0.0.1:9", "--db"])
        .arg(dir.path().join("inventory.sqlite"))
        .args(["serve", "--listen", "127.0.0.1:0", "--web-config", &config])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 2, "{yaml}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains(expected), "{yaml}: {stderr}");
    assert!(stderr.contains("web.yml"), "{stderr}");
    assert!(!stderr.contains("QOauhQNb"), "a hash was printed: {stderr}");
}

#[test]
fn a_bad_web_config_is_refused_at_start_with_exporter_toolkits_message() {
    // Each message as exporter-toolkit (and yaml.v2, x/crypto/bcrypt, os) prints it.
    refused(
        "tls_server_config:\n  cert_fil: a.pem\n",
        "yaml: unmarshal errors:\n  line 2: field cert_fil not found in type web.TLSConfig",
    );
    refused(
        "basic_auth:\n  alice: x\n",
        "yaml: unmarshal errors:\n  line 1: field basic_auth not found in type web.Config",
    );
    refused(
        "tls_server_config:\n  key_file: k.pem\n",
        "missing one of cert or cert_file",
    );
    let missing = "/nonexistent/digicert/cert.pem";
    refused(
        &format!("tls_server_config:\n  cert_file: {missing}\n  key_file: nothing.key\n"),
        &format!("failed to read cert_file ({missing}): open {missing}: no such file or directory"),
    );
    refused(
        "basic_auth_users:\n  alice: plaintext\n",
        "crypto/bcrypt: hashedSecret too short to be a bcrypted password",
    );
    refused(
        "http_server_config:\n  headers:\n    Server: nginx\n",
        "HTTP header \"Server\" can not be configured",
    );
    refused(
        "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
        r#"invalid value for X-Frame-Options. Expected one of: ["deny" "sameorigin"], but got: "allow""#,
    );
    refused("rate_limit:\n  interval: often\n", "invalid duration");
    refused(
        "basic_auth_users:\n  alice: $2y$03$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n",
        "crypto/bcrypt: cost 3 is outside allowed inclusive range 4..31",
    );
    refused(
        "basic_auth_users:\n  alice: $3y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n",
        "crypto/bcrypt: bcrypt algorithm version '3' requested is newer than current version '2'",
    );
    refused(
        "basic_auth_users:\n  alice: x2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi\n",
        "crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with 'x'",
    );
}

#[test]
fn the_client_ca_file_is_read_whatever_the_client_auth_type() {
    let ca = Ca::new("web config test CA");
    let (cert, key) = ca.issue(&["localhost"]);
    let dir = tempfile::tempdir().unwrap();
    let cert = write(dir.path(), "cert.pem", &cert);
    let key = write(dir.path(), "key.pem", &key);
    let missing = "/nonexistent/digicert/ca.pem";
    refused(
        &format!(
            "tls_server_config:\n  cert_file: {cert}\n  key_file: {key}\n  client_auth_type: RequestClientCert\n  client_ca_file: {missing}\n"
        ),
        &format!("open {missing}: no such file or directory"),
    );
}

/// The certificate the server at `addr` presents to a client with `config`, as DER.
fn served_certificate(addr: &str, config: &Arc<rustls::ClientConfig>) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut connection = rustls::ClientConnection::new(Arc::clone(config), name).unwrap();
    while connection.is_handshaking() {
        connection.complete_io(&mut stream).unwrap();
    }
    connection.peer_certificates().unwrap()[0].to_vec()
}

/// The DER of a PEM certificate.
fn der(pem: &str) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem.as_bytes())
        .unwrap()
        .to_vec()
}

#[test]
fn a_renewed_certificate_and_changed_users_are_served_without_a_restart() {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(20))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("renewing CA");
    let (first_cert, first_key) = ca.issue(&["localhost"]);
    write(dir.path(), "server.pem", &first_cert);
    write(dir.path(), "server.key", &first_key);
    let users = |user: &str| {
        let hash = bcrypt::hash(PASSWORD, 4).unwrap();
        format!(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n\
             basic_auth_users:\n  {user}: {hash}\n"
        )
    };
    let config = write(dir.path(), "web.yml", &users("alice"));
    let served = serve_with(&server, dir.path(), &config);
    let addr = served.addr.clone();
    let trusting = client(&ca, None);
    served.wait_until("a sync", || {
        get_tls(&addr, &trusting, "/healthz", Some(("alice", PASSWORD)))
            .is_ok_and(|a| a.status == 200)
    });
    assert_eq!(served_certificate(&addr, &trusting), der(&first_cert));

    // Renewed in place: the next connection gets the new certificate.
    let (renewed_cert, renewed_key) = ca.issue(&["localhost"]);
    write(dir.path(), "server.key", &renewed_key);
    write(dir.path(), "server.pem", &renewed_cert);
    assert_eq!(served_certificate(&addr, &trusting), der(&renewed_cert));

    // Another user: the old one is refused from the next request on.
    write(dir.path(), "web.yml", &users("bob"));
    let status = |user: &str| {
        get_tls(&addr, &trusting, "/metrics", Some((user, PASSWORD)))
            .unwrap()
            .status
    };
    assert_eq!(status("alice"), 401);
    assert_eq!(status("bob"), 200);

    // A broken file: no TLS session at all until it is mended, then as before.
    write(
        dir.path(),
        "web.yml",
        "basic_auth_users:\n  bob: not-a-hash\n",
    );
    assert!(get_tls(&addr, &trusting, "/metrics", Some(("bob", PASSWORD))).is_err());
    write(dir.path(), "web.yml", &users("bob"));
    assert_eq!(status("bob"), 200);

    let log = served.log();
    assert!(log.contains("no longer reads or checks"), "{log}");
    assert!(!log.contains(PASSWORD), "{log}");
}

#[test]
fn a_web_config_broken_while_serving_plain_http_is_answered_500_until_mended() {
    let server =
        MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(20))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "web.yml",
        "http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\n",
    );
    let served = serve_with(&server, dir.path(), &config);
    let addr = served.addr.clone();
    served.wait_until("a sync", || {
        support::served::get(&addr, "/healthz").status == 200
    });
    assert_eq!(
        support::served::get(&addr, "/metrics").header("x-frame-options"),
        Some("sameorigin")
    );

    write(
        dir.path(),
        "web.yml",
        "http_server_config:\n  headerz: {}\n",
    );
    let broken = support::served::get(&addr, "/metrics");
    assert_eq!(broken.status, 500);
    assert!(!broken.body.contains("digicert_"), "{}", broken.body);
    assert_eq!(broken.header("x-frame-options"), Some("DENY"));

    // Turning TLS on needs a restart: refused the same way.
    let ca = Ca::new("late CA");
    let (cert, key) = ca.issue(&["localhost"]);
    write(dir.path(), "server.pem", &cert);
    write(dir.path(), "server.key", &key);
    write(
        dir.path(),
        "web.yml",
        "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n",
    );
    assert_eq!(support::served::get(&addr, "/metrics").status, 500);

    write(dir.path(), "web.yml", "");
    let mended = support::served::get(&addr, "/metrics");
    assert_eq!(mended.status, 200);
    assert_eq!(mended.header("x-frame-options"), Some("DENY"));
    let log = served.log();
    assert!(log.contains("field headerz not found"), "{log}");
    assert!(log.contains("turning it on needs a restart"), "{log}");
}
