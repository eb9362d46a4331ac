//! `digicert reissues`: the reissues of an order.

use std::io::Write;

use crate::error::CliError;
use crate::output::{nothing_found, write_items};
use crate::settings::Settings;

/// The options of `digicert reissues`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert reissues 123456
  digicert reissues 123456 --format json")]
pub struct Args {
    /// Order id.
    order_id: u64,
}

/// Runs `digicert reissues`.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let connection = super::connect(settings)?;
    let reissues = connection.api.reissues(args.order_id)?;
    let count = write_items(settings.format, reissues.certificates, out)?;
    nothing_found(settings.quiet, count, || {
        format!("order {} has no reissues", args.order_id)
    });
    Ok(())
}
