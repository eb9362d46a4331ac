//! What to probe: a host and port, the name sent as SNI, and an optional STARTTLS opening;
//! read from a command line's `TARGET` or from a targets file.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use rustls_pki_types::{DnsName, ServerName};

use crate::error::ParseError;
use crate::starttls::StartTls;

/// One endpoint to probe: every address its host resolves to is dialled on its own.
///
/// The host is kept in lower case (an IP address in its canonical form), so targets that
/// differ only in case are the same target. A DNS host is also the name sent as SNI and
/// verified, unless [`Target::sni`] names another; an IP address host sends no SNI and is
/// verified against the certificate's IP addresses, unless `sni=` is given.
///
/// ```
/// use digicert_probe::Target;
///
/// let target = Target::parse("WWW.Example.com", 443)?;
/// assert_eq!((target.host(), target.port()), ("www.example.com", 443));
/// assert_eq!(target.server_name(), Some("www.example.com"));
///
/// let target = Target::parse("[2001:db8::1]:8443", 443)?;
/// assert_eq!((target.host(), target.port(), target.server_name()), ("2001:db8::1", 8443, None));
///
/// let target = Target::parse_line("192.0.2.7:25 sni=mail.example.com starttls=smtp", 443)?;
/// assert_eq!(target.server_name(), Some("mail.example.com"));
/// assert_eq!(target.to_string(), "192.0.2.7:25 sni=mail.example.com starttls=smtp");
/// # Ok::<(), digicert_probe::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    host: String,
    port: u16,
    sni: Option<String>,
    starttls: Option<StartTls>,
}

impl Target {
    /// Reads `host`, `host:port`, `[v6addr]:port`, `ip:port` or a bare IPv6 address;
    /// `default_port` when the text has none.
    pub fn parse(text: &str, default_port: u16) -> Result<Self, ParseError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ParseError::Empty);
        }
        if text.contains("://") {
            return Err(ParseError::Url { text: text.into() });
        }
        let (host, port) = split_host_port(text)?;
        let port = match port {
            Some(port) => parse_port(port).ok_or_else(|| ParseError::Port {
                text: text.into(),
                port: port.into(),
            })?,
            None => default_port,
        };
        let host = normalize_host(host).ok_or_else(|| ParseError::Host {
            text: text.into(),
            host: host.into(),
        })?;
        Ok(Self {
            host,
            port,
            sni: None,
            starttls: None,
        })
    }

    /// Reads a target followed by optional `sni=NAME` and `starttls=PROTOCOL`, separated by
    /// white space: a line of a targets file, without its comment.
    pub fn parse_line(line: &str, default_port: u16) -> Result<Self, ParseError> {
        let mut words = line.split_whitespace();
        let mut target = Self::parse(words.next().unwrap_or(""), default_port)?;
        for word in words {
            match word.split_once('=') {
                Some(("sni", name)) if target.sni.is_none() => target = target.with_sni(name)?,
                Some(("sni", _)) => return Err(ParseError::Repeated { option: "sni" }),
                Some(("starttls", _)) if target.starttls.is_some() => {
                    return Err(ParseError::Repeated { option: "starttls" });
                }
                Some(("starttls", name)) => target.starttls = Some(name.parse()?),
                _ => {
                    return Err(ParseError::Option {
                        option: word.into(),
                    });
                }
            }
        }
        Ok(target)
    }

    /// The same target, sending (and verifying) `name` instead of the host.
    pub fn with_sni(mut self, name: &str) -> Result<Self, ParseError> {
        match normalize_host(name) {
            Some(name) if name.parse::<IpAddr>().is_err() => {
                self.sni = Some(name);
                Ok(self)
            }
            _ => Err(ParseError::Sni { name: name.into() }),
        }
    }

    /// The same target, opened in plain text with `protocol`'s STARTTLS first.
    #[must_use]
    pub fn with_starttls(mut self, protocol: StartTls) -> Self {
        self.starttls = Some(protocol);
        self
    }

    /// The host: a lower-case DNS name, or an IP address (IPv6 without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The name given with `sni=`, if any.
    pub fn sni(&self) -> Option<&str> {
        self.sni.as_deref()
    }

    /// The STARTTLS opening, if any.
    pub fn starttls(&self) -> Option<StartTls> {
        self.starttls
    }

    /// The host as an IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        self.host.parse().ok()
    }

    /// The name sent as SNI and verified against the certificate: the `sni=` name, else
    /// the host unless it is an IP address.
    pub fn server_name(&self) -> Option<&str> {
        match &self.sni {
            Some(name) => Some(name),
            None if self.ip().is_some() => None,
            None => Some(&self.host),
        }
    }

    /// What rustls sends and verifies: the DNS name of [`Target::server_name`], or the IP
    /// address of the host.
    pub(crate) fn rustls_name(&self) -> Option<ServerName<'static>> {
        match self.server_name() {
            Some(name) => DnsName::try_from(name.to_owned())
                .ok()
                .map(ServerName::DnsName),
            None => self.ip().map(ServerName::from),
        }
    }
}

/// Writes the target as a targets file line that reads back the same: `host:port`
/// (`[v6addr]:port`), then `sni=` and `starttls=` when set.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)?;
        } else {
            write!(f, "{}:{}", self.host, self.port)?;
        }
        if let Some(sni) = &self.sni {
            write!(f, " sni={sni}")?;
        }
        if let Some(starttls) = self.starttls {
            write!(f, " starttls={starttls}")?;
        }
        Ok(())
    }
}

/// Reads a targets file: one target a line (see [`Target::parse_line`]), `#` to the end of
/// a line a comment, blank lines skipped. An error names its line.
///
/// ```
/// let text = "# web\nwww.example.com\n192.0.2.7:25 sni=mail.example.com starttls=smtp # relay\n";
/// let targets = digicert_probe::parse_targets_file(text, 443)?;
/// assert_eq!(targets.len(), 2);
///
/// let err = digicert_probe::parse_targets_file("ok.example\nbad:port\n", 443).unwrap_err();
/// assert_eq!(err.to_string(), r#"line 2: "bad:port": invalid port "port" (a number from 1 to 65535)"#);
/// # Ok::<(), digicert_probe::ParseError>(())
/// ```
pub fn parse_targets_file(text: &str, default_port: u16) -> Result<Vec<Target>, ParseError> {
    let mut targets = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        if line.trim().is_empty() {
            continue;
        }
        let target = Target::parse_line(line, default_port).map_err(|source| ParseError::Line {
            line: index + 1,
            source: Box::new(source),
        })?;
        targets.push(target);
    }
    Ok(targets)
}

/// Splits `host:port`, `[v6]:port`, `[v6]` or a bare IPv6 address into host and port.
pub(crate) fn split_host_port(text: &str) -> Result<(&str, Option<&str>), ParseError> {
    let ipv6 = |problem| ParseError::Ipv6 {
        text: text.into(),
        problem,
    };
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(ipv6("no closing ']'"))?;
        if inside.parse::<Ipv6Addr>().is_err() {
            return Err(ipv6("not an IPv6 address in brackets"));
        }
        return match after {
            "" => Ok((inside, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((inside, Some(port))),
                None => Err(ipv6("unexpected text after ']'")),
            },
        };
    }
    if text.matches(':').count() > 1 {
        return match text.parse::<Ipv6Addr>() {
            Ok(_) => Ok((text, None)),
            Err(_) => Err(ipv6("not an IPv6 address")),
        };
    }
    Ok(match text.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    })
}

/// A port from 1 to 65535, digits only.
pub(crate) fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|&port| port != 0)
}

/// An IP address in canonical form, or a valid DNS name in lower case.
pub(crate) fn normalize_host(host: &str) -> Option<String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(ip.to_string());
    }
    let lower = host.to_ascii_lowercase();
    DnsName::try_from(lower.as_str()).ok()?;
    Some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let table = [
            ("example.com", "example.com:443"),
            ("Example.COM:8443", "example.com:8443"),
            ("example.com.", "example.com.:443"),
            ("192.0.2.1", "192.0.2.1:443"),
            ("192.0.2.1:25", "192.0.2.1:25"),
            ("[2001:DB8::1]:993", "[2001:db8::1]:993"),
            ("[::1]", "[::1]:443"),
            ("2001:db8:0:0::1", "[2001:db8::1]:443"),
            ("  a.test  sni=B.test  ", "a.test:443 sni=b.test"),
            ("a.test starttls=smtp", "a.test:443 starttls=smtp"),
            ("a.test:110 starttls=POP3", "a.test:110 starttls=pop3"),
            (
                "a.test starttls=postgres sni=b.test",
                "a.test:443 sni=b.test starttls=postgres",
            ),
            ("a.test:65535", "a.test:65535"),
            ("under_score.test", "under_score.test:443"),
        ];
        for (text, shown) in table {
            let target =
                Target::parse_line(text, 443).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert_eq!(target.to_string(), shown, "{text}");
        }
        let target = Target::parse_line("a.test:110 starttls=POP3", 443).unwrap();
        assert_eq!(
            (target.port(), target.starttls()),
            (110, Some(StartTls::Pop3))
        );
    }

    #[test]
    fn refused_forms_say_what_is_wrong() {
        let table = [
            ("", "empty target"),
            (
                "https://example.com/",
                "\"https://example.com/\": a target is host, host:port, [v6addr]:port or ip:port, not a URL",
            ),
            (
                "a.test:0",
                "\"a.test:0\": invalid port \"0\" (a number from 1 to 65535)",
            ),
            (
                "a.test:65536",
                "\"a.test:65536\": invalid port \"65536\" (a number from 1 to 65535)",
            ),
            (
                "a.test:+443",
                "\"a.test:+443\": invalid port \"+443\" (a number from 1 to 65535)",
            ),
            (
                "a.test:",
                "\"a.test:\": invalid port \"\" (a number from 1 to 65535)",
            ),
            (
                "a..test",
                "\"a..test\": invalid host \"a..test\" (a DNS name or an IP address)",
            ),
            (
                ":443",
                "\":443\": invalid host \"\" (a DNS name or an IP address)",
            ),
            (
                "[::1",
                "\"[::1\": no closing ']'; write an IPv6 address with a port as [v6addr]:port",
            ),
            (
                "[192.0.2.1]:443",
                "\"[192.0.2.1]:443\": not an IPv6 address in brackets; write an IPv6 address with a port as [v6addr]:port",
            ),
            (
                "[::1]443",
                "\"[::1]443\": unexpected text after ']'; write an IPv6 address with a port as [v6addr]:port",
            ),
            (
                "2001:db8::1:443x",
                "\"2001:db8::1:443x\": not an IPv6 address; write an IPv6 address with a port as [v6addr]:port",
            ),
            ("a.test sni=192.0.2.1", "sni=\"192.0.2.1\": not a DNS name"),
            ("a.test sni=", "sni=\"\": not a DNS name"),
            (
                "a.test starttls=ldap",
                "starttls=\"ldap\": unknown protocol (smtp, imap, pop3, ftp or postgres)",
            ),
            ("a.test sni=b.test sni=c.test", "sni= given twice"),
            (
                "a.test starttls=smtp starttls=imap",
                "starttls= given twice",
            ),
            (
                "a.test port=25",
                "\"port=25\": unknown option (sni=NAME or starttls=PROTOCOL)",
            ),
        ];
        for (text, message) in table {
            let err = Target::parse_line(text, 443).expect_err(text);
            assert_eq!(err.to_string(), message, "{text}");
        }
    }

    #[test]
    fn ip_hosts_send_no_sni_unless_given() {
        let ip = Target::parse("192.0.2.1:443", 443).unwrap();
        assert_eq!(ip.server_name(), None);
        assert!(matches!(ip.rustls_name(), Some(ServerName::IpAddress(_))));
        let named = ip.with_sni("www.example.com").unwrap();
        assert_eq!(named.server_name(), Some("www.example.com"));
        assert!(matches!(named.rustls_name(), Some(ServerName::DnsName(_))));
    }

    #[test]
    fn targets_file_lines_comments_and_errors() {
        let text = "\n# a comment\nA.test\n  b.test:8443 sni=c.test # trailing\n\t\n[::1]:25 starttls=smtp\n";
        let targets = parse_targets_file(text, 443).unwrap();
        let shown: Vec<String> = targets.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "a.test:443",
                "b.test:8443 sni=c.test",
                "[::1]:25 starttls=smtp"
            ]
        );
        let err = parse_targets_file("a.test\n\nb.test starttls=x\n", 443).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: starttls=\"x\": unknown protocol (smtp, imap, pop3, ftp or postgres)"
        );
    }
}
