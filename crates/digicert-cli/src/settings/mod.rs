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
    /// Whether `--db` or `DIGICERT_DB` named it (else it is the default place).
    inventory_named: bool,
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
            inventory_named: db.is_some(),
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
    ///
    /// A file `--db` names must be in a folder that exists (only the default place's folders
    /// are created, here, so a typo is not a new folder), and may not be a folder itself.
    pub fn inventory(&self) -> Result<&Path, CliError> {
        self.inventory_checked(false)
    }

    /// The inventory as [`Settings::inventory`] gives it, but a file `--db` names may be in a
    /// folder that does not exist yet: `serve` waits for it to appear (a network mount).
    pub fn inventory_to_wait_for(&self) -> Result<&Path, CliError> {
        self.inventory_checked(true)
    }

    /// The inventory's place, the default place's folder created; unless `wait`, the folder
    /// of a file `--db` names must exist.
    fn inventory_checked(&self, wait: bool) -> Result<&Path, CliError> {
        let location = self.inventory.as_deref().ok_or_else(|| {
            CliError::Usage(
                "no place for the inventory: pass --db FILE or URL, or set DIGICERT_DB \
                 (neither XDG_DATA_HOME nor HOME is set)"
                    .to_owned(),
            )
        })?;
        if !crate::store::is_url(location) {
            check_file(location, self.inventory_named && !wait)?;
            if !self.inventory_named {
                create_folder(location)?;
            }
        }
        Ok(location)
    }

    /// The client settings of a command that calls the API: the profile the one `--account`
    /// names, else the one `--profile` or `DIGICERT_PROFILE` names, else the config file's
    /// default profile. Several `--account`s, or an unknown name, are a usage error.
    pub fn client(&self) -> Result<ClientSettings, CliError> {
        self.client_flags.client(&self.accounts)
    }

    /// The accounts a query of the inventory reads, by the rule `sync` follows: those
    /// `--account` names, else the one `--profile` names, else every account (empty). Each
    /// name must be one the inventory holds (`held`) or a profile of the config file.
    pub fn accounts_to_query(&self, held: &[String]) -> Result<Vec<String>, CliError> {
        self.client_flags.to_query(&self.accounts, held)
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

/// Refuses an inventory file that cannot be one: a folder, or, when `--db` names it, a file
/// in a folder that does not exist.
fn check_file(file: &Path, named: bool) -> Result<(), CliError> {
    let refused = |reason: String| CliError::Usage(format!("--db {}: {reason}", file.display()));
    if file.to_string_lossy().contains("://") {
        return Err(refused(
            "is a URL of no database digicert knows: a PostgreSQL URL starts with \
             postgres:// or postgresql://; anything else is a file"
                .to_owned(),
        ));
    }
    if file.is_dir() {
        return Err(refused(format!(
            "is a folder, not an inventory file (such as {})",
            file.join("inventory.sqlite").display()
        )));
    }
    let folder = file
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty());
    if let Some(folder) = folder.filter(|folder| named && !folder.is_dir()) {
        return Err(refused(format!(
            "the folder {} does not exist; create it first (only the default place's \
             folders are created)",
            folder.display()
        )));
    }
    Ok(())
}

/// Creates the folder of the default place's inventory file, and its parents, readable by
/// the owner only where new.
fn create_folder(file: &Path) -> Result<(), CliError> {
    let Some(folder) = file
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
    else {
        return Ok(());
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder).map_err(|source| {
        CliError::Inventory(digicert_inventory::Error::Io {
            path: folder.to_owned(),
            source,
        })
    })
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
