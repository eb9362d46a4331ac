//! How urgent a value is, shown by colour and always also in words (never colour alone):
//! days left banded, deployment states and sync freshness.

use digicert_inventory::DeploymentState;

/// A value's urgency: its CSS class and the word shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Past, failed: act now.
    Bad,
    /// Soon, or not as it should be.
    Warn,
    /// Coming, but not yet pressing.
    Notice,
    /// As it should be.
    Good,
}

impl Tone {
    /// The CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Bad => "tone-bad",
            Tone::Warn => "tone-warn",
            Tone::Notice => "tone-notice",
            Tone::Good => "tone-good",
        }
    }
}

/// Days left, in words, with their band: expired, 7 days or less, 30 or less, more.
pub fn days_left(days: i64) -> (String, Tone) {
    let (band, tone) = match days {
        ..0 => ("expired", Tone::Bad),
        0..=7 => ("urgent", Tone::Warn),
        8..=30 => ("soon", Tone::Notice),
        _ => ("later", Tone::Good),
    };
    let count = match days {
        ..-1 => format!("{} days ago", -days),
        -1 => "1 day ago".to_owned(),
        0 => "today".to_owned(),
        1 => "1 day".to_owned(),
        _ => format!("{days} days"),
    };
    (format!("{count} ({band})"), tone)
}

/// A deployment state's tone: failures bad, an unknown or stale certificate a warning.
pub fn deployment(state: DeploymentState) -> Tone {
    match state {
        DeploymentState::Unreachable
        | DeploymentState::HandshakeFailed
        | DeploymentState::Expired
        | DeploymentState::NameMismatch => Tone::Bad,
        DeploymentState::Unknown | DeploymentState::Stale => Tone::Warn,
        DeploymentState::Current => Tone::Good,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_banded_in_words_and_colour() {
        assert_eq!(
            days_left(-3),
            ("3 days ago (expired)".to_owned(), Tone::Bad)
        );
        assert_eq!(days_left(-1).0, "1 day ago (expired)");
        assert_eq!(days_left(0), ("today (urgent)".to_owned(), Tone::Warn));
        assert_eq!(days_left(7).1, Tone::Warn);
        assert_eq!(days_left(8), ("8 days (soon)".to_owned(), Tone::Notice));
        assert_eq!(days_left(30).1, Tone::Notice);
        assert_eq!(days_left(31), ("31 days (later)".to_owned(), Tone::Good));
    }

    #[test]
    fn failing_endpoints_are_bad_and_stale_ones_a_warning() {
        assert_eq!(deployment(DeploymentState::Unreachable), Tone::Bad);
        assert_eq!(deployment(DeploymentState::Stale), Tone::Warn);
        assert_eq!(deployment(DeploymentState::Unknown), Tone::Warn);
        assert_eq!(deployment(DeploymentState::Current), Tone::Good);
    }
}
