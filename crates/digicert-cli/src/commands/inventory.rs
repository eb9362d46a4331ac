//! `digicert inventory`: queries of the inventory (orders, their history, where they are
//! deployed); none of them uses the network.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use digicert_inventory::{DeploymentFilter, DeploymentState, StoredOrder};

use crate::error::CliError;
use crate::flags::Format;
use crate::output::{HistoryEvent, ListWriter, write_items};
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
    /// The statuses the inventory has seen for an order, and where its certificates were
    /// seen served (`digicert probe`), with when.
    History {
        /// Order id.
        order_id: u64,
    },
    /// The latest deployment probe result of each endpoint (`digicert probe`), by target.
    #[command(after_help = "Examples:
  digicert inventory deployments --state stale,unknown
  digicert inventory deployments --name www.example.com --format json
  digicert inventory deployments --order 123456")]
    Deployments {
        /// Only endpoints in these states: current, stale, unknown, name_mismatch, expired,
        /// unreachable, handshake_failed.
        #[arg(long, value_name = "STATE[,STATE...]", value_delimiter = ',', value_parser = parse_state)]
        state: Vec<DeploymentState>,
        /// Only this target name.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Only endpoints serving (or that should serve) this order's certificate.
        #[arg(long, value_name = "ORDER_ID")]
        order: Option<u64>,
    },
}

/// Reads a deployment state.
fn parse_state(text: &str) -> Result<DeploymentState, String> {
    text.parse()
        .map_err(|err: digicert_inventory::UnknownState| err.to_string())
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
    let mut inventory = store::open(location)?;
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
        Query::History { order_id } => {
            let events = HistoryEvent::timeline(
                inventory.history(order_id)?,
                inventory.deployment_history(order_id)?,
            );
            Ok(write_items(format, events, out)?)
        }
        Query::Deployments { state, name, order } => {
            let filter = DeploymentFilter {
                states: state,
                name,
                order_id: order,
            };
            Ok(write_items(format, inventory.deployments(&filter)?, out)?)
        }
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
