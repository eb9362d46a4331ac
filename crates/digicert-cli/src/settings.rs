//! Which setting wins: a flag, then the environment, then the profile of the config file,
//! then the default.
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

use std::path::Path;
use std::time::Duration;

use digicert_api::{ApiKey, Config, Region};

use crate::args::{self, Global};
use crate::config::{self, ConfigError, KeySource, Profile};
use crate::error::CliError;

/// The API key's environment variable.
const KEY_VARIABLE: &str = "DIGICERT_API_KEY";
/// The base URL's environment variable.
const BASE_URL_VARIABLE: &str = "DIGICERT_BASE_URL";

/// The client configuration for real use (not `--demo`), from every source in order.
pub fn resolve(global: &Global) -> Result<Config, CliError> {
    let profile = profile(global)?;
    let profile = profile.as_ref();
    let mut config = Config::new(api_key(global, profile)?);
    config = match (global.base_url.as_deref(), global.region) {
        (Some(url), _) => config.with_base_url(url)?,
        (None, Some(region)) => config.region(api_region(region)),
        (None, None) => match (variable(BASE_URL_VARIABLE), profile) {
            (Some(url), _) => config.with_base_url(&url)?,
            (None, Some(profile)) => from_profile(config, profile)?,
            (None, None) => config,
        },
    };
    let timeout = global.timeout.or(profile.and_then(|p| p.timeout));
    if let Some(seconds) = timeout {
        config = config.timeout(Duration::from_secs(seconds));
    }
    if let Some(pages) = global
        .concurrency
        .or(profile.and_then(|profile| profile.concurrency))
    {
        config = config.concurrency(usize::from(pages));
    }
    let ca_cert = global
        .ca_cert
        .as_ref()
        .or(profile.and_then(|profile| profile.ca_cert.as_ref()));
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path)
            .map_err(|err| CliError::Usage(format!("--ca-cert {}: {err}", path.display())))?;
        config = config
            .root_certificates_pem(&pem)
            .map_err(|err| CliError::Usage(format!("--ca-cert {}: {err}", path.display())))?;
    }
    Ok(config)
}

/// The profile `--profile` or `DIGICERT_PROFILE` names, or the file's default one.
fn profile(global: &Global) -> Result<Option<Profile>, CliError> {
    let (file, path) = config::load().map_err(usage)?;
    let Some(path) = path else {
        return match &global.profile {
            Some(name) => Err(CliError::Usage(format!(
                "profile `{name}`: no config file (neither XDG_CONFIG_HOME nor HOME is set)"
            ))),
            None => Ok(None),
        };
    };
    let selected = file
        .select(global.profile.as_deref(), &path)
        .map_err(usage)?;
    if let Some((name, _)) = selected {
        tracing::debug!(profile = name, file = %path.display(), "using profile");
    }
    Ok(selected.map(|(_, profile)| profile.clone()))
}

/// The key: `--api-key`, `--api-key-file`, `DIGICERT_API_KEY`, then the profile's source.
fn api_key(global: &Global, profile: Option<&Profile>) -> Result<ApiKey, CliError> {
    if let Some(key) = global
        .api_key
        .as_deref()
        .filter(|key| !key.trim().is_empty())
    {
        return Ok(ApiKey::new(key));
    }
    if let Some(path) = &global.api_key_file {
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

/// The profile's instance, if it names one.
fn from_profile(config: Config, profile: &Profile) -> Result<Config, CliError> {
    Ok(match (&profile.base_url, profile.region) {
        (Some(url), _) => config.with_base_url(url)?,
        (None, Some(config::Region::Us)) => config.region(Region::Us),
        (None, Some(config::Region::Eu)) => config.region(Region::Eu),
        (None, None) => config,
    })
}

/// The client's region for the flag's.
fn api_region(region: args::Region) -> Region {
    match region {
        args::Region::Us => Region::Us,
        args::Region::Eu => Region::Eu,
    }
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
