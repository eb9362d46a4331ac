//! How PostgreSQL binds what the shared queries bind and reads their rows: dates and
//! instants as its own types, ids as `BIGINT`.

use chrono::{DateTime, NaiveDate, Utc};
use postgres::types::ToSql;

use super::error::{store_error, unsigned};
use crate::error::Error;
use crate::sql::{self, Value};

/// A value as the client binds it.
pub(super) fn as_sql(value: &Value) -> &(dyn ToSql + Sync) {
    match value {
        Value::Text(text) => text,
        Value::Texts(texts) => texts,
        Value::Id(id) => id,
        Value::Date(date) => date,
        Value::MaybeText(text) => text,
        Value::MaybeInt(number) => number,
        Value::MaybeFlag(flag) => flag,
        Value::MaybeFloat(number) => number,
        Value::MaybeInstant(at) => at,
        Value::Bytes(bytes) => bytes,
    }
}

/// A row of PostgreSQL's, read as the shared queries' columns.
pub(super) struct PgRow<'r> {
    /// The row.
    pub(super) row: &'r postgres::Row,
    /// The database, for errors.
    pub(super) location: &'r str,
}

impl PgRow<'_> {
    fn get<'a, T: postgres::types::FromSql<'a>>(&'a self, index: usize) -> Result<T, Error> {
        self.row
            .try_get(index)
            .map_err(|err| store_error(self.location, err))
    }
}

impl sql::Row for PgRow<'_> {
    fn text(&self, index: usize) -> Result<Option<String>, Error> {
        self.get(index)
    }

    fn id(&self, index: usize) -> Result<Option<u64>, Error> {
        self.get::<Option<i64>>(index)?
            .map(|value| unsigned(value, self.location))
            .transpose()
    }

    fn count(&self, index: usize) -> Result<u64, Error> {
        unsigned(self.get(index)?, self.location)
    }

    fn date(&self, index: usize) -> Result<Option<NaiveDate>, Error> {
        self.get(index)
    }

    fn instant(&self, index: usize) -> Result<Option<DateTime<Utc>>, Error> {
        self.get(index)
    }

    fn float(&self, index: usize) -> Result<Option<f64>, Error> {
        self.get(index)
    }

    fn flag(&self, index: usize) -> Result<Option<bool>, Error> {
        self.get(index)
    }

    fn bytes(&self, index: usize) -> Result<Option<Vec<u8>>, Error> {
        self.get(index)
    }

    fn invalid(&self, index: usize, what: &str) -> Error {
        store_error(self.location, format!("column {index} is not {what}"))
    }
}
