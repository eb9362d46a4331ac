//! `digicert man`: the manual pages of digicert, generated from the clap definitions: the
//! main page on stdout, or every page (`digicert.1`, `digicert-report.1`,
//! `digicert-inventory-find.1`, ...) into a folder. Each page ends with the exit status, the
//! files and the environment digicert reads.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::{Command, CommandFactory};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use super::Cli;
use crate::error::CliError;
use crate::output::counted;
use crate::settings::Settings;

/// The options of `digicert man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert man > digicert.1 && man ./digicert.1
  digicert man --dir /usr/local/share/man/man1      # every page: digicert-report.1, ...
  digicert man | gzip > /usr/local/share/man/man1/digicert.1.gz")]
pub struct Args {
    /// Write every page (one per command and subcommand) into this folder, created if
    /// missing, instead of the main page to stdout.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Each exit status, and what it means.
const EXIT_STATUS: [(&str, &str); 4] = [
    (
        "0",
        "Success (also when the reader of the output goes away, as with | head).",
    ),
    (
        "1",
        "An API, network, decode or inventory error, or a single named thing that does not exist (an order the inventory does not hold, an account it does not know).",
    ),
    (
        "2",
        "Bad usage or input refused before any request: an option or argument, a config file or key source that cannot be used, an --input file or --db inventory that cannot be read or is not one.",
    ),
    (
        "3",
        "expiring --fail-if-any or inventory expiring --fail-if-any found something, or probe --fail-if found a state it names; what was found is on stdout, and the one line saying so on stderr is printed even with -q.",
    ),
];

/// Each file digicert reads or writes, and what it is.
const FILES: [(&str, &str); 3] = [
    (
        "$XDG_CONFIG_HOME/digicert/config.toml (~/.config/digicert/config.toml)",
        "The config file: profiles (accounts), each with its instance, settings and key source.",
    ),
    (
        "$XDG_DATA_HOME/digicert/inventory.sqlite (~/.local/share/digicert/inventory.sqlite)",
        "The inventory, unless --db or DIGICERT_DB names another file or a PostgreSQL database; demo.sqlite beside it with --demo.",
    ),
    (
        "~/.pgpass",
        "PostgreSQL passwords (or the file PGPASSFILE names), ignored if others may read it.",
    ),
];

/// Each environment variable digicert reads, and what for.
const ENVIRONMENT: [(&str, &str); 9] = [
    ("DIGICERT_API_KEY", "The API key (--api-key wins)."),
    (
        "DIGICERT_BASE_URL",
        "The API base URL (--base-url and --region win).",
    ),
    (
        "DIGICERT_PROFILE",
        "The profile of the config file to use, as --profile.",
    ),
    (
        "DIGICERT_DB",
        "The inventory, as --db: a file, or a postgres:// URL.",
    ),
    (
        "PGPASSWORD, PGPASSFILE",
        "The PostgreSQL password, or the file that holds it.",
    ),
    (
        "XDG_CONFIG_HOME, XDG_DATA_HOME, HOME",
        "Where the config file and the inventory are by default.",
    ),
    (
        "HTTPS_PROXY, ALL_PROXY, NO_PROXY",
        "The proxy for requests to CertCentral, and the hosts that bypass it.",
    ),
    (
        "SSL_CERT_FILE, SSL_CERT_DIR",
        "Where the system's CA certificates are, besides the built-in Mozilla roots.",
    ),
    ("RUST_LOG", "Which log lines go to stderr (overrides -v)."),
];

/// Writes the main page to `out`, or every page into `--dir`.
pub fn run(args: Args, settings: &Settings, mut out: impl Write) -> Result<(), CliError> {
    // No `help` subcommand: its page is not made, so no page may list it.
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let Some(dir) = args.dir else {
        page(&Man::new(command), &mut out)?;
        return Ok(out.flush()?);
    };
    let refused = |reason: String| CliError::Usage(format!("--dir {}: {reason}", dir.display()));
    if dir.exists() && !dir.is_dir() {
        return Err(refused("is not a folder".to_owned()));
    }
    fs::create_dir_all(&dir).map_err(|err| refused(err.to_string()))?;
    let written = write_pages(command, &dir)?;
    if !settings.quiet {
        eprintln!(
            "wrote {} into {}",
            counted(written, "manual page"),
            dir.display()
        );
    }
    Ok(())
}

/// Writes the page of `command` and of each of its subcommands, at any depth, into `dir`;
/// returns how many.
fn write_pages(command: Command, dir: &Path) -> io::Result<u64> {
    let mut written = 0;
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        written += write_pages(sub.clone(), dir)?;
    }
    let man = Man::new(command);
    let mut file = BufWriter::new(File::create(dir.join(man.get_filename()))?);
    page(&man, &mut file)?;
    file.flush()?;
    Ok(written + 1)
}

/// One page: clap's sections, then the exit status, the files and the environment.
fn page(man: &Man, out: &mut dyn Write) -> io::Result<()> {
    man.render(out)?;
    let mut roff = Roff::default();
    for (heading, entries) in [
        ("EXIT STATUS", &EXIT_STATUS[..]),
        ("FILES", &FILES[..]),
        ("ENVIRONMENT", &ENVIRONMENT[..]),
    ] {
        roff.control("SH", [heading]);
        for (name, meaning) in entries {
            roff.control("TP", []);
            roff.text([bold(*name)]);
            roff.text([roman(*meaning)]);
        }
    }
    roff.to_writer(out)
}
