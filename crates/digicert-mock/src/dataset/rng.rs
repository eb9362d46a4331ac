//! Deterministic randomness: every value of an order comes from its seed and number alone.
//!
//! Serial numbers carry a reversible scramble of the order ID, so an order can be found from
//! one without an index over the whole dataset.

/// The splitmix64 finalizer: spreads every input bit over the whole output.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small deterministic generator (splitmix64) for one stream of one order.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// The generator for stream `stream` of item `item` in the dataset seeded `seed`.
    pub(crate) fn new(seed: u64, stream: u64, item: u64) -> Self {
        Self(mix64(seed ^ mix64(stream.wrapping_add(mix64(item)))))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        let bits = self.next_u64();
        bits.checked_rem(n).unwrap_or(0)
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = high.saturating_sub(low).saturating_add(1).max(1);
        let offset = i64::try_from(self.below(span.unsigned_abs())).unwrap_or(0);
        low.saturating_add(offset)
    }

    /// True with probability `per_mille` / 1000.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// An index into a table of `len` entries.
    pub(crate) fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// One entry of a non-empty table.
    pub(crate) fn pick<T: Copy>(&mut self, table: &[T]) -> Option<T> {
        table.get(self.index(table.len())).copied()
    }

    /// One value of a table of (value, weight) pairs, by weight.
    pub(crate) fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> Option<T> {
        let total: u64 = table.iter().map(|&(_, weight)| u64::from(weight)).sum();
        let mut roll = self.below(total);
        for &(value, weight) in table {
            if roll < u64::from(weight) {
                return Some(value);
            }
            roll -= u64::from(weight);
        }
        None
    }
}

/// The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration).
const fn inverse(odd: u64) -> u64 {
    let mut inv = odd;
    let mut step = 0;
    while step < 6 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inv)));
        step += 1;
    }
    inv
}

/// A reversible scramble of 64 bits: one of a few (xor key, odd multiplier) pairs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scramble {
    key: u64,
    factor: u64,
    inverse: u64,
}

impl Scramble {
    const fn new(key: u64, factor: u64) -> Self {
        Self {
            key,
            factor,
            inverse: inverse(factor),
        }
    }

    /// Scrambles `value`.
    pub(crate) fn apply(self, value: u64) -> u64 {
        (value ^ self.key).wrapping_mul(self.factor)
    }

    /// Recovers the value [`Scramble::apply`] was given.
    pub(crate) fn undo(self, scrambled: u64) -> u64 {
        scrambled.wrapping_mul(self.inverse) ^ self.key
    }
}

/// The scramble in every serial number.
pub(crate) const SERIAL: Scramble = Scramble::new(0x0BAD_CAFE_F00D_BEEF, 0x9E37_79B9_7F4A_7C15);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrambles_reverse() {
        for value in [0, 1, 123_456, 1_000_000, u64::MAX] {
            assert_eq!(SERIAL.undo(SERIAL.apply(value)), value);
        }
    }

    #[test]
    fn same_inputs_same_numbers() {
        let draw = |item| {
            let mut rng = Rng::new(7, 1, item);
            (rng.next_u64(), rng.below(10), rng.between(-5, 5))
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
        let mut rng = Rng::new(1, 2, 3);
        for _ in 0..1000 {
            assert!((-5..=5).contains(&rng.between(-5, 5)));
        }
        assert_eq!(rng.weighted(&[('a', 0), ('b', 5)]), Some('b'));
        assert_eq!(rng.pick::<u8>(&[]), None);
    }
}
