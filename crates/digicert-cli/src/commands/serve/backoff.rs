//! Capped exponential backoff with jitter: how long to wait before trying again after some
//! failures in a row (to open the inventory again, to sync against an API that fails).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Failures in a row, and the waits they call for: `first`, doubled with each failure up to
/// `cap`, each drawn at random from its upper half (so that hosts that failed together do not
/// try again together).
#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// No failure yet; waits from `first` up to `cap`.
    pub fn new(first: Duration, cap: Duration) -> Self {
        Self {
            first: first.min(cap),
            cap,
            failures: 0,
        }
    }

    /// Counts a failure: the wait before the next attempt.
    pub fn failed(&mut self) -> Duration {
        self.failures = self.failures.saturating_add(1);
        jittered(self.ceiling(), random())
    }

    /// Counts a success: the next failure waits `first` again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }

    /// The longest wait after the failures so far: `first` doubled once per failure after
    /// the first, at most `cap`.
    fn ceiling(&self) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(31);
        self.first
            .checked_mul(1 << doublings)
            .map_or(self.cap, |wait| wait.min(self.cap))
    }
}

/// A wait in the upper half of `ceiling`, `random` in [0, 1) choosing where.
fn jittered(ceiling: Duration, random: f64) -> Duration {
    ceiling.mul_f64(0.5 + random.clamp(0.0, 1.0) / 2.0)
}

/// A number in [0, 1), different on every call (from the standard library's randomly keyed
/// hasher: no generator to carry for a few draws an hour).
fn random() -> f64 {
    let bits = RandomState::new().build_hasher().finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_start_again_after_a_success() {
        let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(2));
        let ceilings: Vec<u128> = (0..6)
            .map(|_| {
                backoff.failed();
                backoff.ceiling().as_millis()
            })
            .collect();
        assert_eq!(ceilings, [250, 500, 1000, 2000, 2000, 2000]);
        backoff.succeeded();
        backoff.failed();
        assert_eq!(backoff.ceiling(), Duration::from_millis(250));
    }

    #[test]
    fn each_wait_is_in_the_upper_half_of_its_ceiling() {
        let ceiling = Duration::from_secs(8);
        assert_eq!(jittered(ceiling, 0.0), Duration::from_secs(4));
        assert_eq!(jittered(ceiling, 0.5), Duration::from_secs(6));
        assert!(jittered(ceiling, 0.999_999) <= ceiling);
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        for _ in 0..100 {
            let wait = backoff.failed();
            assert!(
                (Duration::from_millis(500)..=Duration::from_secs(1)).contains(&wait),
                "{wait:?}"
            );
        }
    }

    #[test]
    fn a_long_run_of_failures_stays_at_the_cap() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
        for _ in 0..1_000 {
            backoff.failed();
        }
        assert_eq!(backoff.ceiling(), Duration::from_secs(300));
    }

    #[test]
    fn draws_differ() {
        let draws: std::collections::HashSet<u64> = (0..20).map(|_| random().to_bits()).collect();
        assert!(draws.len() > 1);
        assert!((0..100).map(|_| random()).all(|r| (0.0..1.0).contains(&r)));
    }
}
