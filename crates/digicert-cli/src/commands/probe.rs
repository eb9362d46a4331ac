//! `digicert probe`: does each endpoint (every address behind a name) serve the current
//! certificate, an earlier one, or one nobody issued? Probes, classifies against the
//! inventory, looks unknown certificates up, records the results and lists them.

use std::io::Write;

use digicert_inventory::{DeploymentState, Probed};

use crate::error::CliError;
use crate::flags::ProbeFlags;
use crate::output::write_items;
use crate::probing;
use crate::settings::Settings;
use crate::store;

/// The options of `digicert probe`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  digicert probe                                  # every name of every issued, unexpired order
  digicert probe www.example.com mail.example.com:465 '[2001:db8::1]:443'
  digicert probe --targets endpoints.txt --fail-if stale,unknown,expired
  digicert probe www.example.com --resolve www.example.com:443:192.0.2.10,192.0.2.11
  digicert --format json probe api.example.com")]
pub struct Args {
    /// Endpoints: `host`, `host:port`, `[v6addr]:port` or `ip:port` [default: every DNS name
    /// and common name of every issued, unexpired order in the inventory]
    #[arg(value_name = "TARGET")]
    targets: Vec<String>,
    #[command(flatten)]
    probe: ProbeFlags,
    /// Exit 3 when an endpoint is in one of these states: current, stale, unknown,
    /// name_mismatch, expired, unreachable, handshake_failed.
    #[arg(long, value_name = "STATE[,STATE...]", value_delimiter = ',', value_parser = parse_state)]
    fail_if: Vec<DeploymentState>,
}

/// Reads a deployment state.
fn parse_state(text: &str) -> Result<DeploymentState, String> {
    text.parse()
        .map_err(|err: digicert_inventory::UnknownState| err.to_string())
}

/// Runs `digicert probe`: probes, classifies, looks up, records, writes one row per target
/// and address, a summary on stderr, and fails (exit 3) on the `--fail-if` states.
pub fn run(args: Args, settings: &Settings, out: impl Write) -> Result<(), CliError> {
    let mut inventory = store::open(settings.inventory()?, settings.quiet)?;
    let held = inventory.accounts()?;
    inventory.select_accounts(settings.accounts_to_query(&held)?);
    let demo = match settings.demo() {
        true => Some(probing::Demo::start(settings, &mut inventory)?),
        false => None,
    };
    let named = !args.targets.is_empty() || args.probe.targets_file.is_some();
    let targets = match &demo {
        // The demo's names only: the inventory's others would be looked up in the real DNS.
        Some(demo) if !named => probing::Targets {
            targets: demo.targets()?,
            wildcards: 0,
        },
        _ => probing::targets(&args.targets, &args.probe, &inventory)?,
    };
    if targets.targets.is_empty() {
        return Err(CliError::Usage(
            "nothing to probe: name targets, pass --targets FILE, or run `digicert sync` so \
             that the inventory's names are probed"
                .to_owned(),
        ));
    }
    let prober = probing::prober(&args.probe, settings, demo.as_ref())?;
    let observations = probing::observe(&prober, targets.targets, settings.quiet)?;
    let probed: Vec<Probed> = observations.iter().map(probing::probed).collect();
    let mut deployments = inventory.classify(&probed)?;
    let lookups = inventory.lookups(&deployments, args.probe.lookups)?;
    let looked_up = match lookups.is_empty() {
        true => probing::LookedUp::default(),
        false => probing::look_up(
            &mut inventory,
            &lookups,
            &probing::Clients::connect(settings),
        )?,
    };
    if looked_up.found > 0 {
        deployments = inventory.classify(&probed)?;
    }
    inventory.record_deployments(&deployments)?;
    deployments
        .sort_by(|a, b| (&a.target, a.port, &a.address).cmp(&(&b.target, b.port, &b.address)));
    let summary = probing::summary(&deployments, targets.wildcards, looked_up);
    let failing: Vec<DeploymentState> = args
        .fail_if
        .iter()
        .copied()
        .filter(|state| deployments.iter().any(|d| d.state == *state))
        .collect();
    write_items(settings.format, deployments, out)?;
    if !settings.quiet {
        eprintln!("{summary}");
    }
    if failing.is_empty() {
        return Ok(());
    }
    let states: Vec<&str> = failing.iter().map(|state| state.as_str()).collect();
    Err(CliError::Found(format!(
        "endpoints found {} (--fail-if)",
        states.join(", ")
    )))
}
