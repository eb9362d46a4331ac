//! A certificate as a server sent it: its DER, thumbprints and serial number, and the fields
//! a deployment check compares (validity, subject, issuer, names), read with x509-parser.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ring::digest;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::time::ASN1Time;

/// One certificate of a served chain.
///
/// Thumbprints and serial numbers print as upper-case hex without separators, as
/// CertCentral spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The certificate as sent (DER).
    pub der: Vec<u8>,
    /// SHA-1 of the DER: the thumbprint CertCentral and Windows show.
    pub sha1: [u8; 20],
    /// SHA-256 of the DER.
    pub sha256: [u8; 32],
    /// The serial number's bytes, big-endian, without DER's leading zero sign byte.
    pub serial: Vec<u8>,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// The subject, as an RFC 4514 style string (`CN=www.example.com, O=...`).
    pub subject: String,
    /// The subject's first common name, if any.
    pub subject_cn: Option<String>,
    /// The issuer, as an RFC 4514 style string.
    pub issuer: String,
    /// The DNS names of the subject alternative names, as written (wildcards included).
    pub dns_names: Vec<String>,
    /// The IP addresses of the subject alternative names.
    pub ip_addresses: Vec<IpAddr>,
}

/// A certificate that cannot be read.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// The DER is not an X.509 certificate x509-parser can read.
    #[error("not a readable X.509 certificate: {reason}")]
    Parse {
        /// What x509-parser said.
        reason: String,
    },
    /// Bytes after the certificate.
    #[error("{count} bytes after the certificate's end")]
    Trailing {
        /// How many.
        count: usize,
    },
    /// A validity date outside what a `DateTime<Utc>` holds.
    #[error("validity date out of range: {date}")]
    Date {
        /// The date as x509-parser shows it.
        date: String,
    },
}

impl Certificate {
    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let (rest, x509) =
            x509_parser::parse_x509_certificate(der).map_err(|err| CertificateError::Parse {
                reason: err.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(CertificateError::Trailing { count: rest.len() });
        }
        let (dns_names, ip_addresses) = alternative_names(&x509)?;
        let validity = x509.validity();
        Ok(Self {
            der: der.to_vec(),
            sha1: digest_of(&digest::SHA1_FOR_LEGACY_USE_ONLY, der),
            sha256: digest_of(&digest::SHA256, der),
            serial: serial_bytes(x509.raw_serial()),
            not_before: date(&validity.not_before)?,
            not_after: date(&validity.not_after)?,
            subject: x509.subject().to_string(),
            subject_cn: x509
                .subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .map(str::to_owned),
            issuer: x509.issuer().to_string(),
            dns_names,
            ip_addresses,
        })
    }

    /// The SHA-1 thumbprint, upper-case hex without separators (CertCentral's spelling).
    pub fn thumbprint_hex(&self) -> String {
        upper_hex(&self.sha1)
    }

    /// The SHA-256 fingerprint, upper-case hex without separators.
    pub fn sha256_hex(&self) -> String {
        upper_hex(&self.sha256)
    }

    /// The serial number, upper-case hex without separators (CertCentral's spelling).
    pub fn serial_hex(&self) -> String {
        upper_hex(&self.serial)
    }

    /// Whether the certificate's end of validity is before `at`.
    pub fn is_expired(&self, at: DateTime<Utc>) -> bool {
        self.not_after < at
    }

    /// Whether a subject alternative name covers `name`: the same DNS name in any case, a
    /// wildcard `*.rest` for exactly one label before `rest` (RFC 6125: not `rest` itself,
    /// not two labels, never `*.tld`), or the same IP address. The common name is not
    /// consulted, as browsers and rustls do not.
    ///
    /// ```
    /// # fn check(cert: &digicert_probe::Certificate) {
    /// // With the names `example.com` and `*.example.com`:
    /// assert!(cert.covers("WWW.example.com"));
    /// assert!(cert.covers("example.com"));
    /// assert!(!cert.covers("a.b.example.com"));
    /// # }
    /// ```
    pub fn covers(&self, name: &str) -> bool {
        let name = name.strip_suffix('.').unwrap_or(name);
        if let Ok(ip) = name.parse::<IpAddr>() {
            return self.ip_addresses.contains(&ip);
        }
        self.dns_names
            .iter()
            .any(|pattern| name_matches(pattern, name))
    }
}

/// RFC 6125 matching of one presented name against a reference name.
fn name_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
    if name.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(base) if base.contains('.') => match name.split_once('.') {
            Some((label, rest)) => !label.is_empty() && rest.eq_ignore_ascii_case(base),
            None => false,
        },
        Some(_) => false,
        None => pattern.eq_ignore_ascii_case(name),
    }
}

/// The DNS names and IP addresses of the subject alternative names.
fn alternative_names(
    x509: &X509Certificate<'_>,
) -> Result<(Vec<String>, Vec<IpAddr>), CertificateError> {
    let (mut dns, mut ips) = (Vec::new(), Vec::new());
    let extension = x509
        .subject_alternative_name()
        .map_err(|err| CertificateError::Parse {
            reason: format!("subject alternative names: {err}"),
        })?;
    for name in extension.iter().flat_map(|ext| &ext.value.general_names) {
        match name {
            GeneralName::DNSName(dns_name) => dns.push((*dns_name).to_owned()),
            GeneralName::IPAddress(bytes) => {
                if let Ok(octets) = <[u8; 4]>::try_from(*bytes) {
                    ips.push(IpAddr::from(octets));
                } else if let Ok(octets) = <[u8; 16]>::try_from(*bytes) {
                    ips.push(IpAddr::from(octets));
                }
            }
            _ => {}
        }
    }
    Ok((dns, ips))
}

fn date(time: &ASN1Time) -> Result<DateTime<Utc>, CertificateError> {
    DateTime::from_timestamp(time.timestamp(), 0).ok_or_else(|| CertificateError::Date {
        date: time.to_string(),
    })
}

/// The serial number without the zero byte DER puts before a high first byte.
fn serial_bytes(raw: &[u8]) -> Vec<u8> {
    match raw {
        [0, rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => raw.to_vec(),
    }
}

fn digest_of<const N: usize>(algorithm: &'static digest::Algorithm, der: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let hash = digest::digest(algorithm, der);
    out.copy_from_slice(&hash.as_ref()[..N]);
    out
}

fn upper_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(names: &[&str], serial: &[u8]) -> (Certificate, rcgen::Certificate) {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "leaf.test");
        params.serial_number = Some(rcgen::SerialNumber::from_slice(serial));
        params.not_before = rcgen::date_time_ymd(2024, 1, 2);
        params.not_after = rcgen::date_time_ymd(2025, 2, 3);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (Certificate::from_der(cert.der()).unwrap(), cert)
    }

    #[test]
    fn fields_thumbprints_and_serial() {
        let (cert, made) = certificate(
            &["example.com", "*.example.com", "192.0.2.1"],
            &[0x8a, 0x01],
        );
        assert_eq!(cert.der, made.der().to_vec());
        assert_eq!(cert.serial, [0x8a, 0x01]);
        assert_eq!(cert.serial_hex(), "8A01");
        assert_eq!(cert.subject_cn.as_deref(), Some("leaf.test"));
        assert_eq!(cert.subject, "CN=leaf.test");
        assert_eq!(cert.issuer, "CN=leaf.test");
        assert_eq!(cert.dns_names, ["example.com", "*.example.com"]);
        assert_eq!(cert.ip_addresses, [IpAddr::from([192, 0, 2, 1])]);
        assert_eq!(cert.not_before.to_rfc3339(), "2024-01-02T00:00:00+00:00");
        assert_eq!(cert.not_after.to_rfc3339(), "2025-02-03T00:00:00+00:00");
        let sha1 = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, made.der());
        assert_eq!(cert.sha1, sha1.as_ref());
        assert_eq!(cert.thumbprint_hex().len(), 40);
        assert_eq!(cert.sha256_hex().len(), 64);
        assert!(
            cert.thumbprint_hex()
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert!(cert.is_expired(rcgen_time(2025, 2, 4)));
        assert!(!cert.is_expired(rcgen_time(2025, 2, 2)));
    }

    fn rcgen_time(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn serial_keeps_leading_zero_nibbles() {
        assert_eq!(serial_bytes(&[0x00, 0x80, 0x01]), [0x80, 0x01]);
        assert_eq!(serial_bytes(&[0x0a, 0x01]), [0x0a, 0x01]);
        assert_eq!(serial_bytes(&[0x00]), [0x00]);
        assert_eq!(upper_hex(&[0x0a, 0xbc]), "0ABC");
    }

    #[test]
    fn covers_exact_and_single_label_wildcards() {
        let (cert, _) = certificate(
            &["example.com", "*.example.com", "*.com", "192.0.2.1"],
            &[1],
        );
        for name in [
            "example.com",
            "EXAMPLE.com.",
            "www.example.com",
            "*.example.com",
            "192.0.2.1",
        ] {
            assert!(cert.covers(name), "{name}");
        }
        for name in [
            "a.b.example.com",
            "example.org",
            ".example.com",
            "com",
            "x.com",
            "",
            "192.0.2.2",
            "wwwexample.com",
        ] {
            assert!(!cert.covers(name), "{name}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let err = Certificate::from_der(b"not a certificate").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("not a readable X.509 certificate"),
            "{err}"
        );
        let (_, made) = certificate(&["a.test"], &[1]);
        let mut long = made.der().to_vec();
        long.extend_from_slice(b"xx");
        assert_eq!(
            Certificate::from_der(&long),
            Err(CertificateError::Trailing { count: 2 })
        );
        for cut in [1, 10, long.len() / 2] {
            assert!(Certificate::from_der(&made.der()[..cut]).is_err());
        }
    }
}
