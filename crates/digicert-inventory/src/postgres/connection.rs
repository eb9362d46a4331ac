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

use std::sync::mpsc;
use std::thread::JoinHandle;

use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::error::store_error;
use super::values::{PgRow, as_sql};
use super::{schema, url};
use crate::error::Error;
use crate::repack::MigrationProgress;
use crate::sql::Query;

/// Rows a query holds in flight between the connection's thread and the caller.
const ROWS_IN_FLIGHT: usize = 256;

/// One piece of work for the connection's thread.
type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// A connection to the inventory's database, on its own thread.
pub(super) struct Connection {
    /// The database without its password, for messages.
    location: String,
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
        let target = url::target(url, location)?;
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
                let prepared = schema::prepare(&mut client, &thread_location, progress.as_ref());
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
        let connection = Self {
            location: location.to_owned(),
            jobs: Some(jobs),
            thread: Some(thread),
        };
        match connected.recv() {
            Ok(Ok(())) => {
                tracing::debug!(database = %location, sslmode, "inventory opened");
                Ok(connection)
            }
            Ok(Err(err)) => Err(err),
            Err(_) => Err(connection.gone()),
        }
    }

    /// The error for a connection thread that is no more.
    fn gone(&self) -> Error {
        store_error(&self.location, "the database connection's thread has ended")
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
