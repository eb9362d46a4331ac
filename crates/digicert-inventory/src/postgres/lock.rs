//! The sync lock on a shared database, and the fence that keeps a host that lost it from
//! writing.
//!
//! An account's sync lock is a session-level advisory lock, held by the connection that took
//! it and ended with it: when that connection is lost (a network cut, a restart), another
//! host may take the lock while this host's sync still runs, perhaps writing through a
//! second connection (the sync's writer). So every transaction a sync writes first takes the
//! account's write lock for the transaction (writes of two hosts to one account never
//! overlap, whichever holds the sync lock), then checks that the server process the sync
//! lock was taken on still holds it; if not, the transaction writes nothing and the sync
//! stops with [`Error::LockLost`].

use postgres::Transaction;

use super::error::store_error;
use crate::error::Error;

/// The advisory lock key of an account's sync (`$1`): the same on every host for one schema
/// and account.
const SYNC_LOCK_KEY: &str =
    "hashtextextended('digicert-inventory sync ' || current_schema() || ' ' || $1::text, 0)";

/// The advisory lock key a sync's write transaction takes (`$1`: the account).
const WRITE_LOCK_KEY: &str =
    "hashtextextended('digicert-inventory write ' || current_schema() || ' ' || $1::text, 0)";

/// A statement calling an advisory-lock function on the account's (`$1`) sync key.
pub(super) fn sync_lock_statement(function: &str) -> String {
    format!("SELECT {function}({SYNC_LOCK_KEY})")
}

/// Whether server process `$2` holds the sync lock of account `$1`: a 64-bit advisory key
/// shows in `pg_locks` as its high and low halves, with `objsubid` 1.
fn holds_sync_lock() -> String {
    format!(
        "SELECT EXISTS (SELECT 1 FROM pg_locks, (SELECT {SYNC_LOCK_KEY} AS k) AS key \
         WHERE locktype = 'advisory' AND granted AND pid = $2 AND objsubid = 1 \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid = ((key.k >> 32) & 4294967295)::oid \
         AND objid = (key.k & 4294967295)::oid)"
    )
}

/// Fences a sync's write transaction: takes the account's write lock for the transaction,
/// then fails with [`Error::LockLost`] unless server process `holder` still holds the
/// account's sync lock.
pub(super) fn fence(
    transaction: &mut Transaction<'_>,
    account: &str,
    holder: i32,
    location: &str,
) -> Result<(), Error> {
    let db = |err| store_error(location, err);
    transaction
        .execute(
            &format!("SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"),
            &[&account],
        )
        .map_err(db)?;
    let held: bool = transaction
        .query_one(&holds_sync_lock(), &[&account, &holder])
        .and_then(|row| row.try_get(0))
        .map_err(db)?;
    if held {
        Ok(())
    } else {
        Err(Error::LockLost {
            location: location.to_owned(),
            account: account.to_owned(),
        })
    }
}
