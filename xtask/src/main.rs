//! `cargo xtask`: project chores that are not part of any published crate.
//!
//! For now it only lists what it will do; fixture regeneration and benchmark data
//! arrive with the CLI and the fake server.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        None | Some("help" | "--help" | "-h") => {
            println!("usage: cargo xtask <task>\n\ntasks: (none yet)");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("cargo xtask: unknown task `{other}`");
            ExitCode::from(2)
        }
    }
}
