//! `cargo xtask fixtures`: recording response bodies as fixtures (regen), and checking them.
//!
//! What regen writes and what check expects share the rules here: how a recorded file is
//! normalized, what an email address is, and which values count as secrets.

mod check;
mod regen;
mod scrub;

use std::ops::Range;
use std::path::PathBuf;

use digicert_model::{DecodeError, ReportReader, ReportRow, ReportWriter};
use serde_json::Value;

pub(crate) use check::check;
pub(crate) use regen::{Source, regen};

/// Where the fixtures live when no folder is given: the workspace's `fixtures/`, wherever
/// `cargo xtask` is run from.
pub(crate) fn default_dir() -> PathBuf {
    let xtask = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).join("fixtures")
}

/// A JSON value as regen writes it: keys sorted (serde_json's `Map` is a sorted map),
/// two-space indentation, one trailing newline.
pub(crate) fn json_text(value: &Value) -> serde_json::Result<String> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

/// Every row of a report CSV, decoded with the model.
pub(crate) fn read_report(body: &[u8]) -> Result<Vec<ReportRow>, DecodeError> {
    ReportReader::new(body)?.collect()
}

/// A report CSV as regen writes it: decoded with the model and written back with its
/// `ReportWriter` (every known column, in the documented order, every value quoted).
pub(crate) fn normalize_report(body: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut writer = ReportWriter::new(Vec::new())?;
    for row in read_report(body)? {
        writer.write_row(&row)?;
    }
    Ok(writer.into_inner()?)
}

/// The domains fixtures may use in email addresses (and their subdomains), reserved for
/// examples by RFC 2606.
const EXAMPLE_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];

/// Where the email addresses in `text` are, as byte ranges.
///
/// An address is a local part of letters, digits and `._%+-`, an `@`, and a domain of
/// letters, digits, `-` and dots ending in a top-level domain of at least two letters.
pub(crate) fn find_emails(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let is_local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-".contains(&b);
    let is_domain = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
    let mut found: Vec<Range<usize>> = Vec::new();
    for (at, _) in text.match_indices('@') {
        let start = bytes[..at]
            .iter()
            .rposition(|&b| !is_local(b))
            .map_or(0, |before| before + 1);
        let domain_len = bytes[at + 1..]
            .iter()
            .position(|&b| !is_domain(b))
            .unwrap_or(bytes.len() - at - 1);
        let domain = text[at + 1..at + 1 + domain_len].trim_end_matches(['.', '-']);
        let tld = domain.rsplit('.').next().unwrap_or_default();
        let overlaps = found.last().is_some_and(|last| last.end > start);
        if start < at
            && domain.contains('.')
            && tld.len() >= 2
            && tld.bytes().all(|b| b.is_ascii_alphabetic())
            && !overlaps
        {
            found.push(start..at + 1 + domain.len());
        }
    }
    found
}

/// Whether an email address is at one of the example domains (or a subdomain of one).
pub(crate) fn is_example_email(address: &str) -> bool {
    let domain = address
        .rsplit_once('@')
        .map_or("", |(_, domain)| domain)
        .to_ascii_lowercase();
    EXAMPLE_DOMAINS
        .iter()
        .any(|example| domain == *example || domain.ends_with(&format!(".{example}")))
}

/// Whether a field's name says it holds a secret: a word ending in `token`, `secret` or
/// `password` anywhere (`access_token`), or a last word ending in `key` (`api_key`,
/// `devkey`). Names that only describe a key (`key_size`, `key_type`, `key_algorithm`)
/// do not count: their values are not secret.
pub(crate) fn names_a_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let mut words = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .peekable();
    while let Some(word) = words.next() {
        let last = words.peek().is_none();
        if ["token", "secret", "password"]
            .iter()
            .any(|end| word.ends_with(end))
            || (last && word.ends_with("key"))
        {
            return true;
        }
    }
    false
}

/// Whether a value under a secret's name could be a real one: longer than 8 characters
/// and not a placeholder such as `{{api_key}}` (DigiCert's documentation) or `<redacted>`.
pub(crate) fn looks_like_secret(value: &str) -> bool {
    let value = value.trim();
    let placeholder = (value.starts_with("{{") && value.ends_with("}}"))
        || (value.starts_with('<') && value.ends_with('>'));
    value.chars().count() > 8 && !placeholder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(text: &str) -> Vec<&str> {
        find_emails(text)
            .into_iter()
            .map(|range| &text[range])
            .collect()
    }

    #[test]
    fn finds_email_addresses_in_text() {
        assert_eq!(
            emails("mail will.smith@example.com, \"a+b@mail.example.org\"."),
            ["will.smith@example.com", "a+b@mail.example.org"]
        );
        assert_eq!(emails("<gia.booth@inbox.com>"), ["gia.booth@inbox.com"]);
        assert!(emails("@ user@ user@host a@1.2 {{email}}").is_empty());
    }

    #[test]
    fn example_domains_and_their_subdomains_only() {
        assert!(is_example_email("a@example.com"));
        assert!(is_example_email("a@Mail.Example.NET"));
        assert!(!is_example_email("a@example.com.evil.org"));
        assert!(!is_example_email("a@notexample.com"));
        assert!(!is_example_email("john.smith@digicert.com"));
    }

    #[test]
    fn secret_names() {
        for secret in [
            "api_key",
            "devkey",
            "X-DC-DEVKEY",
            "access_token",
            "client_secret",
        ] {
            assert!(names_a_secret(secret), "{secret}");
        }
        assert!(names_a_secret("password"));
        for plain in [
            "key_size",
            "key_type",
            "key_algorithm",
            "eab_kid",
            "name",
            "monkey_id",
        ] {
            assert!(!names_a_secret(plain), "{plain}");
        }
    }

    #[test]
    fn secret_values() {
        assert!(looks_like_secret("0123456789ABCDEF"));
        assert!(!looks_like_secret("api_key"));
        assert!(!looks_like_secret("12345678"));
        assert!(!looks_like_secret("{{api_key}}"));
        assert!(!looks_like_secret("<redacted>"));
    }

    #[test]
    fn json_text_sorts_keys_and_ends_with_one_newline() {
        let value: Value = serde_json::from_str(r#"{"b": 1, "a": {"d": [], "c": null}}"#).unwrap();
        assert_eq!(
            json_text(&value).unwrap(),
            "{\n  \"a\": {\n    \"c\": null,\n    \"d\": []\n  },\n  \"b\": 1\n}\n"
        );
    }
}
