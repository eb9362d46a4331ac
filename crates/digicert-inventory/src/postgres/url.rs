//! A `postgres://` URL made into a client configuration: the password from the URL,
//! `PGPASSWORD` or a `.pgpass` file (as libpq finds it), TLS through rustls, and the URL as it
//! may be printed (without the password).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use postgres::config::{Config, Host, SslMode};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::store_error;
use crate::error::Error;

/// The URL as it may be printed: without the password (in the user part or a `password=`
/// parameter).
pub(crate) fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, hosts)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            format!("{user}@{hosts}")
        }
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
                    key != "password"
                })
                .collect();
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_owned(),
    };
    if scheme.is_empty() {
        format!("{authority}{tail}")
    } else {
        format!("{scheme}://{authority}{tail}")
    }
}

/// What a URL says, ready to connect.
pub(crate) struct Target {
    /// The client configuration, password included.
    pub(crate) config: Config,
    /// TLS for `sslmode=prefer` or `require`.
    pub(crate) tls: MakeRustlsConnect,
}

/// Reads a URL: the password from it, `PGPASSWORD` or the password file, a `sslrootcert`
/// parameter (a PEM file of CA certificates trusted besides the system's and the Mozilla
/// roots), and the user from `PGUSER` or `USER` when it names none.
pub(crate) fn target(url: &str, location: &str) -> Result<Target, Error> {
    let (url, root_file) = take_parameter(url, "sslrootcert");
    let mut config: Config = url.parse().map_err(|err| store_error(location, err))?;
    if config.get_hosts().is_empty() {
        config.host("localhost");
    }
    if config.get_user().is_none()
        && let Some(user) = env("PGUSER").or_else(|| env("USER"))
    {
        config.user(&user);
    }
    if config.get_password().is_none()
        && let Some(password) = password(&config)
    {
        config.password(password);
    }
    let tls = tls(root_file.as_deref().map(Path::new), location)?;
    Ok(Target { config, tls })
}

/// Whether the connection uses TLS (for messages).
pub(crate) fn tls_mode(config: &Config) -> &'static str {
    match config.get_ssl_mode() {
        SslMode::Disable => "disable",
        SslMode::Require => "require",
        _ => "prefer",
    }
}

/// A URL without one query parameter, and that parameter's value.
fn take_parameter(url: &str, name: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut value = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some((key, found)) if key == name => {
                value = Some(found.to_owned());
                false
            }
            _ => true,
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, value)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// `PGPASSWORD`, else the password file's entry for the connection.
fn password(config: &Config) -> Option<String> {
    if let Some(password) = env("PGPASSWORD") {
        return Some(password);
    }
    let file = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".pgpass")))?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        // libpq matches a socket directory as `localhost`.
        _ => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or_default();
    let dbname = config.get_dbname().unwrap_or(user);
    password_from_file(&file, &host, port, dbname, user)
}

/// The password of the first line of a libpq password file that matches; `None` if there
/// is none, the file is missing, or others may read it (ignored with a warning, as libpq does).
pub(crate) fn password_from_file(
    file: &Path,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Option<String> {
    let metadata = std::fs::metadata(file).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %file.display(),
                "the password file has group or world access; ignored (it should be 0600)"
            );
            return None;
        }
    }
    if !metadata.is_file() {
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .find_map(|line| {
            let fields = pgpass_fields(line);
            let [patterns @ .., password] = fields.as_slice() else {
                return None;
            };
            (patterns.len() == 4
                && patterns
                    .iter()
                    .zip(wanted)
                    .all(|(pattern, value)| pattern == "*" || pattern == value))
            .then(|| password.clone())
        })
}

/// The fields of a password file line: split at `:`, with `\:` and `\\` as escapes.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(field) = fields.last_mut()
                {
                    field.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(field) = fields.last_mut() {
                    field.push(c);
                }
            }
        }
    }
    fields
}

/// rustls on ring with the operating system's roots, the Mozilla roots, and those of
/// `sslrootcert`: the server's certificate is always verified when TLS is used.
fn tls(root_file: Option<&Path>, location: &str) -> Result<MakeRustlsConnect, Error> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in rustls_native_certs::load_native_certs().certs {
        // A system certificate rustls cannot read is skipped, as reqwest does.
        let _ = roots.add(certificate);
    }
    for certificate in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let _ = roots.add(certificate.clone());
    }
    if let Some(file) = root_file {
        let io = |source| Error::Io {
            path: file.to_owned(),
            source,
        };
        let pem = std::fs::read(file).map_err(io)?;
        for certificate in CertificateDer::pem_slice_iter(&pem) {
            let certificate = certificate.map_err(|err| store_error(location, err))?;
            roots
                .add(certificate)
                .map_err(|err| store_error(location, err))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| store_error(location, err))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_password_is_never_printed() {
        assert_eq!(
            redact("postgres://alice:s3cret@db.example.com:5433/inventory?sslmode=require"),
            "postgres://alice@db.example.com:5433/inventory?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://alice:p%40ss@db/inv?password=other&sslmode=disable"),
            "postgresql://alice@db/inv?sslmode=disable"
        );
        assert_eq!(redact("postgres://db/inv?password=x"), "postgres://db/inv");
        assert_eq!(
            redact("postgres://bob@127.0.0.1/x"),
            "postgres://bob@127.0.0.1/x"
        );
        // A password holding an (encoded or not) `@`.
        assert_eq!(
            redact("postgres://carol:a@b@host/db"),
            "postgres://carol@host/db"
        );
    }

    #[test]
    fn a_parameter_is_taken_out_of_the_url() {
        let (url, value) = take_parameter(
            "postgres://h/db?sslmode=require&sslrootcert=/etc/ca.pem",
            "sslrootcert",
        );
        assert_eq!(url, "postgres://h/db?sslmode=require");
        assert_eq!(value.as_deref(), Some("/etc/ca.pem"));
        let (url, value) = take_parameter("postgres://h/db", "sslrootcert");
        assert_eq!((url.as_str(), value), ("postgres://h/db", None));
    }

    #[test]
    fn password_file_lines_match_with_wildcards_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\n\
             other:5432:*:alice:wrong\n\
             db.example.com:5432:inv:bob:not-bob\n\
             db.example.com:*:inv:alice:pa\\:ss\\\\word\n\
             *:*:*:*:fallback\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let found = |host, port, db, user| password_from_file(&file, host, port, db, user);
        assert_eq!(
            found("db.example.com", 5433, "inv", "alice").as_deref(),
            Some("pa:ss\\word")
        );
        assert_eq!(found("elsewhere", 1, "x", "y").as_deref(), Some("fallback"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(found("db.example.com", 5432, "inv", "alice"), None);
        }
    }
}
