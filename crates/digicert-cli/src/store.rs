//! Opening the inventory where the settings put it: a PostgreSQL database for a
//! `postgres://` or `postgresql://` URL, else an SQLite file (in a folder that exists: only
//! the default place's folder is created, by the settings).
//! An inventory of an earlier schema is migrated as it opens, with a bar on stderr. A file
//! that cannot be opened at all is bad usage for a command (exit 2), not a failure.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use digicert_inventory::{AnyStore, MigrationProgress, SqliteStore};
use indicatif::ProgressBar;

use crate::error::CliError;
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

/// Opens the inventory a command works on, as [`open`] does; a local file that cannot be
/// opened (a dangling symbolic link, a file of `/proc`, a folder that takes no file) is
/// refused as bad usage (exit 2), with its path and the reason.
pub fn open_named(location: &Path, quiet: bool) -> Result<Inventory, CliError> {
    if is_url(location) {
        return Ok(open(location, quiet)?);
    }
    let refused = |reason: String| {
        CliError::Usage(format!(
            "--db {}: {reason}; name a file digicert can read and write",
            location.display()
        ))
    };
    if let Some(target) = dangling_link(location) {
        return Err(refused(format!(
            "is a symbolic link to {}, which does not exist",
            target.display()
        )));
    }
    open(location, quiet).map_err(|err| match err {
        digicert_inventory::Error::Io { source, .. } => {
            refused(format!("cannot be opened: {}", io_reason(&source)))
        }
        digicert_inventory::Error::Unavailable { source, .. } => {
            refused(format!("cannot be opened as an SQLite file: {source}"))
        }
        err => err.into(),
    })
}

/// Where `file` points, when it is a symbolic link to nothing.
fn dangling_link(file: &Path) -> Option<std::path::PathBuf> {
    let is_link = std::fs::symlink_metadata(file).is_ok_and(|meta| meta.file_type().is_symlink());
    (is_link && !file.exists()).then(|| std::fs::read_link(file).ok())?
}

/// What the system said, in words (without `(os error N)`).
fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::ReadOnlyFilesystem => "a read-only file system".to_owned(),
        _ => err.to_string(),
    }
}

/// Whether `location` names a database server rather than a file.
pub fn is_url(location: &Path) -> bool {
    location.to_str().is_some_and(AnyStore::is_url)
}
