//! The parsers on any input: targets, targets files and resolve entries never panic, and what
//! they write reads back the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::net::IpAddr;

use digicert_probe::{Resolve, StartTls, Target, parse_targets_file};
use proptest::prelude::*;

/// A DNS name of one to four labels, in any case; the last one not all digits (that would
/// read as an IPv4 address, and rustls refuses it).
fn dns_name() -> impl Strategy<Value = String> {
    let label = "[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?";
    (
        proptest::collection::vec(label, 0..4),
        "[a-zA-Z][a-zA-Z0-9]{0,5}",
    )
        .prop_map(|(mut labels, last)| {
            labels.push(last);
            labels.join(".")
        })
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from),
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![dns_name(), ip().prop_map(|ip| ip.to_string())]
}

fn target() -> impl Strategy<Value = Target> {
    let starttls = proptest::option::of(proptest::sample::select(StartTls::ALL.to_vec()));
    (
        host(),
        1..=u16::MAX,
        proptest::option::of(dns_name()),
        starttls,
    )
        .prop_map(|(host, port, sni, starttls)| {
            let text = if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            };
            let mut target = Target::parse(&text, 443).unwrap();
            if let Some(sni) = sni {
                target = target.with_sni(&sni).unwrap();
            }
            if let Some(starttls) = starttls {
                target = target.with_starttls(starttls);
            }
            target
        })
}

proptest! {
    #[test]
    fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,80}") {
        let _ = Target::parse(&text, 443);
        let _ = Target::parse_line(&text, 443);
        let _ = Resolve::parse(&text);
        let _ = parse_targets_file(&text, 443);
    }

    #[test]
    fn target_like_text_is_read_or_refused_without_panic(text in "[\\[\\]:0-9a-fA-F.\\- =a-z#]{0,40}") {
        if let Ok(target) = Target::parse_line(&text, 443) {
            prop_assert_eq!(Target::parse_line(&target.to_string(), 1).unwrap(), target);
        }
        let _ = Resolve::parse(&text);
    }

    #[test]
    fn targets_read_back_as_written(target in target()) {
        let line = target.to_string();
        prop_assert_eq!(Target::parse_line(&line, 1).unwrap(), target.clone());
        let file = format!("# targets\n\n{line} # one\n{line}\n");
        prop_assert_eq!(parse_targets_file(&file, 1).unwrap(), vec![target.clone(), target]);
    }

    #[test]
    fn resolve_entries_read_back_as_written(
        host in dns_name(),
        port in 1..=u16::MAX,
        addresses in proptest::collection::vec(ip(), 1..5),
    ) {
        let list: Vec<String> = addresses
            .iter()
            .map(|ip| match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            })
            .collect();
        let entry = Resolve::parse(&format!("{host}:{port}:{}", list.join(","))).unwrap();
        prop_assert_eq!(entry.host(), host.to_ascii_lowercase());
        prop_assert_eq!(entry.port(), port);
        prop_assert_eq!(entry.addresses(), &addresses[..]);
        prop_assert_eq!(Resolve::parse(&entry.to_string()).unwrap(), entry);
    }
}
