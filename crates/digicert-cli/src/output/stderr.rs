//! Lines for a person on stderr: warnings and notes, with counts as people write them.

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
    }
}
