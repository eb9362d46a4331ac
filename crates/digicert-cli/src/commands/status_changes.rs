//! `digicert status-changes`: the orders whose status changed in a window; a range over
//! 7 days is asked for window by window and the answers merged.

use std::io::Write;

use chrono::{DateTime, FixedOffset, Utc};
use clap::ArgGroup;
use digicert_api::{StatusChangesQuery, merge_status_changes};

use crate::error::CliError;
use crate::flags::date_or_rfc3339;
use crate::output::{nothing_found, progress, write_items};
use crate::settings::Settings;

/// The options of `digicert status-changes`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert status-changes --minutes 60
  digicert status-changes --from 2024-05-01 --to 2024-06-01
  digicert status-changes --from 2024-05-01T12:00:00Z      # until now")]
#[command(group(ArgGroup::new("window").required(true).multiple(true).args(["minutes", "seconds", "from"])))]
pub struct Args {
    /// The last N minutes (at most 10080, 7 days; --from for longer).
    #[arg(long, conflicts_with = "from", value_parser = clap::value_parser!(u32).range(0..=10_080))]
    minutes: Option<u32>,
    /// The last S seconds, or S seconds more with --minutes.
    #[arg(long, conflicts_with = "from")]
    seconds: Option<u32>,
    /// Start of a range: RFC 3339 (2024-05-01T00:00:00Z), or a date (2024-05-01) for
    /// midnight UTC.
    #[arg(long, value_name = "TIME", value_parser = date_or_rfc3339)]
    from: Option<DateTime<FixedOffset>>,
    /// End of the range, as --from [default: now].
    #[arg(long, value_name = "TIME", requires = "from", value_parser = date_or_rfc3339)]
    to: Option<DateTime<FixedOffset>>,
}

/// Runs `digicert status-changes`.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let Args {
        minutes,
        seconds,
        from,
        to,
    } = args;
    if from.is_none() && minutes.unwrap_or(0) == 0 && seconds.unwrap_or(0) == 0 {
        return Err(CliError::Usage(
            "the window is empty: give `--minutes` or `--seconds` above 0, or `--from`".to_owned(),
        ));
    }
    let connection = super::connect(settings)?;
    let api = &connection.api;
    let changes = match (from, minutes) {
        (Some(from), _) => {
            let to = to.map_or_else(Utc::now, |to| to.to_utc());
            let windows = StatusChangesQuery::windows(from.to_utc(), to)?;
            let bar = if windows.len() > 1 {
                progress::bar(settings.quiet, windows.len() as u64, "7-day windows")
            } else {
                indicatif::ProgressBar::hidden()
            };
            let answers = api
                .status_changes_in_windows(windows)
                .inspect(|_| bar.inc(1))
                .collect::<Result<Vec<_>, _>>();
            bar.finish_and_clear();
            merge_status_changes(answers?)
        }
        (None, Some(minutes)) => api.status_changes(
            &StatusChangesQuery::last_minutes(minutes).and_seconds(seconds.unwrap_or(0)),
        )?,
        (None, None) => {
            api.status_changes(&StatusChangesQuery::last_seconds(seconds.unwrap_or(0)))?
        }
    };
    let count = write_items(settings.format, changes.orders, out)?;
    nothing_found(settings.quiet, count, || {
        "no order's status changed in that window".to_owned()
    });
    Ok(())
}
