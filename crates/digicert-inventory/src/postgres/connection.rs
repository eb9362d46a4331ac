//! The store's connection, on a thread of its own.
//!
//! The `postgres` client is a blocking face over `tokio-postgres`: it runs a tokio runtime of
//! its own and panics when called from inside another runtime, and the async sync
//! ([`crate::Inventory::sync`]) and `digicert serve` call the store from inside tokio. So a
//! [`Connection`] owns a thread that owns the client: each call sends it a job and waits for
//! the answer, and a query's rows stream back through a bounded channel. Dropping it ends the
//! thread and closes the connection (and with it any advisory lock it holds). So a listing's
//! callback must not call the same connection again (it would wait for the thread that is
//! waiting for it): collect first, or use a second handle, as `digicert serve` does.
//!
//! A connection is not made again once lost: every call then fails with
//! [`Error::Unavailable`], and its owner opens a new store (as `digicert serve` does, with
//! backoff). Unless the URL says otherwise, connecting gives up after
//! [`CONNECT_TIMEOUT`], and a connection whose sent data goes unacknowledged for
//! [`UNACKNOWLEDGED_TIMEOUT`] counts as lost (a network cut without a reset).

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::error::{connection_gone, store_error};
use super::values::{PgRow, as_sql};
use super::{schema, url};
use crate::error::Error;
use crate::repack::MigrationProgress;
use crate::sql::Query;

/// How long connecting waits for the server, unless the URL's `connect_timeout` says.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long sent data may go unacknowledged before the connection counts as lost, unless
/// the URL's `tcp_user_timeout` says (Linux only).
pub(super) const UNACKNOWLEDGED_TIMEOUT: Duration = Duration::from_secs(30);

/// Rows a query holds in flight between the connection's thread and the caller.
const ROWS_IN_FLIGHT: usize = 256;

/// One piece of work for the connection's thread.
type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// A connection to the inventory's database, on its own thread.
pub(super) struct Connection {
    /// The database without its password, for messages.
    location: String,
    /// The server process serving this connection (`pg_backend_pid()`).
    pid: i32,
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Connection {
    /// Connects to the database at `url` and checks, or brings up to date, its schema
    /// (telling `progress` how a migration goes).
    pub(super) fn open(
        url: &str,
        location: &str,
        progress: Option<MigrationProgress>,
    ) -> Result<Self, Error> {
        let mut target = url::target(url, location)?;
        if target.config.get_connect_timeout().is_none() {
            target.config.connect_timeout(CONNECT_TIMEOUT);
        }
        if target.config.get_tcp_user_timeout().is_none() {
            target.config.tcp_user_timeout(UNACKNOWLEDGED_TIMEOUT);
        }
        let sslmode = url::tls_mode(&target.config);
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::sync_channel(1);
        let thread_location = location.to_owned();
        let thread = std::thread::Builder::new()
            .name("inventory-postgres".to_owned())
            .spawn(move || {
                let mut client = match target.config.connect(target.tls) {
                    Ok(client) => client,
                    Err(err) => {
                        let _ = ready.send(Err(store_error(&thread_location, err)));
                        return;
                    }
                };
                let prepared = schema::prepare(&mut client, &thread_location, progress.as_ref())
                    .and_then(|()| {
                        client
                            .query_one("SELECT pg_backend_pid()", &[])
                            .and_then(|row| row.try_get::<_, i32>(0))
                            .map_err(|err| store_error(&thread_location, err))
                    });
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
                path: location.into(),
                source,
            })?;
        let mut connection = Self {
            location: location.to_owned(),
            pid: 0,
            jobs: Some(jobs),
            thread: Some(thread),
        };
        match connected.recv() {
            Ok(Ok(pid)) => {
                tracing::debug!(database = %location, sslmode, pid, "inventory opened");
                connection.pid = pid;
                Ok(connection)
            }
            Ok(Err(err)) => Err(err),
            Err(_) => Err(connection.gone()),
        }
    }

    /// The server process serving this connection.
    pub(super) fn pid(&self) -> i32 {
        self.pid
    }

    /// The error for a connection thread that is no more.
    fn gone(&self) -> Error {
        connection_gone(&self.location)
    }

    /// Runs `job` on the connection and waits for its answer.
    pub(super) fn call<T: Send + 'static>(
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

    /// Runs a shared query, each row made into a `T` on the connection's thread and handed to
    /// `each` here as the rows arrive.
    pub(super) fn each_row<T: Send + 'static>(
        &self,
        query: Query,
        map: impl Fn(&dyn crate::sql::Row) -> Result<T, Error> + Send + 'static,
        each: &mut dyn FnMut(T) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let (rows, arrive) = mpsc::sync_channel::<Result<T, Error>>(ROWS_IN_FLIGHT);
        let location = self.location.clone();
        let jobs = self.jobs.as_ref().ok_or_else(|| self.gone())?;
        jobs.send(Box::new(move |client| {
            let params: Vec<&(dyn ToSql + Sync)> = query.values.iter().map(as_sql).collect();
            let mut iter = match client.query_raw(query.sql.as_str(), params) {
                Ok(iter) => iter,
                Err(err) => {
                    let _ = rows.send(Err(store_error(&location, err)));
                    return;
                }
            };
            loop {
                let item = match iter.next() {
                    Ok(Some(row)) => map(&PgRow {
                        row: &row,
                        location: &location,
                    }),
                    Ok(None) => break,
                    Err(err) => Err(store_error(&location, err)),
                };
                let failed = item.is_err();
                // The caller stopped reading (its `each` failed): stop too.
                if rows.send(item).is_err() || failed {
                    break;
                }
            }
        }))
        .map_err(|_| self.gone())?;
        for item in arrive {
            each(item?)?;
        }
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Ending the job channel ends the thread, which closes the connection.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
