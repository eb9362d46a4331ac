//! Log lines on stderr: `-v`, `-vv`, `-vvv` or `RUST_LOG` choose how many.
//!
//! Only this program's and the client's own events are shown (the HTTP
//! libraries' `log` records are not bridged in), and none of them carries the key.
//! Colours only when stderr is a terminal, so a log file or a pipe gets plain text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Starts logging at the level the flags ask for, unless `RUST_LOG` says otherwise.
pub fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
