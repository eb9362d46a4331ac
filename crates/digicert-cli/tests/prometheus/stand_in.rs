//! Until `digicert serve` probes (`--probe-interval`), a stand-in target on loopback that
//! Prometheus scrapes beside it: the deployment probe's four families, with the names and
//! labels issue 21 fixes, for endpoints in every kind of state. It lets the probe panels and
//! alerts answer real series now; once `serve` exports the families, the test scrapes
//! `serve` alone.

use std::io::{Read, Write};
use std::net::TcpListener;

/// A day in seconds.
const DAY: f64 = 86_400.0;

/// A probed endpoint and what it served.
struct Endpoint {
    target: &'static str,
    address: &'static str,
    state: &'static str,
    /// None when no certificate was read.
    served: Option<Served>,
}

/// A served certificate: notAfter in days from now, serial, thumbprint, order ("": none).
type Served = (f64, &'static str, &'static str, &'static str);

/// Endpoints in the states that alert, and a current one.
const ENDPOINTS: [Endpoint; 5] = [
    endpoint(
        "www.example.com",
        "127.0.0.2",
        "current",
        Some((60.0, "0a", "aa", "1")),
    ),
    endpoint(
        "www.example.com",
        "127.0.0.3",
        "stale",
        Some((5.0, "0b", "bb", "1")),
    ),
    endpoint(
        "old.example.com",
        "127.0.0.4",
        "expired",
        Some((-2.0, "0c", "cc", "2")),
    ),
    endpoint(
        "other.example.com",
        "127.0.0.5",
        "unknown",
        Some((90.0, "0d", "dd", "")),
    ),
    endpoint("down.example.com", "127.0.0.6", "unreachable", None),
];

/// An [`Endpoint`], in a const.
const fn endpoint(
    target: &'static str,
    address: &'static str,
    state: &'static str,
    served: Option<Served>,
) -> Endpoint {
    Endpoint {
        target,
        address,
        state,
        served,
    }
}

/// Every state an endpoint can be in.
const STATES: [&str; 7] = [
    "current",
    "stale",
    "unknown",
    "name_mismatch",
    "expired",
    "unreachable",
    "handshake_failed",
];

/// The stand-in's exposition, with notAfter relative to `now`.
pub fn exposition(now: f64) -> String {
    let mut text = String::new();
    let labels = |e: &Endpoint| format!("target=\"{}\",address=\"{}\"", e.target, e.address);
    text.push_str("# TYPE digicert_probe_success gauge\n");
    for e in &ENDPOINTS {
        let success = u8::from(e.served.is_some());
        text.push_str(&format!(
            "digicert_probe_success{{{}}} {success}\n",
            labels(e)
        ));
    }
    text.push_str("# TYPE digicert_probe_state gauge\n");
    for e in &ENDPOINTS {
        for state in STATES {
            let value = u8::from(state == e.state);
            let labels = format!("{},state=\"{state}\"", labels(e));
            text.push_str(&format!("digicert_probe_state{{{labels}}} {value}\n"));
        }
    }
    let name = "digicert_probe_certificate_not_after_timestamp_seconds";
    text.push_str(&format!("# TYPE {name} gauge\n"));
    for e in &ENDPOINTS {
        let Some((days, serial, thumbprint, order)) = e.served else {
            continue;
        };
        let labels = format!(
            "{},serial_number=\"{serial}\",thumbprint=\"{thumbprint}\",order_id=\"{order}\"",
            labels(e)
        );
        let not_after = (now + days * DAY).round();
        text.push_str(&format!("{name}{{{labels}}} {not_after}\n"));
    }
    text.push_str("# TYPE digicert_probe_duration_seconds gauge\n");
    for e in &ENDPOINTS {
        text.push_str(&format!(
            "digicert_probe_duration_seconds{{{}}} 0.05\n",
            labels(e)
        ));
    }
    text
}

/// Serves `text` to every HTTP request on a free loopback port, on a thread of its own for
/// as long as the test runs; returns the address.
pub fn serve(text: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            // One request a connection: read its head, answer, close.
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    addr
}
