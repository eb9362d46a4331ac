//! Errors spelled as exporter-toolkit's Go prints them, so that a web config file refused by
//! a Prometheus exporter is refused here with the same words: yaml.v2's strict unmarshal
//! (`field X not found in type web.TLSConfig`), golang.org/x/crypto/bcrypt's `Cost`, `os`
//! file errors (`open PATH: no such file or directory`) and `%q` of a list of strings.

/// A YAML error as yaml.v2's `UnmarshalStrict` says it where it has an equivalent (an unknown
/// key), else serde's message with its place.
pub fn yaml(err: &serde_norway::Error) -> String {
    let text = err.to_string();
    let Some((before, after)) = text.split_once("unknown field `") else {
        return text;
    };
    let Some((field, _)) = after.split_once('`') else {
        return text;
    };
    // serde_norway writes the path of the mapping before the message, none at the top.
    let go_type = match before.trim_end_matches(": ").rsplit('.').next() {
        Some("tls_server_config") => "web.TLSConfig",
        Some("http_server_config") => "web.HTTPConfig",
        Some("rate_limit") => "web.RateLimiterConfig",
        _ => "web.Config",
    };
    let line = err.location().map_or(0, |place| place.line());
    format!("yaml: unmarshal errors:\n  line {line}: field {field} not found in type {go_type}")
}

/// A file read error as Go's `os.ReadFile` says it: `open PATH: no such file or directory`
/// (`read PATH: is a directory`).
pub fn file(path: &str, err: &std::io::Error) -> String {
    let operation = if err.kind() == std::io::ErrorKind::IsADirectory {
        "read"
    } else {
        "open"
    };
    // The C library's words, as Go's syscall.Errno has them: lower case, no "(os error N)".
    let text = err.to_string();
    let words = text
        .split_once(" (os error")
        .map_or(text.as_str(), |(words, _)| words);
    let mut chars = words.chars();
    let words: String = chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default();
    format!("{operation} {path}: {words}")
}

/// A list of strings as Go's `%q` prints a `[]string`: `["deny" "sameorigin"]`.
pub fn quoted_list(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|value| format!("{value:?}")).collect();
    format!("[{}]", quoted.join(" "))
}

/// The lowest bcrypt cost Go accepts.
const MIN_COST: i64 = 4;
/// The highest.
const MAX_COST: i64 = 31;
/// The shortest hash Go reads.
const MIN_HASH_SIZE: usize = 59;

/// What golang.org/x/crypto/bcrypt's `Cost` says of a hash: its cost and what follows it (salt
/// and hash), or Go's error.
pub fn bcrypt_cost(hash: &str) -> Result<(u32, &str), String> {
    let bytes = hash.as_bytes();
    if bytes.len() < MIN_HASH_SIZE {
        return Err("crypto/bcrypt: hashedSecret too short to be a bcrypted password".to_owned());
    }
    if bytes[0] != b'$' {
        return Err(format!(
            "crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with '{}'",
            char::from(bytes[0])
        ));
    }
    if bytes[1] > b'2' {
        return Err(format!(
            "crypto/bcrypt: bcrypt algorithm version '{}' requested is newer than current version '2'",
            char::from(bytes[1])
        ));
    }
    let cost_at = if bytes[2] == b'$' { 3 } else { 4 };
    let cost_text = String::from_utf8_lossy(&bytes[cost_at..cost_at + 2]);
    let cost: i64 = cost_text
        .parse()
        .map_err(|_| format!("strconv.Atoi: parsing {cost_text:?}: invalid syntax"))?;
    if !(MIN_COST..=MAX_COST).contains(&cost) {
        return Err(format!(
            "crypto/bcrypt: cost {cost} is outside allowed inclusive range {MIN_COST}..{MAX_COST}"
        ));
    }
    let rest = hash.get(cost_at + 3..).unwrap_or_default();
    Ok((u32::try_from(cost).map_err(|err| err.to_string())?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

    #[test]
    fn bcrypt_errors_are_gos() {
        assert_eq!(bcrypt_cost(HASH).unwrap().0, 10);
        assert_eq!(bcrypt_cost(HASH).unwrap().1, &HASH[7..]);
        assert_eq!(bcrypt_cost(&HASH.replace("$10$", "$31$")).unwrap().0, 31);
        assert_eq!(
            bcrypt_cost("plaintext").unwrap_err(),
            "crypto/bcrypt: hashedSecret too short to be a bcrypted password"
        );
        assert_eq!(
            bcrypt_cost(&HASH.replacen('$', "x", 1)).unwrap_err(),
            "crypto/bcrypt: bcrypt hashes must start with '$', but hashedSecret started with 'x'"
        );
        assert_eq!(
            bcrypt_cost(&HASH.replacen("$2y", "$3y", 1)).unwrap_err(),
            "crypto/bcrypt: bcrypt algorithm version '3' requested is newer than current version '2'"
        );
        assert_eq!(
            bcrypt_cost(&HASH.replace("$10$", "$03$")).unwrap_err(),
            "crypto/bcrypt: cost 3 is outside allowed inclusive range 4..31"
        );
        assert_eq!(
            bcrypt_cost(&HASH.replace("$10$", "$1x$")).unwrap_err(),
            r#"strconv.Atoi: parsing "1x": invalid syntax"#
        );
    }

    #[test]
    fn lists_and_files_are_printed_as_go_does() {
        assert_eq!(
            quoted_list(&["deny", "sameorigin"]),
            r#"["deny" "sameorigin"]"#
        );
        let missing = std::io::Error::from_raw_os_error(2);
        assert_eq!(
            file("/x/ca.pem", &missing),
            "open /x/ca.pem: no such file or directory"
        );
    }
}
