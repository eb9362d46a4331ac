//! The inventory's file: created readable by its owner only, switched to WAL so that queries
//! read while a sync writes, and brought to the latest schema.

use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::Path;

use rusqlite::Connection;

use super::error::store_error;
use super::schema;
use crate::error::Error;
use crate::repack::MigrationProgress;

/// The page size of a new inventory: an order's row (its whole JSON, about 2.2 KiB from the
/// report) does not fit twice in SQLite's default 4 KiB page, so each took a page of its own,
/// half of it empty; at 16 KiB seven share one (BENCHMARKS.md).
const PAGE_SIZE: u32 = 16_384;

/// A sync's writer connection: a page cache for the indexes being written (16 MiB at most,
/// taken only as pages are touched; with SQLite's default 2 MiB a full sync kept reading
/// back and spilling index pages), and a checkpoint every 8,192 pages of WAL rather than
/// every 1,000 (each checkpoint copies and syncs the file).
pub(super) const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -16384; \
     PRAGMA wal_autocheckpoint = 8192; PRAGMA temp_store = MEMORY;";

/// Checks the file is an inventory, switches it to WAL and brings its schema up to date,
/// telling `progress` how a migration goes.
pub(super) fn prepare(
    connection: &mut Connection,
    path: &Path,
    fresh: bool,
    progress: Option<&MigrationProgress>,
) -> Result<(), Error> {
    let version = schema::check(connection, path, fresh)?;
    if version == 0 {
        // Only a database without pages takes it (and only before WAL); on any other it
        // does nothing.
        connection
            .pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(|err| store_error(path, err))?;
    }
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|err| store_error(path, err))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "the inventory is not in WAL mode");
    }
    connection
        .pragma_update(None, "synchronous", "NORMAL")
        .map_err(|err| store_error(path, err))?;
    if version < schema::LATEST {
        schema::migrate(connection, path, progress)?;
        if version > 0 {
            give_back_free_pages(connection, path)?;
        }
    }
    Ok(())
}

/// Gives the file's free pages back to the file system when they are more than a quarter of
/// it, as after a migration that rewrote every order: `VACUUM` copies what is used into a
/// new file, in one transaction of its own (killed, it leaves the file as it was, free
/// pages and all, to be reused by later writes).
fn give_back_free_pages(connection: &Connection, path: &Path) -> Result<(), Error> {
    let pages = |pragma: &str| {
        connection
            .pragma_query_value(None, pragma, |row| row.get::<_, i64>(0))
            .map_err(|err| store_error(path, err))
    };
    if pages("freelist_count")? * 4 > pages("page_count")? {
        tracing::info!(path = %path.display(), "giving the inventory's free pages back");
        connection
            .execute_batch("VACUUM")
            .map_err(|err| store_error(path, err))?;
    }
    Ok(())
}

/// Creates the file (mode 0600) if missing; true if the file is empty, as a file just
/// created is. An empty file that was already there is made readable by its owner only, as a
/// new one is: it is about to become an inventory. Its folder is not created: a folder that
/// does not exist (a typo, or a network mount not there yet) is [`Error::Unavailable`].
pub(super) fn create_if_missing(path: &Path) -> Result<bool, Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(Error::Unavailable {
            location: path.display().to_string(),
            source: format!("the folder {} does not exist", parent.display()).into(),
        });
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(true),
        Err(err) if err.kind() == ErrorKind::AlreadyExists => {
            let metadata = fs::metadata(path).map_err(io)?;
            let empty = metadata.len() == 0 && metadata.is_file();
            #[cfg(unix)]
            if empty {
                use std::os::unix::fs::PermissionsExt;
                if metadata.permissions().mode() & 0o077 != 0 {
                    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io)?;
                }
            }
            Ok(empty)
        }
        Err(err) => Err(io(err)),
    }
}
