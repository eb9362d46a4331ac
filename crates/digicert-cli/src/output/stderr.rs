//! Lines for a person on stderr: warnings and notes (one for an answer with nothing in it),
//! with counts as people write them.

/// A warning on stderr, unless `-q`.
pub fn warn(quiet: bool, message: &str) {
    if !quiet {
        eprintln!("warning: {message}");
    }
}

/// A note on stderr (the caller checks `-q`).
pub fn note(message: &str) {
    eprintln!("note: {message}");
}

/// The note for an answer with nothing in it, unless `-q` (an empty table or JSON array
/// alone does not say whether the question was the right one): `message` is called only
/// when `count` is 0. A single named thing that does not exist is an error instead.
pub fn nothing_found(quiet: bool, count: u64, message: impl FnOnce() -> String) {
    if count == 0 && !quiet {
        note(&message());
    }
}

/// A count and its noun, singular for one: `1 order`, `2,500 orders`.
pub fn counted(count: u64, noun: &str) -> String {
    let plural = if count == 1 { "" } else { "s" };
    format!("{} {noun}{plural}", thousands(count))
}

/// A count with thousands separators: 2,500.
pub fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        for (count, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (2500, "2,500"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(thousands(count), text);
        }
        assert_eq!(counted(1, "request"), "1 request");
        assert_eq!(counted(2500, "order"), "2,500 orders");
        assert_eq!(counted(0, "order"), "0 orders");
    }
}
