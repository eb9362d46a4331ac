//! The errors of reading what to probe (targets, targets files, resolve entries) and of
//! setting a prober up. What goes wrong while probing is not an error: it is an
//! [`Outcome`](crate::Outcome) in the observation.

/// A target, a line of a targets file or a resolve entry that cannot be read.
///
/// Each message quotes the text and says what is wrong with it; errors from a targets file
/// carry the line number.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Nothing to read.
    #[error("empty target")]
    Empty,
    /// A URL where a host and port were expected.
    #[error("{text:?}: a target is host, host:port, [v6addr]:port or ip:port, not a URL")]
    Url {
        /// The text as given.
        text: String,
    },
    /// A port that is not a number from 1 to 65535.
    #[error("{text:?}: invalid port {port:?} (a number from 1 to 65535)")]
    Port {
        /// The text as given.
        text: String,
        /// The port part.
        port: String,
    },
    /// A host that is neither a DNS name nor an IP address.
    #[error("{text:?}: invalid host {host:?} (a DNS name or an IP address)")]
    Host {
        /// The text as given.
        text: String,
        /// The host part.
        host: String,
    },
    /// An IPv6 address written wrongly: brackets not closed, an IPv4 address in brackets,
    /// or a port after an address that has no brackets.
    #[error("{text:?}: {problem}; write an IPv6 address with a port as [v6addr]:port")]
    Ipv6 {
        /// The text as given.
        text: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// An `sni=` value that is not a DNS name (SNI cannot carry an IP address).
    #[error("sni={name:?}: not a DNS name")]
    Sni {
        /// The value given.
        name: String,
    },
    /// A `starttls=` value that names no supported protocol.
    #[error("starttls={name:?}: unknown protocol (smtp, imap, pop3, ftp or postgres)")]
    StartTls {
        /// The value given.
        name: String,
    },
    /// A word after the target that is not `sni=NAME` or `starttls=PROTOCOL`.
    #[error("{option:?}: unknown option (sni=NAME or starttls=PROTOCOL)")]
    Option {
        /// The word as given.
        option: String,
    },
    /// `sni=` or `starttls=` given twice for one target.
    #[error("{option}= given twice")]
    Repeated {
        /// `sni` or `starttls`.
        option: &'static str,
    },
    /// A resolve entry that is not `HOST:PORT:ADDR[,ADDR...]`.
    #[error("resolve entry {text:?}: {problem} (expected HOST:PORT:ADDR[,ADDR...])")]
    Resolve {
        /// The entry as given.
        text: String,
        /// What is wrong.
        problem: String,
    },
    /// A line of a targets file that cannot be read.
    #[error("line {line}: {source}")]
    Line {
        /// Line number, from 1.
        line: usize,
        /// What is wrong with it.
        source: Box<ParseError>,
    },
}

/// A prober that cannot be set up, or root certificates that cannot be read.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// A PEM block that is not a valid certificate.
    #[error("invalid PEM certificate: {reason}")]
    Pem {
        /// What the PEM reader said.
        reason: String,
    },
    /// PEM text without any `BEGIN CERTIFICATE` block.
    #[error("no PEM certificate (BEGIN CERTIFICATE) found")]
    NoCertificate,
    /// An extra root certificate that cannot serve as a trust anchor.
    #[error("root certificate {index} (from 1) cannot be trusted: {reason}")]
    Root {
        /// Its place in [`Options::root_certificates`](crate::Options::root_certificates), from 1.
        index: usize,
        /// What rustls said.
        reason: String,
    },
    /// The certificate verifier cannot be built.
    #[error("cannot set up certificate verification: {reason}")]
    Verifier {
        /// What rustls said.
        reason: String,
    },
}
