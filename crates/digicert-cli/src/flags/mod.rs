//! The parsing layer: the options every command takes, the values they name, and the
//! parsers of values clap does not know. It imports nothing from the rest of the crate;
//! `settings` turns what it parsed into plain settings.

mod expiring;
mod parse;
mod probe;
mod values;

use std::path::PathBuf;

use clap::Args;

pub use expiring::ExpiringFlags;
pub use parse::{date_or_range, date_or_rfc3339, listen_address, parse_interval};
pub use probe::ProbeFlags;
pub use values::{Backend, Format, Region};

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalFlags {
    /// CertCentral API key (never printed) [env: DIGICERT_API_KEY]
    #[arg(long, global = true)]
    pub api_key: Option<String>,
    /// API base URL [env: DIGICERT_BASE_URL] [default: https://www.digicert.com/services/v2]
    #[arg(long, global = true, conflicts_with = "region")]
    pub base_url: Option<String>,
    /// CertCentral instance.
    #[arg(long, value_enum, global = true)]
    pub region: Option<Region>,
    /// HTTP backend.
    #[arg(long, value_enum, default_value_t = Backend::Blocking, global = true)]
    pub backend: Backend,
    /// Pages in flight at once when pulling every page (async backend); for `probe` and
    /// `serve --probe-interval`, also the endpoints probed at once [probe default: 32].
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64), global = true)]
    pub concurrency: Option<u16>,
    /// Whole-request timeout in seconds.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600), global = true)]
    pub timeout: Option<u64>,
    /// Switch the client-side rate limiter off (for servers without DigiCert's limits).
    #[arg(long, global = true)]
    pub no_rate_limit: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub format: Format,
    /// The inventory: a file (its folder must exist), or a PostgreSQL database shared by a
    /// team (postgres://user@host/db; the password from PGPASSWORD or ~/.pgpass) [env:
    /// DIGICERT_DB] [default: $XDG_DATA_HOME/digicert/inventory.sqlite, or demo.sqlite
    /// beside it with --demo]
    #[arg(
        long,
        env = "DIGICERT_DB",
        hide_env = true,
        value_name = "FILE|URL",
        global = true
    )]
    pub db: Option<PathBuf>,
    /// Start the built-in fake CertCentral on loopback and use it; no key needed.
    #[arg(long, global = true, conflicts_with_all = ["base_url", "region"])]
    pub demo: bool,
    /// Profile of the config file ($XDG_CONFIG_HOME/digicert/config.toml) to use; for sync,
    /// serve and the inventory, the one account to work on [env: DIGICERT_PROFILE]
    #[arg(
        long,
        value_name = "NAME",
        env = "DIGICERT_PROFILE",
        hide_env = true,
        global = true
    )]
    pub profile: Option<String>,
    /// Account (a profile's name; `default` without a config file) to sync, serve or query;
    /// repeatable; an unknown name is an error [default: the --profile one, else every
    /// account]
    #[arg(long, value_name = "NAME", global = true)]
    pub account: Vec<String>,
    /// Read the API key from this file (only its owner may read it).
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "api_key")]
    pub api_key_file: Option<PathBuf>,
    /// Trust the CA certificates in this PEM file too (a TLS-inspecting proxy's, say).
    #[arg(long, value_name = "FILE", global = true)]
    pub ca_cert: Option<PathBuf>,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}
