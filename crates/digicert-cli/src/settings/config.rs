//! The config file, `$XDG_CONFIG_HOME/digicert/config.toml`: named profiles (accounts), each
//! with its instance, its settings and where its API key comes from.
//!
//! ```toml
//! default_profile = "us"
//! [profiles.us]
//! region = "us"                                # or base_url = "https://..."
//! api_key_file = "~/.config/digicert/us.key"   # or api_key_env = "VAR", or api_key_command = "..."
//! timeout = 30
//! concurrency = 4
//! ca_cert = "~/.config/digicert/proxy-ca.pem"  # optional: a TLS-inspecting proxy's CA
//! ```
//!
//! This module only reads the file and a profile's key; which source wins over which
//! (flag, environment, profile, default) is decided in `accounts`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use digicert_api::ApiKey;
use serde::Deserialize;

use super::dirs;
use crate::flags::Region;

/// The whole file: every profile by name, and the one used when none is named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The profile used when neither `--profile` nor `DIGICERT_PROFILE` names one.
    pub default_profile: Option<String>,
    /// Every profile (account), by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One account: the CertCentral instance, settings, and where its key comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The CertCentral instance (or `base_url`, not both).
    pub region: Option<Region>,
    /// Any base URL (or `region`, not both).
    pub base_url: Option<String>,
    /// The key is in this environment variable.
    pub api_key_env: Option<String>,
    /// The key is in this file (`~` is the home directory; relative to the config file's
    /// folder); refused if the group or others may read it.
    pub api_key_file: Option<PathBuf>,
    /// The key is what this command prints (run with `sh -c`), e.g. `pass show digicert`.
    pub api_key_command: Option<String>,
    /// Whole-request timeout in seconds (1-3600).
    pub timeout: Option<u64>,
    /// Pages in flight at once with the async backend (1-64).
    pub concurrency: Option<u16>,
    /// A PEM file of CA certificates to trust too (`~` and relative paths as for
    /// `api_key_file`).
    pub ca_cert: Option<PathBuf>,
}

/// Where a key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable, by name.
    Env(String),
    /// A file only its owner may read.
    File(PathBuf),
    /// A shell command's standard output.
    Command(String),
}

/// Why the config file or a key could not be used. No message ever holds a key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The file is not valid TOML or not the expected layout.
    #[error("config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A profile was asked for that the file does not have.
    #[error("no profile `{name}` in {path} (profiles: {known})")]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The file (or where it would be).
        path: PathBuf,
        /// The profiles the file has.
        known: String,
    },
    /// A profile's settings contradict each other or are out of range.
    #[error("config file {path}: profile `{profile}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// What is wrong.
        message: String,
    },
    /// A key could not be read from its source.
    #[error("API key from {source_name}: {message}")]
    Key {
        /// The source, e.g. `api_key_file /home/me/us.key`.
        source_name: String,
        /// What went wrong.
        message: String,
    },
}

/// Where the config file is: `$XDG_CONFIG_HOME/digicert/config.toml`, else
/// `~/.config/digicert/config.toml`; `None` if neither variable is set.
pub fn default_path() -> Option<PathBuf> {
    let base = dirs::base_dir("XDG_CONFIG_HOME", ".config")?;
    Some(base.join("digicert").join("config.toml"))
}

/// Reads the config file at the default path: an empty config if there is none.
pub fn load() -> Result<(Config, Option<PathBuf>), ConfigError> {
    let Some(path) = default_path() else {
        return Ok((Config::default(), None));
    };
    let config = Config::load_from(&path)?.unwrap_or_default();
    Ok((config, Some(path)))
}

impl Config {
    /// Reads and checks a config file; `None` if it does not exist.
    pub fn load_from(path: &Path) -> Result<Option<Self>, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut config = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })?;
        let folder = path.parent().unwrap_or(Path::new("."));
        for (name, profile) in &mut config.profiles {
            profile.check().map_err(|message| ConfigError::Invalid {
                path: path.to_owned(),
                profile: name.clone(),
                message,
            })?;
            for file in [&mut profile.api_key_file, &mut profile.ca_cert]
                .into_iter()
                .flatten()
            {
                *file = resolve_path(file, folder);
            }
        }
        Ok(Some(config))
    }

    /// Parses the file's text; the error is the parser's message.
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|err| err.to_string().trim_end().to_owned())
    }

    /// The profile named, or else the default profile, if any.
    pub fn select(
        &self,
        name: Option<&str>,
        path: &Path,
    ) -> Result<Option<(&str, &Profile)>, ConfigError> {
        let Some(name) = name.or(self.default_profile.as_deref()) else {
            return Ok(None);
        };
        match self.profiles.get_key_value(name) {
            Some((name, profile)) => Ok(Some((name.as_str(), profile))),
            None => Err(ConfigError::UnknownProfile {
                name: name.to_owned(),
                path: path.to_owned(),
                known: if self.profiles.is_empty() {
                    "none".to_owned()
                } else {
                    self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                },
            }),
        }
    }
}

impl Profile {
    /// Where the profile's key comes from, if it says.
    pub fn key_source(&self) -> Option<KeySource> {
        self.api_key_env
            .clone()
            .map(KeySource::Env)
            .or_else(|| self.api_key_file.clone().map(KeySource::File))
            .or_else(|| self.api_key_command.clone().map(KeySource::Command))
    }

    /// Refuses settings that contradict each other or are out of range: what is wrong.
    fn check(&self) -> Result<(), String> {
        if self.region.is_some() && self.base_url.is_some() {
            return Err("it sets both `region` and `base_url`: keep one".to_owned());
        }
        let sources: Vec<&str> = [
            ("api_key_env", self.api_key_env.is_some()),
            ("api_key_file", self.api_key_file.is_some()),
            ("api_key_command", self.api_key_command.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        if sources.len() > 1 {
            return Err(format!(
                "it sets {} key sources (`{}`): keep one of them",
                sources.len(),
                sources.join("`, `")
            ));
        }
        if self
            .timeout
            .is_some_and(|seconds| !(1..=3600).contains(&seconds))
        {
            return Err("`timeout` must be 1 to 3600 seconds".to_owned());
        }
        if self
            .concurrency
            .is_some_and(|pages| !(1..=64).contains(&pages))
        {
            return Err("`concurrency` must be 1 to 64".to_owned());
        }
        Ok(())
    }
}

impl KeySource {
    /// Reads the key.
    pub fn read(&self) -> Result<ApiKey, ConfigError> {
        let key = match self {
            Self::Env(name) => std::env::var(name).map_err(|_| self.error("is not set"))?,
            Self::File(path) => read_private_file(path).map_err(|message| self.error(&message))?,
            Self::Command(command) => run(command).map_err(|message| self.error(&message))?,
        };
        if key.trim().is_empty() {
            return Err(self.error("is empty"));
        }
        Ok(ApiKey::new(key))
    }

    /// An error naming this source.
    fn error(&self, message: &str) -> ConfigError {
        let source_name = match self {
            Self::Env(name) => format!("environment variable {name}"),
            Self::File(path) => format!("file {}", path.display()),
            Self::Command(command) => format!("command `{command}`"),
        };
        ConfigError::Key {
            source_name,
            message: message.to_owned(),
        }
    }
}

/// Reads a key file, refusing one that the group or others may read.
fn read_private_file(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|err| err.to_string())?;
    if metadata.is_dir() {
        return Err("is a directory".to_owned());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode();
        if mode & 0o044 != 0 {
            return Err(format!(
                "is readable by others (mode {:o}); run `chmod 600 {}`",
                mode & 0o777,
                path.display()
            ));
        }
    }
    std::fs::read_to_string(path).map_err(|err| err.to_string())
}

/// Runs `sh -c command` and returns its standard output; its standard error goes to ours.
fn run(command: &str) -> Result<String, String> {
    let output = Command::new("sh")
        .args(["-c", command])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start sh: {err}"))?;
    if !output.status.success() {
        return Err(match output.status.code() {
            Some(code) => format!("the command exited with status {code}"),
            None => "the command was ended by a signal".to_owned(),
        });
    }
    String::from_utf8(output.stdout).map_err(|_| "printed something that is not UTF-8".to_owned())
}

/// `~/x` in the home directory; a relative path in `folder`.
fn resolve_path(path: &Path, folder: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = dirs::home()
    {
        return home.join(rest);
    }
    folder.join(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_documented_layout() {
        let config = Config::parse(
            r#"
            default_profile = "us"
            [profiles.us]
            region = "us"
            api_key_file = "~/.config/digicert/us.key"
            timeout = 30
            concurrency = 4
            [profiles.lab]
            base_url = "http://127.0.0.1:8080/services/v2"
            api_key_command = "pass show digicert"
            "#,
        )
        .unwrap();
        assert_eq!(config.default_profile.as_deref(), Some("us"));
        let us = &config.profiles["us"];
        assert_eq!(us.region, Some(Region::Us));
        assert_eq!((us.timeout, us.concurrency), (Some(30), Some(4)));
        assert_eq!(
            config.profiles["lab"].key_source(),
            Some(KeySource::Command("pass show digicert".to_owned()))
        );
        let (name, _) = config.select(None, Path::new("c")).unwrap().unwrap();
        assert_eq!(name, "us");
        let err = config.select(Some("eu"), Path::new("c")).unwrap_err();
        assert!(err.to_string().contains("profiles: lab, us"), "{err}");
    }

    #[test]
    fn typos_and_contradictions_are_refused() {
        let err = Config::parse("[profiles.us]\napi_kee_file = \"x\"\n").unwrap_err();
        assert!(err.contains("api_kee_file"), "{err}");
        assert!(Config::parse("[profiles.us]\nregion = \"asia\"\n").is_err());
        let both = Profile {
            region: Some(Region::Eu),
            base_url: Some("https://x.example".to_owned()),
            ..Profile::default()
        };
        assert!(
            both.check()
                .unwrap_err()
                .contains("`region` and `base_url`")
        );
        let two_keys = Profile {
            api_key_env: Some("A".to_owned()),
            api_key_command: Some("b".to_owned()),
            ..Profile::default()
        };
        let err = two_keys.check().unwrap_err();
        assert!(err.contains("`api_key_env`, `api_key_command`"), "{err}");
        let slow = Profile {
            timeout: Some(0),
            ..Profile::default()
        };
        assert!(slow.check().is_err());
    }

    #[test]
    fn paths_are_resolved() {
        let folder = Path::new("/etc/digicert");
        assert_eq!(
            resolve_path(Path::new("us.key"), folder),
            Path::new("/etc/digicert/us.key")
        );
        assert_eq!(resolve_path(Path::new("/k"), folder), Path::new("/k"));
    }
}
