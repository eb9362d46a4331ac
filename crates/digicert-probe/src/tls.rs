//! The TLS client: rustls on ring that completes the handshake whatever the chain (so the
//! whole chain is always read), and the real WebPKI verification, run on the chain it read
//! and recorded beside it. No session resumption (a resumed session sends no chain), no
//! client certificate, no early data, no ALPN.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::SetupError;
use crate::observation::{Verification, VerifyFailure};
use crate::options::Options;

/// The client configuration every probe shares, and the verifier its chains are checked with.
#[derive(Debug)]
pub(crate) struct Tls {
    /// Completes every handshake; checks only the handshake's signatures.
    pub(crate) config: Arc<ClientConfig>,
    /// The real verification against the trusted roots.
    webpki: Arc<WebPkiServerVerifier>,
}

impl Tls {
    /// Builds both from the options' roots: the bundled Mozilla roots, the system's (unless
    /// turned off) and the added ones.
    pub(crate) fn new(options: &Options) -> Result<Self, SetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(roots(options)?);
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|err| SetupError::Verifier {
                reason: err.to_string(),
            })?;
        let lenient = Arc::new(Lenient {
            algorithms: provider.signature_verification_algorithms,
        });
        let mut config = client_config(provider)?
            .dangerous()
            .with_custom_certificate_verifier(lenient)
            .with_no_client_auth();
        config.resumption = rustls::client::Resumption::disabled();
        Ok(Self {
            config: Arc::new(config),
            webpki,
        })
    }

    /// Whether `chain` (the server's certificate first) verifies for `name` now.
    pub(crate) fn verify(
        &self,
        chain: &[CertificateDer<'_>],
        name: &ServerName<'_>,
    ) -> Verification {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return Verification::Failed {
                kind: VerifyFailure::Other,
                reason: "no certificate".into(),
            };
        };
        match self
            .webpki
            .verify_server_cert(leaf, intermediates, name, &[], UnixTime::now())
        {
            Ok(_) => Verification::Verified,
            Err(err) => {
                let kind = failure_kind(&err);
                let reason = match kind {
                    VerifyFailure::UnknownIssuer => format!(
                        "{err}: no chain to a trusted root (self-signed, a private CA, or an \
                         intermediate missing)"
                    ),
                    _ => err.to_string(),
                };
                Verification::Failed { kind, reason }
            }
        }
    }
}

/// TLS 1.2 and 1.3 on ring.
fn client_config(
    provider: Arc<CryptoProvider>,
) -> Result<rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>, SetupError> {
    ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|err| SetupError::Verifier {
            reason: err.to_string(),
        })
}

fn roots(options: &Options) -> Result<RootCertStore, SetupError> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    if options.native_roots {
        // A system certificate rustls cannot read is skipped, as the transports do.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    }
    for (index, der) in options.root_certificates.iter().enumerate() {
        roots
            .add(CertificateDer::from(der.as_slice()))
            .map_err(|err| SetupError::Root {
                index: index + 1,
                reason: err.to_string(),
            })?;
    }
    Ok(roots)
}

/// Which check a rustls verification error is about.
fn failure_kind(err: &rustls::Error) -> VerifyFailure {
    let rustls::Error::InvalidCertificate(err) = err else {
        return VerifyFailure::Other;
    };
    match err {
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            VerifyFailure::Expired
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            VerifyFailure::NotYetValid
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            VerifyFailure::NameMismatch
        }
        CertificateError::UnknownIssuer => VerifyFailure::UnknownIssuer,
        CertificateError::Revoked => VerifyFailure::Revoked,
        _ => VerifyFailure::Other,
    }
}

/// Accepts any chain, so that the handshake completes and the chain can be read and
/// verified afterwards; still checks the handshake's signatures, so the server proves it
/// holds the key of the certificate it sent.
#[derive(Debug)]
struct Lenient {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
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

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
