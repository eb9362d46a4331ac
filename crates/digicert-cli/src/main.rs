//! `digicert`: inventory, audit and watch DigiCert CertCentral certificate orders.
//!
//! Exit codes: 0 success; 1 an API, network or decode error; 2 bad usage or
//! input refused before any request; 3 `--fail-if-any` found something.

// The doc comments on the arguments are clap's `--help` text, where a URL in
// angle brackets would print the brackets.
#![allow(rustdoc::bare_urls)]

mod accounts;
mod api;
mod args;
mod commands;
mod config;
mod connect;
mod counting;
mod error;
mod inventory;
mod logging;
mod malloc;
mod output;
mod progress;
mod serve;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    malloc::hold_mmap_threshold();
    let cli = args::Cli::parse();
    logging::init(cli.global.verbose, cli.global.quiet);
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of our output went away (`digicert ... | head`): not a failure.
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        // Not a failure of the command: what it found is already on stdout.
        Err(err @ error::CliError::Found(_)) => {
            eprintln!("digicert: {err}");
            err.exit_code()
        }
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    }
}
