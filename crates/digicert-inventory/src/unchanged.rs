//! Which orders of a batch a store already holds exactly as sent, from the fingerprints it
//! stored ([`crate::OrderJson::digest`]), read for the batch's range of order ids in one go.
//! Both stores mark these seen by ranges of order ids instead of one row at a time: a
//! re-pull sends every order again, nearly all of them unchanged.

use std::collections::{HashMap, HashSet};

/// A stored order id and its fingerprint (none for orders stored before fingerprints were).
pub(crate) type Stored = (u64, Option<Vec<u8>>);

/// The orders sent exactly as stored: every copy of the order in the batch has the stored
/// fingerprint. `copies` are the batch's order ids with the fingerprints of their JSON.
pub(crate) fn unchanged_orders<'a>(
    copies: impl IntoIterator<Item = (u64, &'a [u8; 32])>,
    stored: &[Stored],
) -> HashSet<u64> {
    let stored: HashMap<u64, &[u8]> = stored
        .iter()
        .filter_map(|(order_id, digest)| Some((*order_id, digest.as_deref()?)))
        .collect();
    let mut first: HashMap<u64, (&[u8; 32], bool)> = HashMap::new();
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

/// The unchanged orders as runs of consecutive stored ones (`stored` is by order id), first
/// and last id of each: every stored order between the two is unchanged.
pub(crate) fn unchanged_runs(stored: &[Stored], unchanged: &HashSet<u64>) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut open = false;
    for (order_id, _) in stored {
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
        let (a, b) = ([1; 32], [2; 32]);
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
        assert_eq!(unchanged_runs(&stored, &unchanged), [(1, 2), (5, 5)]);
    }
}
