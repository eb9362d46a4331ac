//! The command line, as clap reads it.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
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
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
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
    /// Profile of the config file ($XDG_CONFIG_HOME/digicert/config.toml) to use.
    #[arg(long, value_name = "NAME", env = "DIGICERT_PROFILE", global = true)]
    pub profile: Option<String>,
    /// Inventory account (a profile's name; `default` without a config file) to sync or
    /// query; repeatable [default: sync every profile, query every account]
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
    #[command(after_help = "Examples:
  digicert report --all --format csv > orders.csv
  digicert report --status issued --common-name www.example.com
  digicert report --input exported.csv --format json")]
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
        /// Only orders with this status (issued, pending, revoked, ...), in any case.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        filters: ReportFilters,
        /// Read an order report CSV exported from CertCentral ("-" for stdin) instead of calling the API.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["all", "limit", "offset"])]
        input: Option<PathBuf>,
    },
    /// Orders placed by sub-accounts.
    #[command(after_help = "Examples:
  digicert subaccount-orders --limit 20
  digicert subaccount-orders --all --format jsonl > subaccount-orders.jsonl")]
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
    #[command(after_help = "Examples:
  digicert order 123456
  digicert order 21:B7:4C:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:01
  digicert order --format json 0a1b2c3d4e5f60718293a4b5c6d7e8f9")]
    Order {
        /// Order id, thumbprint or serial number; any case, colons and spaces allowed.
        reference: String,
    },
    /// The reissues of an order.
    #[command(after_help = "Examples:
  digicert reissues 123456
  digicert reissues 123456 --format json")]
    Reissues {
        /// Order id.
        order_id: u64,
    },
    /// Orders whose status changed in a window; ranges over 7 days are split and merged.
    #[command(after_help = "Examples:
  digicert status-changes --minutes 60
  digicert status-changes --from 2024-05-01 --to 2024-06-01
  digicert status-changes --from 2024-05-01T12:00:00Z      # until now")]
    #[command(group(ArgGroup::new("window").required(true).multiple(true).args(["minutes", "seconds", "from"])))]
    StatusChanges {
        /// The last N minutes (at most 10080).
        #[arg(long, conflicts_with = "from")]
        minutes: Option<u32>,
        /// The last S seconds, or S seconds more with --minutes.
        #[arg(long, conflicts_with = "from")]
        seconds: Option<u32>,
        /// Start of a range: RFC 3339 (2024-05-01T00:00:00Z), or a date (2024-05-01) for
        /// midnight UTC.
        #[arg(long, value_name = "TIME", value_parser = date_or_rfc3339)]
        from: Option<DateTime<FixedOffset>>,
        /// End of the range, as --from [default: now].
        #[arg(long, value_name = "TIME", requires = "from", value_parser = date_or_rfc3339)]
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
    #[command(after_help = "Examples:
  digicert expiring --days 30
  digicert expiring --days 14 --include-expired --format csv
  digicert -q expiring --days 7 --fail-if-any || mail -s 'certificates expiring' pki@example.com")]
    Expiring {
        /// Days from today (UTC).
        #[arg(long)]
        days: u32,
        /// Also list certificates that have already expired (days_left below 0).
        #[arg(long)]
        include_expired: bool,
        /// Exit 3 when any order is listed: for cron or a monitoring check.
        #[arg(long)]
        fail_if_any: bool,
        /// Read an exported order report CSV ("-" for stdin) instead of calling the API.
        #[arg(long, value_name = "FILE")]
        input: Option<PathBuf>,
    },
    /// Shell completions for digicert, written to stdout.
    #[command(after_help = "Examples:
  digicert completions bash > ~/.local/share/bash-completion/completions/digicert
  digicert completions zsh > ~/.zfunc/_digicert
  digicert completions fish > ~/.config/fish/completions/digicert.fish")]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// The manual page of digicert (roff), written to stdout.
    #[command(after_help = "Examples:
  digicert man > digicert.1 && man ./digicert.1
  digicert man | gzip > /usr/local/share/man/man1/digicert.1.gz")]
    Man,
}

/// The order report's server-side filters, each sent as `filters[name]`.
// The field docs are `--help` text, where `filters[common_name]` is the API's name, not a link.
#[allow(rustdoc::broken_intra_doc_links)]
#[derive(Debug, Default, Args)]
pub struct ReportFilters {
    /// Only orders for this common name (filters[common_name]).
    #[arg(long, value_name = "NAME", conflicts_with = "input")]
    pub common_name: Option<String>,
    /// Only orders expiring on a date or in a range: 2026-07-01 or 2026-07-01...2026-07-31
    /// (filters[valid_till]).
    #[arg(long, value_name = "DATE[...DATE]", value_parser = date_or_range, conflicts_with = "input")]
    pub valid_till: Option<String>,
    /// Only orders for this product, such as ssl_plus (filters[product_name_id]).
    #[arg(long, value_name = "NAME_ID", conflicts_with = "input")]
    pub product_name_id: Option<String>,
    /// Only orders of this organization (filters[organization_id]).
    #[arg(long, value_name = "ID", conflicts_with = "input")]
    pub organization_id: Option<u64>,
    /// Only orders of this container, or division (filters[container_id]).
    #[arg(long, value_name = "ID", conflicts_with = "input")]
    pub container_id: Option<u64>,
}

/// Reads an RFC 3339 date-time, or a date alone as midnight UTC.
pub fn date_or_rfc3339(value: &str) -> Result<DateTime<FixedOffset>, String> {
    if let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(date.and_time(NaiveTime::MIN).and_utc().fixed_offset());
    }
    DateTime::parse_from_rfc3339(value).map_err(|err| {
        format!(
            "not an RFC 3339 date-time ({err}) or a date: e.g. 2024-05-01T00:00:00Z or 2024-05-01"
        )
    })
}

/// Checks a `valid_till` filter: a date, or two joined by `...`.
fn date_or_range(value: &str) -> Result<String, String> {
    let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok();
    let valid = match value.split_once("...") {
        Some((from, to)) => date(from) && date(to),
        None => date(value),
    };
    if valid {
        Ok(value.to_owned())
    } else {
        Err("not a date or a range of dates: e.g. 2026-07-01 or 2026-07-01...2026-07-31".to_owned())
    }
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
