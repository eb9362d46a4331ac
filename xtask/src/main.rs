//! `cargo xtask`: project chores that are not part of any published crate.
//!
//! ```text
//! cargo xtask fixtures regen [--base-url URL] [--mock] [--out DIR]
//! cargo xtask fixtures check [--dir DIR]
//! cargo xtask bench-data N [--out FILE]
//! cargo xtask bench [--quick] [--orders N] [--latency-ms N] [--runs K] [--inventory-only | --probe-only | --serve-only]
//! cargo xtask soak [--minutes N] [--interval S] [--cut-every S] [--down S] [--orders N]
//! ```
//!
//! Exit code 1 when a task fails, 2 on bad usage.

mod bench;
mod bench_data;
mod classify;
mod fixtures;
mod soak;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Project chores: fixture regeneration and checks, benchmark data.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Record, scrub and check the response bodies under fixtures/.
    #[command(subcommand)]
    Fixtures(FixturesTask),
    /// Write a synthetic order report CSV of N orders (deterministic).
    BenchData {
        /// Number of orders.
        orders: usize,
        /// Write to this file instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Time digicert against curl and Python on the loopback mock, and its peak memory.
    Bench(bench::Options),
    /// `digicert serve` for minutes against a changing mock, its database cut every minute:
    /// recovery, RSS and open files, and the inventory against the mock at the end.
    Soak(soak::Options),
    /// The conversion's baseline for `bench`: the csv crate's untyped loop, FILE to stdout.
    #[command(hide = true)]
    UntypedCopy {
        /// An order report CSV.
        input: PathBuf,
    },
    /// For `bench`: observations of an inventory's issued orders, written to OUT.
    #[command(hide = true)]
    ClassifySetup {
        /// The inventory (a file or a PostgreSQL URL).
        db: PathBuf,
        /// How many observations.
        count: usize,
        /// Where to write them.
        out: PathBuf,
    },
    /// For `bench`: classifies the observations of a file against an inventory and prints
    /// the seconds it took.
    #[command(hide = true)]
    Classify {
        /// The inventory (a file or a PostgreSQL URL).
        db: PathBuf,
        /// The observations (`classify-setup`).
        observations: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum FixturesTask {
    /// Fetch one answer per endpoint, scrub it, write `DIR/<endpoint>/recorded.{json,csv}`.
    ///
    /// The API key comes from DIGICERT_API_KEY (not needed with --mock).
    Regen {
        /// CertCentral's base URL (default: the US instance).
        #[arg(long, conflicts_with = "mock")]
        base_url: Option<String>,
        /// Use the built-in fake CertCentral on loopback instead of the network.
        #[arg(long)]
        mock: bool,
        /// Where the endpoint folders are (default: the workspace's fixtures/).
        #[arg(long, default_value_os_t = fixtures::default_dir(), hide_default_value = true)]
        out: PathBuf,
    },
    /// Verify every file: JSON parses, recorded files are normalized, no secrets, no real emails.
    Check {
        /// The fixtures folder (default: the workspace's fixtures/).
        #[arg(long, default_value_os_t = fixtures::default_dir(), hide_default_value = true)]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    // clap exits with 2 on bad usage and 0 for --help.
    let cli = Cli::parse();
    match run(cli.task) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("cargo xtask: error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one task; `Ok(FAILURE)` is a task that ran and found problems it already reported.
fn run(task: Task) -> Result<ExitCode, Box<dyn Error>> {
    match task {
        Task::Fixtures(FixturesTask::Regen {
            base_url,
            mock,
            out,
        }) => {
            let source = if mock {
                fixtures::Source::Mock
            } else {
                fixtures::Source::live(base_url)?
            };
            fixtures::regen(source, &out)?;
            Ok(ExitCode::SUCCESS)
        }
        Task::Fixtures(FixturesTask::Check { dir }) => fixtures::check(&dir),
        Task::BenchData { orders, out } => {
            bench_data::run(orders, out.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Task::Bench(options) => {
            bench::run(&options)?;
            Ok(ExitCode::SUCCESS)
        }
        Task::Soak(options) => Ok(if soak::run(&options)? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
        Task::UntypedCopy { input } => {
            bench::untyped_copy(&input)?;
            Ok(ExitCode::SUCCESS)
        }
        Task::ClassifySetup { db, count, out } => {
            classify::setup(&db, count, &out)?;
            Ok(ExitCode::SUCCESS)
        }
        Task::Classify { db, observations } => {
            classify::run(&db, &observations)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
