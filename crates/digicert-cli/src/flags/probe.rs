//! The deployment probe's options, shared by `digicert probe` and `digicert serve
//! --probe-interval`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use digicert_probe::Resolve;

use super::parse::parse_interval;

/// How to probe: which targets besides those named, on which port, through which addresses.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Probe options")]
pub struct ProbeFlags {
    /// A file of targets, one a line (`host`, `host:port`, `[v6]:port`, `ip:port`), `#`
    /// comments, each with optional `sni=NAME` and `starttls=smtp|imap|pop3|ftp|postgres`.
    #[arg(long = "targets", value_name = "FILE")]
    pub targets_file: Option<PathBuf>,
    /// The port of targets that name none (1 to 65535).
    #[arg(long, default_value_t = 443, value_parser = clap::value_parser!(u16).range(1..))]
    pub port: u16,
    /// Dial HOST at PORT on these addresses instead of its DNS answer, as curl's --resolve
    /// (the SNI stays HOST; HOST `*`: any host at PORT without an entry of its own; a
    /// leading `+` is ignored); repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR[,ADDR...]", value_parser = parse_resolve)]
    pub resolve: Vec<Resolve>,
    /// How long one probe (one address of one target) may take: 10s, 1m.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub probe_timeout: Duration,
    /// Unknown certificates looked up in CertCentral per run, at most (0: none).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub lookups: usize,
}

/// Reads a `--resolve` entry.
fn parse_resolve(text: &str) -> Result<Resolve, String> {
    Resolve::parse(text).map_err(|err| err.to_string())
}
