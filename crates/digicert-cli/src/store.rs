//! Opening the inventory where the settings put it: a PostgreSQL database for a
//! `postgres://` or `postgresql://` URL, else an SQLite file (in a folder that exists: only
//! the default place's folder is created, by the settings).
//! An inventory of an earlier schema is migrated as it opens, with a bar on stderr.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use digicert_inventory::{AnyStore, MigrationProgress, SqliteStore};
use indicatif::ProgressBar;

use crate::output::progress;

/// The inventory, in either store.
pub type Inventory = digicert_inventory::Inventory<AnyStore>;

/// Opens the inventory at `location`; a migration shows how many orders it has done (unless
/// `quiet`, and only when a person watches stderr).
pub fn open(location: &Path, quiet: bool) -> Result<Inventory, digicert_inventory::Error> {
    let bar: Arc<OnceLock<ProgressBar>> = Arc::new(OnceLock::new());
    let progress: MigrationProgress = {
        let bar = Arc::clone(&bar);
        Arc::new(move |done, total| {
            bar.get_or_init(|| progress::bar(quiet, total, "orders migrated"))
                .set_position(done);
        })
    };
    let opened = match location.to_str() {
        Some(location) => Inventory::open_any_with_progress(location, Some(&progress)),
        // A path that is not UTF-8 is no URL: it can only be a file.
        None => SqliteStore::open_with_progress(location, Some(&progress))
            .map(|store| Inventory::with_store(AnyStore::Sqlite(store))),
    };
    if let Some(bar) = bar.get() {
        bar.finish_and_clear();
    }
    opened
}

/// Whether `location` names a database server rather than a file.
pub fn is_url(location: &Path) -> bool {
    location.to_str().is_some_and(AnyStore::is_url)
}
