//! Query strings, encoded so no value can change the request's meaning.

use std::fmt::Write as _;

/// Appends `value` percent-encoded for a query component: letters, digits and
/// `-._~:` stay, a space becomes `+` (as DigiCert's examples write it), and every
/// other byte, `&`, `=`, `#`, `%`, `+`, `/` and brackets included, becomes `%XX`.
pub(crate) fn encode_component(value: &str, out: &mut String) {
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// `name=value&name=value`, each part encoded; empty when there are no pairs.
pub(crate) fn query_string(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (index, (name, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push('&');
        }
        encode_component(name, &mut out);
        out.push('=');
        encode_component(value, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_everything_that_could_change_the_query() {
        let pairs = vec![
            (
                "filters[status_last_updated]".to_owned(),
                "2019-08-01 00:00:00...2019-08-07 23:59:59".to_owned(),
            ),
            ("x".to_owned(), "a&b=c#d%e+f/g?h".to_owned()),
        ];
        assert_eq!(
            query_string(&pairs),
            "filters%5Bstatus_last_updated%5D=2019-08-01+00:00:00...2019-08-07+23:59:59\
             &x=a%26b%3Dc%23d%25e%2Bf%2Fg%3Fh"
        );
        let mut out = String::new();
        encode_component("é", &mut out);
        assert_eq!(out, "%C3%A9");
    }
}
