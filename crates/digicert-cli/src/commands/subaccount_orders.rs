//! `digicert subaccount-orders`: the orders placed by sub-accounts.

use std::io::Write;

use digicert_api::SubaccountOrdersQuery;

use super::Page;
use crate::client::Api;
use crate::error::CliError;
use crate::output::{
    counted, note, nothing_found, progress, thousands, write_items, write_list_counted,
};
use crate::settings::Settings;

/// The options of `digicert subaccount-orders`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert subaccount-orders --limit 20
  digicert subaccount-orders --all --format jsonl > subaccount-orders.jsonl")]
pub struct Args {
    #[command(flatten)]
    page: Page,
    /// Every page.
    #[arg(long)]
    all: bool,
}

/// Runs `digicert subaccount-orders`.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let Args {
        page: Page { limit, offset },
        all,
    } = args;
    let (format, quiet) = (settings.format, settings.quiet);
    let connection = super::connect(settings)?;
    let api = &connection.api;
    let query = SubaccountOrdersQuery::new().limit(limit).offset(offset);
    if all {
        let bar = subaccount_progress(api, quiet, offset);
        let shown = write_list_counted::<_, _, _, CliError>(
            format,
            &bar,
            api.subaccount_orders_all(query),
            out,
        )?;
        nothing_found(quiet, shown, || {
            format!("no sub-account order from offset {offset}")
        });
        Ok(())
    } else {
        let page = api.subaccount_orders(&query)?;
        let shown = page.orders.len() as u64;
        let total = page.page.as_ref().map(|page| page.total);
        write_items(format, page.orders, out)?;
        nothing_found(quiet, shown, || {
            format!("no sub-account order from offset {offset}")
        });
        if let Some(total) = total.filter(|total| !quiet && offset + shown < *total) {
            note(&format!(
                "showing {} of {}; use --all for every page",
                thousands(shown),
                counted(total, "order")
            ));
        }
        Ok(())
    }
}

/// Progress for every sub-account order: the total is known from a one-order page,
/// asked only when a person is watching.
fn subaccount_progress(api: &Api, quiet: bool, offset: u64) -> indicatif::ProgressBar {
    let counter = progress::counter(quiet, "orders");
    if counter.is_hidden() {
        return counter;
    }
    let total = api
        .subaccount_orders(&SubaccountOrdersQuery::new().limit(1))
        .ok()
        .and_then(|page| page.page)
        .map(|page| page.total.saturating_sub(offset));
    match total {
        Some(total) => {
            counter.finish_and_clear();
            progress::bar(quiet, total, "orders")
        }
        None => counter,
    }
}
