//! The web config as it is now. exporter-toolkit reads its file again for every request and
//! every TLS handshake, so that a renewed certificate or a changed password takes effect
//! without a restart; `serve` does the same. It reads the file and the files it names each
//! time, and builds the settings again only when one of them has changed. Files are
//! compared byte for byte, because a certificate renewed within one clock tick keeps its
//! time stamp, and often its length.
//!
//! A file that no longer reads or checks is answered as exporter-toolkit answers it: 500 for
//! every request and no TLS session, until it is mended. One line in the log says so for
//! each change. Two settings are taken at start only: whether TLS is on (a file that turns
//! it on or off is refused until a restart) and the rate limit (one bucket for the process,
//! as in exporter-toolkit).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::auth::BasicAuth;
use super::config::{self, WebConfigError, WebFile};
use super::headers::Headers;
use super::tls::Tls;

/// What the file asks of every connection and request.
#[derive(Debug)]
pub struct Settings {
    /// TLS; none for plain HTTP.
    pub tls: Option<Arc<Tls>>,
    /// Basic authentication; none when the file names no user.
    pub auth: Option<BasicAuth>,
    /// The headers every answer carries.
    pub headers: Headers,
    /// The rate limit, time between requests and burst; none when off. `serve` keeps the
    /// one of the file at start ([`Live::rate`]).
    rate: Option<(Duration, u32)>,
}

impl Settings {
    /// The settings without a file: plain HTTP, no authentication, the default headers.
    pub fn defaults() -> Self {
        Self {
            tls: None,
            auth: None,
            headers: Headers::defaults(),
            rate: None,
        }
    }

    /// The settings of `file`, read from `path`, checked (certificates and keys read).
    pub fn of(path: &Path, file: &WebFile) -> Result<Self, WebConfigError> {
        let invalid = |message: String| WebConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        config::check_headers(&file.http_server_config.headers).map_err(invalid)?;
        let auth = BasicAuth::new(&file.basic_auth_users).map_err(invalid)?;
        let tls = if file.tls_enabled() {
            Some(Arc::new(
                Tls::new(&file.tls_server_config).map_err(invalid)?,
            ))
        } else {
            None
        };
        let rate = file
            .rate_limit()
            .map_err(|err| invalid(format!("rate_limit.interval: {err}")))?;
        let headers = Headers::new(&file.http_server_config.headers).map_err(invalid)?;
        Ok(Self {
            tls,
            auth,
            headers,
            rate,
        })
    }
}

/// The settings, kept up to date with the file.
#[derive(Debug)]
pub struct Live {
    /// The web config file; none without one (the settings never change).
    path: Option<PathBuf>,
    /// Whether TLS was on at start.
    tls: bool,
    /// The rate limit at start.
    rate: Option<(Duration, u32)>,
    state: Mutex<State>,
}

/// Files as read: each path with its bytes (none: unreadable).
type Read = Vec<(PathBuf, Option<Vec<u8>>)>;

/// The files as last read, and what was built from them.
#[derive(Debug)]
struct State {
    /// The web config file and the files it named.
    read: Read,
    /// None while the file does not read or check.
    settings: Option<Arc<Settings>>,
}

impl Live {
    /// Settings that never change: no file.
    pub fn fixed(settings: Settings) -> Self {
        Self {
            path: None,
            tls: settings.tls.is_some(),
            rate: settings.rate,
            state: Mutex::new(State {
                read: Vec::new(),
                settings: Some(Arc::new(settings)),
            }),
        }
    }

    /// The settings of the file at `path`, read and checked now: an error here is the
    /// error at start.
    pub fn watching(path: &Path) -> Result<Self, WebConfigError> {
        let (read, settings) = load(path, None);
        let settings = settings?;
        Ok(Self {
            path: Some(path.to_owned()),
            tls: settings.tls.is_some(),
            rate: settings.rate,
            state: Mutex::new(State {
                read,
                settings: Some(Arc::new(settings)),
            }),
        })
    }

    /// Whether TLS is on.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The rate limit of the file at start: time between requests and burst.
    pub fn rate(&self) -> Option<(Duration, u32)> {
        self.rate
    }

    /// The settings as the files are now; none while they do not read or check.
    pub fn current(&self) -> Option<Arc<Settings>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(path) = &self.path else {
            return state.settings.clone();
        };
        let unchanged = state
            .read
            .iter()
            .all(|(file, bytes)| std::fs::read(file).ok() == *bytes);
        if unchanged {
            return state.settings.clone();
        }
        let (read, settings) = load(path, Some(self.tls));
        state.read = read;
        state.settings = match settings {
            Ok(settings) => {
                tracing::info!(path = %path.display(), "web config read again");
                Some(Arc::new(settings))
            }
            Err(err) => {
                tracing::error!(
                    error = %err,
                    "the web config no longer reads or checks: every request is answered 500, \
                     and no TLS session is made, until it is mended"
                );
                None
            }
        };
        state.settings.clone()
    }
}

/// Reads the file at `path` and the files it names, then builds the settings; `tls`, once
/// serving, is whether TLS must be on. The files are read before the settings are built, so
/// that a file changed meanwhile is found changed at the next look.
fn load(path: &Path, tls: Option<bool>) -> (Read, Result<Settings, WebConfigError>) {
    let (bytes, file) = match std::fs::read(path) {
        Ok(bytes) => {
            let file = std::str::from_utf8(&bytes)
                .map_err(|_| WebConfigError::Read {
                    path: path.to_owned(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "stream did not contain valid UTF-8",
                    ),
                })
                .and_then(|text| WebFile::parse(path, text));
            (Some(bytes), file)
        }
        Err(source) => (
            None,
            Err(WebConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        ),
    };
    let mut read = vec![(path.to_owned(), bytes)];
    let file = match file {
        Ok(file) => file,
        Err(err) => return (read, Err(err)),
    };
    read.extend(file.named_files().into_iter().map(|named| {
        let bytes = std::fs::read(&named).ok();
        (named, bytes)
    }));
    let settings = Settings::of(path, &file).and_then(|settings| match tls {
        Some(tls) if tls != settings.tls.is_some() => Err(WebConfigError::Invalid {
            path: path.to_owned(),
            message: format!(
                "TLS was {} at start: turning it {} needs a restart",
                if tls { "on" } else { "off" },
                if tls { "off" } else { "on" }
            ),
        }),
        _ => Ok(settings),
    });
    (read, settings)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::tls::tests::self_signed;
    use super::*;

    fn hash() -> String {
        bcrypt::hash("pw", 4).unwrap()
    }

    fn users(live: &Live) -> Option<Vec<String>> {
        live.current().map(|settings| {
            settings
                .auth
                .as_ref()
                .map(BasicAuth::users)
                .unwrap_or_default()
        })
    }

    #[test]
    fn a_changed_file_is_read_again_and_a_broken_one_answers_nothing_until_mended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.yml");
        let hash = hash();
        std::fs::write(&path, format!("basic_auth_users:\n  alice: {hash}\n")).unwrap();
        let live = Live::watching(&path).unwrap();
        assert_eq!(users(&live), Some(vec!["alice".to_owned()]));
        // Unchanged: the same settings, not built again.
        assert!(Arc::ptr_eq(
            &live.current().unwrap(),
            &live.current().unwrap()
        ));

        // The same length, written at once: found by its bytes.
        std::fs::write(&path, format!("basic_auth_users:\n  carol: {hash}\n")).unwrap();
        assert_eq!(users(&live), Some(vec!["carol".to_owned()]));

        std::fs::write(&path, "basic_auth_users:\n  carol: not-a-hash\n").unwrap();
        assert_eq!(users(&live), None);
        assert_eq!(users(&live), None);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(users(&live), None);

        std::fs::write(&path, b"basic_auth_users:\n  \xff: x\n").unwrap();
        assert_eq!(users(&live), None);
        let (_, settings) = load(&path, None);
        assert!(settings.unwrap_err().to_string().ends_with("valid UTF-8"));

        std::fs::write(&path, "").unwrap();
        assert_eq!(users(&live), Some(Vec::new()));
    }

    #[test]
    fn the_rate_limit_is_the_one_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.yml");
        std::fs::write(&path, "rate_limit:\n  interval: 1s\n  burst: 3\n").unwrap();
        let live = Live::watching(&path).unwrap();
        assert_eq!(live.rate(), Some((Duration::from_secs(1), 3)));
        std::fs::write(&path, "").unwrap();
        assert!(live.current().is_some());
        assert_eq!(live.rate(), Some((Duration::from_secs(1), 3)));
        std::fs::write(&path, "rate_limit:\n  interval: soon\n").unwrap();
        assert!(live.current().is_none());
    }

    #[test]
    fn turning_tls_off_or_on_needs_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed();
        std::fs::write(dir.path().join("server.pem"), cert).unwrap();
        std::fs::write(dir.path().join("server.key"), key).unwrap();
        let path = dir.path().join("web.yml");
        let with_tls = "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n";
        std::fs::write(&path, with_tls).unwrap();
        let live = Live::watching(&path).unwrap();
        assert!(live.tls());
        assert!(live.current().unwrap().tls.is_some());

        std::fs::write(&path, "").unwrap();
        assert!(live.current().is_none());
        let (_, settings) = load(&path, Some(true));
        assert!(
            settings
                .unwrap_err()
                .to_string()
                .ends_with("TLS was on at start: turning it off needs a restart")
        );
        let (_, settings) = load(&dir.path().join("web.yml"), Some(false));
        assert!(settings.is_ok());

        std::fs::write(&path, with_tls).unwrap();
        assert!(live.current().unwrap().tls.is_some());
        // The key replaced by another: read again, and refused (it is not the certificate's).
        let (_, other) = self_signed();
        std::fs::write(dir.path().join("server.key"), other).unwrap();
        assert!(live.current().is_none());
    }

    #[test]
    fn without_a_file_the_defaults_stay() {
        let live = Live::fixed(Settings::defaults());
        assert!(!live.tls());
        assert!(live.current().unwrap().auth.is_none());
    }
}
