//! What a full pull compares each report row against: the fingerprints of the orders the
//! store held when the sync began ([`Store::fingerprints`](crate::Store::fingerprints)).
//!
//! A re-pull sends every order again, nearly all of them as stored. A row whose JSON has the
//! stored fingerprint is only marked seen ([`SeenAgain`]): no record is built for it, and
//! the store neither reads nor writes its row. A row that differs is sent as a record, and
//! its new fingerprint is kept here, so that a later copy of the order in the same pull is
//! compared with what the store will hold by then (the last copy listed is the one stored).

use std::collections::HashSet;

use crate::store::{Fingerprint, SeenAgain};

/// The fingerprints of one account's orders, by order id.
pub(super) struct Fingerprints {
    /// Sorted by order id, as the store read them.
    stored: Vec<Fingerprint>,
}

impl Fingerprints {
    /// `stored` sorted by order id, as [`Store::fingerprints`](crate::Store::fingerprints)
    /// gives them.
    pub(super) fn new(stored: Vec<Fingerprint>) -> Self {
        debug_assert!(stored.is_sorted_by_key(|(order_id, _)| *order_id));
        Self { stored }
    }

    /// Where `order_id` is among the stored orders.
    fn position(&self, order_id: u64) -> Option<usize> {
        self.stored
            .binary_search_by_key(&order_id, |(stored, _)| *stored)
            .ok()
    }

    /// Whether the store holds `order_id` as `digest` (computed only for an order it holds)
    /// once the orders sent so far are written. If not, it will: the order is about to be
    /// sent as a record.
    pub(super) fn sent_as_stored(
        &mut self,
        order_id: u64,
        digest: impl FnOnce() -> [u8; 32],
    ) -> bool {
        let Some(position) = self.position(order_id) else {
            return false;
        };
        let digest = digest();
        let stored = &mut self.stored[position].1;
        if *stored == Some(digest) {
            return true;
        }
        *stored = Some(digest);
        false
    }

    /// `order_ids` (each held at the start) as runs of consecutive stored orders: no order
    /// the store held between the first and last of a run is missing from it.
    pub(super) fn seen_again(&self, order_ids: &[u64]) -> SeenAgain {
        let mut positions: Vec<usize> = order_ids
            .iter()
            .filter_map(|&order_id| self.position(order_id))
            .collect::<HashSet<usize>>()
            .into_iter()
            .collect();
        positions.sort_unstable();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut previous = None;
        for &position in &positions {
            let order_id = self.stored[position].0;
            match runs.last_mut() {
                Some((_, last)) if previous == Some(position.wrapping_sub(1)) => *last = order_id,
                _ => runs.push((order_id, order_id)),
            }
            previous = Some(position);
        }
        SeenAgain {
            runs,
            orders: positions.len() as u64,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unreachable)]
mod tests {
    use super::*;

    fn fingerprints() -> Fingerprints {
        // Orders 1 to 9 but 4, 8 stored without a fingerprint.
        Fingerprints::new(
            [1, 2, 3, 5, 6, 7, 8, 9]
                .into_iter()
                .map(|order_id| (order_id, (order_id != 8).then_some([order_id as u8; 32])))
                .collect(),
        )
    }

    #[test]
    fn only_the_stored_fingerprint_is_the_same() {
        let mut prints = fingerprints();
        assert!(prints.sent_as_stored(1, || [1; 32]));
        assert!(!prints.sent_as_stored(1, || [2; 32]), "changed");
        let not_computed = || -> [u8; 32] { unreachable!("order 4 is not stored") };
        assert!(!prints.sent_as_stored(4, not_computed));
        assert!(
            !prints.sent_as_stored(4, not_computed),
            "a new order stays unknown"
        );
        assert!(!prints.sent_as_stored(8, || [8; 32]), "stored without one");
        assert!(prints.sent_as_stored(8, || [8; 32]), "sent once, then held");
    }

    #[test]
    fn a_later_copy_is_compared_with_the_copy_sent_before_it() {
        let mut prints = fingerprints();
        assert!(!prints.sent_as_stored(2, || [20; 32]), "changed");
        assert!(
            prints.sent_as_stored(2, || [20; 32]),
            "listed again as changed"
        );
        assert!(
            !prints.sent_as_stored(2, || [2; 32]),
            "listed again as it was: stored again"
        );
        assert!(prints.sent_as_stored(2, || [2; 32]));
    }

    #[test]
    fn runs_stop_at_every_stored_order_not_sent_again() {
        let prints = fingerprints();
        // 3 not sent again; 4 and 10 never stored; 6 twice.
        let seen = prints.seen_again(&[7, 1, 2, 5, 6, 6, 9, 4, 10]);
        assert_eq!(seen.runs, [(1, 2), (5, 7), (9, 9)]);
        assert_eq!(seen.orders, 6);
        // 5 follows 3 among the stored orders: 4 was never stored.
        let seen = prints.seen_again(&[3, 5]);
        assert_eq!(seen.runs, [(3, 5)]);
        assert_eq!(prints.seen_again(&[]), SeenAgain::default());
    }
}
