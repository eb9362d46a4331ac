//! SQLite's failures as inventory errors, each naming the file.

use std::path::Path;

use rusqlite::ErrorCode;

use crate::error::Error;

/// A database error, naming the file.
pub(super) fn store_error(path: &Path, err: rusqlite::Error) -> Error {
    Error::Store {
        location: path.display().to_string(),
        source: Box::new(err),
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
