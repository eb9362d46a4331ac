//! One deployment probe run, for `digicert probe` and `digicert serve --probe-interval`: the
//! targets (those named, or every name the inventory holds), the probe itself, what it
//! observed classified against the inventory, unknown certificates looked up in CertCentral,
//! and the results recorded (`lookup.rs`); with `--demo`, the demo's endpoints (`demo.rs`).

mod demo;
mod lookup;

pub use demo::Demo;
pub use lookup::{Clients, LookedUp, look_up};

use std::path::Path;

use digicert_inventory::{
    Deployment, DeploymentState, Outcome, Probed, ServedCertificate, normalize_hex,
};
use digicert_probe::{Observation, Options, Prober, Target, Verification, parse_targets_file};
use futures_util::StreamExt;

use crate::error::CliError;
use crate::flags::ProbeFlags;
use crate::output::progress;
use crate::settings::Settings;
use crate::store::Inventory;

/// The targets of a run.
#[derive(Debug)]
pub struct Targets {
    /// The targets, each once.
    pub targets: Vec<Target>,
    /// Wildcard names of the inventory skipped: they cannot be dialled.
    pub wildcards: usize,
}

/// The targets named on the line and in `--targets`; none named: every DNS name and common
/// name of every issued, unexpired order of the inventory.
pub fn targets(
    named: &[String],
    flags: &ProbeFlags,
    inventory: &Inventory,
) -> Result<Targets, CliError> {
    let mut targets = Vec::new();
    for text in named {
        let target = Target::parse(text, flags.port)
            .map_err(|err| CliError::Usage(format!("target `{text}`: {err}")))?;
        targets.push(target);
    }
    if let Some(path) = &flags.targets_file {
        targets.extend(targets_file(path, flags.port)?);
    }
    if !targets.is_empty() {
        return Ok(Targets {
            targets,
            wildcards: 0,
        });
    }
    let names = inventory.probe_names(chrono::Utc::now().date_naive())?;
    for name in &names.names {
        match Target::parse(name, flags.port) {
            Ok(target) => targets.push(target),
            Err(err) => tracing::warn!(name, error = %err, "an order's name is no target"),
        }
    }
    Ok(Targets {
        targets,
        wildcards: names.wildcards,
    })
}

/// The targets of a `--targets` file; a file that cannot be read or parsed is refused input.
fn targets_file(path: &Path, port: u16) -> Result<Vec<Target>, CliError> {
    let refused =
        |reason: String| CliError::Usage(format!("--targets {}: {reason}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|err| refused(err.to_string()))?;
    parse_targets_file(&text, port).map_err(|err| refused(err.to_string()))
}

/// The prober the options ask for: `--concurrency` probes at once, `--probe-timeout` for each
/// (connecting within the probe's default connect timeout at most),
/// the system's and bundled roots plus `--ca-cert`, the `--resolve` entries; with `--demo`,
/// pointed at the demo's endpoints.
pub fn prober(
    flags: &ProbeFlags,
    settings: &Settings,
    demo: Option<&Demo>,
) -> Result<Prober, CliError> {
    let concurrency = settings
        .probe_concurrency()
        .map_or(Options::DEFAULT_CONCURRENCY, usize::from);
    let mut options = Options::default()
        .with_concurrency(concurrency)
        .with_connect_timeout(Options::DEFAULT_CONNECT_TIMEOUT.min(flags.probe_timeout))
        .with_handshake_timeout(flags.probe_timeout)
        .with_deadline(flags.probe_timeout);
    for entry in &flags.resolve {
        options = options.with_resolve(entry.clone());
    }
    if let Some(path) = settings.extra_ca_cert() {
        let refused =
            |reason: String| CliError::Usage(format!("--ca-cert {}: {reason}", path.display()));
        let pem = std::fs::read(path).map_err(|err| refused(err.to_string()))?;
        options = options
            .with_root_certificates_pem(&pem)
            .map_err(|err| refused(err.to_string()))?;
    }
    if let Some(demo) = demo {
        options = demo.options(options)?;
    }
    Prober::new(options).map_err(|err| CliError::Usage(err.to_string()))
}

/// Probes `targets` on a runtime of its own, counting the endpoints done on a terminal.
pub fn observe(
    prober: &Prober,
    targets: Vec<Target>,
    quiet: bool,
) -> Result<Vec<Observation>, CliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let bar = progress::counter(quiet, "endpoints probed");
    let observations = runtime.block_on(
        prober
            .probe(targets)
            .inspect(|_| bar.inc(1))
            .collect::<Vec<_>>(),
    );
    bar.finish_and_clear();
    Ok(observations)
}

/// What a probe observed, in the inventory's terms: under the name the certificate must
/// cover (the `sni=` name, else the host), at the address dialled.
pub fn probed(observation: &Observation) -> Probed {
    let target = &observation.target;
    let name = target.server_name().unwrap_or(target.host());
    let outcome = match &observation.outcome {
        digicert_probe::Outcome::Served(served) => match served.leaf() {
            Some(leaf) => Outcome::Served(ServedCertificate {
                thumbprint: normalize_hex(&leaf.thumbprint_hex()).unwrap_or_default(),
                serial_number: normalize_hex(&leaf.serial_hex()).unwrap_or_default(),
                not_after: leaf.not_after,
                covers_name: leaf.covers(name),
                verified: served.verification == Verification::Verified,
                verify_error: match &served.verification {
                    Verification::Verified => None,
                    Verification::Failed { reason, .. } => Some(reason.clone()),
                },
            }),
            None => Outcome::HandshakeFailed("the server sent no certificate".to_owned()),
        },
        digicert_probe::Outcome::Unreachable { reason, .. } => Outcome::Unreachable(reason.clone()),
        other => Outcome::HandshakeFailed(other.reason().unwrap_or_default().to_owned()),
    };
    Probed {
        target: name.to_ascii_lowercase(),
        port: target.port(),
        address: observation
            .address
            .map(|address| address.ip().to_string())
            .unwrap_or_default(),
        probed_at: observation.started_at,
        duration: Some(observation.timings.total),
        outcome,
    }
}

/// One line for stderr: how many endpoints in each state, wildcards skipped, lookups.
pub fn summary(deployments: &[Deployment], wildcards: usize, looked_up: LookedUp) -> String {
    let mut parts: Vec<String> = DeploymentState::ALL
        .iter()
        .map(|state| {
            let count = deployments.iter().filter(|d| d.state == *state).count();
            (state, count)
        })
        .filter(|(_, count)| *count > 0)
        .map(|(state, count)| format!("{count} {state}"))
        .collect();
    if parts.is_empty() {
        parts.push("nothing".to_owned());
    }
    let endpoints = deployments.len();
    let mut line = format!(
        "probe: {endpoints} endpoint{}: {}",
        if endpoints == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if wildcards > 0 {
        line.push_str(&format!(
            "; {wildcards} wildcard name{} skipped (list their hosts with --targets)",
            if wildcards == 1 { "" } else { "s" }
        ));
    }
    if looked_up.asked > 0 {
        line.push_str(&format!(
            "; {} unknown certificate{} looked up, {} found",
            looked_up.asked,
            if looked_up.asked == 1 { "" } else { "s" },
            looked_up.found
        ));
    }
    line
}
