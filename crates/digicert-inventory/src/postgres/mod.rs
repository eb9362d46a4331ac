//! A shared store: the inventory in a PostgreSQL database, for a team whose hosts should all
//! give the same answers while only one of them syncs each account.
//!
//! Everything specific to PostgreSQL stays in this module: the URL and password
//! (`url.rs`), the schema (`schema.rs`), and the queries here. The sync lock is a
//! session-level advisory lock on the store's connection: another host's `lock_sync` fails
//! at once while it is held, and it ends with the connection, however the holder ends.

mod schema;
mod url;

use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, NaiveDate, Utc};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Row};
use serde_json::value::RawValue;

use crate::error::Error;
use crate::find::Find;
use crate::order::{HistoryEntry, StoredOrder, days_left};
use crate::store::{
    Applied, Batch, Digest, Fingerprint, Known, Listing, OrderJson, OrderRecord, StatusCount,
    Store, SyncState,
};
use crate::unchanged::{Stored, StoredRange, range_limit, unchanged_orders, unchanged_runs};

pub use schema::LATEST as POSTGRES_SCHEMA_VERSION;
use url::redact;

/// The columns a query of `orders` reads, in [`stored_order`]'s order; the last two are the
/// JSON. When the order was last seen is looked up in its own table by the order's key.
const COLUMNS: &str = "account, order_id, status, common_name, dns_names, valid_from, valid_till, \
     product_name_id, thumbprint, serial_number, organization, certificate_id, \
     (SELECT last_seen FROM order_seen AS seen \
     WHERE seen.account = orders.account AND seen.order_id = orders.order_id)";

/// Rows a listing holds in flight between the connection's thread and the caller.
const LISTING_BUFFER: usize = 256;

/// The advisory lock key of an account's sync (`$1`): the same on every host for one schema
/// and account.
const SYNC_LOCK_KEY: &str =
    "hashtextextended('digicert-inventory sync ' || current_schema() || ' ' || $1::text, 0)";

/// One piece of work for the connection's thread.
type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// An inventory in a PostgreSQL database (the schema the connection's `search_path` names
/// first, `public` by default).
///
/// # Why a thread of its own
///
/// The `postgres` client is a blocking face over `tokio-postgres`: it runs a tokio runtime of
/// its own and panics when called from inside another runtime, and the async sync
/// ([`crate::Inventory::sync`]) and `digicert serve` call the store from inside tokio. So the
/// store owns a thread that owns the connection: each method sends it a job and waits for
/// the answer, and a listing streams its rows back through a bounded channel. Dropping the
/// store ends the thread and closes the connection (and with it the sync lock). So a
/// listing's callback must not call the same store again (it would wait for the thread that
/// is waiting for it): collect first, or use a second handle, as `digicert serve` does.
pub struct PostgresStore {
    location: String,
    /// The URL as given, password and all: a sync's writer opens a connection of its own.
    /// Never printed (`location` is what messages show).
    url: String,
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// The accounts whose sync lock this handle holds.
    locked: HashSet<String>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("location", &self.location)
            .field("locked", &self.locked)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/dbname?sslmode=...`),
    /// and checks and brings up to date its schema, creating the inventory's tables in an
    /// empty one.
    ///
    /// The password comes from the URL, `PGPASSWORD` or the password file (`PGPASSFILE`, else
    /// `~/.pgpass`, ignored if others may read it). `sslmode` is `disable`, `prefer` (the
    /// default) or `require`; with TLS the server's certificate is always verified, against
    /// the system's roots, the Mozilla roots and those of a `sslrootcert=FILE` parameter.
    ///
    /// A schema holding other tables and no inventory marker, or an inventory of a newer
    /// schema, is refused ([`Error::NotAnInventory`], [`Error::NewerSchema`]) and left
    /// unchanged. Messages name the database without its password.
    pub fn open(url: &str) -> Result<Self, Error> {
        let location = redact(url);
        let target = url::target(url, &location)?;
        let sslmode = url::tls_mode(&target.config);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::sync_channel(1);
        let thread_location = location.clone();
        let thread = std::thread::Builder::new()
            .name("inventory-postgres".to_owned())
            .spawn(move || {
                let mut client = match target.config.connect(target.tls) {
                    Ok(client) => client,
                    Err(err) => {
                        let _ = ready.send(Err(url::store_error(&thread_location, err)));
                        return;
                    }
                };
                let prepared = schema::prepare(&mut client, &thread_location);
                let failed = prepared.is_err();
                let _ = ready.send(prepared);
                if failed {
                    return;
                }
                for job in inbox {
                    job(&mut client);
                }
                let _ = client.close();
            })
            .map_err(|source| Error::Io {
                path: location.clone().into(),
                source,
            })?;
        let store = Self {
            location: location.clone(),
            url: url.to_owned(),
            jobs: Some(jobs),
            thread: Some(thread),
            locked: HashSet::new(),
        };
        match connected.recv() {
            Ok(Ok(())) => {
                tracing::debug!(database = %location, sslmode, "inventory opened");
                Ok(store)
            }
            Ok(Err(err)) => Err(err),
            Err(_) => Err(store.gone()),
        }
    }

    /// The error for a connection thread that is no more.
    fn gone(&self) -> Error {
        url::store_error(&self.location, "the database connection's thread has ended")
    }

    /// Runs `job` on the connection and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Client, &str) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = mpsc::sync_channel(1);
        let location = self.location.clone();
        let jobs = self.jobs.as_ref().ok_or_else(|| self.gone())?;
        jobs.send(Box::new(move |client| {
            let _ = reply.send(job(client, &location));
        }))
        .map_err(|_| self.gone())?;
        answer.recv().map_err(|_| self.gone())?
    }

    /// Runs a query of stored orders on the connection, handing each to `each` here as the
    /// rows arrive.
    fn orders(
        &self,
        sql: String,
        values: Vec<Value>,
        today: NaiveDate,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (rows, arrive) = mpsc::sync_channel::<Result<StoredOrder, Error>>(LISTING_BUFFER);
        let location = self.location.clone();
        let jobs = self.jobs.as_ref().ok_or_else(|| self.gone())?;
        jobs.send(Box::new(move |client| {
            let db = |err| url::store_error(&location, err);
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
            let mut iter = match client.query_raw(sql.as_str(), params) {
                Ok(iter) => iter,
                Err(err) => {
                    let _ = rows.send(Err(db(err)));
                    return;
                }
            };
            loop {
                let item = match iter.next() {
                    Ok(Some(row)) => stored_order(&row, today, &location),
                    Ok(None) => break,
                    Err(err) => Err(db(err)),
                };
                let failed = item.is_err();
                // The caller stopped reading (its `each` failed): stop too.
                if rows.send(item).is_err() || failed {
                    break;
                }
            }
        }))
        .map_err(|_| self.gone())?;
        for order in arrive {
            each(order?)?;
        }
        Ok(())
    }

    fn collect(
        &self,
        sql: String,
        values: Vec<Value>,
        today: NaiveDate,
    ) -> Result<Vec<StoredOrder>, Error> {
        let mut found = Vec::new();
        self.orders(sql, values, today, &mut |order| {
            found.push(order);
            Ok(())
        })?;
        Ok(found)
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        // Ending the job channel ends the thread, which closes the connection.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A query parameter, owned, so that it can travel to the connection's thread.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Texts(Vec<String>),
    Id(i64),
    Date(Option<NaiveDate>),
}

impl Value {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Text(text) => text,
            Self::Texts(texts) => texts,
            Self::Id(id) => id,
            Self::Date(date) => date,
        }
    }
}

/// An order id as PostgreSQL's `BIGINT`.
fn id(order_id: u64, location: &str) -> Result<i64, Error> {
    i64::try_from(order_id)
        .map_err(|_| url::store_error(location, format!("order id {order_id} is out of range")))
}

/// A stored `BIGINT` as an id.
fn unsigned(value: i64, location: &str) -> Result<u64, Error> {
    u64::try_from(value)
        .map_err(|_| url::store_error(location, format!("stored id {value} is negative")))
}

fn json_column(row: &Row, index: usize, location: &str) -> Result<Option<Box<RawValue>>, Error> {
    let text: Option<String> = row
        .try_get(index)
        .map_err(|err| url::store_error(location, err))?;
    text.map(|text| {
        RawValue::from_string(text)
            .map_err(|err| url::store_error(location, format!("stored JSON: {err}")))
    })
    .transpose()
}

/// One row of [`COLUMNS`] (and the two JSON columns) as a stored order.
fn stored_order(row: &Row, today: NaiveDate, location: &str) -> Result<StoredOrder, Error> {
    let db = |err| url::store_error(location, err);
    let dns_names: String = row.try_get(4).map_err(db)?;
    let valid_till: Option<NaiveDate> = row.try_get(6).map_err(db)?;
    let certificate_id: Option<i64> = row.try_get(11).map_err(db)?;
    Ok(StoredOrder {
        account: row.try_get(0).map_err(db)?,
        order_id: unsigned(row.try_get(1).map_err(db)?, location)?,
        status: row.try_get(2).map_err(db)?,
        common_name: row.try_get(3).map_err(db)?,
        dns_names: serde_json::from_str(&dns_names)
            .map_err(|err| url::store_error(location, format!("stored name list: {err}")))?,
        valid_from: row.try_get(5).map_err(db)?,
        valid_till,
        days_left: days_left(valid_till, today),
        product_name_id: row.try_get(7).map_err(db)?,
        thumbprint: row.try_get(8).map_err(db)?,
        serial_number: row.try_get(9).map_err(db)?,
        organization: row.try_get(10).map_err(db)?,
        certificate_id: certificate_id
            .map(|value| unsigned(value, location))
            .transpose()?,
        last_seen: row.try_get(12).map_err(db)?,
        report: json_column(row, 13, location)?,
        info: json_column(row, 14, location)?,
    })
}

/// The JSON columns, whole or not.
fn json_columns(whole: bool) -> &'static str {
    if whole {
        "report_json, info_json"
    } else {
        "NULL::text, NULL::text"
    }
}

/// ` AND account = ANY($n)` for a non-empty list of accounts; nothing for every account.
fn accounts_filter(values: &mut Vec<Value>, accounts: &[String]) -> String {
    if accounts.is_empty() {
        return String::new();
    }
    values.push(Value::Texts(accounts.to_vec()));
    format!(" AND account = ANY(${})", values.len())
}

/// A sync state from `account, watermark, last_success, last_duration_seconds`.
fn sync_state_row(row: &Row, location: &str) -> Result<(String, SyncState), Error> {
    let db = |err| url::store_error(location, err);
    Ok((
        row.try_get(0).map_err(db)?,
        SyncState {
            watermark: row.try_get(1).map_err(db)?,
            last_success: row.try_get(2).map_err(db)?,
            last_duration_seconds: row.try_get(3).map_err(db)?,
        },
    ))
}

impl Store for PostgresStore {
    /// No: the server writes while the sync decodes the next pages, and the sync's end then
    /// waits for one page, not eight (a re-pull of 100,000 orders: 2.4 s against 2.5 s).
    fn gathers_batches(&self) -> bool {
        false
    }

    /// A second connection: a full sync's batches are written on it while this one's caller
    /// fetches the next pages (measured faster since schema version 3; see BENCHMARKS.md).
    fn writer(&self) -> Result<Option<Box<dyn Store + Send>>, Error> {
        Ok(Some(Box::new(Self::open(&self.url)?)))
    }

    fn location(&self) -> String {
        self.location.clone()
    }

    fn lock_sync(&mut self, account: &str) -> Result<(), Error> {
        if self.locked.contains(account) {
            return Ok(());
        }
        let name = account.to_owned();
        let taken = self.call(move |client, location| {
            client
                .query_one(
                    &format!("SELECT pg_try_advisory_lock({SYNC_LOCK_KEY})"),
                    &[&name],
                )
                .and_then(|row| row.try_get::<_, bool>(0))
                .map_err(|err| url::store_error(location, err))
        })?;
        if !taken {
            return Err(Error::SyncRunning {
                location: self.location(),
                account: account.to_owned(),
            });
        }
        self.locked.insert(account.to_owned());
        Ok(())
    }

    fn unlock_sync(&mut self, account: &str) {
        if !self.locked.remove(account) {
            return;
        }
        let name = account.to_owned();
        let unlocked = self.call(move |client, location| {
            client
                .execute(
                    &format!("SELECT pg_advisory_unlock({SYNC_LOCK_KEY})"),
                    &[&name],
                )
                .map_err(|err| url::store_error(location, err))
        });
        if let Err(err) = unlocked {
            tracing::warn!(
                error = %err,
                "the sync lock could not be given back; it ends with the connection"
            );
        }
    }

    fn sync_state(&self, account: &str) -> Result<SyncState, Error> {
        let account = account.to_owned();
        self.call(move |client, location| {
            let row = client
                .query_opt(
                    "SELECT account, watermark, last_success, last_duration_seconds \
                     FROM sync_state WHERE account = $1",
                    &[&account],
                )
                .map_err(|err| url::store_error(location, err))?;
            match row {
                Some(row) => Ok(sync_state_row(&row, location)?.1),
                None => Ok(SyncState::default()),
            }
        })
    }

    fn sync_states(&self) -> Result<Vec<(String, SyncState)>, Error> {
        self.call(|client, location| {
            client
                .query(
                    "SELECT account, watermark, last_success, last_duration_seconds \
                     FROM sync_state ORDER BY account",
                    &[],
                )
                .map_err(|err| url::store_error(location, err))?
                .iter()
                .map(|row| sync_state_row(row, location))
                .collect()
        })
    }

    fn order_count(&self, accounts: &[String]) -> Result<u64, Error> {
        let mut values = Vec::new();
        let sql = format!(
            "SELECT COUNT(*) FROM orders WHERE TRUE{}",
            accounts_filter(&mut values, accounts)
        );
        self.call(move |client, location| {
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
            let count: i64 = client
                .query_one(sql.as_str(), &params)
                .and_then(|row| row.try_get(0))
                .map_err(|err| url::store_error(location, err))?;
            unsigned(count, location)
        })
    }

    fn fingerprints(&self, account: &str) -> Result<Vec<Fingerprint>, Error> {
        let account = account.to_owned();
        self.call(move |client, location| {
            let db = |err| url::store_error(location, err);
            client
                .query(
                    "SELECT order_id, digest FROM order_seen WHERE account = $1 ORDER BY order_id",
                    &[&account],
                )
                .map_err(db)?
                .iter()
                .map(|row| {
                    let digest: Option<&[u8]> = row.try_get(1).map_err(db)?;
                    Ok((
                        unsigned(row.try_get(0).map_err(db)?, location)?,
                        digest.and_then(|digest| digest.try_into().ok()),
                    ))
                })
                .collect()
        })
    }

    fn known(&self, account: &str, order_ids: &[u64]) -> Result<HashMap<u64, Known>, Error> {
        let ids = order_ids
            .iter()
            .map(|&order_id| id(order_id, &self.location))
            .collect::<Result<Vec<i64>, _>>()?;
        let account = account.to_owned();
        self.call(move |client, location| {
            let db = |err| url::store_error(location, err);
            let rows = client
                .query(
                    "SELECT order_id, status, certificate_id FROM orders \
                     WHERE account = $1 AND order_id = ANY($2)",
                    &[&account, &ids],
                )
                .map_err(db)?;
            let mut known = HashMap::new();
            for row in rows {
                let certificate_id: Option<i64> = row.try_get(2).map_err(db)?;
                known.insert(
                    unsigned(row.try_get(0).map_err(db)?, location)?,
                    Known {
                        status: row.try_get(1).map_err(db)?,
                        certificate_id: certificate_id
                            .map(|value| unsigned(value, location))
                            .transpose()?,
                    },
                );
            }
            Ok(known)
        })
    }

    fn apply(&mut self, batch: Batch) -> Result<Applied, Error> {
        self.call(move |client, location| apply_batch(client, location, &batch))
    }

    fn expiring(
        &self,
        accounts: &[String],
        today: NaiveDate,
        until: NaiveDate,
        include_expired: bool,
    ) -> Result<Vec<StoredOrder>, Error> {
        let mut values = vec![Value::Date(Some(until))];
        let mut sql = format!(
            "SELECT {COLUMNS}, {} FROM orders \
             WHERE status = 'issued' AND valid_till <= $1",
            json_columns(false)
        );
        if !include_expired {
            values.push(Value::Date(Some(today)));
            sql.push_str(&format!(" AND valid_till >= ${}", values.len()));
        }
        sql.push_str(&accounts_filter(&mut values, accounts));
        sql.push_str(" ORDER BY valid_till, order_id, account");
        self.collect(sql, values, today)
    }

    fn find(&self, accounts: &[String], query: &Find) -> Result<Vec<StoredOrder>, Error> {
        let mut parts = Vec::new();
        let mut values = Vec::new();
        for key in query.exact_keys() {
            values.push(Value::Text(key));
            parts.push(format!(
                "SELECT account, order_id FROM order_names WHERE name_key = ${}",
                values.len()
            ));
        }
        if let Some(prefix) = query.pattern_prefix() {
            // Every key that starts with the prefix: from it up to the prefix with its final
            // `.` raised to `/`, the next character (byte order: the column is `C`).
            let end = format!("{}/", &prefix[..prefix.len() - 1]);
            values.push(Value::Text(prefix));
            values.push(Value::Text(end));
            parts.push(format!(
                "SELECT account, order_id FROM order_names \
                 WHERE name_key >= ${} AND name_key < ${}",
                values.len() - 1,
                values.len()
            ));
        }
        if let Some(hex) = query.hex() {
            values.push(Value::Text(hex.to_owned()));
            let at = values.len();
            parts.push(format!(
                "SELECT account, order_id FROM orders WHERE thumbprint = ${at}"
            ));
            parts.push(format!(
                "SELECT account, order_id FROM orders WHERE serial_number = ${at}"
            ));
        }
        if let Some(order_id) = query.order_id() {
            // An id past BIGINT cannot be stored, so cannot be found.
            if let Ok(order_id) = i64::try_from(order_id) {
                values.push(Value::Id(order_id));
                parts.push(format!(
                    "SELECT account, order_id FROM orders WHERE order_id = ${}",
                    values.len()
                ));
            }
        }
        if parts.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = format!(
            "SELECT {COLUMNS}, {} FROM orders WHERE (account, order_id) IN ({})",
            json_columns(false),
            parts.join(" UNION ")
        );
        sql.push_str(&accounts_filter(&mut values, accounts));
        sql.push_str(" ORDER BY order_id DESC, account");
        self.collect(sql, values, Utc::now().date_naive())
    }

    fn history(&self, accounts: &[String], order_id: u64) -> Result<Vec<HistoryEntry>, Error> {
        let mut values = vec![Value::Id(id(order_id, &self.location)?)];
        let sql = format!(
            "SELECT account, status, certificate_id, seen_at FROM status_history \
             WHERE order_id = $1{} ORDER BY account, seen_at, id",
            accounts_filter(&mut values, accounts)
        );
        self.call(move |client, location| {
            let db = |err| url::store_error(location, err);
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
            let rows = client.query(sql.as_str(), &params).map_err(db)?;
            rows.iter()
                .map(|row| {
                    let certificate_id: Option<i64> = row.try_get(2).map_err(db)?;
                    Ok(HistoryEntry {
                        account: row.try_get(0).map_err(db)?,
                        order_id,
                        status: row.try_get(1).map_err(db)?,
                        certificate_id: certificate_id
                            .map(|value| unsigned(value, location))
                            .transpose()?,
                        seen_at: row.try_get(3).map_err(db)?,
                    })
                })
                .collect()
        })
    }

    fn list(
        &self,
        accounts: &[String],
        listing: Listing,
        each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut values = Vec::new();
        let mut sql = format!(
            "SELECT {COLUMNS}, {} FROM orders WHERE TRUE",
            json_columns(listing.whole)
        );
        if listing.issued_only {
            sql.push_str(" AND status = 'issued'");
        }
        sql.push_str(&accounts_filter(&mut values, accounts));
        sql.push_str(" ORDER BY account, order_id");
        self.orders(sql, values, Utc::now().date_naive(), each)
    }

    fn status_counts(&self, accounts: &[String]) -> Result<Vec<StatusCount>, Error> {
        let mut values = Vec::new();
        let sql = format!(
            "SELECT account, status, COUNT(*) FROM orders WHERE TRUE{} \
             GROUP BY account, status ORDER BY account, status",
            accounts_filter(&mut values, accounts)
        );
        self.call(move |client, location| {
            let db = |err| url::store_error(location, err);
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(Value::as_sql).collect();
            client
                .query(sql.as_str(), &params)
                .map_err(db)?
                .iter()
                .map(|row| {
                    let count: i64 = row.try_get(2).map_err(db)?;
                    Ok(StatusCount {
                        account: row.try_get(0).map_err(db)?,
                        status: row.try_get(1).map_err(db)?,
                        count: unsigned(count, location)?,
                    })
                })
                .collect()
        })
    }
}

/// The insert of a batch's orders: one statement for all of them, from arrays.
const INSERT: &str = "
INSERT INTO orders (order_id, status, common_name, dns_names, valid_from, valid_till,
    product_name_id, thumbprint, serial_number, organization, certificate_id, report_json,
    info_json, account)
SELECT t.*, $14::text FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[],
    $5::date[], $6::date[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[],
    $12::text[], $13::text[]) AS t";

/// What [`INSERT`] does to an order already stored, when the batch holds one: the insert
/// alone costs less per order (no check for a conflict first), which a first sync's every
/// batch gets.
const ON_CONFLICT: &str = "
ON CONFLICT (account, order_id) DO UPDATE SET status = EXCLUDED.status,
    common_name = EXCLUDED.common_name, dns_names = EXCLUDED.dns_names,
    valid_from = EXCLUDED.valid_from, valid_till = EXCLUDED.valid_till,
    product_name_id = EXCLUDED.product_name_id, thumbprint = EXCLUDED.thumbprint,
    serial_number = EXCLUDED.serial_number, organization = EXCLUDED.organization,
    certificate_id = EXCLUDED.certificate_id,
    report_json = COALESCE(EXCLUDED.report_json, orders.report_json),
    info_json = COALESCE(EXCLUDED.info_json, orders.info_json)";

/// Applies one batch in one transaction: what was stored, then the orders, the history and
/// the names each in one statement, and the sync's end.
fn apply_batch(client: &mut Client, location: &str, batch: &Batch) -> Result<Applied, Error> {
    let db = |err| url::store_error(location, err);
    let account = &batch.account;
    let mut transaction = client.transaction().map_err(db)?;
    let ids = batch
        .orders
        .iter()
        .map(|order| id(order.order_id, location))
        .collect::<Result<Vec<i64>, _>>()?;
    let digests: Vec<Digest> = batch
        .orders
        .iter()
        .map(|order| order.json.digest())
        .collect();
    let seen_at: DateTime<Utc> = batch.seen_at;
    // What is stored for the batch's range of order ids, read at once; the orders sent again
    // exactly as stored (a re-pull of an order that did not change) are marked seen by runs
    // of consecutive order ids, their JSON neither sent nor rewritten.
    let stored = stored_digests(&mut transaction, account, &ids, location)?;
    let identical = unchanged_orders(
        batch
            .orders
            .iter()
            .map(|order| order.order_id)
            .zip(&digests),
        &stored.rows,
    );
    let runs = unchanged_runs(&stored, &identical);
    if !runs.is_empty() || !batch.seen_again.runs.is_empty() {
        let mut firsts = Vec::with_capacity(runs.len() + batch.seen_again.runs.len());
        let mut lasts = Vec::with_capacity(firsts.capacity());
        for &(first, last) in runs.iter().chain(&batch.seen_again.runs) {
            firsts.push(id(first, location)?);
            lasts.push(id(last, location)?);
        }
        transaction
            .execute(
                "UPDATE order_seen SET last_seen = $2 \
                 FROM UNNEST($3::bigint[], $4::bigint[]) AS run(first, last) \
                 WHERE account = $1 AND order_id BETWEEN run.first AND run.last",
                &[account, &seen_at, &firsts, &lasts],
            )
            .map_err(db)?;
    }
    let stored: HashSet<u64> = stored
        .rows
        .into_iter()
        .map(|(order_id, _)| order_id)
        .collect();
    // What is stored: for the identical orders, what they carry; for the other stored ones,
    // read.
    let mut current: HashMap<i64, (String, Option<i64>)> = HashMap::new();
    let mut others: Vec<i64> = Vec::new();
    for (order, &order_id) in batch.orders.iter().zip(&ids) {
        if identical.contains(&order.order_id) {
            let certificate_id = order
                .certificate_id
                .map(|value| id(value, location))
                .transpose()?;
            current.insert(order_id, (order.status.clone(), certificate_id));
        } else if stored.contains(&order.order_id) {
            others.push(order_id);
        }
    }
    if !others.is_empty() {
        for row in transaction
            .query(
                "SELECT order_id, status, certificate_id FROM orders \
                 WHERE account = $1 AND order_id = ANY($2)",
                &[account, &others],
            )
            .map_err(db)?
        {
            current.insert(
                row.try_get(0).map_err(db)?,
                (row.try_get(1).map_err(db)?, row.try_get(2).map_err(db)?),
            );
        }
    }
    let mut stored_before: Vec<i64> = current.keys().copied().collect();
    // Sent again exactly as stored (a re-pull of an order that did not change): only when it
    // was seen moves; its row, indexes and names are not rewritten.
    let mut seen_again: HashSet<i64> = HashSet::new();
    // Counted in the batch's order, as one upsert after another would count them; an order
    // twice in a batch is stored once, as its last copy.
    let mut applied = Applied {
        unchanged: batch.seen_again.orders,
        ..Applied::default()
    };
    let mut history = History::default();
    let mut last: HashMap<i64, usize> = HashMap::new();
    for (index, (order, &order_id)) in batch.orders.iter().zip(&ids).enumerate() {
        let certificate_id = order
            .certificate_id
            .map(|value| id(value, location))
            .transpose()?;
        let now = (order.status.clone(), certificate_id);
        let same = match current.insert(order_id, now.clone()) {
            None => {
                applied.added += 1;
                false
            }
            Some(before) if before == now => {
                applied.unchanged += 1;
                if identical.contains(&order.order_id) {
                    seen_again.insert(order_id);
                }
                true
            }
            Some(_) => {
                applied.changed += 1;
                false
            }
        };
        if !same {
            history.order_ids.push(order_id);
            history.statuses.push(now.0);
            history.certificate_ids.push(now.1);
        }
        last.insert(order_id, index);
    }
    let mut orders = Columns::default();
    let mut names = Names::default();
    stored_before.retain(|order_id| !seen_again.contains(order_id));
    for (index, (order, &order_id)) in batch.orders.iter().zip(&ids).enumerate() {
        if last.get(&order_id) != Some(&index) || seen_again.contains(&order_id) {
            continue;
        }
        orders.push(order, order_id, location)?;
        for name in order.name_keys() {
            names.keys.push(name);
            names.order_ids.push(order_id);
        }
    }
    if orders.order_ids.is_empty() {
        // Every order was seen again as stored.
        return finish_batch(transaction, batch, location).map(|()| applied);
    }
    // The orders written, each once, as its last copy.
    let (seen_ids, seen_digests): (Vec<i64>, Vec<&[u8]>) = ids
        .iter()
        .zip(&digests)
        .enumerate()
        .filter(|(index, (order_id, _))| {
            last.get(order_id) == Some(index) && !seen_again.contains(order_id)
        })
        .map(|(_, (&order_id, digest))| (order_id, &digest[..]))
        .unzip();
    // Orders not stored before (every one, in a first sync) are inserted without the check
    // for a conflict an upsert makes first: every stored order has its `order_seen` row, so
    // the range read found them all.
    let all_new = stored_before.is_empty();
    let on_conflict = |update: &str| {
        if all_new {
            String::new()
        } else {
            update.to_owned()
        }
    };
    transaction
        .execute(
            &format!(
                "INSERT INTO order_seen (account, order_id, last_seen, digest) \
                 SELECT $1::text, t.order_id, $2::timestamptz, t.digest \
                 FROM UNNEST($3::bigint[], $4::bytea[]) AS t(order_id, digest) {}",
                on_conflict(
                    "ON CONFLICT (account, order_id) DO UPDATE SET \
                     last_seen = EXCLUDED.last_seen, digest = EXCLUDED.digest"
                )
            ),
            &[account, &seen_at, &seen_ids, &seen_digests],
        )
        .map_err(db)?;
    transaction
        .execute(
            &format!("{INSERT}{}", on_conflict(ON_CONFLICT)),
            &[
                &orders.order_ids,
                &orders.statuses,
                &orders.common_names,
                &orders.dns_names,
                &orders.valid_from,
                &orders.valid_till,
                &orders.product_name_ids,
                &orders.thumbprints,
                &orders.serial_numbers,
                &orders.organizations,
                &orders.certificate_ids,
                &orders.reports,
                &orders.infos,
                account,
            ],
        )
        .map_err(db)?;
    if !history.order_ids.is_empty() {
        transaction
            .execute(
                "INSERT INTO status_history (order_id, status, certificate_id, seen_at, account) \
                 SELECT t.*, $4::timestamptz, $5::text \
                 FROM UNNEST($1::bigint[], $2::text[], $3::bigint[]) AS t",
                &[
                    &history.order_ids,
                    &history.statuses,
                    &history.certificate_ids,
                    &seen_at,
                    account,
                ],
            )
            .map_err(db)?;
    }
    if !stored_before.is_empty() {
        transaction
            .execute(
                "DELETE FROM order_names WHERE account = $1 AND order_id = ANY($2)",
                &[account, &stored_before],
            )
            .map_err(db)?;
    }
    if !names.keys.is_empty() {
        transaction
            .execute(
                &format!(
                    "INSERT INTO order_names (name_key, order_id, account) \
                     SELECT t.*, $3::text FROM UNNEST($1::text[], $2::bigint[]) AS t {}",
                    on_conflict("ON CONFLICT DO NOTHING")
                ),
                &[&names.keys, &names.order_ids, account],
            )
            .map_err(db)?;
    }
    finish_batch(transaction, batch, location)?;
    Ok(applied)
}

/// The fingerprints stored for the account's orders from the lowest of `ids` to the highest
/// (sorted by id), in one range read; only those of `ids` when that range holds many more
/// ([`crate::unchanged`]).
fn stored_digests(
    transaction: &mut postgres::Transaction<'_>,
    account: &str,
    ids: &[i64],
    location: &str,
) -> Result<StoredRange, Error> {
    let db = |err| url::store_error(location, err);
    let (Some(first), Some(last)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(StoredRange {
            rows: Vec::new(),
            whole: true,
        });
    };
    let limit = range_limit(ids.len());
    let beyond = i64::try_from(limit + 1).unwrap_or(i64::MAX);
    let rows = transaction
        .query(
            "SELECT order_id, digest FROM order_seen \
             WHERE account = $1 AND order_id BETWEEN $2 AND $3 ORDER BY order_id LIMIT $4",
            &[&account, first, last, &beyond],
        )
        .map_err(db)?;
    let (rows, whole) = if rows.len() <= limit {
        (rows, true)
    } else {
        let rows = transaction
            .query(
                "SELECT order_id, digest FROM order_seen \
                 WHERE account = $1 AND order_id = ANY($2) ORDER BY order_id",
                &[&account, &ids],
            )
            .map_err(db)?;
        (rows, false)
    };
    let rows = rows
        .iter()
        .map(|row| {
            let order_id = unsigned(row.try_get(0).map_err(db)?, location)?;
            Ok((order_id, row.try_get(1).map_err(db)?))
        })
        .collect::<Result<Vec<Stored>, Error>>()?;
    Ok(StoredRange { rows, whole })
}

/// A batch's last statements: the sync's end if the batch carries it, and the commit.
fn finish_batch(
    mut transaction: postgres::Transaction<'_>,
    batch: &Batch,
    location: &str,
) -> Result<(), Error> {
    let db = |err| url::store_error(location, err);
    if let Some(finish) = &batch.finish {
        transaction
            .execute(
                "INSERT INTO sync_state (account, watermark, last_success, \
                 last_duration_seconds, last_full) \
                 VALUES ($5, $1, $2, $3, CASE WHEN $4 THEN $2::timestamptz END) \
                 ON CONFLICT (account) DO UPDATE SET watermark = EXCLUDED.watermark, \
                 last_success = EXCLUDED.last_success, \
                 last_duration_seconds = EXCLUDED.last_duration_seconds, \
                 last_full = COALESCE(EXCLUDED.last_full, sync_state.last_full)",
                &[
                    &finish.watermark,
                    &batch.seen_at,
                    &finish.duration_seconds,
                    &finish.full,
                    &batch.account,
                ],
            )
            .map_err(db)?;
    }
    transaction.commit().map_err(db)
}

/// The history rows of a batch, as columns.
#[derive(Default)]
struct History {
    order_ids: Vec<i64>,
    statuses: Vec<String>,
    certificate_ids: Vec<Option<i64>>,
}

/// The name rows of a batch, as columns.
#[derive(Default)]
struct Names {
    keys: Vec<String>,
    order_ids: Vec<i64>,
}

/// A batch's orders, as columns (arrays for `UNNEST`).
#[derive(Default)]
struct Columns<'a> {
    order_ids: Vec<i64>,
    statuses: Vec<&'a str>,
    common_names: Vec<Option<&'a str>>,
    dns_names: Vec<String>,
    valid_from: Vec<Option<NaiveDate>>,
    valid_till: Vec<Option<NaiveDate>>,
    product_name_ids: Vec<Option<&'a str>>,
    thumbprints: Vec<Option<&'a str>>,
    serial_numbers: Vec<Option<&'a str>>,
    organizations: Vec<Option<&'a str>>,
    certificate_ids: Vec<Option<i64>>,
    reports: Vec<Option<&'a str>>,
    infos: Vec<Option<&'a str>>,
}

impl<'a> Columns<'a> {
    fn push(&mut self, order: &'a OrderRecord, order_id: i64, location: &str) -> Result<(), Error> {
        self.order_ids.push(order_id);
        self.statuses.push(&order.status);
        self.common_names.push(order.common_name.as_deref());
        self.dns_names
            .push(serde_json::to_string(&order.dns_names).unwrap_or_else(|_| "[]".to_owned()));
        self.valid_from.push(order.valid_from);
        self.valid_till.push(order.valid_till);
        self.product_name_ids.push(order.product_name_id.as_deref());
        self.thumbprints.push(order.thumbprint.as_deref());
        self.serial_numbers.push(order.serial_number.as_deref());
        self.organizations.push(order.organization.as_deref());
        self.certificate_ids.push(
            order
                .certificate_id
                .map(|value| id(value, location))
                .transpose()?,
        );
        let (report, info) = match &order.json {
            OrderJson::Report(json) => (Some(json.as_str()), None),
            OrderJson::Info(json) => (None, Some(json.as_str())),
        };
        self.reports.push(report);
        self.infos.push(info);
        Ok(())
    }
}
