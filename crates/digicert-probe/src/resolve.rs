//! From a target to the addresses dialled: a resolve entry (curl's `--resolve`) for its host
//! and port, else its IP address, else every address DNS gives (A and AAAA), up to a cap.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use crate::error::ParseError;
use crate::observation::UnreachableKind;
use crate::target::{Target, normalize_host, parse_port};

/// A fixed answer for one host and port, as curl's `--resolve HOST:PORT:ADDR[,ADDR...]`:
/// that host and port are dialled at these addresses instead of DNS's. Nothing else
/// changes: the SNI stays the host name. As in curl, the host `*` stands for any host at
/// that port (after the entries naming the host), and a leading `+` (curl's "time out
/// this entry") is accepted and ignored.
///
/// ```
/// use digicert_probe::Resolve;
///
/// let entry = Resolve::parse("www.example.com:443:192.0.2.10,[2001:db8::10]")?;
/// assert_eq!(entry.host(), "www.example.com");
/// assert_eq!(entry.port(), 443);
/// assert_eq!(entry.addresses().len(), 2);
/// assert_eq!(entry.to_string(), "www.example.com:443:192.0.2.10,[2001:db8::10]");
///
/// let any = Resolve::parse("+*:8443:192.0.2.20")?;
/// assert_eq!((any.host(), any.to_string().as_str()), ("*", "*:8443:192.0.2.20"));
/// # Ok::<(), digicert_probe::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resolve {
    host: String,
    port: u16,
    addresses: Vec<IpAddr>,
}

impl Resolve {
    /// Reads `[+]HOST:PORT:ADDR[,ADDR...]`, `HOST` a name, an IP address or `*` (any host);
    /// an IPv6 address may be written in brackets.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let problem = |problem: String| ParseError::Resolve {
            text: text.into(),
            problem,
        };
        let entry = text.strip_prefix('+').unwrap_or(text);
        let (host, rest) = entry
            .split_once(':')
            .ok_or_else(|| problem("no port".into()))?;
        let (port, list) = rest
            .split_once(':')
            .ok_or_else(|| problem("no address".into()))?;
        let host = match host {
            ANY_HOST => ANY_HOST.to_owned(),
            host => {
                normalize_host(host).ok_or_else(|| problem(format!("invalid host {host:?}")))?
            }
        };
        let port = parse_port(port).ok_or_else(|| problem(format!("invalid port {port:?}")))?;
        let mut addresses = Vec::new();
        for address in list.split(',') {
            let bare = address
                .strip_prefix('[')
                .and_then(|inner| inner.strip_suffix(']'))
                .unwrap_or(address);
            let ip = bare
                .parse()
                .map_err(|_| problem(format!("invalid address {address:?}")))?;
            addresses.push(ip);
        }
        Ok(Self {
            host,
            port,
            addresses,
        })
    }

    /// The host name (lower case), or `*` for any host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The addresses dialled for this host and port, in the order given.
    pub fn addresses(&self) -> &[IpAddr] {
        &self.addresses
    }
}

impl FromStr for Resolve {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, ParseError> {
        Self::parse(text)
    }
}

/// Writes the entry as it reads back: `HOST:PORT:ADDR,...`, IPv6 addresses in brackets.
impl std::fmt::Display for Resolve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:", self.host, self.port)?;
        for (index, address) in self.addresses.iter().enumerate() {
            let comma = if index == 0 { "" } else { "," };
            match address {
                IpAddr::V4(v4) => write!(f, "{comma}{v4}")?,
                IpAddr::V6(v6) => write!(f, "{comma}[{v6}]")?,
            }
        }
        Ok(())
    }
}

/// The host of a resolve entry that stands for any host at its port.
const ANY_HOST: &str = "*";

/// Resolve entries by host and port; a later entry for the same pair replaces an earlier
/// one, as in curl.
#[derive(Debug, Default)]
pub(crate) struct Overrides(HashMap<(String, u16), Vec<IpAddr>>);

impl Overrides {
    pub(crate) fn new(entries: &[Resolve]) -> Self {
        let map = entries
            .iter()
            .map(|entry| ((entry.host.clone(), entry.port), entry.addresses.clone()))
            .collect();
        Self(map)
    }

    /// The entry for the target's host and port, else the `*` entry for its port.
    fn get(&self, target: &Target) -> Option<&[IpAddr]> {
        let key = |host: &str| (host.to_owned(), target.port());
        self.0
            .get(&key(target.host()))
            .or_else(|| self.0.get(&key(ANY_HOST)))
            .map(Vec::as_slice)
    }
}

/// The addresses found for a target, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Addresses {
    /// From a resolve entry or the target's own IP address: no lookup made.
    Given(Vec<SocketAddr>),
    /// From DNS.
    Looked(Vec<SocketAddr>),
    /// No address: the kind and the reason.
    Failed(UnreachableKind, String),
}

/// The addresses to dial for `target`, each once, at most `cap` of them: a resolve entry's,
/// else the target's IP, else `lookup`'s answer within `limit`.
pub(crate) async fn addresses<F, Fut>(
    target: &Target,
    overrides: &Overrides,
    cap: usize,
    limit: Duration,
    lookup: F,
) -> Addresses
where
    F: FnOnce(String, u16) -> Fut,
    Fut: Future<Output = io::Result<Vec<SocketAddr>>>,
{
    let port = target.port();
    if let Some(ips) = overrides.get(target) {
        let given = ips.iter().map(|&ip| SocketAddr::new(ip, port)).collect();
        return Addresses::Given(unique(given, cap));
    }
    if let Some(ip) = target.ip() {
        return Addresses::Given(vec![SocketAddr::new(ip, port)]);
    }
    let host = target.host();
    match tokio::time::timeout(limit, lookup(host.to_owned(), port)).await {
        Err(_) => Addresses::Failed(
            UnreachableKind::Dns,
            format!(
                "DNS lookup of {host} did not finish within {}",
                crate::observation::seconds(limit)
            ),
        ),
        Ok(Err(err)) => Addresses::Failed(
            UnreachableKind::Dns,
            format!("DNS lookup of {host} failed: {err}"),
        ),
        Ok(Ok(found)) if found.is_empty() => Addresses::Failed(
            UnreachableKind::Dns,
            format!("DNS lookup of {host} found no address"),
        ),
        Ok(Ok(found)) => Addresses::Looked(unique(found, cap)),
    }
}

/// The system resolver (getaddrinfo, through tokio): A and AAAA records.
pub(crate) async fn system_lookup(host: String, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok(tokio::net::lookup_host((host.as_str(), port))
        .await?
        .collect())
}

/// `addresses` without repeats, in their order, at most `cap` of them.
fn unique(addresses: Vec<SocketAddr>, cap: usize) -> Vec<SocketAddr> {
    let mut kept: Vec<SocketAddr> = Vec::new();
    for address in addresses {
        if kept.len() == cap {
            break;
        }
        if !kept.contains(&address) {
            kept.push(address);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn entries_as_curl_writes_them() {
        let entry = Resolve::parse("Example.com:443:127.0.0.2,[::1],::2").unwrap();
        assert_eq!(entry.host(), "example.com");
        let shown: Vec<String> = entry.addresses().iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["127.0.0.2", "::1", "::2"]);
        assert_eq!(entry.to_string().parse::<Resolve>(), Ok(entry));
    }

    #[test]
    fn any_host_and_curls_timeout_prefix() {
        let entry = Resolve::parse("+Example.com:443:127.0.0.2").unwrap();
        assert_eq!((entry.host(), entry.port()), ("example.com", 443));
        assert_eq!(entry.to_string(), "example.com:443:127.0.0.2");
        let any = Resolve::parse("*:443:127.0.0.3").unwrap();
        assert_eq!(any.host(), "*");
        assert_eq!(any.to_string().parse::<Resolve>(), Ok(any.clone()));
        assert_eq!(Resolve::parse("+*:443:127.0.0.3"), Ok(any));
        let err = Resolve::parse("*.example.com:443:127.0.0.3").unwrap_err();
        assert!(err.to_string().contains("invalid host"), "{err}");
    }

    #[tokio::test]
    async fn the_any_host_entry_comes_after_the_hosts_own() {
        let entries = [
            Resolve::parse("*:443:127.0.0.3").unwrap(),
            Resolve::parse("a.test:443:127.0.0.2").unwrap(),
        ];
        let overrides = Overrides::new(&entries);
        let own = Target::parse("a.test", 443).unwrap();
        let found = addresses(&own, &overrides, 16, SECOND, no_lookup).await;
        assert_eq!(found, Addresses::Given(vec![at("127.0.0.2:443")]));
        let other = Target::parse("b.test", 443).unwrap();
        let found = addresses(&other, &overrides, 16, SECOND, no_lookup).await;
        assert_eq!(found, Addresses::Given(vec![at("127.0.0.3:443")]));
        let ip = Target::parse("192.0.2.9:443", 443).unwrap();
        let found = addresses(&ip, &overrides, 16, SECOND, no_lookup).await;
        assert_eq!(found, Addresses::Given(vec![at("127.0.0.3:443")]));
        let other_port = Target::parse("b.test:8443", 443).unwrap();
        let lookup =
            |_: String, port| async move { Ok(vec![SocketAddr::new([127, 0, 0, 9].into(), port)]) };
        let found = addresses(&other_port, &overrides, 16, SECOND, lookup).await;
        assert_eq!(found, Addresses::Looked(vec![at("127.0.0.9:8443")]));
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let table = [
            ("example.com", "no port"),
            ("example.com:443", "no address"),
            ("example.com:443:", "invalid address \"\""),
            ("example.com:x:127.0.0.1", "invalid port \"x\""),
            (
                "exa mple.com:443:127.0.0.1",
                "invalid host \"exa mple.com\"",
            ),
            ("example.com:443:127.0.0.1,,", "invalid address \"\""),
            (
                "example.com:443:[127.0.0.1",
                "invalid address \"[127.0.0.1\"",
            ),
            ("example.com:443:host.test", "invalid address \"host.test\""),
        ];
        for (text, problem) in table {
            let expected =
                format!("resolve entry {text:?}: {problem} (expected HOST:PORT:ADDR[,ADDR...])");
            assert_eq!(Resolve::parse(text).unwrap_err().to_string(), expected);
        }
    }

    fn at(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    async fn no_lookup(_: String, _: u16) -> io::Result<Vec<SocketAddr>> {
        panic!("no DNS lookup expected")
    }

    #[tokio::test]
    async fn an_entry_replaces_dns_for_its_host_and_port_only() {
        let entry = Resolve::parse("a.test:443:127.0.0.2,127.0.0.3,127.0.0.2").unwrap();
        let overrides = Overrides::new(&[entry]);
        let target = Target::parse("A.test", 443).unwrap();
        let found = addresses(&target, &overrides, 16, SECOND, no_lookup).await;
        assert_eq!(
            found,
            Addresses::Given(vec![at("127.0.0.2:443"), at("127.0.0.3:443")])
        );

        let other_port = Target::parse("a.test:8443", 443).unwrap();
        let lookup = |host: String, port| async move {
            assert_eq!(host, "a.test");
            Ok(vec![SocketAddr::new([127, 0, 0, 9].into(), port)])
        };
        let found = addresses(&other_port, &overrides, 16, SECOND, lookup).await;
        assert_eq!(found, Addresses::Looked(vec![at("127.0.0.9:8443")]));
    }

    #[tokio::test]
    async fn ip_targets_are_not_looked_up() {
        let target = Target::parse("[::1]:993", 443).unwrap();
        let found = addresses(&target, &Overrides::default(), 16, SECOND, no_lookup).await;
        assert_eq!(found, Addresses::Given(vec![at("[::1]:993")]));
    }

    #[tokio::test]
    async fn dns_answers_are_deduplicated_and_capped() {
        let target = Target::parse("many.test", 443).unwrap();
        let lookup = |_: String, port| async move {
            let mut all: Vec<SocketAddr> = (1..=40u8)
                .map(|n| SocketAddr::new([127, 0, 0, n].into(), port))
                .collect();
            all.insert(1, all[0]);
            Ok(all)
        };
        let Addresses::Looked(found) =
            addresses(&target, &Overrides::default(), 16, SECOND, lookup).await
        else {
            panic!("expected a DNS answer");
        };
        assert_eq!(found.len(), 16);
        assert_eq!(found[..2], [at("127.0.0.1:443"), at("127.0.0.2:443")]);
    }

    #[tokio::test]
    async fn dns_failures_are_unreachable_with_the_reason() {
        let target = Target::parse("gone.test", 443).unwrap();
        let failing = |_: String, _| async { Err(io::Error::other("no such host")) };
        let found = addresses(&target, &Overrides::default(), 16, SECOND, failing).await;
        assert_eq!(
            found,
            Addresses::Failed(
                UnreachableKind::Dns,
                "DNS lookup of gone.test failed: no such host".into()
            )
        );
        let empty = |_: String, _| async { Ok(Vec::new()) };
        let found = addresses(&target, &Overrides::default(), 16, SECOND, empty).await;
        assert_eq!(
            found,
            Addresses::Failed(
                UnreachableKind::Dns,
                "DNS lookup of gone.test found no address".into()
            )
        );
        let slow = |_: String, _| std::future::pending();
        let limit = Duration::from_millis(20);
        let found = addresses(&target, &Overrides::default(), 16, limit, slow).await;
        assert_eq!(
            found,
            Addresses::Failed(
                UnreachableKind::Dns,
                "DNS lookup of gone.test did not finish within 0.02 s".into()
            )
        );
    }
}
