//! The SQL both stores share, written once: the columns a query of orders reads and their
//! order (`queries.rs`), how a row becomes what a query returns (`rows.rs`), and a builder
//! that binds values in either store's dialect.
//!
//! Statements are written with PostgreSQL's numbered placeholders (`$1`); SQLite's store
//! runs them with its own (`?1`, the same numbers: [`Dialect::text`]).

mod accounts;
mod deployments;
mod dictionaries;
mod queries;
mod rows;
mod rules;

use std::borrow::Cow;

use chrono::{DateTime, NaiveDate, Utc};

pub(crate) use accounts::*;
pub(crate) use deployments::*;
pub(crate) use dictionaries::*;
pub(crate) use queries::*;
pub(crate) use rows::Row;
pub(crate) use rules::check_rules;

/// Which store a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?N` placeholders, one per account in a list.
    Sqlite,
    /// PostgreSQL: `$N` placeholders, arrays.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

impl Dialect {
    /// A shared statement (written with `$N`) in this dialect.
    pub(crate) fn text(self, sql: &str) -> Cow<'_, str> {
        match self {
            Self::Sqlite => Cow::Owned(sql.replace('$', "?")),
            Self::Postgres => Cow::Borrowed(sql),
        }
    }

    /// `column` compared without its index where SQLite would pick a worse one (`+column`).
    fn unindexed(self, column: &str) -> String {
        match self {
            Self::Sqlite => format!("+{column}"),
            Self::Postgres => column.to_owned(),
        }
    }

    /// The hidden column that orders rows as they were inserted.
    fn insertion_order(self) -> &'static str {
        match self {
            Self::Sqlite => "rowid",
            Self::Postgres => "id",
        }
    }

    /// The type of a stored JSON column (a zstd frame: `codec.rs`).
    fn bytes_type(self) -> &'static str {
        match self {
            Self::Sqlite => "BLOB",
            Self::Postgres => "BYTEA",
        }
    }

    /// The statement that keeps other writers from choosing a dictionary id until the
    /// transaction ends: none for SQLite, whose write transactions run one at a time.
    fn lock_dictionaries(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some("LOCK TABLE json_dictionaries IN SHARE ROW EXCLUSIVE MODE"),
        }
    }

    /// A join that keeps its left side as the outer loop (SQLite's `CROSS JOIN`).
    fn join_in_order(self) -> &'static str {
        match self {
            Self::Sqlite => "CROSS JOIN",
            Self::Postgres => "JOIN",
        }
    }
}

/// A value bound to a statement, owned, so that it can travel to a connection's thread.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Text.
    Text(String),
    /// A list of texts (PostgreSQL's `text[]`).
    Texts(Vec<String>),
    /// An order id (both stores keep 64-bit signed integers).
    Id(i64),
    /// A date (SQLite: `YYYY-MM-DD` text, so text order is date order).
    Date(NaiveDate),
    /// Text, or NULL.
    MaybeText(Option<String>),
    /// An id or a number, or NULL.
    MaybeInt(Option<i64>),
    /// A flag, or NULL.
    MaybeFlag(Option<bool>),
    /// A number with a fraction, or NULL.
    MaybeFloat(Option<f64>),
    /// An instant, or NULL (SQLite: RFC 3339 text in UTC with microseconds).
    MaybeInstant(Option<DateTime<Utc>>),
    /// Bytes.
    Bytes(Vec<u8>),
}

/// A statement with its values, built a clause at a time.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    dialect: Dialect,
    /// The statement, in the dialect's own placeholders.
    pub(crate) sql: String,
    /// The values, in placeholder order.
    pub(crate) values: Vec<Value>,
}

impl Query {
    /// A statement to build on.
    pub(crate) fn new(dialect: Dialect, sql: impl Into<String>) -> Self {
        Self {
            dialect,
            sql: sql.into(),
            values: Vec::new(),
        }
    }

    /// Binds a value; its placeholder.
    pub(crate) fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        match self.dialect {
            Dialect::Sqlite => format!("?{}", self.values.len()),
            Dialect::Postgres => format!("${}", self.values.len()),
        }
    }

    /// Appends SQL.
    pub(crate) fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    /// ` AND <column> IN (...)` for a non-empty list of accounts; nothing for every account.
    pub(crate) fn accounts(&mut self, column: &str, accounts: &[String]) {
        if accounts.is_empty() {
            return;
        }
        let filter = self.one_of(column, accounts);
        self.sql.push_str(&format!(" AND {filter}"));
    }

    /// `<column> IN (...)` for these texts, bound: one placeholder each for SQLite, an
    /// array for PostgreSQL.
    pub(crate) fn one_of(&mut self, column: &str, texts: &[String]) -> String {
        self.list(texts).test(column)
    }

    /// Binds a list of texts, to test columns against ([`List::test`]) once or more.
    pub(crate) fn list(&mut self, texts: &[String]) -> List {
        match self.dialect {
            Dialect::Sqlite => List::Each(
                texts
                    .iter()
                    .map(|text| self.bind(Value::Text(text.clone())))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Dialect::Postgres => List::Array(self.bind(Value::Texts(texts.to_vec()))),
        }
    }
}

/// A bound list of texts.
#[derive(Debug, Clone)]
pub(crate) enum List {
    /// SQLite's placeholders, one per text.
    Each(String),
    /// PostgreSQL's array placeholder.
    Array(String),
}

impl List {
    /// `<column>` is one of the list.
    pub(crate) fn test(&self, column: &str) -> String {
        match self {
            Self::Each(placeholders) => format!("{column} IN ({placeholders})"),
            Self::Array(placeholder) => format!("{column} = ANY({placeholder})"),
        }
    }
}

/// An order id as both stores keep it; `None` past what they can hold (no such order can be
/// stored, so none is found).
pub(crate) fn stored_id(order_id: u64) -> Option<i64> {
    i64::try_from(order_id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_account_lists_in_each_dialect() {
        let accounts = ["eu".to_owned(), "us".to_owned()];
        let mut sqlite = Query::new(Dialect::Sqlite, "SELECT 1 WHERE TRUE");
        sqlite.accounts("account", &accounts);
        assert_eq!(sqlite.sql, "SELECT 1 WHERE TRUE AND account IN (?1, ?2)");
        let mut postgres = Query::new(Dialect::Postgres, "SELECT 1 WHERE TRUE");
        postgres.accounts("account", &accounts);
        assert_eq!(postgres.sql, "SELECT 1 WHERE TRUE AND account = ANY($1)");
        assert_eq!(postgres.values, [Value::Texts(accounts.to_vec())]);
        let mut every = Query::new(Dialect::Sqlite, "x");
        every.accounts("account", &[]);
        assert_eq!(every.sql, "x");
        assert_eq!(
            Dialect::Sqlite.text("a = $1 AND b = $12"),
            "a = ?1 AND b = ?12"
        );
    }
}
