//! What one batch changes, decided once for every store: which orders are sent exactly as
//! stored (only when they were seen moves), which are written and which copy of an order
//! wins, which statuses enter the history, whose names are replaced, and the counts.
//!
//! The planner needs no database: it asks a [`StoredState`] for what the store holds of the
//! batch's orders, and each store carries the resulting [`Plan`] out in its own SQL, in the
//! batch's transaction.
//!
//! A report page lists consecutive orders, so the fingerprints of the batch's whole range of
//! order ids are read in one go and the orders sent as stored are marked seen by runs of
//! ids. A batch of order details fetched here and there through the inventory (an
//! incremental sync) would make that range most of the inventory, so when the range holds
//! many more stored orders than the batch, only the batch's own orders are read, and each is
//! its own run.

use std::collections::{HashMap, HashSet};

use crate::record::{Fingerprint, OrderRecord};
use crate::store::{Applied, Batch, StoredFingerprint, StoredStatus};

/// What the planner reads from a store, inside the batch's transaction.
pub(crate) trait StoredState {
    /// What a read fails with.
    type Error;

    /// The fingerprints of the account's orders from `first` to `last` (ids), by order id,
    /// `limit` at most.
    fn fingerprints_between(
        &mut self,
        first: u64,
        last: u64,
        limit: usize,
    ) -> Result<Vec<StoredFingerprint>, Self::Error>;

    /// The fingerprints of these orders (sorted, each once) that the account holds.
    fn fingerprints_of(&mut self, order_ids: &[u64])
    -> Result<Vec<StoredFingerprint>, Self::Error>;

    /// The status and certificate of these orders (sorted, each once) that the account holds.
    fn statuses_of(&mut self, order_ids: &[u64])
    -> Result<HashMap<u64, StoredStatus>, Self::Error>;
}

/// An order to write: the last copy the batch holds of it, and its fingerprint.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Write<'b> {
    /// The order, as its last copy in the batch.
    pub(crate) order: &'b OrderRecord,
    /// Its JSON's fingerprint.
    pub(crate) fingerprint: Fingerprint,
}

/// A status the history records for an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HistoryRow<'b> {
    /// The order.
    pub(crate) order_id: u64,
    /// Its new status.
    pub(crate) status: &'b str,
    /// Its certificate with that status.
    pub(crate) certificate_id: Option<u64>,
}

/// An order held before and written again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Replaced<'b> {
    /// The order.
    pub(crate) order_id: u64,
    /// The thumbprint it is written with.
    pub(crate) thumbprint: Option<&'b str>,
}

/// What a batch changes, for a store to carry out.
#[derive(Debug)]
pub(crate) struct Plan<'b> {
    /// Runs of order ids (first and last) whose every stored order was sent as stored: only
    /// when they were seen moves.
    pub(crate) seen_runs: Vec<(u64, u64)>,
    /// The orders to write, each once, by order id.
    pub(crate) writes: Vec<Write<'b>>,
    /// The history's new rows, by order id and, for one order, in the batch's order.
    pub(crate) history: Vec<HistoryRow<'b>>,
    /// Orders held before that are written again, each with its new thumbprint: their names
    /// are dropped before the written orders' names are added, and a certificate they no
    /// longer have is kept among the earlier ones.
    pub(crate) replaced: Vec<Replaced<'b>>,
    /// Each written order's name keys ([`crate::name_key`]), with its id.
    pub(crate) names: Vec<(String, u64)>,
    /// The counts.
    pub(crate) applied: Applied,
}

impl Plan<'_> {
    /// Whether no written order was held before, so that writes need no conflict check
    /// (every stored order was read: each has its fingerprint row).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn all_new(&self) -> bool {
        self.replaced.is_empty()
    }
}

/// The most stored orders a range read returns for a batch of `orders` (copies counted)
/// before it stops: one more than this means the batch is sparse in its range.
fn range_limit(orders: usize) -> usize {
    2 * orders
}

/// Plans `batch` against what `stored` holds.
///
/// Counting: copies are counted in the batch's order, as one upsert after another would
/// count them (a second copy of a new order is compared with the first); an order listed
/// twice is written once, as its last copy.
pub(crate) fn plan<'b, S: StoredState>(
    batch: &'b Batch,
    stored: &mut S,
) -> Result<Plan<'b>, S::Error> {
    // By order id: the report lists the newest (highest id) first, and rows inserted before
    // the rows already stored leave pages half empty; ascending, each page fills up. The sort
    // is stable, so the copies of an order stay in the batch's order.
    let mut orders: Vec<(&OrderRecord, Fingerprint)> = batch
        .orders
        .iter()
        .map(|order| (order, order.json.fingerprint()))
        .collect();
    orders.sort_by_key(|(order, _)| order.order_id);
    let (rows, whole) = read_fingerprints(&orders, stored)?;
    let identical = sent_as_stored(&orders, &rows);
    let mut seen_runs = runs(&rows, whole, &identical);
    seen_runs.extend_from_slice(&batch.unchanged.runs);

    // What each order is before the batch: for the identical ones, what they carry; for the
    // batch's other stored ones, read (the range read also holds orders the batch lacks).
    let sent: HashSet<u64> = orders.iter().map(|(order, _)| order.order_id).collect();
    let others: Vec<u64> = rows
        .iter()
        .map(|row| row.order_id)
        .filter(|order_id| sent.contains(order_id) && !identical.contains(order_id))
        .collect();
    let mut current: HashMap<u64, (&str, Option<u64>)> = HashMap::new();
    let read = stored.statuses_of(&others)?;
    for (order_id, status) in &read {
        current.insert(*order_id, (status.status.as_str(), status.certificate_id));
    }
    for (order, _) in &orders {
        if identical.contains(&order.order_id) {
            current.insert(order.order_id, (&order.status, order.certificate_id));
        }
    }

    let mut applied = Applied {
        unchanged: batch.unchanged.orders,
        ..Applied::default()
    };
    let mut history = Vec::new();
    for (order, _) in &orders {
        let now = (order.status.as_str(), order.certificate_id);
        match current.insert(order.order_id, now) {
            None => applied.added += 1,
            Some(before) if before == now => {
                applied.unchanged += 1;
                continue;
            }
            Some(_) => applied.changed += 1,
        }
        history.push(HistoryRow {
            order_id: order.order_id,
            status: &order.status,
            certificate_id: order.certificate_id,
        });
    }

    let mut writes: Vec<Write<'b>> = Vec::with_capacity(orders.len());
    for (order, fingerprint) in orders {
        if identical.contains(&order.order_id) {
            continue;
        }
        let write = Write { order, fingerprint };
        match writes.last_mut() {
            Some(last) if last.order.order_id == order.order_id => *last = write,
            _ => writes.push(write),
        }
    }
    let replaced = writes
        .iter()
        .filter(|write| read.contains_key(&write.order.order_id))
        .map(|write| Replaced {
            order_id: write.order.order_id,
            thumbprint: write.order.thumbprint.as_deref(),
        })
        .collect();
    let names = writes
        .iter()
        .flat_map(|write| {
            let order_id = write.order.order_id;
            write
                .order
                .name_keys()
                .into_iter()
                .map(move |key| (key, order_id))
        })
        .collect();
    Ok(Plan {
        seen_runs,
        writes,
        history,
        replaced,
        names,
        applied,
    })
}

/// The fingerprints stored for the batch's range of order ids (sorted by id), in one range
/// read, and `true`; only the batch's own orders, and `false`, when that range holds many
/// more.
fn read_fingerprints<S: StoredState>(
    orders: &[(&OrderRecord, Fingerprint)],
    stored: &mut S,
) -> Result<(Vec<StoredFingerprint>, bool), S::Error> {
    let (Some((first, _)), Some((last, _))) = (orders.first(), orders.last()) else {
        return Ok((Vec::new(), true));
    };
    let limit = range_limit(orders.len());
    let rows = stored.fingerprints_between(first.order_id, last.order_id, limit + 1)?;
    if rows.len() <= limit {
        return Ok((rows, true));
    }
    let mut ids: Vec<u64> = orders.iter().map(|(order, _)| order.order_id).collect();
    ids.dedup();
    Ok((stored.fingerprints_of(&ids)?, false))
}

/// The orders sent exactly as stored: every copy of the order in the batch has the stored
/// fingerprint.
fn sent_as_stored(
    orders: &[(&OrderRecord, Fingerprint)],
    stored: &[StoredFingerprint],
) -> HashSet<u64> {
    let stored: HashMap<u64, Fingerprint> = stored
        .iter()
        .filter_map(|row| Some((row.order_id, row.fingerprint?)))
        .collect();
    let mut first: HashMap<u64, (Fingerprint, bool)> = HashMap::new();
    for (order, fingerprint) in orders {
        let (seen, alike) = first.entry(order.order_id).or_insert((*fingerprint, true));
        *alike &= seen == fingerprint;
    }
    first
        .into_iter()
        .filter(|(order_id, (fingerprint, alike))| {
            *alike && stored.get(order_id) == Some(fingerprint)
        })
        .map(|(order_id, _)| order_id)
        .collect()
}

/// The identical orders as runs of consecutive stored ones, first and last id of each: every
/// stored order between the two is identical. Without the whole range read (`whole` false),
/// each identical order is a run of its own.
fn runs(stored: &[StoredFingerprint], whole: bool, identical: &HashSet<u64>) -> Vec<(u64, u64)> {
    if !whole {
        let mut runs: Vec<(u64, u64)> = identical.iter().map(|&id| (id, id)).collect();
        runs.sort_unstable();
        return runs;
    }
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut open = false;
    for row in stored {
        let keep = identical.contains(&row.order_id);
        match runs.last_mut() {
            Some((_, last)) if keep && open => *last = row.order_id,
            _ if keep => runs.push((row.order_id, row.order_id)),
            _ => {}
        }
        open = keep;
    }
    runs
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::BTreeMap;
    use std::convert::Infallible;

    use chrono::Utc;

    use super::*;
    use crate::record::OrderJson;
    use crate::store::UnchangedRuns;

    /// A store in memory: each order's status, certificate and stored JSON, and how many
    /// orders each read asked for.
    #[derive(Default)]
    struct Memory {
        orders: BTreeMap<u64, (StoredStatus, Option<String>)>,
        ranges_read: usize,
        orders_read: usize,
        statuses_read: Vec<u64>,
    }

    impl Memory {
        fn holding(orders: &[(u64, &str, &str)]) -> Self {
            let mut memory = Self::default();
            for &(order_id, status, json) in orders {
                memory.orders.insert(
                    order_id,
                    (
                        StoredStatus {
                            status: status.to_owned(),
                            certificate_id: Some(order_id * 10),
                        },
                        (!json.is_empty()).then(|| json.to_owned()),
                    ),
                );
            }
            memory
        }

        fn row(order_id: u64, json: &Option<String>) -> StoredFingerprint {
            StoredFingerprint {
                order_id,
                fingerprint: json
                    .as_ref()
                    .map(|json| OrderJson::Report(json.clone()).fingerprint()),
            }
        }
    }

    impl StoredState for Memory {
        type Error = Infallible;

        fn fingerprints_between(
            &mut self,
            first: u64,
            last: u64,
            limit: usize,
        ) -> Result<Vec<StoredFingerprint>, Infallible> {
            self.ranges_read += 1;
            Ok(self
                .orders
                .range(first..=last)
                .take(limit)
                .map(|(id, (_, json))| Self::row(*id, json))
                .collect())
        }

        fn fingerprints_of(&mut self, ids: &[u64]) -> Result<Vec<StoredFingerprint>, Infallible> {
            self.orders_read += ids.len();
            Ok(ids
                .iter()
                .filter_map(|id| Some(Self::row(*id, &self.orders.get(id)?.1)))
                .collect())
        }

        fn statuses_of(&mut self, ids: &[u64]) -> Result<HashMap<u64, StoredStatus>, Infallible> {
            self.statuses_read.extend_from_slice(ids);
            Ok(ids
                .iter()
                .filter_map(|id| Some((*id, self.orders.get(id)?.0.clone())))
                .collect())
        }
    }

    /// An order as a report row with this status, JSON and certificate `order_id * 10`.
    fn order(order_id: u64, status: &str, json: &str) -> OrderRecord {
        OrderRecord {
            certificate_id: Some(order_id * 10),
            common_name: Some(format!("o{order_id}.example.com")),
            ..OrderRecord::new(order_id, status, OrderJson::Report(json.to_owned()))
        }
    }

    fn batch(orders: Vec<OrderRecord>) -> Batch {
        Batch {
            account: "default".to_owned(),
            orders,
            unchanged: UnchangedRuns::default(),
            seen_at: Utc::now(),
            finish: None,
        }
    }

    fn applied(added: u64, changed: u64, unchanged: u64) -> Applied {
        Applied {
            added,
            changed,
            unchanged,
        }
    }

    fn written(plan: &Plan<'_>) -> Vec<(u64, String)> {
        plan.writes
            .iter()
            .map(|write| (write.order.order_id, write.order.status.clone()))
            .collect()
    }

    fn replaced(plan: &Plan<'_>) -> Vec<u64> {
        plan.replaced
            .iter()
            .map(|replaced| replaced.order_id)
            .collect()
    }

    fn history<'b>(plan: &Plan<'b>) -> Vec<(u64, &'b str)> {
        plan.history
            .iter()
            .map(|row| (row.order_id, row.status))
            .collect()
    }

    #[test]
    fn new_orders_are_added_written_and_enter_the_history() {
        let mut memory = Memory::default();
        let batch = batch(vec![order(2, "issued", "b"), order(1, "pending", "a")]);
        let plan = plan(&batch, &mut memory).unwrap();
        assert_eq!(plan.applied, applied(2, 0, 0));
        assert_eq!(
            written(&plan),
            [(1, "pending".into()), (2, "issued".into())]
        );
        assert_eq!(history(&plan), [(1, "pending"), (2, "issued")]);
        assert!(plan.all_new());
        assert!(plan.seen_runs.is_empty());
        assert_eq!(
            plan.names,
            [
                ("com.example.o1".to_owned(), 1),
                ("com.example.o2".to_owned(), 2)
            ]
        );
        // Nothing was stored, so no status was read.
        assert!(memory.statuses_read.is_empty());
    }

    #[test]
    fn an_order_sent_as_stored_is_only_seen_and_counted_unchanged() {
        let mut memory = Memory::holding(&[(1, "issued", "a"), (2, "issued", "b")]);
        let batch = batch(vec![order(1, "issued", "a"), order(2, "revoked", "b2")]);
        let plan = plan(&batch, &mut memory).unwrap();
        assert_eq!(plan.applied, applied(0, 1, 1));
        assert_eq!(plan.seen_runs, [(1, 1)]);
        assert_eq!(written(&plan), [(2, "revoked".into())]);
        assert_eq!(history(&plan), [(2, "revoked")]);
        assert_eq!(replaced(&plan), [2]);
        assert!(!plan.all_new());
        // Only the changed order's status was read.
        assert_eq!(memory.statuses_read, [2]);
    }

    #[test]
    fn new_json_with_the_same_status_is_written_but_not_a_history_row() {
        let mut memory = Memory::holding(&[(1, "issued", "a")]);
        let batch = batch(vec![order(1, "issued", "a, renamed")]);
        let plan = plan(&batch, &mut memory).unwrap();
        assert_eq!(plan.applied, applied(0, 0, 1));
        assert_eq!(written(&plan), [(1, "issued".into())]);
        assert!(plan.history.is_empty());
        assert_eq!(replaced(&plan), [1]);
    }

    #[test]
    fn the_last_copy_wins_and_each_copy_is_counted_against_the_one_before() {
        let mut memory = Memory::holding(&[(5, "issued", "e")]);
        // Order 1 is new and listed twice (the second copy changes it); order 5 is stored
        // and listed twice, first as stored, then revoked.
        let batch = batch(vec![
            order(1, "pending", "a"),
            order(5, "issued", "e"),
            order(1, "issued", "a2"),
            order(5, "revoked", "e2"),
        ]);
        let plan = plan(&batch, &mut memory).unwrap();
        assert_eq!(plan.applied, applied(1, 2, 1));
        assert_eq!(
            written(&plan),
            [(1, "issued".into()), (5, "revoked".into())]
        );
        assert_eq!(
            history(&plan),
            [(1, "pending"), (1, "issued"), (5, "revoked")]
        );
        // Order 5 was sent unlike itself: not as stored, so not only seen.
        assert!(plan.seen_runs.is_empty());
        assert_eq!(replaced(&plan), [5]);
    }

    #[test]
    fn identical_copies_of_a_stored_order_are_each_counted_unchanged() {
        let mut memory = Memory::holding(&[(3, "issued", "c")]);
        let batch = batch(vec![order(3, "issued", "c"), order(3, "issued", "c")]);
        let plan = plan(&batch, &mut memory).unwrap();
        assert_eq!(plan.applied, applied(0, 0, 2));
        assert!(plan.writes.is_empty());
        assert_eq!(plan.seen_runs, [(3, 3)]);
    }

    #[test]
    fn runs_stop_at_every_order_not_sent_as_stored() {
        // 1 to 7 stored; 7 without a fingerprint.
        let mut memory = Memory::holding(&[
            (1, "issued", "a"),
            (2, "issued", "a"),
            (3, "issued", "a"),
            (4, "issued", "a"),
            (5, "issued", "a"),
            (6, "issued", "a"),
            (7, "issued", ""),
        ]);
        // 3 changed, 4 not sent, 6 sent twice unlike, 7 stored without a fingerprint.
        let sent = batch(vec![
            order(1, "issued", "a"),
            order(2, "issued", "a"),
            order(3, "issued", "b"),
            order(5, "issued", "a"),
            order(6, "issued", "a"),
            order(6, "issued", "b"),
            order(7, "issued", "a"),
        ]);
        let planned = plan(&sent, &mut memory).unwrap();
        assert_eq!(planned.seen_runs, [(1, 2), (5, 5)]);
        // Order 4, read in the range but not sent, is neither read again nor replaced.
        assert_eq!(memory.statuses_read, [3, 6, 7]);
        assert_eq!(replaced(&planned), [3, 6, 7]);
        assert_eq!(memory.ranges_read, 1);
        assert_eq!(memory.orders_read, 0);
    }

    #[test]
    fn a_sparse_batch_reads_only_its_own_orders_each_its_own_run() {
        let stored: Vec<(u64, &str, &str)> = (1..=100).map(|id| (id, "issued", "a")).collect();
        let mut memory = Memory::holding(&stored);
        let sent = batch(vec![order(10, "issued", "a"), order(90, "issued", "a")]);
        let planned = plan(&sent, &mut memory).unwrap();
        assert_eq!(planned.seen_runs, [(10, 10), (90, 90)]);
        assert_eq!(memory.orders_read, 2);
        assert_eq!(planned.applied, applied(0, 0, 2));
    }

    #[test]
    fn runs_the_sync_found_are_marked_seen_and_counted() {
        let mut memory = Memory::default();
        let mut sent = batch(vec![order(9, "issued", "i")]);
        sent.unchanged = UnchangedRuns {
            runs: vec![(1, 4), (6, 7)],
            orders: 6,
        };
        let planned = plan(&sent, &mut memory).unwrap();
        assert_eq!(planned.seen_runs, [(1, 4), (6, 7)]);
        assert_eq!(planned.applied, applied(1, 0, 6));
    }
}
