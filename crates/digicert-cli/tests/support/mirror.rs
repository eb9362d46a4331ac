//! Whether an inventory mirrors the mock it was synced from: nothing lost, nothing doubled.

use std::collections::HashMap;

use digicert_inventory::{Inventory, normalize_hex};
use digicert_mock::MockServer;

/// Fails unless the inventory at `db` (a file or a database URL) holds every order of
/// `server` once, each with the status and certificate the mock gives it now, and no history
/// of an order the test changed holds the same status and certificate twice in a row.
pub fn assert_mirrors(db: &str, server: &MockServer) {
    let inventory = Inventory::open_any(db).unwrap();
    let mut stored = HashMap::new();
    inventory
        .export(|order| {
            let id = order.order_id;
            let kept = (order.status, order.thumbprint);
            assert!(stored.insert(id, kept).is_none(), "order {id} stored twice");
            Ok(())
        })
        .unwrap();
    let dataset = server.dataset();
    assert_eq!(stored.len(), dataset.len(), "orders stored");
    for order_id in dataset.order_ids() {
        let row = dataset.report_row(order_id).unwrap();
        let expected = (
            row.status.as_str().to_owned(),
            row.thumbprint.as_deref().and_then(normalize_hex),
        );
        assert_eq!(stored.get(&order_id), Some(&expected), "order {order_id}");
    }
    for change in server.change_log() {
        let history = inventory.history(change.order_id).unwrap();
        for pair in history.windows(2) {
            assert!(
                (&pair[0].status, pair[0].certificate_id)
                    != (&pair[1].status, pair[1].certificate_id),
                "order {}: a status recorded twice: {history:?}",
                change.order_id
            );
        }
    }
}
