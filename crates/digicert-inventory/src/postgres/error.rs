//! PostgreSQL's failures as inventory errors, each naming the database without its
//! password and telling a lost connection from a failed statement, and the conversions
//! between order ids and PostgreSQL's `BIGINT`.

use crate::error::Error;

/// A failure, naming the database without its password: [`Error::Unavailable`] when the
/// connection could not be made or was lost, [`Error::Corrupt`] when the server found its
/// data damaged, else [`Error::Store`].
pub(crate) fn store_error(
    location: &str,
    err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    let source: Box<dyn std::error::Error + Send + Sync> = err.into();
    let Some(client) = source.downcast_ref::<postgres::Error>() else {
        return Error::Store {
            location: location.to_owned(),
            source,
        };
    };
    // The client's own message is short ("db error", "error connecting to server"): the
    // server's words are in its source.
    let mut text = client.to_string();
    let mut next = std::error::Error::source(client);
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    let location = location.to_owned();
    let source = text.into();
    if connection_lost(client) {
        Error::Unavailable { location, source }
    } else if client
        .code()
        .is_some_and(|code| matches!(code.code(), "XX001" | "XX002"))
    {
        Error::Corrupt { location, source }
    } else {
        Error::Store { location, source }
    }
}

/// The error of a connection that is no more (its thread ended with it).
pub(super) fn connection_gone(location: &str) -> Error {
    Error::Unavailable {
        location: location.to_owned(),
        source: "the database connection has ended".into(),
    }
}

/// Whether the client failed because the connection is closed or could not be made: the
/// connection is gone, the server refused or ended it (SQLSTATE class 08, or 57P01-57P03: an
/// administrator or a crash shut the server down, or it is starting), or talking to it
/// failed (an I/O error that is not a message it could not read or write).
fn connection_lost(err: &postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    if let Some(code) = err.code() {
        let code = code.code();
        return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03");
    }
    let mut next = std::error::Error::source(err);
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return !matches!(
                io.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
            );
        }
        next = cause.source();
    }
    false
}

/// An order or certificate id as PostgreSQL's `BIGINT`.
pub(super) fn id(value: u64, location: &str) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| store_error(location, format!("id {value} is out of range")))
}

/// A stored `BIGINT` as an id.
pub(super) fn unsigned(value: i64, location: &str) -> Result<u64, Error> {
    u64::try_from(value)
        .map_err(|_| store_error(location, format!("stored id {value} is negative")))
}
