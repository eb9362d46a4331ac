//! `digicert`: inventory, audit and watch DigiCert CertCentral certificate orders.
//!
//! Exit codes: 0 success; 1 an API, network or decode error; 2 bad usage or
//! input refused before any request; 3 `--fail-if-any` or `--fail-if` found something.
//!
//! From the top down: `commands` (one module per command), then what they stand on:
//! `settings` (the options, the environment and the config file resolved), `client` (the
//! API client), `store` (the inventory), `probing` (a deployment probe run), `output` (the
//! formats), and at the bottom `flags`
//! (the options as clap parses them) and `error`.

// The doc comments on the arguments are clap's `--help` text, where a URL in
// angle brackets would print the brackets.
#![allow(rustdoc::bare_urls)]

mod client;
mod commands;
mod error;
mod flags;
mod logging;
mod malloc;
mod output;
mod probing;
mod settings;
mod store;

use std::process::ExitCode;

use clap::Parser;

use commands::Cli;
use error::CliError;
use settings::Settings;

fn main() -> ExitCode {
    malloc::hold_mmap_threshold();
    let Cli { flags, command } = Cli::parse();
    logging::init(flags.verbose, flags.quiet);
    let settings = Settings::new(flags);
    match commands::run(command, &settings) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`digicert ... | head`): not a failure.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        // Not a failure of the command: what it found is already on stdout.
        Err(err @ CliError::Found(_)) => {
            eprintln!("digicert: {err}");
            err.exit_code()
        }
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}
