//! `digicert inventory`: queries of the inventory; none of them uses the network.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use digicert_inventory::StoredOrder;

use crate::error::CliError;
use crate::flags::Format;
use crate::output::{ListWriter, write_items};
use crate::settings::Settings;
use crate::store::{self, Inventory};

/// The options of `digicert inventory`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    query: Query,
}

/// Queries of the inventory; none of them uses the network.
#[derive(Debug, Subcommand)]
enum Query {
    /// Every order, whole (`--format json` gives back everything CertCentral sent).
    Export,
    /// Issued orders whose certificate expires within N days, soonest first.
    Expiring {
        /// Days from today (UTC).
        #[arg(long)]
        days: u32,
        /// Also the certificates that have already expired.
        #[arg(long)]
        include_expired: bool,
    },
    /// Orders by domain (exact, covered by a wildcard, or a `*.` pattern), order id,
    /// thumbprint or serial number (any case, with colons or spaces).
    Find {
        /// A domain, `*.example.com`, an order id, a thumbprint or a serial number.
        query: String,
    },
    /// The statuses the inventory has seen for an order, with when it saw them.
    History {
        /// Order id.
        order_id: u64,
    },
}

/// Runs `digicert inventory ...`: a query, from the inventory alone, narrowed to the
/// accounts `--account` names.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let location = settings.inventory()?;
    if !store::is_url(location) && !location.exists() {
        return Err(CliError::Usage(format!(
            "no inventory at {}: run `digicert sync` first (or pass --db)",
            location.display()
        )));
    }
    let mut inventory = store::open(location, settings.quiet)?;
    inventory.select_accounts(settings.accounts.iter().cloned());
    let format = settings.format;
    match args.query {
        Query::Export => export(&inventory, format, out),
        Query::Expiring {
            days,
            include_expired,
        } => Ok(write_items(
            format,
            inventory.expiring(days, include_expired)?,
            out,
        )?),
        Query::Find { query } => Ok(write_items(format, inventory.find(&query)?, out)?),
        Query::History { order_id } => Ok(write_items(format, inventory.history(order_id)?, out)?),
    }
}

/// Writes every order as it is read.
fn export(inventory: &Inventory, format: Format, out: impl Write) -> Result<(), CliError> {
    let mut writer = ListWriter::<_, StoredOrder>::new(format, out)?;
    inventory.export(|order| {
        writer
            .item(&order)
            .map_err(|source| digicert_inventory::Error::Io {
                path: PathBuf::from("<stdout>"),
                source,
            })
    })?;
    writer.finish()?;
    Ok(())
}
