//! Real certificates for the orders: a fixed test CA that issues, for each certificate an
//! order has or had, a leaf whose serial number, validity and names are the ones the
//! endpoints show, and whose SHA-1 over the DER is the thumbprint they show.
//!
//! Everything is deterministic. The CA's key and the one key pair all leaves share are
//! Ed25519 keys made from constant seeds, and Ed25519 signatures are deterministic, so the
//! same order gives the same certificate, byte for byte, in every run: a dataset keeps only
//! the 20-byte thumbprints and makes a certificate's DER again whenever it is asked for.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use chrono::{Datelike, NaiveDate};
use rcgen::string::Ia5String;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, date_time_ymd,
};
use ring::digest::{SHA1_FOR_LEGACY_USE_ONLY, digest};

/// The seeds of the Ed25519 keys (32 bytes each): the mock CA's, the other CA's, the leaves'.
const CA_SEED: &[u8; 32] = b"digicert-mock test CA, seed one.";
const OTHER_CA_SEED: &[u8; 32] = b"digicert-mock other CA, seed two";
const LEAF_SEED: &[u8; 32] = b"digicert-mock leaf keys, seed 3.";
/// An Ed25519 private key as PKCS#8 v1 (RFC 8410) is this prefix, then the 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];
/// Length of a SHA-1 thumbprint.
pub(crate) const THUMBPRINT_LEN: usize = 20;

/// A SHA-1 thumbprint.
pub(crate) type Thumbprint = [u8; THUMBPRINT_LEN];

/// A certificate could not be made or found.
///
/// ```
/// use digicert_mock::{CertificateError, MockCa};
///
/// let ca = MockCa::get()?;
/// assert!(ca.certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// # Ok::<(), CertificateError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// rcgen refused the certificate's contents (a name or date a certificate cannot hold).
    #[error("cannot make the certificate for {subject:?}: {message}")]
    Build {
        /// The certificate's subject common name.
        subject: String,
        /// What rcgen said.
        message: String,
    },
}

impl CertificateError {
    fn build(subject: &str, err: impl fmt::Display) -> Self {
        Self::Build {
            subject: subject.to_owned(),
            message: err.to_string(),
        }
    }
}

/// The Ed25519 key pair made from `seed` (read from its PKCS#8 form).
fn key_from_seed(seed: &[u8; 32]) -> Result<KeyPair, rcgen::Error> {
    let mut pkcs8 = ED25519_PKCS8_PREFIX.to_vec();
    pkcs8.extend_from_slice(seed);
    KeyPair::try_from(pkcs8)
}

/// A certificate authority: its key, its certificate, and what it writes as the issuer.
struct Authority {
    key: KeyPair,
    params: CertificateParams,
    der: Vec<u8>,
    pem: String,
}

impl Authority {
    /// The self-signed CA `name`, with the key made from `seed`.
    fn new(name: &str, seed: &[u8; 32]) -> Result<Self, rcgen::Error> {
        let key = key_from_seed(seed)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "digicert-rs tests");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.serial_number = Some(SerialNumber::from_slice(&[0x01]));
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2100, 1, 1);
        let certificate = params.self_signed(&key)?;
        Ok(Self {
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
            key,
            params,
        })
    }

    /// Signs a leaf (for the shared leaf key) made from `params`.
    fn sign(
        &self,
        params: &CertificateParams,
        leaf: &KeyPair,
    ) -> Result<rcgen::Certificate, rcgen::Error> {
        params.signed_by(leaf, &Issuer::from_params(&self.params, &self.key))
    }
}

/// The mock's certificate authority, "digicert-mock Test CA", and the key pair every
/// certificate it issues for an order shares. Fixed: the same in every run and every build.
///
/// A TLS client that should accept the mock's certificates adds
/// [`MockCa::certificate_der`] (or the PEM) to its roots; a TLS server that serves them
/// needs [`MockCa::leaf_key_der`].
///
/// ```
/// use digicert_mock::MockCa;
///
/// let ca = MockCa::get()?;
/// assert!(ca.certificate_pem().starts_with("-----BEGIN CERTIFICATE-----"));
/// assert!(ca.leaf_key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
/// assert_eq!(MockCa::get()?.certificate_der(), ca.certificate_der());
/// # Ok::<(), digicert_mock::CertificateError>(())
/// ```
pub struct MockCa {
    ca: Authority,
    /// A CA no order's certificate comes from: the demo's unknown certificates.
    other: Authority,
    leaf: KeyPair,
}

impl fmt::Debug for MockCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockCa")
            .field("subject", &Self::SUBJECT)
            .finish_non_exhaustive()
    }
}

impl MockCa {
    /// The CA's subject common name.
    pub const SUBJECT: &str = "digicert-mock Test CA";
    /// The subject common name of another CA, which no order's certificate comes from.
    pub const OTHER_SUBJECT: &str = "digicert-mock Other CA";

    /// The CA, made on first use.
    pub fn get() -> Result<&'static Self, CertificateError> {
        static CA: OnceLock<Result<MockCa, CertificateError>> = OnceLock::new();
        CA.get_or_init(|| {
            let ca = Authority::new(Self::SUBJECT, CA_SEED)
                .map_err(|err| CertificateError::build(Self::SUBJECT, err))?;
            let other = Authority::new(Self::OTHER_SUBJECT, OTHER_CA_SEED)
                .map_err(|err| CertificateError::build(Self::OTHER_SUBJECT, err))?;
            let leaf = key_from_seed(LEAF_SEED)
                .map_err(|err| CertificateError::build("the leaf key", err))?;
            Ok(Self { ca, other, leaf })
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// The CA certificate, DER.
    pub fn certificate_der(&self) -> &[u8] {
        &self.ca.der
    }

    /// The CA certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.ca.pem
    }

    /// The other CA's certificate, DER: for a client that should trust the demo's unknown
    /// certificates too.
    pub fn other_certificate_der(&self) -> &[u8] {
        &self.other.der
    }

    /// The private key of every certificate the mock issues, PKCS#8 DER (Ed25519).
    pub fn leaf_key_der(&self) -> &[u8] {
        self.leaf.serialized_der()
    }

    /// The private key of every certificate the mock issues, PKCS#8 PEM (Ed25519).
    pub fn leaf_key_pem(&self) -> String {
        self.leaf.serialize_pem()
    }
}

/// One certificate of an order, as the mock CA issued it: DER and PEM, and what the
/// endpoints say of it (see [`Dataset::certificates`](crate::Dataset::certificates)).
///
/// Its private key is [`MockCa::leaf_key_der`], shared by every certificate of the mock.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use digicert_mock::{Dataset, DatasetConfig, MockCa};
/// use digicert_model::OrderStatus;
///
/// let reference = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
/// let dataset = Dataset::new(&DatasetConfig::new(reference).with_orders(50));
/// let id = dataset.report_rows(&[OrderStatus::Issued], 0, 1).next().unwrap().order_id;
/// let certificate = dataset.certificate(id).unwrap();
/// let chain = certificate.chain_der(); // the leaf, then the mock CA
/// assert_eq!(chain[0], certificate.der());
/// assert_eq!(chain[1], MockCa::get()?.certificate_der());
/// assert_eq!(certificate.thumbprint.len(), 40); // upper-case hex of SHA-1 over the DER
/// # Ok::<(), digicert_mock::CertificateError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuedCertificate {
    /// The order it belongs to.
    pub order_id: u64,
    /// Its certificate ID (`certificate_tracker_id` in the report, `certificate.id` in
    /// order info, `id` in the reissues list).
    pub certificate_id: u64,
    /// Its serial number, upper-case hex, as the endpoints show it and the DER holds it.
    pub serial_number: String,
    /// SHA-1 over the DER, upper-case hex, as the endpoints show it.
    pub thumbprint: String,
    /// The first day it is valid (from 00:00:00 UTC).
    pub valid_from: NaiveDate,
    /// The last day it is valid (to 23:59:59 UTC).
    pub valid_till: NaiveDate,
    /// Whether it is the order's current certificate (else a reissue replaced it).
    pub current: bool,
    der: Vec<u8>,
    pem: String,
}

impl fmt::Debug for IssuedCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedCertificate")
            .field("order_id", &self.order_id)
            .field("certificate_id", &self.certificate_id)
            .field("serial_number", &self.serial_number)
            .field("thumbprint", &self.thumbprint)
            .field("valid_from", &self.valid_from)
            .field("valid_till", &self.valid_till)
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl IssuedCertificate {
    /// Issues the certificate `leaf` describes.
    pub(crate) fn new(
        order_id: u64,
        certificate_id: u64,
        current: bool,
        leaf: &Leaf<'_>,
    ) -> Result<Self, CertificateError> {
        let certificate = leaf.issue()?;
        Ok(Self {
            order_id,
            certificate_id,
            serial_number: leaf.serial_number.to_ascii_uppercase(),
            thumbprint: to_hex(&thumbprint(certificate.der())),
            valid_from: leaf.valid_from,
            valid_till: leaf.valid_till,
            current,
            der: certificate.der().to_vec(),
            pem: certificate.pem(),
        })
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate, PEM.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The chain a server sends: this certificate, then the mock CA's, DER.
    pub fn chain_der(&self) -> Vec<Vec<u8>> {
        let mut chain = vec![self.der.clone()];
        chain.extend(MockCa::get().map(|ca| ca.certificate_der().to_vec()));
        chain
    }

    /// The chain a server sends, PEM: this certificate, then the mock CA's.
    pub fn chain_pem(&self) -> String {
        let mut chain = self.pem.clone();
        if let Ok(ca) = MockCa::get() {
            chain.push_str(ca.certificate_pem());
        }
        chain
    }
}

/// What a leaf certificate says: serial number, validity and names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leaf<'a> {
    /// Hex, as the endpoints show it.
    pub(crate) serial_number: &'a str,
    pub(crate) valid_from: NaiveDate,
    pub(crate) valid_till: NaiveDate,
    pub(crate) common_name: &'a str,
    pub(crate) dns_names: &'a [String],
    /// For client certificates.
    pub(crate) email: Option<&'a str>,
}

impl Leaf<'_> {
    /// The certificate, issued by the mock CA.
    pub(crate) fn issue(&self) -> Result<rcgen::Certificate, CertificateError> {
        let ca = MockCa::get()?;
        self.issue_by(&ca.ca, &ca.leaf)
    }

    /// The same certificate, issued by the other CA (so no order has it).
    pub(crate) fn issue_elsewhere(&self) -> Result<rcgen::Certificate, CertificateError> {
        let ca = MockCa::get()?;
        self.issue_by(&ca.other, &ca.leaf)
    }

    /// The thumbprint of [`Leaf::issue`]'s certificate.
    pub(crate) fn thumbprint(&self) -> Result<Thumbprint, CertificateError> {
        Ok(thumbprint(self.issue()?.der()))
    }

    fn issue_by(
        &self,
        authority: &Authority,
        key: &KeyPair,
    ) -> Result<rcgen::Certificate, CertificateError> {
        let params = self.params()?;
        authority
            .sign(&params, key)
            .map_err(|err| CertificateError::build(self.common_name, err))
    }

    /// The certificate's parameters.
    fn params(&self) -> Result<CertificateParams, CertificateError> {
        let fail = |message: &str| CertificateError::build(self.common_name, message);
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, self.common_name);
        let serial = from_hex(self.serial_number).ok_or_else(|| fail("serial number not hex"))?;
        params.serial_number = Some(SerialNumber::from(serial));
        let (year, month, day) = ymd(self.valid_from).ok_or_else(|| fail("valid_from"))?;
        params.not_before = date_time_ymd(year, month, day);
        let after = self.valid_till.succ_opt().and_then(ymd);
        let (year, month, day) = after.ok_or_else(|| fail("valid_till"))?;
        params.not_after = date_time_ymd(year, month, day) - Duration::from_secs(1);
        params.subject_alt_names = self.alt_names()?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = if self.email.is_some() {
            vec![
                ExtendedKeyUsagePurpose::ClientAuth,
                ExtendedKeyUsagePurpose::EmailProtection,
            ]
        } else if params.subject_alt_names.is_empty() {
            vec![ExtendedKeyUsagePurpose::CodeSigning]
        } else {
            vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ]
        };
        params.use_authority_key_identifier_extension = true;
        Ok(params)
    }

    /// The subject alternative names: the common name if it is a host name, the DNS names,
    /// the email address.
    fn alt_names(&self) -> Result<Vec<SanType>, CertificateError> {
        let ia5 = |name: &str| {
            Ia5String::try_from(name).map_err(|err| CertificateError::build(self.common_name, err))
        };
        let mut names = Vec::with_capacity(self.dns_names.len() + 1);
        let common_name = Some(self.common_name)
            .filter(|name| is_host_name(name) && !self.dns_names.iter().any(|dns| dns == name));
        for name in common_name
            .into_iter()
            .chain(self.dns_names.iter().map(String::as_str))
        {
            names.push(SanType::DnsName(ia5(name)?));
        }
        if let Some(email) = self.email {
            names.push(SanType::Rfc822Name(ia5(email)?));
        }
        Ok(names)
    }
}

/// Whether a common name is a host name (a DNS name with a dot, maybe a wildcard).
fn is_host_name(name: &str) -> bool {
    name.contains('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'*')
}

/// Year, month and day of `date`, if an X.509 time can hold its year.
fn ymd(date: NaiveDate) -> Option<(i32, u8, u8)> {
    let year = date.year();
    if !(1950..=9999).contains(&year) {
        return None;
    }
    Some((
        year,
        u8::try_from(date.month()).ok()?,
        u8::try_from(date.day()).ok()?,
    ))
}

/// The SHA-1 thumbprint of a DER certificate.
pub(crate) fn thumbprint(der: &[u8]) -> Thumbprint {
    let mut thumbprint = [0; THUMBPRINT_LEN];
    thumbprint.copy_from_slice(digest(&SHA1_FOR_LEGACY_USE_ONLY, der).as_ref());
    thumbprint
}

/// Upper-case hex, as CertCentral writes thumbprints and serial numbers.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

/// The bytes of hex text (any case); `None` unless it is an even number of hex digits.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |b: &u8| char::from(*b).to_digit(16);
            let [high, low] = pair else { return None };
            u8::try_from(digit(high)? * 16 + digit(low)?).ok()
        })
        .collect()
}
