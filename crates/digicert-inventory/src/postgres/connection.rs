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
//!
//! A call that gets no answer within its deadline ([`CALL_TIMEOUT`] for reads,
//! [`WRITE_TIMEOUT`] for a batch's writes) counts as lost too (a database that hangs, or a
//! network that stops carrying bytes without closing): the call fails with
//! [`Error::Unavailable`], the server is asked to cancel the statement, and the connection
//! is dropped without waiting for its thread, which ends when its job does. A listing's
//! deadline is for each row, so a slow reader of the rows is not cut.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{CancelToken, Client};
use tokio_postgres_rustls::MakeRustlsConnect;

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

/// How long a read may wait for the server's answer (for a listing: for each row) before
/// the connection counts as lost.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a batch's writes may wait for the server before the connection counts as lost.
pub(super) const WRITE_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// Asks the server to cancel the statement of a call given up on.
    cancel: Option<Arc<(CancelToken, MakeRustlsConnect)>>,
    /// Set when a call was given up on: no more calls, and the thread is not waited for.
    abandoned: AtomicBool,
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
        let cancel_tls = target.tls.clone();
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
                    })
                    .map(|pid| (pid, client.cancel_token()));
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
            cancel: None,
            abandoned: AtomicBool::new(false),
            jobs: Some(jobs),
            thread: Some(thread),
        };
        match connected.recv() {
            Ok(Ok((pid, cancel))) => {
                tracing::debug!(database = %location, sslmode, pid, "inventory opened");
                connection.pid = pid;
                connection.cancel = Some(Arc::new((cancel, cancel_tls)));
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

    /// The job channel, unless the connection is gone or was given up on.
    fn jobs(&self) -> Result<&mpsc::Sender<Job>, Error> {
        self.jobs
            .as_ref()
            .filter(|_| !self.abandoned.load(Ordering::SeqCst))
            .ok_or_else(|| self.gone())
    }

    /// Gives the connection up after the server left a call unanswered for `waited`: the
    /// server is asked (on a thread of its own, which may wait as long as connecting may) to
    /// cancel the statement, and no more calls are made. The error says so.
    fn abandon(&self, waited: Duration) -> Error {
        self.abandoned.store(true, Ordering::SeqCst);
        if let Some(cancel) = self.cancel.clone() {
            let _ = std::thread::Builder::new()
                .name("inventory-postgres-cancel".to_owned())
                .spawn(move || {
                    let (token, tls) = &*cancel;
                    let _ = token.cancel_query(tls.clone());
                });
        }
        Error::Unavailable {
            location: self.location.clone(),
            source: format!(
                "the database did not answer within {} s; the connection is dropped",
                waited.as_secs()
            )
            .into(),
        }
    }

    /// Runs `job` on the connection and waits for its answer, at most [`CALL_TIMEOUT`].
    pub(super) fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Client, &str) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        self.call_within(Some(CALL_TIMEOUT), job)
    }

    /// Runs `job` on the connection and waits for its answer, at most `deadline` (`None`: as
    /// long as it takes, for a check that reads every index).
    pub(super) fn call_within<T: Send + 'static>(
        &self,
        deadline: Option<Duration>,
        job: impl FnOnce(&mut Client, &str) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (reply, answer) = mpsc::sync_channel(1);
        let location = self.location.clone();
        self.jobs()?
            .send(Box::new(move |client| {
                let _ = reply.send(job(client, &location));
            }))
            .map_err(|_| self.gone())?;
        match deadline {
            None => answer.recv().map_err(|_| self.gone())?,
            Some(deadline) => match answer.recv_timeout(deadline) {
                Ok(answered) => answered,
                Err(mpsc::RecvTimeoutError::Timeout) => Err(self.abandon(deadline)),
                Err(mpsc::RecvTimeoutError::Disconnected) => Err(self.gone()),
            },
        }
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
        self.jobs()?
            .send(Box::new(move |client| {
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
        loop {
            match arrive.recv_timeout(CALL_TIMEOUT) {
                Ok(item) => each(item?)?,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
                Err(mpsc::RecvTimeoutError::Timeout) => return Err(self.abandon(CALL_TIMEOUT)),
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Ending the job channel ends the thread, which closes the connection; a thread
        // stuck in a call given up on is left to end when its job does.
        self.jobs = None;
        if let Some(thread) = self.thread.take()
            && !self.abandoned.load(Ordering::SeqCst)
        {
            let _ = thread.join();
        }
    }
}
