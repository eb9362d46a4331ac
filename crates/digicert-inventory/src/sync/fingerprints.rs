//! What a full pull compares each report row against: the fingerprints of the orders the
//! store held when the sync began ([`Store::fingerprints`](crate::Store::fingerprints)).
//!
//! A re-pull sends every order again, nearly all of them as stored. A row whose JSON has the
//! stored fingerprint is only marked seen ([`UnchangedRuns`]): no record is built for it, and
//! the store neither reads nor writes its row. A row that differs is sent as a record, and
//! its new fingerprint is kept here, so that a later copy of the order in the same pull is
//! compared with what the store will hold by then (the last copy listed is the one stored).

use crate::record::Fingerprint;
use crate::store::{StoredFingerprint, UnchangedRuns};

/// The fingerprints of one account's orders, by order id, and the orders found sent as
/// stored since the last batch.
pub(super) struct Fingerprints {
    /// Sorted by order id, as the store read them.
    stored: Vec<StoredFingerprint>,
    /// Where in `stored` the last order looked up was: a report lists its orders by id, so
    /// the next one is mostly beside it.
    last: usize,
    /// Where in `stored` the orders sent as stored since the last batch are.
    seen: Vec<usize>,
}

impl Fingerprints {
    /// `stored` sorted by order id, as [`Store::fingerprints`](crate::Store::fingerprints)
    /// gives them.
    pub(super) fn new(stored: Vec<StoredFingerprint>) -> Self {
        debug_assert!(stored.is_sorted_by_key(|row| row.order_id));
        Self {
            stored,
            last: 0,
            seen: Vec::new(),
        }
    }

    /// Where `order_id` is among the stored orders: beside the last one looked up, or found
    /// by bisection.
    fn position(&mut self, order_id: u64) -> Option<usize> {
        let beside = [self.last.wrapping_sub(1), self.last.wrapping_add(1)];
        let found = beside
            .into_iter()
            .find(|&at| {
                self.stored
                    .get(at)
                    .is_some_and(|row| row.order_id == order_id)
            })
            .or_else(|| {
                self.stored
                    .binary_search_by_key(&order_id, |row| row.order_id)
                    .ok()
            })?;
        self.last = found;
        Some(found)
    }

    /// Whether the store holds `order_id` as `fingerprint` (computed only for an order it holds)
    /// once the orders sent so far are written; if so, the order is noted for the next
    /// [`Fingerprints::unchanged_runs`]. If not, the store will hold it so: the order is about to
    /// be sent as a record.
    pub(super) fn sent_as_stored(
        &mut self,
        order_id: u64,
        fingerprint: impl FnOnce() -> Fingerprint,
    ) -> bool {
        let Some(position) = self.position(order_id) else {
            return false;
        };
        let fingerprint = fingerprint();
        let stored = &mut self.stored[position].fingerprint;
        if *stored == Some(fingerprint) {
            self.seen.push(position);
            return true;
        }
        *stored = Some(fingerprint);
        false
    }

    /// How many orders were found sent as stored since the last batch (copies counted).
    pub(super) fn seen_count(&self) -> usize {
        self.seen.len()
    }

    /// The orders found sent as stored since the last batch, as runs of consecutive stored
    /// orders: no order the store held between the first and last of a run is missing from
    /// it.
    pub(super) fn unchanged_runs(&mut self) -> UnchangedRuns {
        let mut positions = std::mem::take(&mut self.seen);
        positions.sort_unstable();
        positions.dedup();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut previous = None;
        for &position in &positions {
            let order_id = self.stored[position].order_id;
            match runs.last_mut() {
                Some((_, last)) if previous == Some(position.wrapping_sub(1)) => *last = order_id,
                _ => runs.push((order_id, order_id)),
            }
            previous = Some(position);
        }
        let orders = positions.len() as u64;
        // The buffer is kept for the next batch.
        positions.clear();
        self.seen = positions;
        UnchangedRuns { runs, orders }
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
                .map(|order_id| StoredFingerprint {
                    order_id,
                    fingerprint: (order_id != 8).then_some([order_id as u8; 16]),
                })
                .collect(),
        )
    }

    #[test]
    fn only_the_stored_fingerprint_is_the_same() {
        let mut prints = fingerprints();
        assert!(prints.sent_as_stored(1, || [1; 16]));
        assert!(!prints.sent_as_stored(1, || [2; 16]), "changed");
        let not_computed = || -> Fingerprint { unreachable!("order 4 is not stored") };
        assert!(!prints.sent_as_stored(4, not_computed));
        assert!(
            !prints.sent_as_stored(4, not_computed),
            "a new order stays unknown"
        );
        assert!(!prints.sent_as_stored(8, || [8; 16]), "stored without one");
        assert!(prints.sent_as_stored(8, || [8; 16]), "sent once, then held");
    }

    #[test]
    fn a_later_copy_is_compared_with_the_copy_sent_before_it() {
        let mut prints = fingerprints();
        assert!(!prints.sent_as_stored(2, || [20; 16]), "changed");
        assert!(
            prints.sent_as_stored(2, || [20; 16]),
            "listed again as changed"
        );
        assert!(
            !prints.sent_as_stored(2, || [2; 16]),
            "listed again as it was: stored again"
        );
        assert!(prints.sent_as_stored(2, || [2; 16]));
    }

    /// Sends `order_ids` with their stored fingerprints (4 and 10 were never stored).
    fn send_as_stored(prints: &mut Fingerprints, order_ids: &[u64]) {
        for &order_id in order_ids {
            prints.sent_as_stored(order_id, || [order_id as u8; 16]);
        }
    }

    #[test]
    fn runs_stop_at_every_stored_order_not_sent_again() {
        let mut prints = fingerprints();
        // 3 not sent again; 4 and 10 never stored; 6 twice; 8 stored without a fingerprint.
        send_as_stored(&mut prints, &[7, 1, 2, 5, 6, 6, 9, 4, 10]);
        assert_eq!(prints.seen_count(), 7);
        let seen = prints.unchanged_runs();
        assert_eq!(seen.runs, [(1, 2), (5, 7), (9, 9)]);
        assert_eq!(seen.orders, 6);
        // Each batch starts afresh. 5 follows 3 among the stored orders: 4 was never stored.
        send_as_stored(&mut prints, &[3, 5]);
        assert_eq!(prints.unchanged_runs().runs, [(3, 5)]);
        assert_eq!(prints.unchanged_runs(), UnchangedRuns::default());
    }
}
