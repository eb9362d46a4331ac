//! The web configuration file of `serve --web-config FILE`, in the format Prometheus
//! exporters share (prometheus/exporter-toolkit's `docs/web-configuration.md`): read
//! strictly (an unknown key is an error), with exporter-toolkit's defaults, checks and
//! messages, so that a team's existing file works or fails the same way.
//!
//! What rustls cannot do is said where it matters: TLS 1.0 and 1.1 (a `min_version` below
//! TLS12 allows 1.2 and 1.3), CBC cipher suites and the P-521 curve (left out of the lists
//! they appear in), HTTP/2 (`http2` is read and HTTP/1.1 served). Client certificates are
//! verified against `client_ca`/`client_ca_file` only, never the system roots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::go_errors;

/// The file as written; empty strings are unset, as in exporter-toolkit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebFile {
    /// TLS, and client certificates.
    pub tls_server_config: TlsFile,
    /// Response headers (and `http2`).
    pub http_server_config: HttpFile,
    /// User names and bcrypt hashes of their passwords.
    pub basic_auth_users: BTreeMap<String, Option<String>>,
    /// A token bucket over every request.
    pub rate_limit: RateLimitFile,
}

/// `tls_server_config`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsFile {
    /// The server certificate chain, PEM, inline.
    pub cert: String,
    /// Its key, PEM, inline.
    pub key: String,
    /// The client CA certificates, PEM, inline.
    pub client_ca: String,
    /// The server certificate chain file.
    pub cert_file: String,
    /// Its key file.
    pub key_file: String,
    /// `NoClientCert`, `RequestClientCert`, `RequireAnyClientCert`,
    /// `VerifyClientCertIfGiven` or `RequireAndVerifyClientCert`.
    pub client_auth_type: String,
    /// The client CA certificates file.
    pub client_ca_file: String,
    /// Names a client certificate must carry one of (exact match).
    pub client_allowed_sans: Option<Vec<String>>,
    /// `TLS10` to `TLS13`; TLS12 unless set.
    pub min_version: String,
    /// `TLS10` to `TLS13`; TLS13 unless set.
    pub max_version: String,
    /// Go's names of the TLS 1.2 cipher suites allowed.
    pub cipher_suites: Vec<String>,
    /// The server's order of cipher suites wins (true unless set).
    pub prefer_server_cipher_suites: Option<bool>,
    /// Go's names of the key exchange groups, in order.
    pub curve_preferences: Vec<String>,
}

/// `http_server_config`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpFile {
    /// Read, and not used: `serve` speaks HTTP/1.1.
    pub http2: Option<bool>,
    /// Headers added to every response.
    pub headers: BTreeMap<String, String>,
}

/// `rate_limit`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitFile {
    /// Time between two requests (a Go duration: `100ms`, `1s`); 0 turns it off.
    pub interval: Option<String>,
    /// Requests allowed at once.
    pub burst: u32,
}

/// What is wrong with a web configuration file; the messages are exporter-toolkit's where it
/// has one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebConfigError {
    /// The file could not be read.
    #[error("web config {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not YAML of this shape (an unknown key, a list for a string...).
    #[error("web config {path}: {message}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// What yaml.v2 says (an unknown key), else what the parser said, with the place.
        message: String,
    },
    /// A check failed.
    #[error("web config {path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// exporter-toolkit's message, or what rustls cannot do.
        message: String,
    },
}

impl WebFile {
    /// Parses `text`, the file at `path` as read; relative paths in it are made relative to
    /// its folder.
    pub fn parse(path: &Path, text: &str) -> Result<Self, WebConfigError> {
        let mut file = if text.trim().is_empty() {
            WebFile::default()
        } else {
            serde_norway::from_str::<WebFile>(text).map_err(|err| WebConfigError::Yaml {
                path: path.to_owned(),
                message: go_errors::yaml(&err),
            })?
        };
        let dir = path.parent().unwrap_or(Path::new(""));
        let tls = &mut file.tls_server_config;
        for file in [
            &mut tls.cert_file,
            &mut tls.key_file,
            &mut tls.client_ca_file,
        ] {
            *file = join_dir(dir, file);
        }
        Ok(file)
    }

    /// The files the settings name (certificate, key, client CA), as given or made
    /// relative to the file's folder.
    pub fn named_files(&self) -> Vec<PathBuf> {
        let tls = &self.tls_server_config;
        [&tls.cert_file, &tls.key_file, &tls.client_ca_file]
            .into_iter()
            .filter(|file| !file.is_empty())
            .map(PathBuf::from)
            .collect()
    }

    /// Whether any TLS setting is there (exporter-toolkit's `IsEnabled`): TLS is on, and
    /// must then be complete.
    pub fn tls_enabled(&self) -> bool {
        let tls = &self.tls_server_config;
        [
            &tls.cert_file,
            &tls.cert,
            &tls.key_file,
            &tls.key,
            &tls.client_ca_file,
            &tls.client_ca,
            &tls.client_auth_type,
        ]
        .iter()
        .any(|value| !value.is_empty())
    }

    /// The rate limit: time between requests and burst; none when off.
    pub fn rate_limit(&self) -> Result<Option<(Duration, u32)>, String> {
        let Some(interval) = &self.rate_limit.interval else {
            return Ok(None);
        };
        let interval = go_duration(interval)?;
        Ok((!interval.is_zero()).then_some((interval, self.rate_limit.burst)))
    }
}

/// A relative path joined to the config file's folder; an empty or absolute one unchanged.
fn join_dir(dir: &Path, file: &str) -> String {
    if file.is_empty() || Path::new(file).is_absolute() {
        return file.to_owned();
    }
    dir.join(file).to_string_lossy().into_owned()
}

/// A Go duration (`time.ParseDuration`): `300ms`, `1.5h`, `2h45m`; `0` alone is zero.
fn go_duration(text: &str) -> Result<Duration, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(invalid)?;
        let number: f64 = rest[..number_end].parse().map_err(|_| invalid())?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        total += number * seconds;
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| invalid())
}

/// The headers a file may set and the values each allows (none listed: any value), as
/// exporter-toolkit keeps them.
const EXTRA_HEADERS: [(&str, &[&str]); 5] = [
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

/// exporter-toolkit's `validateHeaderConfig`: only the five headers, enumerated values only.
pub fn check_headers(headers: &BTreeMap<String, String>) -> Result<(), String> {
    for (name, value) in headers {
        let Some((_, allowed)) = EXTRA_HEADERS.iter().find(|(known, _)| known == name) else {
            return Err(format!("HTTP header {name:?} can not be configured"));
        };
        if !allowed.is_empty() && !allowed.contains(&value.as_str()) {
            return Err(format!(
                "invalid value for {name}. Expected one of: {}, but got: {value:?}",
                go_errors::quoted_list(allowed)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(text: &str) -> Result<WebFile, WebConfigError> {
        WebFile::parse(Path::new("/etc/digicert/web.yml"), text)
    }

    #[test]
    fn an_unknown_key_is_an_error_as_yaml_v2_says_it() {
        for (text, expected) in [
            (
                "tls_server_config:\n  cert_fil: x\n",
                "line 2: field cert_fil not found in type web.TLSConfig",
            ),
            (
                "\nbasic_auth: {}\n",
                "line 2: field basic_auth not found in type web.Config",
            ),
            (
                "http_server_config:\n  http2: true\n  header: {}\n",
                "line 3: field header not found in type web.HTTPConfig",
            ),
            (
                "rate_limit:\n  burts: 3\n",
                "line 2: field burts not found in type web.RateLimiterConfig",
            ),
        ] {
            let message = parse(text).unwrap_err().to_string();
            assert!(
                message.ends_with(&format!(": yaml: unmarshal errors:\n  {expected}")),
                "{message}"
            );
        }
    }

    #[test]
    fn relative_files_are_beside_the_config_and_tls_is_on_with_any_setting() {
        let file =
            parse("tls_server_config:\n  cert_file: a.pem\n  key_file: /abs/k.pem\n").unwrap();
        assert_eq!(file.tls_server_config.cert_file, "/etc/digicert/a.pem");
        assert_eq!(file.tls_server_config.key_file, "/abs/k.pem");
        assert!(file.tls_enabled());
        assert!(!parse("").unwrap().tls_enabled());
        assert!(!parse("basic_auth_users: {}\n").unwrap().tls_enabled());
    }

    #[test]
    fn headers_are_checked_as_exporter_toolkit_does() {
        let mut headers = BTreeMap::new();
        headers.insert("X-Frame-Options".to_owned(), "deny".to_owned());
        headers.insert(
            "Strict-Transport-Security".to_owned(),
            "max-age=1".to_owned(),
        );
        assert!(check_headers(&headers).is_ok());
        headers.insert("X-Frame-Options".to_owned(), "allow".to_owned());
        assert_eq!(
            check_headers(&headers).unwrap_err(),
            r#"invalid value for X-Frame-Options. Expected one of: ["deny" "sameorigin"], but got: "allow""#
        );
        let mut other = BTreeMap::new();
        other.insert("Server".to_owned(), "x".to_owned());
        assert_eq!(
            check_headers(&other).unwrap_err(),
            r#"HTTP header "Server" can not be configured"#
        );
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(go_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(go_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(go_duration("1.5h").unwrap(), Duration::from_secs(5400));
        for bad in ["", "10", "1d", "s", "-1s"] {
            assert!(go_duration(bad).is_err(), "{bad}");
        }
    }
}
