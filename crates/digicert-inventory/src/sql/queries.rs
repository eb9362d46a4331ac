//! The statements both stores run, each written once, and the queries of the [`Store`]
//! trait over any store that runs them ([`Runner`]).
//!
//! [`Store`]: crate::Store

use chrono::{NaiveDate, Utc};

use super::rows::{self, Row};
use super::{Dialect, Query, Value, stored_id};
use crate::codec::Unpacker;
use crate::error::Error;
use crate::find::Find;
use crate::order::{HistoryEntry, StoredOrder};
use crate::store::{Listing, StatusCount, SyncState};

/// A store that runs the shared statements: its dialect, and how it runs one.
pub(crate) trait Runner: crate::store::Store {
    /// The store's dialect.
    const DIALECT: Dialect;

    /// Runs `query`, each row made into a `T` by `map` (perhaps on another thread) and
    /// handed to `each` as the rows arrive.
    fn each_row<T: Send + 'static>(
        &self,
        query: Query,
        map: impl Fn(&dyn Row) -> Result<T, Error> + Send + 'static,
        each: &mut dyn FnMut(T) -> Result<(), Error>,
    ) -> Result<(), Error>;

    /// Runs `query`, each row made into a `T`.
    fn rows<T: Send + 'static>(
        &self,
        query: Query,
        map: impl Fn(&dyn Row) -> Result<T, Error> + Send + 'static,
    ) -> Result<Vec<T>, Error> {
        let mut found = Vec::new();
        self.each_row(query, map, &mut |item| {
            found.push(item);
            Ok(())
        })?;
        Ok(found)
    }
}

/// The columns a query of orders reads, in [`super::stored_order`]'s order; the two JSON
/// columns follow ([`json_columns`]). When the order was last seen is looked up in its own
/// table by the order's key.
const ORDER_COLUMNS: &str = "account, order_id, status, common_name, dns_names, valid_from, \
     valid_till, product_name_id, thumbprint, serial_number, organization, certificate_id, \
     (SELECT last_seen FROM order_seen AS seen \
     WHERE seen.account = orders.account AND seen.order_id = orders.order_id)";

/// Every order the account holds with the fingerprint of its stored JSON (`$1`: account).
pub(crate) const FINGERPRINTS: &str =
    "SELECT order_id, digest FROM order_seen WHERE account = $1 ORDER BY order_id";

/// The fingerprints of the account's orders in a range of ids, `$4` at most (`$1`: account,
/// `$2` and `$3`: the first and last id).
pub(crate) const FINGERPRINTS_BETWEEN: &str = "SELECT order_id, digest FROM order_seen \
     WHERE account = $1 AND order_id BETWEEN $2 AND $3 ORDER BY order_id LIMIT $4";

/// The end of a sync, written with its last batch (`$1`: account, `$2`: watermark, `$3`: when
/// it finished, `$4`: how long it took in seconds, `$5`: when it finished if it pulled the
/// whole report, else NULL, which keeps the last full pull's instant).
pub(crate) const SYNC_FINISH: &str = "INSERT INTO sync_state (account, watermark, last_success, \
     last_duration_seconds, last_full) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (account) DO UPDATE SET watermark = excluded.watermark, \
     last_success = excluded.last_success, \
     last_duration_seconds = excluded.last_duration_seconds, \
     last_full = COALESCE(excluded.last_full, sync_state.last_full)";

/// The stored JSON columns (`report, info`: `codec.rs`), or NULLs in their place.
fn json_columns(dialect: Dialect, whole: bool) -> String {
    if whole {
        "report, info".to_owned()
    } else {
        let bytes = dialect.bytes_type();
        format!("CAST(NULL AS {bytes}), CAST(NULL AS {bytes})")
    }
}

/// How many orders `accounts` hold.
fn order_count_query(dialect: Dialect, accounts: &[String]) -> Query {
    let mut query = Query::new(dialect, "SELECT COUNT(*) FROM orders WHERE TRUE");
    query.accounts("account", accounts);
    query
}

/// Issued orders whose certificate expires from `from` (any time if `None`) to `until`,
/// soonest first; the whole orders or their indexed columns only. Without the whole orders,
/// SQLite reads them from the `orders_expiring` index alone (schema version 4).
pub(crate) fn expiring_query(
    dialect: Dialect,
    accounts: &[String],
    from: Option<NaiveDate>,
    until: NaiveDate,
    whole: bool,
) -> Query {
    let mut query = Query::new(
        dialect,
        format!(
            "SELECT {ORDER_COLUMNS}, {} FROM orders WHERE status = 'issued'",
            json_columns(dialect, whole)
        ),
    );
    if let Some(from) = from {
        let from = query.bind(Value::Date(from));
        query.push(&format!(" AND valid_till >= {from}"));
    }
    let until = query.bind(Value::Date(until));
    query.push(&format!(" AND valid_till <= {until}"));
    query.accounts("account", accounts);
    query.push(" ORDER BY valid_till, order_id, account");
    query
}

/// The orders a query matches, newest order first; whole or their indexed columns only.
/// `None` when it can match nothing stored.
fn find_query(dialect: Dialect, accounts: &[String], find: &Find, whole: bool) -> Option<Query> {
    let mut query = Query::new(dialect, "");
    let mut hits = Vec::new();
    for key in find.exact_keys() {
        let key = query.bind(Value::Text(key));
        hits.push(format!(
            "SELECT account, order_id FROM order_names WHERE name_key = {key}"
        ));
    }
    if let Some((start, end)) = find.pattern_range() {
        let (start, end) = (query.bind(Value::Text(start)), query.bind(Value::Text(end)));
        hits.push(format!(
            "SELECT account, order_id FROM order_names \
             WHERE name_key >= {start} AND name_key < {end}"
        ));
    }
    if let Some(hex) = find.hex() {
        let hex = query.bind(Value::Text(hex.to_owned()));
        hits.push(format!(
            "SELECT account, order_id FROM orders WHERE thumbprint = {hex}"
        ));
        hits.push(format!(
            "SELECT account, order_id FROM orders WHERE serial_number = {hex}"
        ));
    }
    if let Some(order_id) = find.order_id().and_then(stored_id) {
        let order_id = query.bind(Value::Id(order_id));
        hits.push(format!(
            "SELECT account, order_id FROM orders WHERE order_id = {order_id}"
        ));
    }
    if hits.is_empty() {
        return None;
    }
    // The hits first, then each one's order by its key: with `(account, order_id) IN
    // (...)`, SQLite walked every order in id order and tested each against the hits.
    query.sql = format!(
        "WITH hit (hit_account, hit_order_id) AS ({}) \
         SELECT {ORDER_COLUMNS}, {} FROM hit {} orders \
         ON account = hit_account AND order_id = hit_order_id WHERE TRUE",
        hits.join(" UNION "),
        json_columns(dialect, whole),
        dialect.join_in_order()
    );
    query.accounts("account", accounts);
    query.push(" ORDER BY order_id DESC, account");
    Some(query)
}

/// Every order of a listing, by account and order id.
fn list_query(dialect: Dialect, accounts: &[String], listing: Listing) -> Query {
    let mut query = Query::new(
        dialect,
        format!(
            "SELECT {ORDER_COLUMNS}, {} FROM orders WHERE TRUE",
            json_columns(dialect, listing.whole)
        ),
    );
    if listing.issued_only {
        // Not through SQLite's status index, which would look every issued order up and
        // then sort them all; the listing walks the orders in key order.
        query.push(&format!(" AND {} = 'issued'", dialect.unindexed("status")));
    }
    query.accounts("account", accounts);
    query.push(" ORDER BY account, order_id");
    query
}

/// The statuses seen for one order id (`account, status, certificate_id, seen_at`), by
/// account, oldest first; `None` for an id no store can hold.
fn history_query(dialect: Dialect, accounts: &[String], order_id: u64) -> Option<Query> {
    let mut query = Query::new(
        dialect,
        "SELECT account, status, certificate_id, seen_at FROM status_history WHERE order_id = ",
    );
    let order_id = query.bind(Value::Id(stored_id(order_id)?));
    query.push(&order_id);
    query.accounts("account", accounts);
    query.push(&format!(
        " ORDER BY account, seen_at, {}",
        dialect.insertion_order()
    ));
    Some(query)
}

/// How many orders each account holds with each status (`account, status, count`).
fn status_counts_query(dialect: Dialect, accounts: &[String]) -> Query {
    let mut query = Query::new(
        dialect,
        "SELECT account, status, COUNT(*) FROM orders WHERE TRUE",
    );
    query.accounts("account", accounts);
    query.push(" GROUP BY account, status ORDER BY account, status");
    query
}

/// The sync state of one account, or of every account that has synced
/// (`account, watermark, last_success, last_duration_seconds`).
fn sync_states_query(dialect: Dialect, account: Option<&str>) -> Query {
    let mut query = Query::new(
        dialect,
        "SELECT account, watermark, last_success, last_duration_seconds FROM sync_state \
         WHERE TRUE",
    );
    if let Some(account) = account {
        let account = query.bind(Value::Text(account.to_owned()));
        query.push(&format!(" AND account = {account}"));
    }
    query.push(" ORDER BY account");
    query
}

/// The columns a sync writes of an order besides its key and JSON, in the order the stores
/// bind them.
pub(crate) const RECORD_COLUMNS: &str = "status, common_name, dns_names, valid_from, \
     valid_till, product_name_id, thumbprint, serial_number, organization, certificate_id";

/// What an upsert sets on an order already stored: each of [`RECORD_COLUMNS`] as sent.
pub(crate) fn record_updates() -> String {
    RECORD_COLUMNS
        .split(", ")
        .map(|column| format!("{column} = excluded.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many orders `accounts` hold.
pub(crate) fn order_count<R: Runner>(store: &R, accounts: &[String]) -> Result<u64, Error> {
    let counts = store.rows(order_count_query(R::DIALECT, accounts), |row| row.count(0))?;
    Ok(counts.into_iter().sum())
}

/// The last successful sync of `account`.
pub(crate) fn sync_state<R: Runner>(store: &R, account: &str) -> Result<SyncState, Error> {
    let states = store.rows(
        sync_states_query(R::DIALECT, Some(account)),
        rows::sync_state,
    )?;
    Ok(states
        .into_iter()
        .next()
        .map(|(_, state)| state)
        .unwrap_or_default())
}

/// The last successful sync of every account that has synced, by account.
pub(crate) fn sync_states<R: Runner>(store: &R) -> Result<Vec<(String, SyncState)>, Error> {
    store.rows(sync_states_query(R::DIALECT, None), rows::sync_state)
}

/// Issued orders whose certificate expires by `until`, from `today` on unless
/// `include_expired`, soonest first; whole if `whole`.
pub(crate) fn expiring<R: Runner>(
    store: &R,
    accounts: &[String],
    today: NaiveDate,
    until: NaiveDate,
    include_expired: bool,
    whole: bool,
) -> Result<Vec<StoredOrder>, Error> {
    let from = (!include_expired).then_some(today);
    let query = expiring_query(R::DIALECT, accounts, from, until, whole);
    let unpacker = unpacker_for(store, whole)?;
    store.rows(query, move |row| rows::stored_order(row, today, &unpacker))
}

/// The orders a query matches, newest order first; whole if `whole`.
pub(crate) fn find<R: Runner>(
    store: &R,
    accounts: &[String],
    find: &Find,
    whole: bool,
) -> Result<Vec<StoredOrder>, Error> {
    let Some(query) = find_query(R::DIALECT, accounts, find, whole) else {
        return Ok(Vec::new());
    };
    let today = Utc::now().date_naive();
    let unpacker = unpacker_for(store, whole)?;
    store.rows(query, move |row| rows::stored_order(row, today, &unpacker))
}

/// What unpacks the JSON a query reads: the store's dictionaries when it reads the whole
/// orders, none when it reads their indexed columns only.
fn unpacker_for<R: Runner>(store: &R, whole: bool) -> Result<Unpacker, Error> {
    if whole {
        super::unpacker(store)
    } else {
        Ok(Unpacker::without_dictionaries())
    }
}

/// The statuses seen for one order id, by account, oldest first.
pub(crate) fn history<R: Runner>(
    store: &R,
    accounts: &[String],
    order_id: u64,
) -> Result<Vec<HistoryEntry>, Error> {
    let Some(query) = history_query(R::DIALECT, accounts, order_id) else {
        return Ok(Vec::new());
    };
    store.rows(query, move |row| rows::history_entry(row, order_id))
}

/// Hands every order of a listing to `each`, by account and order id.
pub(crate) fn list<R: Runner>(
    store: &R,
    accounts: &[String],
    listing: Listing,
    each: &mut dyn FnMut(StoredOrder) -> Result<(), Error>,
) -> Result<(), Error> {
    let today = Utc::now().date_naive();
    let unpacker = unpacker_for(store, listing.whole)?;
    let query = list_query(R::DIALECT, accounts, listing);
    store.each_row(
        query,
        move |row| rows::stored_order(row, today, &unpacker),
        each,
    )
}

/// How many orders each account holds with each status.
pub(crate) fn status_counts<R: Runner>(
    store: &R,
    accounts: &[String],
) -> Result<Vec<StatusCount>, Error> {
    store.rows(
        status_counts_query(R::DIALECT, accounts),
        rows::status_count,
    )
}

/// The [`Store`](crate::Store) methods of a store that is a [`Runner`] with an
/// `in_transaction` method, each the shared one: expanded inside the store's `impl Store`.
macro_rules! shared_queries {
    () => {
        fn sync_state(&self, account: &str) -> Result<$crate::SyncState, $crate::Error> {
            $crate::sql::sync_state(self, account)
        }

        fn sync_states(&self) -> Result<Vec<(String, $crate::SyncState)>, $crate::Error> {
            $crate::sql::sync_states(self)
        }

        fn order_count(&self, accounts: &[String]) -> Result<u64, $crate::Error> {
            $crate::sql::order_count(self, accounts)
        }

        fn expiring(
            &self,
            accounts: &[String],
            today: ::chrono::NaiveDate,
            until: ::chrono::NaiveDate,
            include_expired: bool,
            whole: bool,
        ) -> Result<Vec<$crate::StoredOrder>, $crate::Error> {
            $crate::sql::expiring(self, accounts, today, until, include_expired, whole)
        }

        fn find(
            &self,
            accounts: &[String],
            query: &$crate::Find,
            whole: bool,
        ) -> Result<Vec<$crate::StoredOrder>, $crate::Error> {
            $crate::sql::find(self, accounts, query, whole)
        }

        fn accounts(&self) -> Result<Vec<String>, $crate::Error> {
            $crate::sql::accounts(self)
        }

        fn forget_account(&mut self, account: &str) -> Result<u64, $crate::Error> {
            let account = account.to_owned();
            self.in_transaction(move |transaction| {
                $crate::sql::forget_account(transaction, &account)
            })
        }

        fn history(
            &self,
            accounts: &[String],
            order_id: u64,
        ) -> Result<Vec<$crate::HistoryEntry>, $crate::Error> {
            $crate::sql::history(self, accounts, order_id)
        }

        fn list(
            &self,
            accounts: &[String],
            listing: $crate::Listing,
            each: &mut dyn FnMut($crate::StoredOrder) -> Result<(), $crate::Error>,
        ) -> Result<(), $crate::Error> {
            $crate::sql::list(self, accounts, listing, each)
        }

        fn status_counts(
            &self,
            accounts: &[String],
        ) -> Result<Vec<$crate::StatusCount>, $crate::Error> {
            $crate::sql::status_counts(self, accounts)
        }

        fn known_certificates(
            &self,
            accounts: &[String],
            thumbprints: &[String],
        ) -> Result<Vec<$crate::KnownCertificate>, $crate::Error> {
            $crate::sql::known_certificates(self, accounts, thumbprints)
        }

        fn orders_covering(
            &self,
            accounts: &[String],
            name_keys: &[String],
        ) -> Result<Vec<(String, $crate::CoveringOrder)>, $crate::Error> {
            $crate::sql::orders_covering(self, accounts, name_keys)
        }

        fn looked_up(
            &self,
            thumbprints: &[String],
        ) -> Result<Vec<(String, String)>, $crate::Error> {
            $crate::sql::looked_up(self, thumbprints)
        }

        fn deployments(
            &self,
            accounts: &[String],
            filter: &$crate::DeploymentFilter,
        ) -> Result<Vec<$crate::Deployment>, $crate::Error> {
            $crate::sql::deployments(self, accounts, filter)
        }

        fn deployment_history(
            &self,
            accounts: &[String],
            order_id: u64,
        ) -> Result<Vec<$crate::Deployment>, $crate::Error> {
            $crate::sql::deployment_history(self, accounts, order_id)
        }

        fn last_probed_at(
            &self,
        ) -> Result<Option<::chrono::DateTime<::chrono::Utc>>, $crate::Error> {
            $crate::sql::last_probed_at(self)
        }

        fn record_deployments(
            &mut self,
            deployments: &[$crate::Deployment],
        ) -> Result<u64, $crate::Error> {
            let deployments = deployments.to_vec();
            self.in_transaction(move |transaction| {
                $crate::sql::record_deployments(transaction, &deployments)
            })
        }

        fn record_lookups(
            &mut self,
            found: &[$crate::FoundCertificate],
            missed: &[(String, String)],
            at: ::chrono::DateTime<::chrono::Utc>,
        ) -> Result<(), $crate::Error> {
            let (found, missed) = (found.to_vec(), missed.to_vec());
            self.in_transaction(move |transaction| {
                $crate::sql::record_lookups(transaction, &found, &missed, at)
            })
        }
    };
}
pub(crate) use shared_queries;

/// Keeps the certificate an order (`o`, its row before it is written again) is about to
/// lose among the earlier ones: `INSERT INTO certificates` this `SELECT ... FROM orders AS o
/// WHERE <the orders replaced, whose thumbprint changes>` and [`RETIRED_ON_CONFLICT`]. It was
/// first seen with the order's first history entry for its certificate, and last seen when
/// the order was.
pub(crate) const RETIRE_CERTIFICATE: &str = "INSERT INTO certificates (thumbprint, account, \
     order_id, certificate_id, serial_number, valid_from, valid_till, first_seen, last_seen, \
     source) SELECT o.thumbprint, o.account, o.order_id, o.certificate_id, o.serial_number, \
     o.valid_from, o.valid_till, (SELECT MIN(h.seen_at) FROM status_history AS h \
     WHERE h.account = o.account AND h.order_id = o.order_id \
     AND h.certificate_id = o.certificate_id), (SELECT s.last_seen FROM order_seen AS s \
     WHERE s.account = o.account AND s.order_id = o.order_id), 'sync'";

/// What [`RETIRE_CERTIFICATE`] does to a certificate already kept.
pub(crate) const RETIRED_ON_CONFLICT: &str = "ON CONFLICT (thumbprint, account) DO UPDATE SET \
     last_seen = excluded.last_seen, \
     first_seen = COALESCE(certificates.first_seen, excluded.first_seen)";
