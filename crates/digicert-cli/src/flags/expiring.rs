//! The options that pick expiring certificates, shared by `digicert expiring` (from
//! CertCentral) and `digicert inventory expiring` (from the inventory).

use clap::Args;

/// Which certificates count as expiring, and whether finding any fails the run.
#[derive(Debug, Clone, Copy, Args)]
pub struct ExpiringFlags {
    /// Days from today (UTC).
    #[arg(long)]
    pub days: u32,
    /// Also list certificates that have already expired (days_left below 0).
    #[arg(long)]
    pub include_expired: bool,
    /// Exit 3 when any order is listed: for cron or a monitoring check.
    #[arg(long)]
    pub fail_if_any: bool,
}
