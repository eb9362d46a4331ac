//! Probes TLS endpoints and reports what each one serves: targets in, observations out.
//!
//! A [`Target`] is a host and port (with an optional SNI name and STARTTLS opening). Each
//! name is resolved to all its addresses (A and AAAA, up to [`Options::max_addresses`]), or
//! to those a [`Resolve`] entry gives, and **every address is probed on its own**, so one
//! stale node behind a load balancer shows. A probe connects, sends the ClientHello (after
//! the STARTTLS lines, if any), completes the handshake whatever the chain, reads the chain,
//! sends close_notify and closes: no application data, never a key.
//!
//! Each probe gives an [`Observation`]: the target, the address, when, how long each step
//! took, and an [`Outcome`]:
//! - [`Outcome::Served`]: the chain as sent (parsed [`Certificate`]s: thumbprints, serial,
//!   validity, names), and beside it whether it verifies for the name against the system's
//!   roots, the bundled Mozilla roots and any added ([`Verification`]), and the TLS version;
//! - [`Outcome::Unreachable`]: DNS, refused, timeout;
//! - [`Outcome::HandshakeFailed`]: an alert, not TLS, STARTTLS refused, closed mid-handshake.
//!
//! Probes run as tokio tasks, at most [`Options::concurrency`] at once, with connect,
//! handshake and per-probe deadlines; a target given twice is probed once. TLS is rustls on
//! ring. The crate knows nothing of any CA's API: comparing what was served with what was
//! issued is the caller's job.
//!
//! ```no_run
//! use digicert_probe::{Options, Outcome, Prober, Resolve, Target, Verification};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let targets = vec![
//!     Target::parse("www.example.com", 443)?,
//!     Target::parse_line("mail.example.com:25 starttls=smtp", 443)?,
//! ];
//! let options = Options::default()
//!     .with_concurrency(16)
//!     .with_resolve(Resolve::parse("www.example.com:443:192.0.2.10,192.0.2.11")?);
//! let prober = Prober::new(options)?;
//! for observation in prober.probe_all(targets).await {
//!     let address = observation.address.map(|a| a.to_string()).unwrap_or_default();
//!     match &observation.outcome {
//!         Outcome::Served(served) => {
//!             let leaf = served.leaf().map(|c| c.thumbprint_hex()).unwrap_or_default();
//!             let verified = matches!(served.verification, Verification::Verified);
//!             println!("{} {address} {leaf} verified={verified}", observation.target);
//!         }
//!         other => println!("{} {address} {}", observation.target, other.reason().unwrap_or("")),
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`Prober::probe`] hands the observations out as a `Stream` as they complete, for
//! progress; [`Prober::probe_all`] collects them.

mod certificate;
mod error;
mod observation;
mod options;
mod probe;
mod prober;
mod resolve;
mod starttls;
mod target;
mod tls;

pub use certificate::{Certificate, CertificateError};
pub use error::{ParseError, SetupError};
pub use observation::{
    HandshakeFailure, Observation, Outcome, Served, Timings, TlsVersion, UnreachableKind,
    Verification, VerifyFailure,
};
pub use options::Options;
pub use prober::Prober;
pub use resolve::Resolve;
pub use starttls::StartTls;
pub use target::{Target, parse_targets_file};
