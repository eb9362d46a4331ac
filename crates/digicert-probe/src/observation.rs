//! What one probe saw: a target at one address, when, how long each step took, and how it
//! ended (a chain served, unreachable, or a failed handshake), each with its reason.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::certificate::Certificate;
use crate::target::Target;

/// One target at one address (or at none, when DNS found none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    /// What was probed.
    pub target: Target,
    /// The address dialled; `None` when the name did not resolve.
    pub address: Option<SocketAddr>,
    /// When this probe started: its connect, or its DNS lookup when that failed.
    pub started_at: DateTime<Utc>,
    /// How long each step took.
    pub timings: Timings,
    /// How it ended.
    pub outcome: Outcome,
}

/// How long each step of a probe took; a step not reached is `None`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// The DNS lookup of the target's name (shared by all its addresses); `None` for an IP
    /// address or a resolve entry.
    pub resolve: Option<Duration>,
    /// The TCP connection.
    pub connect: Option<Duration>,
    /// From connected to the end of the TLS handshake, the STARTTLS exchange included.
    pub handshake: Option<Duration>,
    /// The whole probe of this address, from its connect to its close (the DNS lookup not
    /// included); for a failed lookup, the lookup.
    pub total: Duration,
}

/// How a probe ended.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handshake completed: the chain the server sent, and whether it verifies.
    Served(Served),
    /// No TLS server answered: DNS, refused, timed out.
    Unreachable {
        /// Which way.
        kind: UnreachableKind,
        /// What happened, in words.
        reason: String,
    },
    /// Something answered, but the handshake did not complete.
    HandshakeFailed {
        /// Which way.
        kind: HandshakeFailure,
        /// What happened, in words (an alert's name, the server's STARTTLS answer, ...).
        reason: String,
    },
}

impl Outcome {
    /// The chain and its verification, when the handshake completed.
    pub fn served(&self) -> Option<&Served> {
        match self {
            Outcome::Served(served) => Some(served),
            _ => None,
        }
    }

    /// The reason for an unreachable endpoint or a failed handshake, or the verification
    /// failure of a served chain; `None` for a chain that verifies.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Served(served) => match &served.verification {
                Verification::Verified => None,
                Verification::Failed { reason, .. } => Some(reason),
            },
            Outcome::Unreachable { reason, .. } | Outcome::HandshakeFailed { reason, .. } => {
                Some(reason)
            }
        }
    }
}

/// A completed handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// The certificates as the server sent them, its own first.
    pub chain: Vec<Certificate>,
    /// Whether the chain verifies for the target's name against the trusted roots.
    pub verification: Verification,
    /// The TLS version agreed.
    pub version: TlsVersion,
}

impl Served {
    /// The server's own certificate (the first one sent).
    pub fn leaf(&self) -> Option<&Certificate> {
        self.chain.first()
    }
}

/// Whether a served chain verifies: a path to a trusted root (the system's, the bundled
/// Mozilla roots and any added), every certificate valid now, and the leaf valid for the
/// target's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// It does.
    Verified,
    /// It does not.
    Failed {
        /// Which check failed first.
        kind: VerifyFailure,
        /// What rustls said.
        reason: String,
    },
}

/// The check a chain failed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyFailure {
    /// A certificate's validity has ended.
    Expired,
    /// A certificate's validity has not begun.
    NotYetValid,
    /// The leaf is not valid for the target's name.
    NameMismatch,
    /// No path to a trusted root (self-signed, a private CA, a missing intermediate).
    UnknownIssuer,
    /// A certificate is revoked.
    Revoked,
    /// Anything else (a bad signature, a CA used as a server certificate, ...).
    Other,
}

/// How an endpoint was unreachable.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnreachableKind {
    /// The name did not resolve.
    Dns,
    /// The connection was refused.
    Refused,
    /// A connect, handshake or probe deadline passed.
    Timeout,
    /// Another network error (no route, network down, ...).
    Other,
}

/// How a handshake failed.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeFailure {
    /// The server sent a TLS alert.
    Alert,
    /// The server's answer is not TLS.
    NotTls,
    /// The server closed or reset the connection during the handshake.
    Closed,
    /// The STARTTLS exchange failed: refused, closed, or not the protocol.
    StartTls,
    /// A certificate the server sent cannot be read.
    BadCertificate,
    /// The server's handshake messages exceed what rustls accepts (64 KiB), as a chain of
    /// hundreds of KB does.
    TooLarge,
    /// Anything else (no common TLS version or cipher suite, a protocol error, ...).
    Other,
}

/// The TLS version of a completed handshake.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

/// The names used in text output: snake case, stable.
macro_rules! names {
    ($($type:ty { $($variant:ident => $name:literal),+ $(,)? })+) => {$(
        impl $type {
            /// The kind's name in snake case, as in text and JSON output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )+};
}

names! {
    VerifyFailure {
        Expired => "expired",
        NotYetValid => "not_yet_valid",
        NameMismatch => "name_mismatch",
        UnknownIssuer => "unknown_issuer",
        Revoked => "revoked",
        Other => "other",
    }
    UnreachableKind {
        Dns => "dns",
        Refused => "refused",
        Timeout => "timeout",
        Other => "other",
    }
    HandshakeFailure {
        Alert => "alert",
        NotTls => "not_tls",
        Closed => "closed",
        StartTls => "starttls",
        BadCertificate => "bad_certificate",
        TooLarge => "too_large",
        Other => "other",
    }
    TlsVersion {
        Tls12 => "TLSv1.2",
        Tls13 => "TLSv1.3",
    }
}

/// A duration as seconds for a reason: `10 s`, `0.25 s`.
pub(crate) fn seconds(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}
