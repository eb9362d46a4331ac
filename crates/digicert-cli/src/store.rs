//! Opening the inventory where the settings put it: a PostgreSQL database for a
//! `postgres://` or `postgresql://` URL, else an SQLite file (its folder created if missing).

use std::path::Path;

use digicert_inventory::{AnyStore, SqliteStore};

/// The inventory, in either store.
pub type Inventory = digicert_inventory::Inventory<AnyStore>;

/// Opens the inventory at `location`.
pub fn open(location: &Path) -> Result<Inventory, digicert_inventory::Error> {
    match location.to_str() {
        Some(location) => Inventory::open_any(location),
        // A path that is not UTF-8 is no URL: it can only be a file.
        None => Ok(Inventory::with_store(AnyStore::Sqlite(SqliteStore::open(
            location,
        )?))),
    }
}

/// Whether `location` names a database server rather than a file.
pub fn is_url(location: &Path) -> bool {
    location.to_str().is_some_and(AnyStore::is_url)
}
