//! Where certificates are deployed: what a probe of an endpoint found, classified against
//! what CertCentral issued (`classify.rs`), and kept (the latest per endpoint, and a history
//! row whenever an endpoint's state or served certificate changes).
//!
//! The inventory knows nothing of TLS: a caller (the `digicert probe` command) turns what
//! its probe observed into [`Probed`], and gets back one [`Deployment`] per endpoint.

mod classify;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;

use crate::Inventory;
use crate::error::Error;
use crate::find::{Find, name_key};
use crate::store::Store;

pub use classify::{Catalog, CoveringOrder, KnownCertificate, classify};

/// One endpoint as a probe found it.
#[derive(Debug, Clone, PartialEq)]
pub struct Probed {
    /// The name (or address) probed, as the user or the inventory gave it.
    pub target: String,
    /// The port.
    pub port: u16,
    /// The address dialled; empty when the name did not resolve.
    pub address: String,
    /// When the probe ran.
    pub probed_at: DateTime<Utc>,
    /// What it found.
    pub outcome: Outcome,
}

/// What a probe found at an endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// No TCP connection: the name did not resolve, the connection was refused, or timed out.
    Unreachable(String),
    /// A connection, but no completed TLS handshake (an alert, not TLS, STARTTLS refused...).
    HandshakeFailed(String),
    /// A certificate was served.
    Served(ServedCertificate),
}

/// The leaf certificate an endpoint served, as the probe read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedCertificate {
    /// SHA-1 of its DER, normalized ([`crate::normalize_hex`]).
    pub thumbprint: String,
    /// Its serial number, normalized.
    pub serial_number: String,
    /// When it expires.
    pub not_after: DateTime<Utc>,
    /// Whether it covers the name probed.
    pub covers_name: bool,
    /// Whether its chain verified against the trusted roots, and the name.
    pub verified: bool,
    /// Why it did not verify.
    pub verify_error: Option<String>,
}

/// How an endpoint stands against what CertCentral issued; where several apply, the first
/// of this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeploymentState {
    /// No connection (DNS, refused, timeout).
    Unreachable,
    /// A connection but no completed handshake.
    HandshakeFailed,
    /// The served certificate has expired.
    Expired,
    /// The served certificate does not cover the name.
    NameMismatch,
    /// A certificate neither the inventory nor CertCentral knows (another CA or account).
    Unknown,
    /// An earlier certificate of an order (reissued, or renewed into a newer order).
    Stale,
    /// The current certificate of an order that covers the name.
    Current,
}

impl DeploymentState {
    /// Every state, in precedence order.
    pub const ALL: [DeploymentState; 7] = [
        DeploymentState::Unreachable,
        DeploymentState::HandshakeFailed,
        DeploymentState::Expired,
        DeploymentState::NameMismatch,
        DeploymentState::Unknown,
        DeploymentState::Stale,
        DeploymentState::Current,
    ];

    /// The state as written: `current`, `name_mismatch`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Unreachable => "unreachable",
            DeploymentState::HandshakeFailed => "handshake_failed",
            DeploymentState::Expired => "expired",
            DeploymentState::NameMismatch => "name_mismatch",
            DeploymentState::Unknown => "unknown",
            DeploymentState::Stale => "stale",
            DeploymentState::Current => "current",
        }
    }
}

impl fmt::Display for DeploymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of [`DeploymentState::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a deployment state (current, stale, unknown, name_mismatch, expired, unreachable, handshake_failed)"
)]
pub struct UnknownState(pub String);

impl FromStr for DeploymentState {
    type Err = UnknownState;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().to_ascii_lowercase().replace('-', "_");
        DeploymentState::ALL
            .into_iter()
            .find(|state| state.as_str() == wanted)
            .ok_or_else(|| UnknownState(text.to_owned()))
    }
}

/// One endpoint's deployment: what was served there and how it stands. Serialized with the
/// keys `digicert probe` and `digicert inventory deployments` print.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    /// The account whose order the served certificate belongs to (or should).
    pub account: Option<String>,
    /// The name (or address) probed.
    pub target: String,
    /// The port.
    pub port: u16,
    /// The address dialled; empty when the name did not resolve.
    pub address: String,
    /// How it stands.
    pub state: DeploymentState,
    /// Why, in words.
    pub reason: String,
    /// Whether the served chain verified (none when nothing was served).
    pub verified: Option<bool>,
    /// The order the served certificate belongs to.
    pub order_id: Option<u64>,
    /// The served certificate's serial number (written in upper case, as CertCentral does).
    #[serde(serialize_with = "upper_hex")]
    pub served_serial_number: Option<String>,
    /// The served certificate's thumbprint (written in upper case, as CertCentral does).
    #[serde(serialize_with = "upper_hex")]
    pub served_thumbprint: Option<String>,
    /// When the served certificate expires.
    #[serde(serialize_with = "seconds")]
    pub served_not_after: Option<DateTime<Utc>>,
    /// Days from the probe to `served_not_after`; negative once expired.
    pub days_left: Option<i64>,
    /// The certificate that should be served, when it is not the served one.
    #[serde(serialize_with = "upper_hex")]
    pub current_serial_number: Option<String>,
    /// Its thumbprint.
    #[serde(serialize_with = "upper_hex")]
    pub current_thumbprint: Option<String>,
    /// When the endpoint was probed.
    #[serde(serialize_with = "seconds")]
    pub probed_at: DateTime<Utc>,
}

impl Deployment {
    /// Whether `other` is a change worth a history row: another state or served certificate.
    pub fn differs_from(&self, other: &Deployment) -> bool {
        self.state != other.state || self.served_thumbprint != other.served_thumbprint
    }
}

/// A certificate found by a lookup in CertCentral, to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCertificate {
    /// The account whose key found it.
    pub account: String,
    /// Its order.
    pub order_id: u64,
    /// Its thumbprint, normalized.
    pub thumbprint: String,
    /// Its serial number, normalized.
    pub serial_number: Option<String>,
    /// Its certificate id.
    pub certificate_id: Option<u64>,
    /// Where it was found: `reissues` or `order_info`.
    pub source: &'static str,
}

/// Which deployments a listing returns; empty lists mean all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentFilter {
    /// Only these states.
    pub states: Vec<DeploymentState>,
    /// Only targets with this name (exact, any case).
    pub name: Option<String>,
    /// Only endpoints serving (or that should serve) this order.
    pub order_id: Option<u64>,
}

/// Hex as CertCentral writes it: upper case.
fn upper_hex<S: serde::Serializer>(hex: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match hex {
        Some(hex) => serializer.serialize_str(&hex.to_ascii_uppercase()),
        None => serializer.serialize_none(),
    }
}

/// An instant as RFC 3339 in UTC, to the second (`2026-12-01T12:00:00Z`).
fn seconds<S: serde::Serializer, T: Into<Option<DateTime<Utc>>> + Copy>(
    at: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match (*at).into() {
        Some(at) => serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        None => serializer.serialize_none(),
    }
}

/// Whole days from `at` to `until`, rounded down; negative once past.
pub(crate) fn days_until(until: DateTime<Utc>, at: DateTime<Utc>) -> i64 {
    (until - at).num_seconds().div_euclid(86_400)
}

/// A served certificate nobody in the inventory knows, worth asking CertCentral about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// Its thumbprint, normalized.
    pub thumbprint: String,
    /// Its serial number, normalized.
    pub serial_number: Option<String>,
    /// The orders covering the name it was served on (account and order id): their reissues
    /// may list it.
    pub covering: Vec<(String, u64)>,
}

/// The names to probe when none are given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeNames {
    /// Every DNS name and common name of every issued, unexpired order, lower case, each once.
    pub names: Vec<String>,
    /// Wildcard names skipped: they cannot be dialled.
    pub wildcards: usize,
}

impl<S: Store> Inventory<S> {
    /// Every DNS name and common name of every issued, unexpired order (of the selected
    /// accounts), without the wildcards, which are counted.
    pub fn probe_names(&self, today: NaiveDate) -> Result<ProbeNames, Error> {
        let mut names = BTreeSet::new();
        let mut wildcards = BTreeSet::new();
        self.issued(|order| {
            if order.valid_till.is_some_and(|till| till < today) {
                return Ok(());
            }
            for name in order.common_name.iter().chain(&order.dns_names) {
                let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
                if name.is_empty() {
                    continue;
                }
                if name.contains('*') {
                    wildcards.insert(name);
                } else {
                    names.insert(name);
                }
            }
            Ok(())
        })?;
        Ok(ProbeNames {
            names: names.into_iter().collect(),
            wildcards: wildcards.len(),
        })
    }

    /// What the inventory knows of a run's served certificates and target names.
    pub fn catalog(&self, probed: &[Probed]) -> Result<Catalog, Error> {
        let accounts = self.selected_accounts();
        let mut thumbprints: Vec<String> = probed
            .iter()
            .filter_map(|probed| match &probed.outcome {
                Outcome::Served(served) => Some(served.thumbprint.clone()),
                _ => None,
            })
            .collect();
        thumbprints.sort_unstable();
        thumbprints.dedup();
        let mut catalog = Catalog::default();
        for known in self.store().known_certificates(accounts, &thumbprints)? {
            catalog
                .certificates
                .entry(known.thumbprint.clone())
                .or_default()
                .push(known);
        }
        // Each target's keys: its name, and the wildcard that covers it.
        let mut targets_by_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for probed in probed {
            let target = probed.target.to_ascii_lowercase();
            for key in target_keys(&target) {
                targets_by_key
                    .entry(key)
                    .or_default()
                    .insert(target.clone());
            }
        }
        let keys: Vec<String> = targets_by_key.keys().cloned().collect();
        for (key, order) in self.store().orders_covering(accounts, &keys)? {
            for target in targets_by_key.get(&key).into_iter().flatten() {
                let orders = catalog.covering.entry(target.clone()).or_default();
                if !orders
                    .iter()
                    .any(|o| o.account == order.account && o.order_id == order.order_id)
                {
                    orders.push(order.clone());
                }
            }
        }
        Ok(catalog)
    }

    /// How each endpoint of a probe run stands ([`classify`]), in the order given.
    pub fn classify(&self, probed: &[Probed]) -> Result<Vec<Deployment>, Error> {
        let catalog = self.catalog(probed)?;
        Ok(probed
            .iter()
            .map(|probed| classify(probed, &catalog))
            .collect())
    }

    /// The unknown served certificates of a run worth asking CertCentral about: not asked
    /// before, each once, `limit` at most.
    pub fn lookups(&self, deployments: &[Deployment], limit: usize) -> Result<Vec<Lookup>, Error> {
        let unknown: Vec<&Deployment> = deployments
            .iter()
            .filter(|deployment| deployment.state == DeploymentState::Unknown)
            .collect();
        let thumbprints: Vec<String> = unknown
            .iter()
            .filter_map(|deployment| deployment.served_thumbprint.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let asked: BTreeSet<String> = self
            .store()
            .looked_up(&thumbprints)?
            .into_iter()
            .map(|(_, thumbprint)| thumbprint)
            .collect();
        let probed: Vec<Probed> = unknown
            .iter()
            .map(|deployment| Probed {
                target: deployment.target.clone(),
                port: deployment.port,
                address: deployment.address.clone(),
                probed_at: deployment.probed_at,
                outcome: Outcome::Unreachable(String::new()),
            })
            .collect();
        let catalog = self.catalog(&probed)?;
        let mut lookups: BTreeMap<String, Lookup> = BTreeMap::new();
        for deployment in unknown {
            let Some(thumbprint) = &deployment.served_thumbprint else {
                continue;
            };
            if asked.contains(thumbprint) {
                continue;
            }
            if !lookups.contains_key(thumbprint) && lookups.len() >= limit {
                continue;
            }
            let lookup = lookups.entry(thumbprint.clone()).or_insert_with(|| Lookup {
                thumbprint: thumbprint.clone(),
                serial_number: deployment.served_serial_number.clone(),
                covering: Vec::new(),
            });
            let covering = catalog
                .covering
                .get(&deployment.target.to_ascii_lowercase())
                .into_iter()
                .flatten();
            for order in covering {
                let key = (order.account.clone(), order.order_id);
                if !lookup.covering.contains(&key) {
                    lookup.covering.push(key);
                }
            }
        }
        Ok(lookups.into_values().collect())
    }

    /// Keeps a run's lookups: the certificates found, and the thumbprints CertCentral did not
    /// know, as `(account, thumbprint)`, so that later runs do not ask again.
    pub fn record_lookups(
        &mut self,
        found: &[FoundCertificate],
        missed: &[(String, String)],
    ) -> Result<(), Error> {
        self.store_mut().record_lookups(found, missed, Utc::now())
    }

    /// Keeps a probe run's results: each endpoint's latest, and a history row where its state
    /// or served certificate changed. Returns how many endpoints changed.
    pub fn record_deployments(&mut self, deployments: &[Deployment]) -> Result<u64, Error> {
        self.store_mut().record_deployments(deployments)
    }

    /// The latest deployment of each endpoint a filter picks (of the selected accounts), by
    /// target, port and address.
    pub fn deployments(&self, filter: &DeploymentFilter) -> Result<Vec<Deployment>, Error> {
        self.store().deployments(self.selected_accounts(), filter)
    }

    /// Where an order's certificates were seen served, and when, oldest first.
    pub fn deployment_history(&self, order_id: u64) -> Result<Vec<Deployment>, Error> {
        self.store()
            .deployment_history(self.selected_accounts(), order_id)
    }
}

/// The name keys ([`crate::name_key`]) that cover a target: its own, and its wildcard's.
fn target_keys(target: &str) -> Vec<String> {
    match Find::parse(target) {
        Ok(find) if find.domain().is_some() => find.exact_keys(),
        _ => vec![name_key(target)],
    }
}
