//! Accounts, and which setting wins for an account's client: a flag, then the environment,
//! then the account's profile of the config file, then the default.
//!
//! An account is a profile of the config file, named as the file names it; without a config
//! file the one account is `default`, configured by the flags and the environment.
//! `--account NAME` (repeatable) picks accounts; `--profile` (or `DIGICERT_PROFILE`) picks
//! one; otherwise `sync` and `serve` take every profile of the file.
//!
//! | setting | flag | environment | profile |
//! |---|---|---|---|
//! | key | `--api-key`, `--api-key-file` | `DIGICERT_API_KEY` | `api_key_env`, `api_key_file`, `api_key_command` |
//! | instance | `--base-url`, `--region` | `DIGICERT_BASE_URL` | `base_url`, `region` |
//! | timeout | `--timeout` | | `timeout` |
//! | pages in flight | `--concurrency` | | `concurrency` |
//! | extra CA certificates | `--ca-cert` | | `ca_cert` |
//!
//! The environment is read here, not by clap, so that a variable never conflicts with a
//! flag: the flag simply wins.

use std::path::{Path, PathBuf};
use std::time::Duration;

use digicert_api::{ApiKey, Config};
use digicert_inventory::DEFAULT_ACCOUNT;

use super::config::{self, ConfigError, KeySource, Profile};
use crate::error::CliError;
use crate::flags::{Backend, Region};

/// The API key's environment variable.
const KEY_VARIABLE: &str = "DIGICERT_API_KEY";
/// The base URL's environment variable.
const BASE_URL_VARIABLE: &str = "DIGICERT_BASE_URL";

/// The options that configure a client, as the command line gives them (a blank
/// `--api-key` is none).
#[derive(Debug)]
pub(super) struct ClientFlags {
    pub(super) api_key: Option<ApiKey>,
    pub(super) api_key_file: Option<PathBuf>,
    pub(super) base_url: Option<String>,
    pub(super) region: Option<Region>,
    pub(super) backend: Backend,
    pub(super) concurrency: Option<u16>,
    pub(super) timeout: Option<u64>,
    pub(super) ca_cert: Option<PathBuf>,
    pub(super) no_rate_limit: bool,
    pub(super) demo: bool,
    pub(super) profile: Option<String>,
}

/// One account: its name, and its client's settings.
#[derive(Debug)]
pub struct Account {
    /// The profile's name (`default` without a config file).
    pub name: String,
    /// How this account's client is built.
    pub client: ClientSettings,
}

/// What a client is built from, every source applied.
#[derive(Debug)]
pub struct ClientSettings {
    /// The HTTP backend.
    pub backend: Backend,
    /// The server the client talks to.
    pub server: Server,
    /// Whole-request timeout.
    pub timeout: Option<Duration>,
    /// Pages in flight at once when pulling every page (async backend).
    pub concurrency: Option<usize>,
    /// Whether the client-side rate limiter is on.
    pub rate_limit: bool,
}

/// The server a client talks to.
#[derive(Debug)]
pub enum Server {
    /// CertCentral, or a server like it: the key, the base URL and any extra CA
    /// certificates are set.
    CertCentral(Box<Config>),
    /// The built-in fake CertCentral (`--demo`), started when the client is built.
    Demo,
}

/// The accounts `sync` and `serve` work on, in name order. Each one's settings are resolved
/// when it is reached, so an account whose key cannot be read does not stop the others.
#[derive(Debug)]
pub struct AccountsToSync<'a> {
    flags: &'a ClientFlags,
    file: ConfigFile,
    /// Each account's name, and the profile that configures it.
    accounts: Vec<(String, Option<String>)>,
}

impl AccountsToSync<'_> {
    /// The accounts' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.accounts.iter().map(|(name, _)| name.as_str())
    }

    /// Each account in order, resolved as the iteration reaches it: its name, and the
    /// account or why its settings could not be resolved.
    pub fn resolve(&self) -> impl Iterator<Item = (&str, Result<Account, CliError>)> {
        self.accounts.iter().map(|(name, profile)| {
            let account = self
                .flags
                .resolve(&self.file, profile.as_deref())
                .map(|client| Account {
                    name: name.clone(),
                    client,
                });
            (name.as_str(), account)
        })
    }
}

/// The config file as read once: its profiles, and where it is (`None`: no place for one).
#[derive(Debug, Default)]
struct ConfigFile {
    config: config::Config,
    path: Option<PathBuf>,
}

impl ConfigFile {
    /// Reads the file at its default place; no file is an empty one.
    fn load() -> Result<Self, CliError> {
        let (config, path) = config::load().map_err(usage)?;
        Ok(Self { config, path })
    }

    /// The profile `name` names, or the file's default one, with its name.
    fn profile(&self, name: Option<&str>) -> Result<Option<(&str, &Profile)>, CliError> {
        let Some(path) = &self.path else {
            return match name {
                Some(name) => Err(CliError::Usage(format!(
                    "profile `{name}`: no config file (neither XDG_CONFIG_HOME nor HOME is set)"
                ))),
                None => Ok(None),
            };
        };
        let selected = self.config.select(name, path).map_err(usage)?;
        if let Some((name, _)) = selected {
            tracing::debug!(profile = name, file = %path.display(), "using profile");
        }
        Ok(selected)
    }

    /// Where a profile is, for messages: `profile `us` of /path/config.toml`.
    fn describe(&self, name: &str) -> String {
        match &self.path {
            Some(path) => format!("profile `{name}` of {}", path.display()),
            None => format!("profile `{name}`"),
        }
    }
}

impl ClientFlags {
    /// The settings of the client of a command that calls CertCentral: the profile the one
    /// `--account` (`named`) names, else the one `--profile` names (or the default one).
    /// Several `--account`s, or a name that is no profile, are refused.
    pub(super) fn client(&self, named: &[String]) -> Result<ClientSettings, CliError> {
        let file = if self.demo {
            ConfigFile::default()
        } else {
            ConfigFile::load()?
        };
        let profile = match named {
            [] => self.profile.as_deref(),
            // The demo reads no config file: any name is its one account.
            [_] if self.demo => None,
            [name] => {
                refuse_unknown(named, &known_accounts(&file, &[]), &file, false)?;
                Some(name.as_str()).filter(|_| !file.config.profiles.is_empty())
            }
            several => {
                return Err(CliError::Usage(format!(
                    "--account names `{}`: a command that calls CertCentral works on one \
                     account; pick one, or run `digicert sync` for several and query the \
                     inventory",
                    several.join("`, `")
                )));
            }
        };
        self.resolve(&file, profile)
    }

    /// The accounts `sync` and `serve` work on: those `named`, else the one `--profile`
    /// names, else every profile of the file.
    pub(super) fn to_sync(&self, named: &[String]) -> Result<AccountsToSync<'_>, CliError> {
        let to_sync = |file, accounts| AccountsToSync {
            flags: self,
            file,
            accounts,
        };
        if self.demo {
            // The demo reads no config file: each named account gets a demo server of its own.
            let names = if named.is_empty() {
                vec![DEFAULT_ACCOUNT.to_owned()]
            } else {
                sorted(named.to_vec())
            };
            let accounts = names.into_iter().map(|name| (name, None)).collect();
            return Ok(to_sync(ConfigFile::default(), accounts));
        }
        let file = ConfigFile::load()?;
        let profiles = &file.config.profiles;
        let named: Vec<String> = match (named, &self.profile) {
            ([], Some(profile)) => vec![profile.clone()],
            ([], None) => profiles.keys().cloned().collect(),
            (named, _) => named.to_vec(),
        };
        refuse_unknown(&named, &known_accounts(&file, &[]), &file, false)?;
        if profiles.is_empty() {
            // No profiles: only the one account the flags and environment configure.
            let account = (DEFAULT_ACCOUNT.to_owned(), self.profile.clone());
            return Ok(to_sync(file, vec![account]));
        }
        let accounts = sorted(named)
            .into_iter()
            .map(|name| (name.clone(), Some(name)))
            .collect();
        Ok(to_sync(file, accounts))
    }

    /// The accounts a query reads, by the rule `to_sync` follows: those `named`, else the
    /// one `--profile` names, else every account (an empty list). A name must be an account
    /// the inventory holds (`held`) or a profile of the config file (`default` without
    /// one); names are compared exactly, as the config file writes them.
    pub(super) fn to_query(
        &self,
        named: &[String],
        held: &[String],
    ) -> Result<Vec<String>, CliError> {
        let named: Vec<String> = match (named, &self.profile) {
            ([], Some(profile)) => vec![profile.clone()],
            ([], None) => return Ok(Vec::new()),
            (named, _) => named.to_vec(),
        };
        let file = if self.demo {
            ConfigFile::default()
        } else {
            ConfigFile::load()?
        };
        refuse_unknown(&named, &known_accounts(&file, held), &file, true)?;
        Ok(sorted(named))
    }

    /// The settings of the client of the profile `profile` names (or the default profile).
    fn resolve(
        &self,
        file: &ConfigFile,
        profile: Option<&str>,
    ) -> Result<ClientSettings, CliError> {
        if self.demo {
            // The demo reads no config file and no environment: only the flags apply.
            return Ok(self.client_settings(Server::Demo, None));
        }
        let named = file.profile(profile)?;
        let key = self
            .api_key(named.map(|(_, profile)| profile))
            .map_err(|err| {
                match (named, err) {
                    // A profile's key source that failed: say which profile, in which file.
                    (Some((name, _)), CliError::Usage(message)) if self.uses_profile_key() => {
                        CliError::Usage(format!("{message} ({})", file.describe(name)))
                    }
                    (_, err) => err,
                }
            })?;
        let profile = named.map(|(_, profile)| profile);
        // A profile's value that cannot be used: which key, of which profile, in which file.
        let of_profile = |key: &str, value: &str, err: &dyn std::fmt::Display| {
            let name = named.map_or("", |(name, _)| name);
            CliError::Usage(format!(
                "`{key} = \"{value}\"` of {}: {err}",
                file.describe(name)
            ))
        };
        let mut config = Config::new(key);
        config = match (self.base_url.as_deref(), self.region) {
            (Some(url), _) => config.with_base_url(url)?,
            (None, Some(region)) => config.region(region.into()),
            (None, None) => match (variable(BASE_URL_VARIABLE), profile) {
                (Some(url), _) => config.with_base_url(&url)?,
                (None, Some(profile)) => from_profile(config, profile).map_err(|err| {
                    of_profile(
                        "base_url",
                        profile.base_url.as_deref().unwrap_or_default(),
                        &err,
                    )
                })?,
                (None, None) => config,
            },
        };
        let from_flag = self.ca_cert.is_some();
        let ca_cert = self
            .ca_cert
            .as_ref()
            .or(profile.and_then(|profile| profile.ca_cert.as_ref()));
        if let Some(path) = ca_cert {
            let refused = |err: &dyn std::fmt::Display| match from_flag {
                true => CliError::Usage(format!("--ca-cert {}: {err}", path.display())),
                false => of_profile("ca_cert", &path.display().to_string(), err),
            };
            let pem = std::fs::read(path).map_err(|err| refused(&err))?;
            config = config
                .root_certificates_pem(&pem)
                .map_err(|err| refused(&err))?;
        }
        Ok(self.client_settings(Server::CertCentral(Box::new(config)), profile))
    }

    /// The settings of a client of `server`: the flags, else the profile's.
    fn client_settings(&self, server: Server, profile: Option<&Profile>) -> ClientSettings {
        let timeout = self.timeout.or(profile.and_then(|profile| profile.timeout));
        let concurrency = self
            .concurrency
            .or(profile.and_then(|profile| profile.concurrency));
        ClientSettings {
            backend: self.backend,
            server,
            timeout: timeout.map(Duration::from_secs),
            concurrency: concurrency.map(usize::from),
            rate_limit: !self.no_rate_limit,
        }
    }

    /// Whether the key comes from the profile: no flag or variable gives one.
    fn uses_profile_key(&self) -> bool {
        self.api_key.is_none() && self.api_key_file.is_none() && variable(KEY_VARIABLE).is_none()
    }

    /// The key: `--api-key`, `--api-key-file`, `DIGICERT_API_KEY`, then the profile's source.
    fn api_key(&self, profile: Option<&Profile>) -> Result<ApiKey, CliError> {
        if let Some(key) = &self.api_key {
            return Ok(key.clone());
        }
        if let Some(path) = &self.api_key_file {
            return KeySource::File(path.clone()).read().map_err(usage);
        }
        if let Some(key) = variable(KEY_VARIABLE) {
            return Ok(ApiKey::new(key));
        }
        match profile.and_then(Profile::key_source) {
            Some(source) => source.read().map_err(usage),
            None => Err(CliError::Usage(format!(
                "no API key: pass --api-key or --api-key-file, set {KEY_VARIABLE}, or name a key in \
                 a profile of {} (or try --demo)",
                config::default_path()
                    .as_deref()
                    .unwrap_or(Path::new("the config file"))
                    .display()
            ))),
        }
    }
}

/// The profile's instance, if it names one.
fn from_profile(config: Config, profile: &Profile) -> Result<Config, CliError> {
    Ok(match (&profile.base_url, profile.region) {
        (Some(url), _) => config.with_base_url(url)?,
        (None, Some(region)) => config.region(region.into()),
        (None, None) => config,
    })
}

/// The accounts a name may be: those the inventory holds (`held`), and the profiles of the
/// config file (`default` without one), sorted.
fn known_accounts(file: &ConfigFile, held: &[String]) -> Vec<String> {
    let mut known: Vec<String> = held.to_vec();
    if file.config.profiles.is_empty() {
        known.push(DEFAULT_ACCOUNT.to_owned());
    } else {
        known.extend(file.config.profiles.keys().cloned());
    }
    sorted(known)
}

/// Refuses the first of `named` that is none of `known`, in the same words on every command
/// (with the name meant, when only its case differs); `inventory` says the names include
/// the inventory's accounts. Names are compared exactly, as the config file writes them.
fn refuse_unknown(
    named: &[String],
    known: &[String],
    file: &ConfigFile,
    inventory: bool,
) -> Result<(), CliError> {
    let Some(unknown) = named.iter().find(|name| !known.contains(name)) else {
        return Ok(());
    };
    let like = known
        .iter()
        .find(|name| name.eq_ignore_ascii_case(unknown))
        .map(|name| format!(" (did you mean `{name}`?)"))
        .unwrap_or_default();
    let profiles = match (&file.path, file.config.profiles.is_empty()) {
        (Some(path), false) => format!("the profiles of {}", path.display()),
        (path, _) => format!(
            "there is no config file with profiles{}: without one, the only account is `{}`",
            path.as_ref()
                .map(|path| format!(" at {}", path.display()))
                .unwrap_or_default(),
            DEFAULT_ACCOUNT
        ),
    };
    let from = if inventory {
        format!("the inventory's; {profiles}")
    } else {
        profiles
    };
    Err(CliError::Usage(format!(
        "no account `{unknown}`{like}: the accounts are `{}` ({from})",
        known.join("`, `"),
    )))
}

/// Names in order, each once.
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

/// An environment variable's value, if set and not blank.
fn variable(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// A config problem is refused input: exit 2, before any request.
fn usage(err: ConfigError) -> CliError {
    CliError::Usage(err.to_string())
}
