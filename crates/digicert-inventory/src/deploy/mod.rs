//! Where certificates are deployed: what a probe of an endpoint found, classified against
//! what CertCentral issued (`classify.rs`), and kept (the latest per endpoint, and a history
//! row whenever an endpoint's state or served certificate changes).
//!
//! The inventory knows nothing of TLS: a caller (the `digicert probe` command) turns what
//! its probe observed into [`Probed`], and gets back one [`Deployment`] per endpoint. The
//! types are here; the inventory's methods that read and write them are in
//! `deployments.rs`.

mod classify;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

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
    /// How long it took.
    pub duration: Option<std::time::Duration>,
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
    /// The served certificate's serial number.
    pub served_serial_number: Option<String>,
    /// The served certificate's thumbprint.
    pub served_thumbprint: Option<String>,
    /// When the served certificate expires.
    pub served_not_after: Option<DateTime<Utc>>,
    /// Days from the probe to `served_not_after`; negative once expired.
    pub days_left: Option<i64>,
    /// The certificate that should be served, when it is not the served one.
    pub current_serial_number: Option<String>,
    /// Its thumbprint.
    pub current_thumbprint: Option<String>,
    /// When the endpoint was probed.
    pub probed_at: DateTime<Utc>,
    /// How long the probe took, in seconds.
    pub duration_seconds: Option<f64>,
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
