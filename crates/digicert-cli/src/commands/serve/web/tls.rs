//! `tls_server_config` as a rustls server configuration (ring): the certificate and key,
//! the client certificate policy of Go's `ClientAuthType`, the versions, cipher suites and
//! curves, checked with exporter-toolkit's messages; the handshake, and
//! `client_allowed_sans` checked after it.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{NoClientAuth, WebPkiClientVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;

use super::config::TlsFile;
use super::go_errors;

/// Go's client certificate policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientAuth {
    /// No certificate asked.
    None,
    /// Asked, not required, not verified.
    Request,
    /// Required, not verified.
    RequireAny,
    /// Verified if given.
    VerifyIfGiven,
    /// Required and verified.
    RequireAndVerify,
}

impl ClientAuth {
    fn parse(text: &str) -> Result<Self, String> {
        Ok(match text {
            "" | "NoClientCert" => Self::None,
            "RequestClientCert" => Self::Request,
            // "RequireClientCert": kept by exporter-toolkit for backwards compatibility.
            "RequireAnyClientCert" | "RequireClientCert" => Self::RequireAny,
            "VerifyClientCertIfGiven" => Self::VerifyIfGiven,
            "RequireAndVerifyClientCert" => Self::RequireAndVerify,
            other => return Err(format!("invalid ClientAuth: {other}")),
        })
    }

    fn verifies(self) -> bool {
        matches!(self, Self::VerifyIfGiven | Self::RequireAndVerify)
    }

    fn requires(self) -> bool {
        matches!(self, Self::RequireAny | Self::RequireAndVerify)
    }
}

/// Go's TLS version names, as numbers that order them.
fn version(text: &str, default: u8) -> Result<u8, String> {
    Ok(match text {
        "" => default,
        "TLS10" => 10,
        "TLS11" => 11,
        "TLS12" => 12,
        "TLS13" => 13,
        other => return Err(format!("unknown TLS version: {other}")),
    })
}

/// Go's names of its secure cipher suites (`tls.CipherSuites()`); rustls implements the
/// AEAD ones under the same names.
const GO_CIPHER_SUITES: [&str; 13] = [
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

/// The provider the file asks for: ring's suites and groups, narrowed by `cipher_suites`
/// (TLS 1.2 only, as in Go) and ordered by `curve_preferences`.
fn provider(tls: &TlsFile) -> Result<CryptoProvider, String> {
    let mut provider = rustls::crypto::ring::default_provider();
    if !tls.cipher_suites.is_empty() {
        if let Some(unknown) = tls
            .cipher_suites
            .iter()
            .find(|name| !GO_CIPHER_SUITES.contains(&name.as_str()))
        {
            return Err(format!("unknown cipher: {unknown}"));
        }
        let mut suites: Vec<_> = provider
            .cipher_suites
            .iter()
            .filter(|suite| suite.version() == &rustls::version::TLS13)
            .copied()
            .collect();
        for name in &tls.cipher_suites {
            suites.extend(provider.cipher_suites.iter().copied().filter(|suite| {
                suite.version() == &rustls::version::TLS12
                    && suite.suite().as_str() == Some(name.as_str())
            }));
        }
        provider.cipher_suites = suites;
    }
    if !tls.curve_preferences.is_empty() {
        let mut groups = Vec::new();
        for name in &tls.curve_preferences {
            let group = match name.as_str() {
                "X25519" => Some(rustls::crypto::ring::kx_group::X25519),
                "CurveP256" => Some(rustls::crypto::ring::kx_group::SECP256R1),
                "CurveP384" => Some(rustls::crypto::ring::kx_group::SECP384R1),
                // Go knows it; ring does not implement it.
                "CurveP521" => None,
                other => return Err(format!("unknown curve: {other}")),
            };
            groups.extend(group);
        }
        if groups.is_empty() {
            return Err(
                "curve_preferences: none of these curves is supported (CurveP521 is not)"
                    .to_owned(),
            );
        }
        provider.kx_groups = groups;
    }
    Ok(provider)
}

/// TLS as the file asks: the rustls configuration, and the names a client certificate
/// must carry one of.
pub struct Tls {
    acceptor: TlsAcceptor,
    allowed_sans: Option<Vec<String>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("allowed_sans", &self.allowed_sans)
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// The TLS of a `tls_server_config` that is enabled
    /// ([`super::config::WebFile::tls_enabled`]).
    pub fn new(tls: &TlsFile) -> Result<Self, String> {
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(server_config(tls)?)),
            allowed_sans: tls.client_allowed_sans.clone(),
        })
    }

    /// The handshake on `stream`, within `time`, and `client_allowed_sans` checked as Go's
    /// `VerifyPeerCertificate` does (a certificate must name one of them exactly); none
    /// (after a debug log line) when either fails.
    pub async fn accept(
        &self,
        stream: TcpStream,
        time: Duration,
    ) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
        let stream = match tokio::time::timeout(time, self.acceptor.accept(stream)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => {
                tracing::debug!(error = %err, "TLS handshake failed");
                return None;
            }
            Err(_) => {
                tracing::debug!("TLS handshake took too long");
                return None;
            }
        };
        let Some(allowed) = &self.allowed_sans else {
            return Some(stream);
        };
        let names = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .map(subject_alt_names)
            .unwrap_or_default();
        if names.iter().any(|name| allowed.contains(name)) {
            Some(stream)
        } else {
            tracing::debug!(?names, "could not find allowed SANs in client cert");
            None
        }
    }
}

/// The rustls configuration for a `tls_server_config` that is enabled.
fn server_config(tls: &TlsFile) -> Result<ServerConfig, String> {
    if tls.cert_file.is_empty() && tls.cert.is_empty() {
        return Err("missing one of cert or cert_file".to_owned());
    }
    if tls.key_file.is_empty() && tls.key.is_empty() {
        return Err("missing one of key or key_file".to_owned());
    }
    let cert_pem = read("cert_file", &tls.cert_file, &tls.cert)?;
    let key_pem = read("key_file", &tls.key_file, &tls.key)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| format!("failed to load X509KeyPair: {err}"))?;
    if chain.is_empty() {
        return Err("failed to load X509KeyPair: no certificate in the PEM".to_owned());
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|err| format!("failed to load X509KeyPair: {err}"))?;

    // Go reads the client CA file whenever it is named, whatever the policy.
    let client_ca = if tls.client_ca_file.is_empty() {
        tls.client_ca.as_bytes().to_vec()
    } else {
        std::fs::read(&tls.client_ca_file)
            .map_err(|err| go_errors::file(&tls.client_ca_file, &err))?
    };
    let client_auth = ClientAuth::parse(&tls.client_auth_type)?;
    let has_ca = !tls.client_ca_file.is_empty() || !tls.client_ca.is_empty();
    if has_ca && client_auth == ClientAuth::None {
        return Err("client CA's have been configured without a Client Auth Policy".to_owned());
    }
    if tls.client_allowed_sans.is_some() && !client_auth.requires() {
        return Err("client_allowed_sans requires client_auth_type to be one of RequireAnyClientCert or RequireAndVerifyClientCert".to_owned());
    }
    let min = version(&tls.min_version, 12)?;
    let max = version(&tls.max_version, 13)?;
    let versions: Vec<&'static rustls::SupportedProtocolVersion> =
        [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)]
            .into_iter()
            .filter(|(number, _)| (min..=max).contains(number))
            .map(|(_, version)| version)
            .collect();
    if versions.is_empty() {
        return Err(format!(
            "no TLS version from {} to {} that this server speaks (TLS 1.2 and 1.3)",
            tls.min_version, tls.max_version
        ));
    }
    let provider = Arc::new(provider(tls)?);
    let verifier = client_verifier(tls, &client_ca, client_auth, &provider)?;
    let mut config = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)
        .map_err(|err| format!("TLS settings: {err}"))?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|err| format!("failed to load X509KeyPair: {err}"))?;
    config.ignore_client_order = tls.prefer_server_cipher_suites.unwrap_or(true);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A PEM from its file (`which` names the key), or inline.
fn read(which: &str, file: &str, inline: &str) -> Result<Vec<u8>, String> {
    if file.is_empty() {
        return Ok(inline.as_bytes().to_vec());
    }
    std::fs::read(file).map_err(|err| {
        format!(
            "failed to read {which} ({file}): {}",
            go_errors::file(file, &err)
        )
    })
}

/// The client certificate verifier for the policy, with the client CA certificates (PEM).
fn client_verifier(
    tls: &TlsFile,
    client_ca: &[u8],
    client_auth: ClientAuth,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let algorithms = provider.signature_verification_algorithms;
    let verifier: Arc<dyn ClientCertVerifier> = match client_auth {
        ClientAuth::None => return Ok(Arc::new(NoClientAuth)),
        ClientAuth::Request | ClientAuth::RequireAny => Arc::new(AnyCertificate {
            required: client_auth.requires(),
            algorithms,
        }),
        ClientAuth::VerifyIfGiven | ClientAuth::RequireAndVerify => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(client_ca) {
                let cert = cert.map_err(|err| format!("client CA: {err}"))?;
                roots.add(cert).map_err(|err| format!("client CA: {err}"))?;
            }
            if roots.is_empty() {
                return Err(format!(
                    "client_auth_type {} needs client_ca_file or client_ca with at least one certificate (the system roots are not trusted for clients)",
                    tls.client_auth_type
                ));
            }
            let builder =
                WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider));
            let builder = if client_auth.verifies() && !client_auth.requires() {
                builder.allow_unauthenticated()
            } else {
                builder
            };
            builder.build().map_err(|err| format!("client CA: {err}"))?
        }
    };
    Ok(verifier)
}

/// Go's `RequestClientCert` and `RequireAnyClientCert`: any certificate is taken unverified;
/// the handshake signature is still checked (the client holds its key).
#[derive(Debug)]
struct AnyCertificate {
    required: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyCertificate {
    fn client_auth_mandatory(&self) -> bool {
        self.required
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The DNS names, e-mail addresses, IP addresses and URIs a certificate names; none for
/// one that does not parse.
fn subject_alt_names(cert: &CertificateDer<'_>) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    let Ok((_, parsed)) = x509_parser::parse_x509_certificate(cert.as_ref()) else {
        return Vec::new();
    };
    let Ok(Some(extension)) = parsed.subject_alternative_name() else {
        return Vec::new();
    };
    extension
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(name) | GeneralName::RFC822Name(name) => Some((*name).to_owned()),
            GeneralName::URI(uri) => Some((*uri).to_owned()),
            GeneralName::IPAddress(bytes) => ip_address(bytes),
            _ => None,
        })
        .collect()
}

/// An IP address as Go prints it, from its 4 or 16 bytes.
fn ip_address(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(std::net::Ipv4Addr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|v6| std::net::Ipv6Addr::from(v6).to_string())
}

#[cfg(test)]
pub(super) mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A self-signed certificate for `localhost` and its key, as PEM.
    pub(in super::super) fn self_signed() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    }

    fn with_pair() -> (TlsFile, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        let tls = TlsFile {
            cert,
            key,
            ..TlsFile::default()
        };
        (tls, dir)
    }

    #[test]
    fn exporter_toolkit_messages() {
        let (tls, _dir) = with_pair();
        let err = |change: &dyn Fn(&mut TlsFile)| {
            let mut tls = TlsFile {
                cert: tls.cert.clone(),
                key: tls.key.clone(),
                ..TlsFile::default()
            };
            change(&mut tls);
            server_config(&tls).unwrap_err()
        };
        assert_eq!(err(&|t| t.cert.clear()), "missing one of cert or cert_file");
        assert_eq!(err(&|t| t.key.clear()), "missing one of key or key_file");
        assert_eq!(
            err(&|t| t.client_auth_type = "Sometimes".to_owned()),
            "invalid ClientAuth: Sometimes"
        );
        assert_eq!(
            err(&|t| t.client_ca = tls.cert.clone()),
            "client CA's have been configured without a Client Auth Policy"
        );
        assert!(
            err(&|t| {
                t.client_auth_type = "VerifyClientCertIfGiven".to_owned();
                t.client_allowed_sans = Some(vec!["a".to_owned()]);
            })
            .starts_with("client_allowed_sans requires")
        );
        assert_eq!(
            err(&|t| t.min_version = "SSL3".to_owned()),
            "unknown TLS version: SSL3"
        );
        assert_eq!(
            err(&|t| t.cipher_suites = vec!["TLS_NOPE".to_owned()]),
            "unknown cipher: TLS_NOPE"
        );
        assert_eq!(
            err(&|t| t.curve_preferences = vec!["Curve25519".to_owned()]),
            "unknown curve: Curve25519"
        );
        assert_eq!(
            err(&|t| t.cert_file = "/nonexistent/cert.pem".to_owned()),
            "failed to read cert_file (/nonexistent/cert.pem): open /nonexistent/cert.pem: no such file or directory"
        );
        // Read whatever the policy, as Go does.
        assert_eq!(
            err(&|t| {
                t.client_auth_type = "RequestClientCert".to_owned();
                t.client_ca_file = "/nonexistent/ca.pem".to_owned();
            }),
            "open /nonexistent/ca.pem: no such file or directory"
        );
        assert!(
            err(&|t| t.client_auth_type = "RequireAndVerifyClientCert".to_owned())
                .contains("needs client_ca_file or client_ca")
        );
        assert!(err(&|t| t.max_version = "TLS11".to_owned()).starts_with("no TLS version"));
    }

    #[test]
    fn versions_suites_and_curves_narrow_the_configuration() {
        let (mut tls, _dir) = with_pair();
        tls.min_version = "TLS10".to_owned();
        tls.cipher_suites = vec![
            "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA".to_owned(),
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384".to_owned(),
        ];
        tls.curve_preferences = vec!["CurveP521".to_owned(), "CurveP384".to_owned()];
        let provider = provider(&tls).unwrap();
        let tls12: Vec<_> = provider
            .cipher_suites
            .iter()
            .filter(|suite| suite.version() == &rustls::version::TLS12)
            .map(|suite| suite.suite())
            .collect();
        assert_eq!(
            tls12,
            [rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]
        );
        assert_eq!(provider.kx_groups.len(), 1);
        assert!(server_config(&tls).is_ok());
    }
}
