//! One probe of one address: connect, the STARTTLS exchange if any, the TLS handshake, the
//! chain read and verified, close_notify and close. Nothing else is sent: no application
//! data, never a key. Every failure becomes an [`Outcome`] with its reason.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use chrono::Utc;
use rustls_pki_types::ServerName;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::certificate::Certificate;
use crate::observation::{
    HandshakeFailure, Observation, Outcome, Served, Timings, TlsVersion, UnreachableKind, seconds,
};
use crate::options::Options;
use crate::starttls;
use crate::target::Target;
use crate::tls::Tls;

/// The step a probe is in, for the reason given when its deadline passes.
#[derive(Debug, Clone, Copy)]
enum Step {
    Connect,
    Handshake,
}

/// Probes `target` at `address` within the options' timeouts and deadline.
pub(crate) async fn probe(
    tls: &Tls,
    options: &Options,
    target: &Target,
    address: SocketAddr,
    resolve: Option<Duration>,
) -> Observation {
    let started_at = Utc::now();
    let start = Instant::now();
    let mut timings = Timings {
        resolve,
        ..Timings::default()
    };
    let mut step = Step::Connect;
    let attempt = handshake(tls, options, target, address, &mut timings, &mut step);
    let result = tokio::time::timeout(options.deadline, attempt).await;
    let outcome = match result {
        Ok(Ok((outcome, stream))) => {
            let left = options.deadline.saturating_sub(start.elapsed());
            close(stream, left).await;
            outcome
        }
        Ok(Err(outcome)) => outcome,
        Err(_) => {
            let doing = match step {
                Step::Connect => "connecting",
                Step::Handshake => "in the handshake",
            };
            unreachable(
                UnreachableKind::Timeout,
                format!(
                    "the probe's deadline of {} passed {doing}",
                    seconds(options.deadline)
                ),
            )
        }
    };
    timings.total = start.elapsed();
    Observation {
        target: target.clone(),
        address: Some(address),
        started_at,
        timings,
        outcome,
    }
}

/// Connects and shakes hands; the outcome and the stream to close, or the outcome of a
/// failure (the stream dropped).
async fn handshake(
    tls: &Tls,
    options: &Options,
    target: &Target,
    address: SocketAddr,
    timings: &mut Timings,
    step: &mut Step,
) -> Result<(Outcome, TlsStream<TcpStream>), Outcome> {
    let Some(name) = target.rustls_name() else {
        return Err(Outcome::HandshakeFailed {
            kind: HandshakeFailure::Other,
            reason: format!("no name to verify for {target}"),
        });
    };
    let connected = Instant::now();
    let mut tcp =
        match tokio::time::timeout(options.connect_timeout, TcpStream::connect(address)).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(err)) => return Err(connect_failure(&err)),
            Err(_) => {
                let limit = seconds(options.connect_timeout);
                let reason = format!("no TCP connection within {limit} (connect timeout)");
                return Err(unreachable(UnreachableKind::Timeout, reason));
            }
        };
    timings.connect = Some(connected.elapsed());
    *step = Step::Handshake;
    let _ = tcp.set_nodelay(true);
    let shaking = Instant::now();
    let exchange = async {
        if let Some(protocol) = target.starttls() {
            let helo = helo_name(&tcp);
            starttls::negotiate(&mut tcp, protocol, &helo)
                .await
                .map_err(|failure| Outcome::HandshakeFailed {
                    kind: HandshakeFailure::StartTls,
                    reason: failure.reason(protocol),
                })?;
        }
        let connector = TlsConnector::from(tls.config.clone());
        connector
            .connect(name.clone(), tcp)
            .await
            .map_err(|err| tls_failure(&err))
    };
    let stream = match tokio::time::timeout(options.handshake_timeout, exchange).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(outcome)) => return Err(outcome),
        Err(_) => {
            let limit = seconds(options.handshake_timeout);
            let reason = format!(
                "connected, but the handshake did not finish within {limit} (handshake timeout)"
            );
            return Err(unreachable(UnreachableKind::Timeout, reason));
        }
    };
    timings.handshake = Some(shaking.elapsed());
    let outcome = served(tls, &stream, &name);
    Ok((outcome, stream))
}

/// Reads and verifies the chain of a completed handshake.
fn served(tls: &Tls, stream: &TlsStream<TcpStream>, name: &ServerName<'_>) -> Outcome {
    let connection = stream.get_ref().1;
    let ders = connection.peer_certificates().unwrap_or_default();
    if ders.is_empty() {
        return Outcome::HandshakeFailed {
            kind: HandshakeFailure::BadCertificate,
            reason: "the server sent no certificate".into(),
        };
    }
    let mut chain = Vec::with_capacity(ders.len());
    for (index, der) in ders.iter().enumerate() {
        match Certificate::from_der(der) {
            Ok(certificate) => chain.push(certificate),
            Err(err) => {
                let reason = format!("certificate {} of {} sent: {err}", index + 1, ders.len());
                return Outcome::HandshakeFailed {
                    kind: HandshakeFailure::BadCertificate,
                    reason,
                };
            }
        }
    }
    let version = match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
        _ => TlsVersion::Tls13,
    };
    Outcome::Served(Served {
        verification: tls.verify(ders, name),
        chain,
        version,
    })
}

/// Sends close_notify and closes, within what is left of the deadline; a server that does
/// not take it changes nothing.
async fn close(mut stream: TlsStream<TcpStream>, left: Duration) {
    let _ = tokio::time::timeout(left, stream.shutdown()).await;
}

/// EHLO's argument: our address as an address literal (RFC 5321), as we have no name.
fn helo_name(tcp: &TcpStream) -> String {
    match tcp.local_addr().map(|local| local.ip()) {
        Ok(IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
        Ok(ip) => format!("[{ip}]"),
        Err(_) => "[127.0.0.1]".into(),
    }
}

fn unreachable(kind: UnreachableKind, reason: String) -> Outcome {
    Outcome::Unreachable { kind, reason }
}

/// A failed TCP connect.
fn connect_failure(err: &io::Error) -> Outcome {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => {
            unreachable(UnreachableKind::Refused, "connection refused".into())
        }
        io::ErrorKind::TimedOut => unreachable(UnreachableKind::Timeout, format!("connect: {err}")),
        _ => unreachable(UnreachableKind::Other, format!("connect: {err}")),
    }
}

/// A failed TLS handshake, as tokio-rustls reports it.
pub(crate) fn tls_failure(err: &io::Error) -> Outcome {
    let failed = |kind, reason| Outcome::HandshakeFailed { kind, reason };
    if let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return match tls {
            rustls::Error::AlertReceived(alert) => failed(
                HandshakeFailure::Alert,
                format!(
                    "the server sent the TLS alert {}",
                    snake_case(&format!("{alert:?}"))
                ),
            ),
            rustls::Error::InvalidMessage(rustls::InvalidMessage::HandshakePayloadTooLarge) => {
                failed(
                    HandshakeFailure::TooLarge,
                    "the server's handshake message is larger than the 64 KiB rustls accepts \
                     (a certificate chain of hundreds of KB?)"
                        .into(),
                )
            }
            rustls::Error::InvalidMessage(_) => failed(
                HandshakeFailure::NotTls,
                format!("the server's answer is not TLS ({tls})"),
            ),
            other => failed(
                HandshakeFailure::Other,
                format!("TLS handshake failed: {other}"),
            ),
        };
    }
    match err.kind() {
        io::ErrorKind::UnexpectedEof => failed(
            HandshakeFailure::Closed,
            "the server closed the connection during the TLS handshake".into(),
        ),
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => failed(
            HandshakeFailure::Closed,
            format!("the server reset the connection during the TLS handshake ({err})"),
        ),
        _ => failed(
            HandshakeFailure::Other,
            format!("TLS handshake failed: {err}"),
        ),
    }
}

/// `HandshakeFailure` as `handshake_failure`, the name the TLS RFCs give.
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_names_as_in_the_rfcs() {
        assert_eq!(snake_case("HandshakeFailure"), "handshake_failure");
        assert_eq!(snake_case("UnrecognisedName"), "unrecognised_name");
        assert_eq!(snake_case("Unknown(0x55)"), "unknown(0x55)");
    }

    #[test]
    fn io_errors_of_a_handshake() {
        let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
        assert!(matches!(
            tls_failure(&eof),
            Outcome::HandshakeFailed {
                kind: HandshakeFailure::Closed,
                ..
            }
        ));
        let alert = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion),
        );
        assert_eq!(
            tls_failure(&alert),
            Outcome::HandshakeFailed {
                kind: HandshakeFailure::Alert,
                reason: "the server sent the TLS alert protocol_version".into()
            }
        );
    }
}
