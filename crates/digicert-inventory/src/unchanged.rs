//! Which orders of a batch a store already holds exactly as sent, from the fingerprints it
//! stored ([`crate::OrderJson::digest`]).
//!
//! A full pull finds the report rows sent as stored before it builds records for them (the
//! sync's `fingerprints` module) and sends only their runs of ids; the records that reach the
//! store are still compared here, as order details fetched again may be unchanged too.
//!
//! A report page lists consecutive orders, so a store reads the fingerprints of the batch's
//! whole range of order ids in one go and marks the unchanged orders seen by runs of ids. A
//! batch of order details fetched here and there through the inventory (an incremental sync)
//! would make that range most of the inventory, so when the range holds many more stored
//! orders than the batch, the store reads the batch's own orders instead, and each is its own
//! run.

use std::collections::{HashMap, HashSet};

use crate::store::Digest;

/// A stored order id and its fingerprint (none for orders stored before fingerprints were).
pub(crate) type Stored = (u64, Option<Vec<u8>>);

/// The fingerprints a store read for a batch, by order id.
pub(crate) struct StoredRange {
    /// The stored orders read.
    pub(crate) rows: Vec<Stored>,
    /// Whether `rows` are every stored order from the batch's lowest id to its highest (else
    /// only the batch's own).
    pub(crate) whole: bool,
}

/// The most stored orders a range read returns for a batch of `orders` (copies counted)
/// before it stops: one more than this means the batch is sparse in its range.
pub(crate) fn range_limit(orders: usize) -> usize {
    2 * orders
}

/// The orders sent exactly as stored: every copy of the order in the batch has the stored
/// fingerprint. `copies` are the batch's order ids with the fingerprints of their JSON.
pub(crate) fn unchanged_orders<'a>(
    copies: impl IntoIterator<Item = (u64, &'a Digest)>,
    stored: &[Stored],
) -> HashSet<u64> {
    let stored: HashMap<u64, &[u8]> = stored
        .iter()
        .filter_map(|(order_id, digest)| Some((*order_id, digest.as_deref()?)))
        .collect();
    let mut first: HashMap<u64, (&Digest, bool)> = HashMap::new();
    for (order_id, digest) in copies {
        let (seen, alike) = first.entry(order_id).or_insert((digest, true));
        *alike &= *seen == digest;
    }
    first
        .into_iter()
        .filter(|(order_id, (digest, alike))| *alike && stored.get(order_id) == Some(&&digest[..]))
        .map(|(order_id, _)| order_id)
        .collect()
}

/// The unchanged orders as runs of consecutive stored ones, first and last id of each: every
/// stored order between the two is unchanged. Without the whole range read, each unchanged
/// order is a run of its own.
pub(crate) fn unchanged_runs(stored: &StoredRange, unchanged: &HashSet<u64>) -> Vec<(u64, u64)> {
    if !stored.whole {
        let mut runs: Vec<(u64, u64)> = unchanged.iter().map(|&id| (id, id)).collect();
        runs.sort_unstable();
        return runs;
    }
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut open = false;
    for (order_id, _) in &stored.rows {
        let keep = unchanged.contains(order_id);
        match runs.last_mut() {
            Some((_, last)) if keep && open => *last = *order_id,
            _ if keep => runs.push((*order_id, *order_id)),
            _ => {}
        }
        open = keep;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_stop_at_every_order_not_sent_as_stored() {
        let (a, b) = ([1; 16], [2; 16]);
        let stored: Vec<Stored> = [(1, a), (2, a), (3, a), (4, a), (5, a), (6, a)]
            .into_iter()
            .map(|(order_id, digest)| (order_id, Some(digest.to_vec())))
            .chain([(7, None)])
            .collect();
        // 3 changed, 4 not sent, 6 sent twice unlike, 7 stored without a fingerprint.
        let copies = [
            (1, &a),
            (2, &a),
            (3, &b),
            (5, &a),
            (6, &a),
            (6, &b),
            (7, &a),
        ];
        let unchanged = unchanged_orders(copies, &stored);
        assert_eq!(unchanged, HashSet::from([1, 2, 5]));
        let mut range = StoredRange {
            rows: stored,
            whole: true,
        };
        assert_eq!(unchanged_runs(&range, &unchanged), [(1, 2), (5, 5)]);
        // Only the batch's own orders read: nothing is known between them.
        range.whole = false;
        assert_eq!(unchanged_runs(&range, &unchanged), [(1, 1), (2, 2), (5, 5)]);
    }
}
