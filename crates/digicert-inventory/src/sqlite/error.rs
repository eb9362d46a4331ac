//! SQLite's failures as inventory errors, each naming the file: a damaged file and one that
//! cannot be reached told apart from a failed statement.

use std::path::Path;

use rusqlite::ErrorCode;

use crate::error::Error;

/// A database error, naming the file: [`Error::Corrupt`] for a damaged file,
/// [`Error::Unavailable`] for one that cannot be opened or read (a folder on a network mount
/// gone), else [`Error::Store`] (a full disk among them: `database or disk is full`).
pub(super) fn store_error(path: &Path, err: rusqlite::Error) -> Error {
    let location = path.display().to_string();
    let source = Box::new(err);
    match source.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            Error::Corrupt { location, source }
        }
        Some(ErrorCode::CannotOpen | ErrorCode::SystemIoFailure) => {
            Error::Unavailable { location, source }
        }
        _ => Error::Store { location, source },
    }
}

/// A column that does not hold `what` it should.
pub(super) fn column_error(index: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        index,
        rusqlite::types::Type::Text,
        format!("not {what}").into(),
    )
}

/// Whether the database was busy: another connection held the lock it needed.
pub(super) fn is_busy(err: &Error) -> bool {
    match err {
        Error::Store { source, .. } => source
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            .is_some_and(|code| {
                matches!(code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
            }),
        _ => false,
    }
}
