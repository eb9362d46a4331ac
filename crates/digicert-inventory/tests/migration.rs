//! Inventories of an earlier schema, migrated in place on first open: the version 4 file the
//! code of that version made (`tests/fixtures/inventory-v4.sqlite`), and a larger one grown
//! from it here (enough orders per account to train a dictionary). Each is compared, order by
//! order, with what the old file holds, and every query is answered as the old file's tables
//! answer it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests fail loudly by design.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use digicert_inventory::{
    Find, MigrationProgress, SCHEMA_VERSION, SqliteStore, Store, StoredOrder, name_key,
};
use rusqlite::Connection;

/// An order as the old file holds it, every column as text or number.
#[derive(Debug, Clone, PartialEq)]
struct OldOrder {
    status: String,
    common_name: Option<String>,
    dns_names: String,
    valid_from: Option<String>,
    valid_till: Option<String>,
    product_name_id: Option<String>,
    thumbprint: Option<String>,
    serial_number: Option<String>,
    organization: Option<String>,
    certificate_id: Option<u64>,
    last_seen: String,
    report_json: Option<String>,
    info_json: Option<String>,
}

type Key = (String, u64);

/// Everything the old file holds that a query answers from.
struct Old {
    orders: BTreeMap<Key, OldOrder>,
    /// `(account, order_id, status, certificate_id, seen_at)`, in the old history's order.
    history: Vec<(String, u64, String, Option<u64>, String)>,
    names: Vec<(String, String, u64)>,
    states: Vec<(String, Option<String>, Option<String>)>,
}

/// Reads the old file, without changing it.
fn read_old(path: &Path) -> Old {
    let connection =
        Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, 4);
    let mut orders = BTreeMap::new();
    let mut statement = connection
        .prepare(
            "SELECT o.account, o.order_id, status, common_name, dns_names, valid_from, \
             valid_till, product_name_id, thumbprint, serial_number, organization, \
             certificate_id, s.last_seen, report_json, info_json \
             FROM orders AS o JOIN order_seen AS s USING (account, order_id)",
        )
        .unwrap();
    let mut rows = statement.query([]).unwrap();
    while let Some(row) = rows.next().unwrap() {
        let key = (row.get(0).unwrap(), row.get(1).unwrap());
        let order = OldOrder {
            status: row.get(2).unwrap(),
            common_name: row.get(3).unwrap(),
            dns_names: row.get(4).unwrap(),
            valid_from: row.get(5).unwrap(),
            valid_till: row.get(6).unwrap(),
            product_name_id: row.get(7).unwrap(),
            thumbprint: row.get(8).unwrap(),
            serial_number: row.get(9).unwrap(),
            organization: row.get(10).unwrap(),
            certificate_id: row.get(11).unwrap(),
            last_seen: row.get(12).unwrap(),
            report_json: row.get(13).unwrap(),
            info_json: row.get(14).unwrap(),
        };
        orders.insert(key, order);
    }
    let history = connection
        .prepare(
            "SELECT account, order_id, status, certificate_id, seen_at FROM status_history \
             ORDER BY account, order_id, seen_at, rowid",
        )
        .unwrap()
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let names = connection
        .prepare("SELECT name_key, account, order_id FROM order_names")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let states = connection
        .prepare("SELECT account, watermark, last_success FROM sync_state ORDER BY account")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    Old {
        orders,
        history,
        names,
        states,
    }
}

fn instant(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn date(text: &Option<String>) -> Option<NaiveDate> {
    text.as_deref().map(|text| text.parse().unwrap())
}

/// The fixture, copied into `dir`.
fn fixture_copy(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/inventory-v4.sqlite");
    let copy = dir.join("inventory.sqlite");
    std::fs::copy(fixture, &copy).unwrap();
    copy
}

/// The fixture, copied into `dir` and grown to `copies` times its orders (each copy's ids
/// moved up by a million, in its JSON too; every third copy renews the order it copies), so
/// that each account has enough orders to train a dictionary.
fn grown_copy(dir: &Path, copies: u64) -> PathBuf {
    let path = fixture_copy(dir);
    let connection = Connection::open(&path).unwrap();
    let old = read_old(&path);
    let transaction = connection.unchecked_transaction().unwrap();
    for copy in 1..copies {
        for ((account, order_id), order) in &old.orders {
            let new_id = order_id + copy * 1_000_000;
            let renews = if copy % 3 == 0 { *order_id } else { 0 };
            let report = order.report_json.as_ref().map(|json| {
                json.replacen(
                    &format!("\"order_id\":{order_id},"),
                    &format!("\"order_id\":{new_id},"),
                    1,
                )
                .replace(
                    "\"renewed_order_id\":null",
                    &format!("\"renewed_order_id\":{renews}"),
                )
            });
            transaction
                .execute(
                    "INSERT INTO orders (account, order_id, status, common_name, dns_names, \
                     valid_from, valid_till, product_name_id, thumbprint, serial_number, \
                     organization, certificate_id, report_json, info_json) \
                     SELECT account, ?3, status, common_name, dns_names, valid_from, valid_till, \
                     product_name_id, thumbprint, serial_number, organization, certificate_id, \
                     ?4, info_json FROM orders WHERE account = ?1 AND order_id = ?2",
                    rusqlite::params![account, order_id, new_id, report],
                )
                .unwrap();
            for statement in [
                "INSERT INTO order_seen (account, order_id, last_seen, digest) \
                 SELECT account, ?3, last_seen, digest FROM order_seen \
                 WHERE account = ?1 AND order_id = ?2",
                "INSERT INTO order_names (name_key, account, order_id) \
                 SELECT name_key, account, ?3 FROM order_names \
                 WHERE account = ?1 AND order_id = ?2",
                "INSERT INTO status_history (account, order_id, status, certificate_id, \
                 seen_at) SELECT account, ?3, status, certificate_id, seen_at \
                 FROM status_history WHERE account = ?1 AND order_id = ?2 ORDER BY rowid",
            ] {
                transaction
                    .execute(statement, rusqlite::params![account, order_id, new_id])
                    .unwrap();
            }
        }
    }
    transaction.commit().unwrap();
    path
}

/// The bytes of the file and its WAL, with no connection open.
fn file_size(path: &Path) -> u64 {
    let wal = path.with_extension("sqlite-wal");
    [path, wal.as_path()]
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok())
        .map(|metadata| metadata.len())
        .sum()
}

/// Every order of the inventory, by account and order id.
fn exported(inventory: &Inventory) -> BTreeMap<Key, StoredOrder> {
    let mut orders = BTreeMap::new();
    inventory
        .export(|order| {
            orders.insert((order.account.clone(), order.order_id), order);
            Ok(())
        })
        .unwrap();
    orders
}

/// Asserts that the migrated inventory holds exactly what the old file held.
fn assert_same_orders(old: &Old, inventory: &Inventory) {
    let new = exported(inventory);
    assert_eq!(
        new.keys().collect::<Vec<_>>(),
        old.orders.keys().collect::<Vec<_>>()
    );
    for (key, before) in &old.orders {
        let after = &new[key];
        assert_eq!(after.status, before.status, "{key:?}");
        assert_eq!(after.common_name, before.common_name, "{key:?}");
        let names: Vec<String> = serde_json::from_str(&before.dns_names).unwrap();
        assert_eq!(after.dns_names, names, "{key:?}");
        assert_eq!(after.valid_from, date(&before.valid_from), "{key:?}");
        assert_eq!(after.valid_till, date(&before.valid_till), "{key:?}");
        assert_eq!(after.product_name_id, before.product_name_id, "{key:?}");
        assert_eq!(after.thumbprint, before.thumbprint, "{key:?}");
        assert_eq!(after.serial_number, before.serial_number, "{key:?}");
        assert_eq!(after.organization, before.organization, "{key:?}");
        assert_eq!(after.certificate_id, before.certificate_id, "{key:?}");
        assert_eq!(after.last_seen, instant(&before.last_seen), "{key:?}");
        // The JSON byte for byte, as it was stored.
        let report = after.report.as_ref().map(|json| json.get().to_owned());
        assert_eq!(report, before.report_json, "{key:?}");
        let info = after.info.as_ref().map(|json| json.get().to_owned());
        assert_eq!(info, before.info_json, "{key:?}");
    }
}

/// Asserts that every query answers as the old file's tables do.
fn assert_same_answers(old: &Old, inventory: &Inventory) {
    // Expiring, with and without the expired, over the whole range of the orders' dates.
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    for (days, include_expired) in [(30, false), (400, false), (5000, true)] {
        let until = today + chrono::Days::new(days);
        let mut expected: Vec<(NaiveDate, u64, String)> = old
            .orders
            .iter()
            .filter(|(_, order)| order.status == "issued")
            .filter_map(|((account, order_id), order)| {
                let till = date(&order.valid_till)?;
                (till <= until && (include_expired || till >= today))
                    .then(|| (till, *order_id, account.clone()))
            })
            .collect();
        expected.sort();
        let found: Vec<(NaiveDate, u64, String)> = inventory
            .expiring_from(today, days as u32, include_expired)
            .unwrap()
            .into_iter()
            .map(|order| (order.valid_till.unwrap(), order.order_id, order.account))
            .collect();
        assert_eq!(found, expected, "expiring {days} {include_expired}");
    }
    // Find, by every name an order has, every thumbprint, serial number and order id.
    let mut queries: Vec<String> = Vec::new();
    for ((_, order_id), order) in &old.orders {
        queries.extend(order.common_name.iter().cloned());
        queries.extend(serde_json::from_str::<Vec<String>>(&order.dns_names).unwrap());
        queries.extend(order.thumbprint.iter().map(|hex| hex.to_uppercase()));
        queries.extend(order.serial_number.iter().cloned());
        queries.push(order_id.to_string());
    }
    queries.sort();
    queries.dedup();
    for query in queries.iter().filter(|query| Find::parse(query).is_ok()) {
        let find = Find::parse(query).unwrap();
        let keys = find.exact_keys();
        let range = find.pattern_range();
        let hex = find.hex();
        let mut expected: Vec<(u64, String)> = old
            .orders
            .iter()
            .filter(|((account, order_id), order)| {
                let named = old.names.iter().any(|(key, a, id)| {
                    a == account
                        && id == order_id
                        && (keys.contains(key)
                            || range
                                .as_ref()
                                .is_some_and(|(start, end)| key >= start && key < end))
                });
                named
                    || hex.is_some_and(|hex| {
                        order.thumbprint.as_deref() == Some(hex)
                            || order.serial_number.as_deref() == Some(hex)
                    })
                    || find.order_id() == Some(*order_id)
            })
            .map(|((account, order_id), _)| (*order_id, account.clone()))
            .collect();
        expected.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let found: Vec<(u64, String)> = inventory
            .find(query)
            .unwrap()
            .into_iter()
            .map(|order| (order.order_id, order.account))
            .collect();
        assert_eq!(found, expected, "find {query}");
    }
    // Every order's history.
    for (_, order_id) in old.orders.keys() {
        let expected: Vec<(String, String, Option<u64>, DateTime<Utc>)> = old
            .history
            .iter()
            .filter(|(_, id, ..)| id == order_id)
            .map(|(account, _, status, certificate, at)| {
                (account.clone(), status.clone(), *certificate, instant(at))
            })
            .collect();
        let found: Vec<_> = inventory
            .history(*order_id)
            .unwrap()
            .into_iter()
            .map(|entry| {
                (
                    entry.account,
                    entry.status,
                    entry.certificate_id,
                    entry.seen_at,
                )
            })
            .collect();
        assert_eq!(found, expected, "history of {order_id}");
    }
    // Counts, the sync states, and the orders covering each name with what they renew.
    let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
    for ((account, _), order) in &old.orders {
        *counts
            .entry((account.clone(), order.status.clone()))
            .or_default() += 1;
    }
    let found: BTreeMap<(String, String), u64> = inventory
        .status_counts()
        .unwrap()
        .into_iter()
        .map(|count| ((count.account, count.status), count.count))
        .collect();
    assert_eq!(found, counts);
    let states: Vec<_> = inventory
        .sync_states()
        .unwrap()
        .into_iter()
        .map(|(account, state)| (account, state.watermark, state.last_success))
        .collect();
    let expected: Vec<_> = old
        .states
        .iter()
        .map(|(account, watermark, success)| {
            let at = |text: &Option<String>| text.as_deref().map(instant);
            (account.clone(), at(watermark), at(success))
        })
        .collect();
    assert_eq!(states, expected);
    let keys: Vec<String> = old.names.iter().map(|(key, ..)| key.clone()).collect();
    let mut covering: Vec<(String, String, u64, Option<u64>)> = inventory
        .store()
        .orders_covering(&[], &keys)
        .unwrap()
        .into_iter()
        .map(|(key, order)| (key, order.account, order.order_id, order.renews))
        .collect();
    covering.sort();
    let mut expected: Vec<(String, String, u64, Option<u64>)> = old
        .names
        .iter()
        .map(|(key, account, order_id)| {
            let order = &old.orders[&(account.clone(), *order_id)];
            let json = order.info_json.as_ref().or(order.report_json.as_ref());
            let renews = json
                .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
                .and_then(|json| json["renewed_order_id"].as_u64())
                .filter(|renews| *renews != 0);
            (key.clone(), account.clone(), *order_id, renews)
        })
        .collect();
    expected.sort();
    assert_eq!(covering, expected);
}

type Inventory = digicert_inventory::Inventory<SqliteStore>;

/// Opens `path`, migrating it, with the progress reports it made.
fn open_migrating(path: &Path) -> (Inventory, Vec<(u64, u64)>) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let progress: MigrationProgress = {
        let reports = Arc::clone(&reports);
        Arc::new(move |done, total| reports.lock().unwrap().push((done, total)))
    };
    let store = SqliteStore::open_with_progress(path, Some(&progress)).unwrap();
    let reports = reports.lock().unwrap().clone();
    (Inventory::with_store(store), reports)
}

#[test]
fn the_v4_fixture_is_migrated_in_place_and_keeps_every_value_and_answer() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture_copy(dir.path());
    let old = read_old(&path);
    assert_eq!(old.orders.len(), 82);
    let (inventory, progress) = open_migrating(&path);
    assert_eq!(progress.last(), Some(&(82, 82)));
    assert_same_orders(&old, &inventory);
    assert_same_answers(&old, &inventory);
    drop(inventory);
    let connection = Connection::open(&path).unwrap();
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // Opening again migrates nothing.
    let (_, progress) = open_migrating(&path);
    assert!(progress.is_empty());
}

#[test]
fn a_larger_v4_inventory_gets_a_dictionary_per_account_and_keeps_every_value_and_answer() {
    let dir = tempfile::tempdir().unwrap();
    let path = grown_copy(dir.path(), 8);
    let old = read_old(&path);
    assert_eq!(old.orders.len(), 8 * 82);
    let size_before = file_size(&path);
    let (inventory, progress) = open_migrating(&path);
    // A report per chunk of an account's orders, done counting up to the total.
    assert_eq!(progress.last(), Some(&(656, 656)));
    assert!(progress.windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert_same_orders(&old, &inventory);
    assert_same_answers(&old, &inventory);
    drop(inventory);
    let connection = Connection::open(&path).unwrap();
    let dictionaries: Vec<(i64, String)> = connection
        .prepare("SELECT id, account FROM json_dictionaries ORDER BY id")
        .unwrap()
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        dictionaries,
        [(32_768, "default".to_owned()), (32_769, "eu".to_owned())]
    );
    // The text is gone and the file gave its free pages back.
    let text: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('orders') WHERE name LIKE '%_json'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(text, 0);
    drop(connection);
    let size_after = file_size(&path);
    assert!(size_after * 2 < size_before, "{size_after}, {size_before}");
    // The names a probe looks up are the stored ones.
    let key = name_key(
        old.orders
            .values()
            .find_map(|o| o.common_name.as_ref())
            .unwrap(),
    );
    assert!(
        !SqliteStore::open(&path)
            .unwrap()
            .orders_covering(&[], &[key])
            .unwrap()
            .is_empty()
    );
}
