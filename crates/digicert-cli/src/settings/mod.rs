//! Settings: the global options, the environment and the config file resolved into plain
//! values. Nothing above this module sees a flag type; each command gets a [`Settings`].
//!
//! What needs no file or key (the output, the inventory's place) is resolved at once; an
//! account's client settings are resolved when a command asks for them, so a command that
//! calls no API never reads the config file or a key.

mod accounts;
mod config;
mod dirs;

use std::path::{Path, PathBuf};

use digicert_api::ApiKey;

pub use accounts::{Account, AccountsToSync, ClientSettings, Server};

use crate::error::CliError;
use crate::flags::{Backend, Format, GlobalFlags};

/// What the command line, the environment and the config file ask for.
#[derive(Debug)]
pub struct Settings {
    /// How results are written on stdout.
    pub format: Format,
    /// Only errors on stderr; no progress bar, no notes.
    pub quiet: bool,
    /// The accounts `--account` names (none: every account).
    pub accounts: Vec<String>,
    /// Where the inventory is, if there is a place for it.
    inventory: Option<PathBuf>,
    /// The options that configure a client, resolved per account.
    client_flags: accounts::ClientFlags,
}

impl Settings {
    /// The settings the parsed options ask for; reads the environment, not the config file.
    pub fn new(flags: GlobalFlags) -> Self {
        let GlobalFlags {
            api_key,
            base_url,
            region,
            backend,
            concurrency,
            timeout,
            no_rate_limit,
            format,
            db,
            demo,
            profile,
            account,
            api_key_file,
            ca_cert,
            verbose: _,
            quiet,
        } = flags;
        Self {
            format,
            quiet,
            accounts: account,
            inventory: db.or_else(|| default_inventory(demo)),
            client_flags: accounts::ClientFlags {
                api_key: api_key
                    .filter(|key| !key.trim().is_empty())
                    .map(ApiKey::new),
                api_key_file,
                base_url,
                region,
                backend,
                concurrency,
                timeout,
                ca_cert,
                no_rate_limit,
                demo,
                profile,
            },
        }
    }

    /// The inventory: `--db`/`DIGICERT_DB` (a file, or a PostgreSQL URL), or the platform data
    /// directory (`$XDG_DATA_HOME/digicert/`, else `~/.local/share/digicert/`), `demo.sqlite`
    /// with `--demo`.
    pub fn inventory(&self) -> Result<&Path, CliError> {
        self.inventory.as_deref().ok_or_else(|| {
            CliError::Usage(
                "no place for the inventory: pass --db PATH or set DIGICERT_DB (neither \
                 XDG_DATA_HOME nor HOME is set)"
                    .to_owned(),
            )
        })
    }

    /// The client settings of a command that calls the API: the profile `--profile` or
    /// `DIGICERT_PROFILE` names, else the config file's default profile.
    pub fn client(&self) -> Result<ClientSettings, CliError> {
        self.client_flags.client()
    }

    /// The accounts `sync` and `serve` work on: those `--account` names, else the one
    /// `--profile` names, else every profile of the config file.
    pub fn accounts_to_sync(&self) -> Result<AccountsToSync<'_>, CliError> {
        self.client_flags.to_sync(&self.accounts)
    }

    /// `--concurrency`, as the deployment probe takes it: endpoints probed at once.
    pub fn probe_concurrency(&self) -> Option<u16> {
        self.client_flags.concurrency
    }

    /// `--ca-cert`: CA certificates to trust besides the system's and the bundled ones.
    pub fn extra_ca_cert(&self) -> Option<&Path> {
        self.client_flags.ca_cert.as_deref()
    }

    /// Whether `--demo` asks for the built-in fake CertCentral.
    pub fn demo(&self) -> bool {
        self.client_flags.demo
    }

    /// Whether `--concurrency` was given to the blocking backend, which sends one request
    /// at a time.
    pub fn concurrency_without_effect(&self) -> bool {
        self.client_flags.concurrency.is_some() && self.client_flags.backend == Backend::Blocking
    }
}

/// The inventory file in the platform data directory, if there is one.
fn default_inventory(demo: bool) -> Option<PathBuf> {
    let data = dirs::base_dir("XDG_DATA_HOME", ".local/share")?;
    let file = if demo {
        "demo.sqlite"
    } else {
        "inventory.sqlite"
    };
    Some(data.join("digicert").join(file))
}
