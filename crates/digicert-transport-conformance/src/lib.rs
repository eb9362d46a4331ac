//! Holds the transport conformance suite; the code is all in `tests/conformance.rs`.
//!
//! One set of cases runs against every backend (`digicert-transport-ureq` directly,
//! `digicert-transport-reqwest` inside a tokio runtime) against a raw HTTP/1.1 server on
//! 127.0.0.1, so both backends are held to the same contract: statuses passed through,
//! requests sent as built, every header kept, gzip decoded, redirects not followed, and
//! failures sorted into the same `TransportErrorKind`s.
//!
//! Run it with `cargo test -p digicert-transport-conformance`.
