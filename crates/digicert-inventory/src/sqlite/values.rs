//! How SQLite holds what the shared queries bind and read: dates and instants as text
//! (`YYYY-MM-DD`, and RFC 3339 in UTC with microseconds), so that text order is time order.

use std::path::Path;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::ToSql;
use rusqlite::types::ToSqlOutput;

use super::error::{column_error, store_error};
use crate::error::Error;
use crate::sql::{self, Row as _, Value};

/// An instant as stored.
pub(super) fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Self::Text(text) => text.to_sql(),
            Self::Id(id) => id.to_sql(),
            Self::Date(date) => Ok(ToSqlOutput::from(date.to_string())),
            Self::MaybeText(text) => text.to_sql(),
            Self::MaybeInt(number) => number.to_sql(),
            Self::MaybeFlag(flag) => flag.to_sql(),
            Self::MaybeFloat(number) => number.to_sql(),
            Self::MaybeInstant(at) => Ok(text_or_null(at.map(instant))),
            Self::Bytes(bytes) => bytes.to_sql(),
            // The shared builder binds each account on its own for SQLite.
            Self::Texts(_) => Err(rusqlite::Error::ToSqlConversionFailure(
                "a list is not an SQLite value".into(),
            )),
        }
    }
}

/// Text, or NULL.
fn text_or_null(text: Option<String>) -> ToSqlOutput<'static> {
    match text {
        Some(text) => ToSqlOutput::from(text),
        None => ToSqlOutput::Owned(rusqlite::types::Value::Null),
    }
}

/// A row of SQLite's, read as the shared queries' columns.
pub(super) struct SqliteRow<'r, 's> {
    /// The row.
    pub(super) row: &'r rusqlite::Row<'s>,
    /// The file, for errors.
    pub(super) path: &'r Path,
}

impl SqliteRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, index: usize) -> Result<T, Error> {
        self.row
            .get(index)
            .map_err(|err| store_error(self.path, err))
    }

    fn parsed<T>(
        &self,
        index: usize,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, Error> {
        self.get::<Option<String>>(index)?
            .map(|text| parse(&text).ok_or_else(|| self.invalid(index, what)))
            .transpose()
    }
}

impl sql::Row for SqliteRow<'_, '_> {
    fn text(&self, index: usize) -> Result<Option<String>, Error> {
        self.get(index)
    }

    fn id(&self, index: usize) -> Result<Option<u64>, Error> {
        self.get(index)
    }

    fn count(&self, index: usize) -> Result<u64, Error> {
        self.get(index)
    }

    fn date(&self, index: usize) -> Result<Option<NaiveDate>, Error> {
        // `FromStr` reads `YYYY-MM-DD` without parsing a format string.
        self.parsed(index, "a date", |text| text.parse().ok())
    }

    fn instant(&self, index: usize) -> Result<Option<DateTime<Utc>>, Error> {
        self.parsed(index, "an instant", parse_instant)
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
        store_error(self.path, column_error(index, what))
    }
}
