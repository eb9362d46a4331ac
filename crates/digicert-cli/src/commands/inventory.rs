//! `digicert inventory`: queries of the inventory (orders, their history, where they are
//! deployed), and forgetting an account; none of them uses the network.

use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use digicert_inventory::{DeploymentFilter, DeploymentState, Store, StoredOrder};

use super::expiring::found_expiring;
use crate::error::CliError;
use crate::flags::{ExpiringFlags, Format};
use crate::output::{HistoryEvent, ListWriter, counted, nothing_found, warn, write_items};
use crate::settings::Settings;
use crate::store::{self, Inventory};

/// The options of `digicert inventory`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert inventory expiring --days 30
  digicert inventory find api.example.com
  digicert inventory export --format jsonl > orders.jsonl")]
pub struct Args {
    #[command(subcommand)]
    query: Query,
}

/// Queries of the inventory; none of them uses the network.
#[derive(Debug, Subcommand)]
enum Query {
    #[command(flatten)]
    Narrowed(Narrowed),
    /// Whether the inventory is sound: SQLite's quick_check, or PostgreSQL's amcheck where
    /// installed, then the inventory's own rules (exit 1 if not). It checks every
    /// account's orders at once, and takes no --account.
    #[command(after_help = "Examples:
  digicert inventory check
  digicert --db postgres://digicert@db.example.internal/inventory inventory check")]
    Check,
}

/// The queries of the inventory (and `forget-account`), narrowed to the accounts the
/// settings name; none of them uses the network.
#[derive(Debug, Subcommand)]
enum Narrowed {
    /// Every order, whole (`--format json` gives back everything CertCentral sent).
    #[command(after_help = "Examples:
  digicert inventory export --format json > orders.json
  digicert inventory export --format csv --account eu > eu-orders.csv")]
    Export,
    /// Issued orders whose certificate expires within N days, soonest first.
    #[command(after_help = "Examples:
  digicert inventory expiring --days 30
  digicert inventory expiring --days 14 --include-expired --format csv
  digicert -q inventory expiring --days 7 --fail-if-any || mail -s 'certificates expiring' pki@example.com")]
    Expiring {
        /// Which certificates to list.
        #[command(flatten)]
        select: ExpiringFlags,
    },
    /// Orders by domain (exact, covered by a wildcard, or a `*.` pattern), order id,
    /// thumbprint or serial number (any case, with colons or spaces, or as openssl prints it).
    #[command(after_help = "Examples:
  digicert inventory find api.example.com
  digicert inventory find '*.example.com'
  digicert inventory find \"$(openssl x509 -in cert.pem -noout -fingerprint)\"")]
    Find {
        /// A domain, `*.example.com`, an order id, a thumbprint or a serial number.
        query: String,
    },
    /// The statuses the inventory has seen for an order, and where its certificates were
    /// seen served (`digicert probe`), with when.
    #[command(after_help = "Examples:
  digicert inventory history 123456
  digicert inventory history 123456 --format json")]
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
    /// Delete every order, status history, deployment and sync state of an account (one
    /// that left the config file): never done unless asked, and only with --yes.
    #[command(after_help = "Examples:
  digicert inventory forget-account apac            # says what it would delete
  digicert inventory forget-account apac --yes")]
    ForgetAccount {
        /// The account, as the inventory names it.
        #[arg(value_name = "ACCOUNT")]
        name: String,
        /// Delete it (without this, only say what would be deleted).
        #[arg(long)]
        yes: bool,
    },
}

/// Reads a deployment state.
fn parse_state(text: &str) -> Result<DeploymentState, String> {
    text.parse()
        .map_err(|err: digicert_inventory::UnknownState| err.to_string())
}

/// Runs `digicert inventory ...`: a query, from the inventory alone, of the accounts
/// `--account` (or `--profile`) names, else of every account; or `forget-account`.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    if matches!(args.query, Query::Check) && !settings.accounts.is_empty() {
        return Err(CliError::Usage(format!(
            "--account `{}`: `inventory check` checks the whole inventory, every account's \
             orders at once; run it without --account",
            settings.accounts.join("`, `")
        )));
    }
    let location = settings.inventory()?;
    if !store::is_url(location) && !location.exists() && !location.is_symlink() {
        return Err(CliError::Usage(format!(
            "no inventory at {}: run `digicert sync` first (or pass --db)",
            location.display()
        )));
    }
    let inventory = store::open_named(location, settings.quiet)?;
    match args.query {
        // Before anything reads the inventory's rows, which a damaged file may not give.
        Query::Check => check(&inventory, out),
        Query::Narrowed(query) => answer(query, inventory, settings, out),
    }
}

/// Answers a query (or forgets an account) narrowed to the accounts the settings name.
fn answer(
    query: Narrowed,
    mut inventory: Inventory,
    settings: &Settings,
    out: impl Write,
) -> Result<(), CliError> {
    let held = inventory.accounts()?;
    inventory.select_accounts(settings.accounts_to_query(&held)?);
    // The JSON formats carry each order whole, whichever query lists it.
    let format = settings.format;
    inventory.whole_orders(matches!(format, Format::Json | Format::Jsonl));
    let quiet = settings.quiet;
    match query {
        Narrowed::Export => {
            let count = export(&inventory, format, out)?;
            nothing_found(quiet, count, || "the inventory holds no order".to_owned());
            Ok(())
        }
        Narrowed::Expiring { select } => {
            let found = inventory.expiring(select.days, select.include_expired)?;
            let count = write_items(format, found, out)?;
            found_expiring(count, select, quiet)
        }
        Narrowed::Find { query } => {
            let count = write_items(format, inventory.find(&query)?, out)?;
            nothing_found(quiet, count, || {
                format!("no order in the inventory matches `{}`", query.trim())
            });
            Ok(())
        }
        Narrowed::History { order_id } => {
            let history = inventory.history(order_id)?;
            if history.is_empty() {
                return Err(CliError::NotFound(format!(
                    "the inventory holds no order {order_id}{}",
                    accounts_named(&inventory)
                )));
            }
            let events = HistoryEvent::timeline(history, inventory.deployment_history(order_id)?);
            write_items(format, events, out)?;
            Ok(())
        }
        Narrowed::Deployments { state, name, order } => {
            let filter = DeploymentFilter {
                states: state,
                name,
                order_id: order,
            };
            let count = write_items(format, inventory.deployments(&filter)?, out)?;
            nothing_found(quiet, count, || {
                "no endpoint in the inventory matches: run `digicert probe` first".to_owned()
            });
            Ok(())
        }
        Narrowed::ForgetAccount { name, yes } => forget(&mut inventory, &name, yes, settings),
    }
}

/// ` in account `eu`` for queries narrowed to accounts; nothing for every account.
fn accounts_named(inventory: &Inventory) -> String {
    match inventory.selected_accounts() {
        [] => String::new(),
        [one] => format!(" in account `{one}`"),
        many => format!(" in accounts `{}`", many.join("`, `")),
    }
}

/// Says what was checked and what was found; a problem is a failure.
fn check(inventory: &Inventory, mut out: impl Write) -> Result<(), CliError> {
    let location = inventory.store().location();
    let soundness = inventory.check()?;
    for checked in &soundness.checked {
        writeln!(out, "checked: {checked}")?;
    }
    for problem in &soundness.problems {
        writeln!(out, "problem: {problem}")?;
    }
    if soundness.is_sound() {
        writeln!(out, "{location}: the inventory is sound")?;
        return Ok(());
    }
    Err(CliError::Unsound(format!(
        "{location}: the inventory is not sound ({}); it is a copy of CertCentral: \
         move it aside and run `digicert sync` to build it again",
        counted(soundness.problems.len() as u64, "problem")
    )))
}

/// Writes every order as it is read; returns how many.
fn export(inventory: &Inventory, format: Format, out: impl Write) -> Result<u64, CliError> {
    let mut writer = ListWriter::<_, StoredOrder>::new(format, out)?;
    inventory.export(|order| {
        writer
            .item(&order)
            .map_err(|source| digicert_inventory::Error::Io {
                path: PathBuf::from("<stdout>"),
                source,
            })
    })?;
    Ok(writer.finish()?)
}

/// Forgets an account: with `yes`, deletes every row of it in one transaction and says how
/// many orders went; without, only says what would go. An account the inventory does not
/// hold is an error (exit 1).
fn forget(
    inventory: &mut Inventory,
    account: &str,
    yes: bool,
    settings: &Settings,
) -> Result<(), CliError> {
    let held = inventory.accounts()?;
    if !held.iter().any(|held| held == account) {
        return Err(CliError::NotFound(format!(
            "the inventory holds no account `{account}` (it holds {})",
            if held.is_empty() {
                "none".to_owned()
            } else {
                format!("`{}`", held.join("`, `"))
            }
        )));
    }
    if !yes {
        inventory.select_accounts([account]);
        return Err(CliError::Usage(format!(
            "account `{account}` holds {}: run again with --yes to delete them, with its \
             history, deployments and sync state",
            counted(inventory.len()?, "order")
        )));
    }
    if settings
        .accounts_to_sync()
        .is_ok_and(|accounts| accounts.names().any(|name| name == account))
    {
        warn(
            settings.quiet,
            &format!(
                "account `{account}` is one `digicert sync` syncs: its next sync pulls its \
                 orders again"
            ),
        );
    }
    let orders = inventory.forget_account(account)?;
    if !settings.quiet {
        eprintln!(
            "forgot account `{account}`: {} deleted, with their history",
            counted(orders, "order")
        );
    }
    Ok(())
}
