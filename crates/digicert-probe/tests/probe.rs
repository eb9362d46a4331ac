//! The prober against loopback servers: hostile endpoints each end in their state with a
//! clear reason while a good endpoint beside them is served; every address of a name is
//! probed on its own; duplicates are dialled once; the concurrency cap holds; a chain that
//! does not verify is still read; added roots verify a private CA's chain; STARTTLS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use digicert_probe::{
    HandshakeFailure, Observation, Options, Outcome, Prober, Resolve, Served, Target,
    UnreachableKind, Verification, VerifyFailure,
};
use support::{Ca, Chain, Hostile, Server};

/// Options for loopback: no system roots, short timeouts (the silent server waits them out).
fn options() -> Options {
    Options::default()
        .with_native_roots(false)
        .with_connect_timeout(Duration::from_secs(5))
        .with_handshake_timeout(Duration::from_secs(1))
        .with_deadline(Duration::from_secs(10))
}

/// `name:port` dialled at the server's address.
fn named(name: &str, server: &Server) -> (Target, Resolve) {
    let port = server.port();
    let target = Target::parse(&format!("{name}:{port}"), 443).unwrap();
    let entry = Resolve::parse(&format!("{name}:{port}:{}", server.addr.ip())).unwrap();
    (target, entry)
}

/// The one observation of `target`.
fn of<'a>(observations: &'a [Observation], target: &Target) -> &'a Observation {
    let mut found = observations.iter().filter(|o| &o.target == target);
    let one = found
        .next()
        .unwrap_or_else(|| panic!("no observation of {target}"));
    assert!(
        found.next().is_none(),
        "more than one observation of {target}"
    );
    one
}

fn served(observation: &Observation) -> &Served {
    observation.outcome.served().unwrap_or_else(|| {
        panic!(
            "{}: not served: {:?}",
            observation.target, observation.outcome
        )
    })
}

fn verify_failure(observation: &Observation) -> (VerifyFailure, &str) {
    match &served(observation).verification {
        Verification::Failed { kind, reason } => (*kind, reason),
        Verification::Verified => panic!("{}: verified", observation.target),
    }
}

fn unreachable(observation: &Observation) -> (UnreachableKind, &str) {
    match &observation.outcome {
        Outcome::Unreachable { kind, reason } => (*kind, reason),
        other => panic!("{}: not unreachable: {other:?}", observation.target),
    }
}

fn failed(observation: &Observation) -> (HandshakeFailure, &str) {
    match &observation.outcome {
        Outcome::HandshakeFailed { kind, reason } => (*kind, reason),
        other => panic!("{}: handshake did not fail: {other:?}", observation.target),
    }
}

/// One line per observation on stderr (shown with --nocapture): what each case ended in.
fn show(observations: &[Observation]) {
    for o in observations {
        let state = match &o.outcome {
            Outcome::Served(served) => format!("served, {:?}", served.verification),
            other => format!("{other:?}"),
        };
        eprintln!("{} -> {state}", o.target);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_endpoints_end_in_their_state_and_a_good_one_is_served() {
    let ca = Ca::new();
    let servers = [
        ("good.test", support::tls(&ca.leaf(&["good.test"])).await),
        ("silent.test", support::hostile(Hostile::Silent).await),
        ("garbage.test", support::hostile(Hostile::Garbage).await),
        (
            "closes.test",
            support::hostile(Hostile::CloseMidHandshake).await,
        ),
        (
            "self-signed.test",
            support::tls(&support::self_signed(&["self-signed.test"])).await,
        ),
        (
            "expired.test",
            support::tls(&ca.expired(&["expired.test"])).await,
        ),
        (
            "wrong-name.test",
            support::tls(&ca.leaf(&["other.test"])).await,
        ),
        (
            "huge.test",
            support::tls(&ca.huge(&["huge.test"], 300_000)).await,
        ),
        ("alert.test", support::hostile(Hostile::Alert).await),
        (
            "smtp-refuses.test",
            support::hostile(Hostile::SmtpRefusing).await,
        ),
        (
            "smtp.test",
            support::smtp_tls(&ca.leaf(&["smtp.test"])).await,
        ),
        (
            "unreadable.test",
            support::tls(&ca.garbage_intermediate(&["unreadable.test"])).await,
        ),
    ];
    let mut options = options()
        .with_root_certificates_pem(ca.pem.as_bytes())
        .unwrap();
    let mut targets = Vec::new();
    for (name, server) in &servers {
        let (mut target, entry) = named(name, server);
        if name.starts_with("smtp") {
            target = target.with_starttls(digicert_probe::StartTls::Smtp);
        }
        targets.push(target);
        options = options.with_resolve(entry);
    }
    let refused = Target::parse(&support::closed_port().await.to_string(), 443).unwrap();
    targets.push(refused.clone());

    let observations = Prober::new(options)
        .unwrap()
        .probe_all(targets.clone())
        .await;
    show(&observations);
    assert_eq!(observations.len(), targets.len());
    let at = |index: usize| of(&observations, &targets[index]);

    let good = served(at(0));
    assert_eq!(good.verification, Verification::Verified);
    assert_eq!(good.chain.len(), 2);
    assert_eq!(good.leaf().unwrap().dns_names, ["good.test"]);

    let (kind, reason) = unreachable(at(1));
    assert_eq!(kind, UnreachableKind::Timeout);
    assert_eq!(
        reason,
        "connected, but the handshake did not finish within 1 s (handshake timeout)"
    );

    let (kind, reason) = failed(at(2));
    assert_eq!(kind, HandshakeFailure::NotTls);
    assert!(
        reason.starts_with("the server's answer is not TLS"),
        "{reason}"
    );

    let (kind, reason) = failed(at(3));
    assert_eq!(kind, HandshakeFailure::Closed);
    assert_eq!(
        reason,
        "the server closed the connection during the TLS handshake"
    );

    let (kind, reason) = verify_failure(at(4));
    assert_eq!(kind, VerifyFailure::UnknownIssuer);
    assert!(reason.contains("UnknownIssuer"), "{reason}");
    assert_eq!(served(at(4)).chain.len(), 1);

    let (kind, reason) = verify_failure(at(5));
    assert_eq!(kind, VerifyFailure::Expired);
    assert!(reason.contains("expired"), "{reason}");
    let leaf = served(at(5)).leaf().unwrap();
    assert!(leaf.is_expired(Utc::now()));

    let (kind, reason) = verify_failure(at(6));
    assert_eq!(kind, VerifyFailure::NameMismatch);
    assert!(reason.contains("wrong-name.test"), "{reason}");
    let leaf = served(at(6)).leaf().unwrap();
    assert!(!leaf.covers("wrong-name.test") && leaf.covers("other.test"));

    let (kind, reason) = failed(at(7));
    assert_eq!(kind, HandshakeFailure::TooLarge);
    assert!(reason.contains("64 KiB"), "{reason}");

    let (kind, reason) = failed(at(8));
    assert_eq!(kind, HandshakeFailure::Alert);
    assert_eq!(reason, "the server sent the TLS alert handshake_failure");

    let (kind, reason) = failed(at(9));
    assert_eq!(kind, HandshakeFailure::StartTls);
    assert_eq!(
        reason,
        "the SMTP server refused STARTTLS: STARTTLS answered \"454 4.7.0 TLS not available due to local problem\""
    );

    let smtp = served(at(10));
    assert_eq!(smtp.verification, Verification::Verified);
    assert_eq!(smtp.leaf().unwrap().dns_names, ["smtp.test"]);

    let (kind, reason) = failed(at(11));
    assert_eq!(kind, HandshakeFailure::BadCertificate);
    assert!(
        reason.starts_with("certificate 2 of 2 sent: not a readable X.509 certificate"),
        "{reason}"
    );

    let (kind, reason) = unreachable(of(&observations, &refused));
    assert_eq!(
        (kind, reason),
        (UnreachableKind::Refused, "connection refused")
    );

    for (_, server) in &servers {
        assert_eq!(server.accepted(), 1, "each endpoint dialled once");
    }
}

#[tokio::test]
async fn the_probe_deadline_ends_a_probe_whatever_the_step() {
    let silent = support::hostile(Hostile::Silent).await;
    let target = Target::parse(&silent.addr.to_string(), 443).unwrap();
    let options = options()
        .with_handshake_timeout(Duration::from_secs(30))
        .with_deadline(Duration::from_millis(300));
    let observations = Prober::new(options).unwrap().probe_all([target]).await;
    let (kind, reason) = unreachable(&observations[0]);
    assert_eq!(kind, UnreachableKind::Timeout);
    assert_eq!(
        reason,
        "the probe's deadline of 0.3 s passed in the handshake"
    );
    assert!(observations[0].timings.connect.is_some());
    assert!(observations[0].timings.handshake.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_address_of_a_name_is_probed_on_its_own() {
    let ca = Ca::new();
    let (one, two) = support::twin_tls(&ca.leaf(&["multi.test"]), &ca.leaf(&["multi.test"])).await;
    let entry = format!("multi.test:{}:127.0.0.2,127.0.0.3,127.0.0.2", one.port());
    let options = options().with_resolve(Resolve::parse(&entry).unwrap());
    let target = Target::parse(&format!("multi.test:{}", one.port()), 443).unwrap();
    let observations = Prober::new(options).unwrap().probe_all([target]).await;
    show(&observations);
    assert_eq!(observations.len(), 2, "each distinct address once");

    let mut thumbprints = HashSet::new();
    for observation in &observations {
        let served = served(observation);
        // Without the test CA among the roots, the chain is still read in full.
        assert_eq!(served.chain.len(), 2);
        assert!(matches!(
            served.verification,
            Verification::Failed {
                kind: VerifyFailure::UnknownIssuer,
                ..
            }
        ));
        thumbprints.insert(served.leaf().unwrap().thumbprint_hex());
    }
    let addresses: HashSet<_> = observations.iter().map(|o| o.address.unwrap()).collect();
    assert_eq!(addresses.len(), 2);
    assert_eq!((one.accepted(), two.accepted()), (1, 1));
    assert_eq!(thumbprints.len(), 2, "each node's own certificate");
    for server in [&one, &two] {
        assert_eq!(
            server.names_seen(1).await,
            [Some("multi.test".to_owned())],
            "SNI stays the name"
        );
    }
}

#[tokio::test]
async fn duplicates_are_dialled_once() {
    let ca = Ca::new();
    let server = support::tls(&ca.leaf(&["dup.test"])).await;
    let port = server.port();
    let entry = Resolve::parse(&format!("dup.test:{port}:127.0.0.1,127.0.0.1")).unwrap();
    let targets = ["dup.test", "DUP.test", "Dup.Test"]
        .map(|host| Target::parse(&format!("{host}:{port}"), 443).unwrap());
    let observations = Prober::new(options().with_resolve(entry))
        .unwrap()
        .probe_all(targets)
        .await;
    assert_eq!(observations.len(), 1);
    assert!(observations[0].outcome.served().is_some());
    assert_eq!(server.accepted(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_cap_holds() {
    const CAP: usize = 3;
    let ca = Ca::new();
    let chain: Chain = ca.leaf(&["*.cap.test"]);
    // The server answers nobody until CAP connections are in: a prober running fewer at
    // once would time out.
    let server = support::tls_at("127.0.0.1:0", chain.config(), Some(CAP)).await;
    let mut options = options()
        .with_concurrency(CAP)
        .with_handshake_timeout(Duration::from_secs(20))
        .with_deadline(Duration::from_secs(30))
        .with_root_certificates_pem(ca.pem.as_bytes())
        .unwrap();
    let mut targets = Vec::new();
    for n in 0..12 {
        let (target, entry) = named(&format!("n{n}.cap.test"), &server);
        targets.push(target);
        options = options.with_resolve(entry);
    }
    let observations = Prober::new(options).unwrap().probe_all(targets).await;
    assert_eq!(observations.len(), 12);
    for observation in &observations {
        assert_eq!(served(observation).verification, Verification::Verified);
    }
    assert_eq!(server.accepted(), 12);
    // Each probe's span, from its start to its end, as the prober measured it.
    let spans: Vec<(DateTime<Utc>, DateTime<Utc>)> = observations
        .iter()
        .map(|o| (o.started_at, o.started_at + o.timings.total))
        .collect();
    let most = spans
        .iter()
        .map(|(start, _)| {
            spans
                .iter()
                .filter(|(s, e)| s <= start && start < e)
                .count()
        })
        .max()
        .unwrap();
    assert!(most <= CAP, "{most} probes at once, cap {CAP}");
}

#[tokio::test]
async fn added_roots_verify_a_private_ca_and_ip_targets_send_no_sni() {
    let ca = Ca::new();
    let server = support::tls(&ca.leaf(&["127.0.0.1", "named.test"])).await;
    let by_ip = Target::parse(&server.addr.to_string(), 443).unwrap();
    let with_sni = by_ip.clone().with_sni("named.test").unwrap();

    let untrusted = Prober::new(options())
        .unwrap()
        .probe_all([by_ip.clone()])
        .await;
    let (kind, _) = verify_failure(&untrusted[0]);
    assert_eq!(kind, VerifyFailure::UnknownIssuer);

    let trusted = options()
        .with_root_certificates_pem(ca.pem.as_bytes())
        .unwrap();
    let observations = Prober::new(trusted)
        .unwrap()
        .probe_all([by_ip.clone(), with_sni.clone()])
        .await;
    for target in [&by_ip, &with_sni] {
        assert_eq!(
            served(of(&observations, target)).verification,
            Verification::Verified
        );
    }
    let mut names = server.names_seen(3).await;
    names.sort();
    assert_eq!(names, [None, None, Some("named.test".to_owned())]);
}

#[tokio::test]
async fn localhost_resolves_through_the_system() {
    let ca = Ca::new();
    let server = support::tls(&ca.leaf(&["localhost"])).await;
    let target = Target::parse(&format!("localhost:{}", server.port()), 443).unwrap();
    let observations = Prober::new(options()).unwrap().probe_all([target]).await;
    show(&observations);
    let v4 = observations
        .iter()
        .find(|o| o.address == Some(server.addr))
        .expect("127.0.0.1 among localhost's addresses");
    assert_eq!(served(v4).chain.len(), 2);
    assert!(v4.timings.resolve.is_some());
    // Any other address (::1) is probed too, on its own: nothing listens there.
    for other in observations
        .iter()
        .filter(|o| o.address != Some(server.addr))
    {
        assert!(
            matches!(other.outcome, Outcome::Unreachable { .. }),
            "{other:?}"
        );
    }
}

#[tokio::test]
async fn observations_stream_as_they_complete() {
    use futures_util::StreamExt;
    let ca = Ca::new();
    let server = support::tls(&ca.leaf(&["127.0.0.1"])).await;
    let prober = Prober::new(options()).unwrap();
    let target = Target::parse(&server.addr.to_string(), 443).unwrap();
    let mut stream = prober.probe([target.clone(), target]);
    let first = stream.next().await.unwrap();
    assert!(first.outcome.served().is_some());
    assert!(stream.next().await.is_none());
}
