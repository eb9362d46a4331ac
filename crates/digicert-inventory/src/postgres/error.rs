//! PostgreSQL's failures as inventory errors, each naming the database without its
//! password, and the conversions between order ids and PostgreSQL's `BIGINT`.

use crate::error::Error;

/// A failure, naming the database without its password.
pub(crate) fn store_error(
    location: &str,
    err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    let source: Box<dyn std::error::Error + Send + Sync> = err.into();
    // The client's own message is short ("db error", "error connecting to server"): the
    // server's words are in its source.
    let source = match source.downcast_ref::<postgres::Error>() {
        Some(err) => {
            let mut text = err.to_string();
            let mut next = std::error::Error::source(err);
            while let Some(cause) = next {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                next = cause.source();
            }
            text.into()
        }
        None => source,
    };
    Error::Store {
        location: location.to_owned(),
        source,
    }
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
