//! `digicert man`: the manual page of digicert.

use std::io::Write;

use clap::CommandFactory;

use super::Cli;
use crate::error::CliError;

/// The options of `digicert man` (none).
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert man > digicert.1 && man ./digicert.1
  digicert man | gzip > /usr/local/share/man/man1/digicert.1.gz")]
pub struct Args {}

/// Writes the manual page (roff).
pub fn run(mut out: impl Write) -> Result<(), CliError> {
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    Ok(out.flush()?)
}
