//! What `find` looks for: a domain, a `*.` pattern, an order id, or a thumbprint or serial
//! number in any common spelling.

use digicert_api::OrderRef;

use crate::error::Error;

/// A parsed `find` query.
///
/// ```
/// use digicert_inventory::Find;
///
/// let query = Find::parse("API.Example.com.")?;
/// assert_eq!(query.domain(), Some("api.example.com"));
/// let query = Find::parse("0A:1B:2C:3D:4E:5F")?;
/// assert_eq!(query.hex(), Some("0a1b2c3d4e5f"));
/// assert!(Find::parse("").is_err());
/// # Ok::<(), digicert_inventory::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Find {
    domain: Option<String>,
    order_id: Option<u64>,
    hex: Option<String>,
}

/// Shortest hex text taken for a thumbprint or serial number.
const MIN_HEX: usize = 8;

/// How much of a refused query its error shows (then `…`).
const SHOWN_CHARS: usize = 80;

impl Find {
    /// Reads a query: a name (`api.example.com`), a pattern (`*.example.com`), an order id,
    /// or hex with any case, colons, spaces or dashes (`0A:1B:...`), also as `openssl x509
    /// -noout -fingerprint -serial` prints it (`SHA1 Fingerprint=0A:1B:...`, `serial=0A1B...`)
    /// or with a `0x` prefix.
    pub fn parse(query: &str) -> Result<Self, Error> {
        let trimmed = query.trim();
        let invalid = || {
            let mut shown: String = trimmed.chars().take(SHOWN_CHARS).collect();
            if trimmed.chars().nth(SHOWN_CHARS).is_some() {
                shown.push('…');
            }
            Error::InvalidQuery(shown)
        };
        if trimmed.is_empty() {
            return Err(invalid());
        }
        let digits = OrderRef::unlabelled(trimmed);
        // `serial=`, a fingerprint's label or `0x` name a certificate, never an order id.
        let labelled = digits.len() != trimmed.len();
        let order_id = (digits.len() <= 19 && !labelled)
            .then(|| digits.parse::<u64>().ok())
            .flatten();
        let hex = normalize_hex(digits).filter(|hex| labelled || hex.len() >= MIN_HEX);
        let domain = domain(trimmed);
        if order_id.is_none() && hex.is_none() && domain.is_none() {
            return Err(invalid());
        }
        Ok(Self {
            domain,
            order_id,
            hex,
        })
    }

    /// The domain or pattern looked for, lower case, without a final dot.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The order id looked for.
    pub fn order_id(&self) -> Option<u64> {
        self.order_id
    }

    /// The thumbprint or serial number looked for, normalized.
    pub fn hex(&self) -> Option<&str> {
        self.hex.as_deref()
    }

    /// The stored name keys (see [`name_key`]) that match exactly: the name itself and the
    /// wildcard that covers it (`*.example.com` for `api.example.com`).
    pub fn exact_keys(&self) -> Vec<String> {
        let Some(domain) = &self.domain else {
            return Vec::new();
        };
        let mut keys = vec![name_key(domain)];
        if !domain.starts_with("*.")
            && let Some((_, parent)) = domain.split_once('.')
            && parent.contains('.')
        {
            keys.push(name_key(&format!("*.{parent}")));
        }
        keys
    }

    /// For a `*.` pattern, the key prefix every name under it starts with
    /// (`com.example.` for `*.example.com`).
    pub fn pattern_prefix(&self) -> Option<String> {
        let parent = self.domain.as_deref()?.strip_prefix("*.")?;
        Some(format!("{}.", name_key(parent)))
    }

    /// For a `*.` pattern, the range of name keys under it, start included, end not: from
    /// the prefix up to the prefix with its final `.` raised to `/`, the next character
    /// (`com.example.` to `com.example/`). The stores compare keys byte by byte.
    pub fn pattern_range(&self) -> Option<(String, String)> {
        let prefix = self.pattern_prefix()?;
        let end = format!("{}/", prefix.strip_suffix('.').unwrap_or(&prefix));
        Some((prefix, end))
    }
}

/// A domain name as stored for lookups: lower case, labels in reverse order
/// (`com.example.api`), so that every name under a domain shares a key prefix.
pub fn name_key(name: &str) -> String {
    let name = name.trim().trim_end_matches('.').to_lowercase();
    let mut labels: Vec<&str> = name.split('.').collect();
    labels.reverse();
    labels.join(".")
}

/// Hex text as stored: lower case, without `:`, spaces or `-`; `None` if anything else is in it.
pub fn normalize_hex(text: &str) -> Option<String> {
    // By bytes: every byte of a non-ASCII character is refused as not a hex digit.
    let text = text.trim();
    // Most often (every thumbprint and serial number of the report), hex and nothing else.
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Some(text.to_ascii_lowercase());
    }
    let mut hex = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b':' | b' ' | b'-' => {}
            byte if byte.is_ascii_hexdigit() => hex.push(char::from(byte.to_ascii_lowercase())),
            _ => return None,
        }
    }
    (!hex.is_empty()).then_some(hex)
}

/// A domain or pattern query, lower case, without a final dot.
fn domain(text: &str) -> Option<String> {
    let name = text.trim_end_matches('.').to_lowercase();
    let body = name.strip_prefix("*.").unwrap_or(&name);
    let valid = body.contains('.')
        && body.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        });
    valid.then_some(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_reverse_their_labels() {
        assert_eq!(name_key("API.example.COM."), "com.example.api");
        assert_eq!(name_key("*.example.com"), "com.example.*");
    }

    #[test]
    fn a_name_also_looks_for_its_wildcard() {
        let query = Find::parse("api.example.com").unwrap();
        assert_eq!(query.exact_keys(), ["com.example.api", "com.example.*"]);
        assert_eq!(query.pattern_prefix(), None);
        // A registrable domain is not covered by `*.com`.
        assert_eq!(
            Find::parse("example.com").unwrap().exact_keys(),
            ["com.example"]
        );
    }

    #[test]
    fn a_pattern_looks_under_its_domain() {
        let query = Find::parse("*.Example.com").unwrap();
        assert_eq!(query.exact_keys(), ["com.example.*"]);
        assert_eq!(query.pattern_prefix().as_deref(), Some("com.example."));
        assert_eq!(
            query.pattern_range(),
            Some(("com.example.".to_owned(), "com.example/".to_owned()))
        );
    }

    #[test]
    fn hex_in_any_spelling() {
        for spelling in [
            "0a1b2c3d4e5f",
            "0A1B2C3D4E5F",
            "0a:1b:2c:3d:4e:5f",
            "0A 1B 2C 3D 4E 5F",
            "SHA1 Fingerprint=0A:1B:2C:3D:4E:5F",
            "serial=0A1B2C3D4E5F",
            "0x0a1b2c3d4e5f",
        ] {
            assert_eq!(Find::parse(spelling).unwrap().hex(), Some("0a1b2c3d4e5f"));
        }
    }

    #[test]
    fn digits_are_an_order_id_and_hex() {
        let query = Find::parse("12345678").unwrap();
        assert_eq!(query.order_id(), Some(12_345_678));
        assert_eq!(query.hex(), Some("12345678"));
        assert_eq!(Find::parse("42").unwrap().hex(), None);
    }

    #[test]
    fn a_labelled_or_0x_number_is_a_serial_never_an_order_id() {
        for spelling in ["0x1000058", "serial=1000058", "serial=12345678"] {
            let query = Find::parse(spelling).unwrap();
            assert_eq!(query.order_id(), None, "{spelling}");
            assert!(query.hex().is_some(), "{spelling}");
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for query in ["", "   ", "hello", "a..b", "drop table;"] {
            assert!(Find::parse(query).is_err(), "{query}");
        }
    }
}
