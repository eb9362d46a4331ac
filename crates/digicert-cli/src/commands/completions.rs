//! `digicert completions`: a shell's completions for digicert.

use std::io::Write;

use clap::CommandFactory;

use super::Cli;
use crate::error::CliError;

/// The options of `digicert completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert completions bash > ~/.local/share/bash-completion/completions/digicert
  digicert completions zsh > ~/.zfunc/_digicert
  digicert completions fish > ~/.config/fish/completions/digicert.fish")]
pub struct Args {
    /// The shell to complete in.
    shell: clap_complete::Shell,
}

/// Writes the completions script.
pub fn run(args: Args, mut out: impl Write) -> Result<(), CliError> {
    // Generated into memory: clap_complete panics on a failed write (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "digicert", &mut script);
    out.write_all(&script)?;
    Ok(out.flush()?)
}
