//! Which accounts a command works on. An account is a profile of the config file, named as
//! the file names it; without a config file the one account is `default`, configured by the
//! flags and the environment.
//!
//! `--account NAME` (repeatable) picks accounts; `--profile` (or `DIGICERT_PROFILE`) picks
//! one; otherwise `sync` and `serve` take every profile of the file.

use digicert_inventory::DEFAULT_ACCOUNT;

use crate::args::Global;
use crate::config;
use crate::error::CliError;

/// One account: its name, and the options that configure its client (the global ones, with
/// the account's profile selected).
#[derive(Debug, Clone)]
pub struct Account {
    /// The profile's name (`default` without a config file).
    pub name: String,
    /// The options for this account's client.
    pub global: Global,
}

/// The accounts `sync` and `serve` work on, in name order.
pub fn to_sync(global: &Global) -> Result<Vec<Account>, CliError> {
    let names = if global.demo {
        // The demo reads no config file: each named account gets a demo server of its own.
        names_or_default(&global.account)
    } else {
        let (file, path) = config::load().map_err(|err| CliError::Usage(err.to_string()))?;
        let named: Vec<String> = match (&global.account[..], &global.profile) {
            ([], Some(profile)) => vec![profile.clone()],
            ([], None) => file.profiles.keys().cloned().collect(),
            (named, _) => named.to_vec(),
        };
        if file.profiles.is_empty() {
            // No profiles: only the one account the flags and environment configure.
            if let Some(other) = named.iter().find(|name| *name != DEFAULT_ACCOUNT) {
                return Err(CliError::Usage(format!(
                    "account `{other}`: there is no config file with profiles{} (without one, \
                     the only account is `{DEFAULT_ACCOUNT}`)",
                    path.map(|path| format!(" at {}", path.display()))
                        .unwrap_or_default()
                )));
            }
            return Ok(vec![Account {
                name: DEFAULT_ACCOUNT.to_owned(),
                global: global.clone(),
            }]);
        }
        if let Some(path) = &path {
            for name in &named {
                file.select(Some(name), path)
                    .map_err(|err| CliError::Usage(err.to_string()))?;
            }
        }
        return Ok(sorted(named)
            .into_iter()
            .map(|name| Account {
                global: Global {
                    profile: Some(name.clone()),
                    ..global.clone()
                },
                name,
            })
            .collect());
    };
    Ok(names
        .into_iter()
        .map(|name| Account {
            name,
            global: global.clone(),
        })
        .collect())
}

fn names_or_default(named: &[String]) -> Vec<String> {
    if named.is_empty() {
        vec![DEFAULT_ACCOUNT.to_owned()]
    } else {
        sorted(named.to_vec())
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}
