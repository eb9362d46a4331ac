//! The command line, as clap reads it.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// Inventory, audit and watch DigiCert CertCentral certificate orders.
#[derive(Debug, Parser)]
#[command(name = "digicert", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// CertCentral API key (never printed).
    #[arg(long, env = "DIGICERT_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,
    /// API base URL [default: https://www.digicert.com/services/v2]
    #[arg(
        long,
        env = "DIGICERT_BASE_URL",
        global = true,
        conflicts_with = "region"
    )]
    pub base_url: Option<String>,
    /// CertCentral instance.
    #[arg(long, value_enum, global = true)]
    pub region: Option<Region>,
    /// HTTP backend.
    #[arg(long, value_enum, default_value_t = Backend::Blocking, global = true)]
    pub backend: Backend,
    /// Pages in flight at once when pulling every page (async backend).
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
    /// The inventory file [default: $XDG_DATA_HOME/digicert/inventory.sqlite, or
    /// demo.sqlite beside it with --demo]
    #[arg(long, env = "DIGICERT_DB", value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
    /// Start the built-in fake CertCentral on loopback and use it; no key needed.
    #[arg(long, global = true, conflicts_with_all = ["base_url", "region"])]
    pub demo: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress bar.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// CertCentral instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Region {
    /// https://www.digicert.com/services/v2
    Us,
    /// https://certcentral.digicert.eu/services/v2
    Eu,
}

/// HTTP backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// ureq, one request at a time.
    Blocking,
    /// reqwest on tokio, pages fetched concurrently.
    Async,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns of the fields a person scans first.
    Table,
    /// One JSON document: an array for lists, an object for one order.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// CSV; report rows keep all the report's columns.
    Csv,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The order report: one page, every page (--all), or an exported CSV file (--input).
    Report {
        /// Orders per page (1-1000).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Orders to skip.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Every page, written as pages arrive.
        #[arg(long)]
        all: bool,
        /// Only orders with this status (issued, pending, revoked, ...).
        #[arg(long)]
        status: Option<String>,
        /// Read an order report CSV exported from CertCentral ("-" for stdin) instead of calling the API.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["all", "limit", "offset"])]
        input: Option<PathBuf>,
    },
    /// Orders placed by sub-accounts.
    SubaccountOrders {
        /// Orders per page (1-1000).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Orders to skip.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// Every page.
        #[arg(long)]
        all: bool,
    },
    /// One order, by order id, certificate thumbprint or serial number.
    Order {
        /// Order id, thumbprint or serial number.
        reference: String,
    },
    /// The reissues of an order.
    Reissues {
        /// Order id.
        order_id: u64,
    },
    /// Orders whose status changed in a window; ranges over 7 days are split and merged.
    #[command(group(ArgGroup::new("window").required(true).multiple(true).args(["minutes", "seconds", "from"])))]
    StatusChanges {
        /// The last N minutes (at most 10080).
        #[arg(long, conflicts_with = "from")]
        minutes: Option<u32>,
        /// The last S seconds, or S seconds more with --minutes.
        #[arg(long, conflicts_with = "from")]
        seconds: Option<u32>,
        /// Start of a range, RFC 3339 (2024-05-01T00:00:00Z).
        #[arg(long, requires = "to", value_parser = rfc3339)]
        from: Option<DateTime<FixedOffset>>,
        /// End of the range, RFC 3339.
        #[arg(long, requires = "from", value_parser = rfc3339)]
        to: Option<DateTime<FixedOffset>>,
    },
    /// Bring the inventory up to date: every order the first time, then the status changes
    /// since the last sync (one summary line on stderr).
    Sync {
        /// Pull the whole report even if an incremental sync is possible.
        #[arg(long)]
        full: bool,
    },
    /// Query the inventory offline: export, expiring, find, history.
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
    /// Sync at start and every interval; serve Prometheus metrics at /metrics and a health
    /// check at /healthz.
    Serve {
        /// Address to listen on (loopback unless you say otherwise).
        #[arg(long, default_value = "127.0.0.1:9464")]
        listen: std::net::SocketAddr,
        /// Time between syncs: 30s, 10m, 1h.
        #[arg(long, default_value = "10m", value_parser = crate::serve::parse_interval)]
        interval: std::time::Duration,
    },
    /// Issued orders whose certificate expires within N days, soonest first (from the report).
    Expiring {
        /// Days from today.
        #[arg(long)]
        days: u32,
        /// Read an exported order report CSV ("-" for stdin) instead of calling the API.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
    },
}

/// Queries of the inventory; none of them uses the network.
#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Every order, whole (`--format json` gives back everything CertCentral sent).
    Export,
    /// Issued orders whose certificate expires within N days, soonest first.
    Expiring {
        /// Days from today (UTC).
        #[arg(long)]
        days: u32,
        /// Also the certificates that have already expired.
        #[arg(long)]
        include_expired: bool,
    },
    /// Orders by domain (exact, covered by a wildcard, or a `*.` pattern), order id,
    /// thumbprint or serial number (any case, with colons or spaces).
    Find {
        /// A domain, `*.example.com`, an order id, a thumbprint or a serial number.
        query: String,
    },
    /// The statuses the inventory has seen for an order, with when it saw them.
    History {
        /// Order id.
        order_id: u64,
    },
}

/// Reads an RFC 3339 date-time.
fn rfc3339(value: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(value)
        .map_err(|err| format!("not an RFC 3339 date-time ({err}), e.g. 2024-05-01T00:00:00Z"))
}
