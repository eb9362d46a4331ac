//! The stores a test runs on: a fresh SQLite file, and, when `DIGICERT_TEST_POSTGRES` names
//! a PostgreSQL server, a fresh database of its own there (so tests run in parallel).
//!
//! Without the variable the PostgreSQL half is skipped with a notice; with `CI=true` a
//! missing server is a failure (`.ci/run` always starts one).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use digicert_inventory::{AnyStore, Inventory, Store};

/// The statuses the inventory has seen for an order, oldest first.
pub fn statuses<S: Store>(inventory: &Inventory<S>, order_id: u64) -> Vec<String> {
    inventory
        .history(order_id)
        .unwrap()
        .into_iter()
        .map(|entry| entry.status)
        .collect()
}

/// The variable naming the test server: `postgres://user@127.0.0.1:PORT/db`.
pub const VARIABLE: &str = "DIGICERT_TEST_POSTGRES";

/// A fresh, empty store of one kind, removed when dropped.
pub enum TestDb {
    /// An SQLite file in a temporary directory.
    Sqlite(tempfile::TempDir, PathBuf),
    /// A database of its own on the test server.
    #[cfg(feature = "postgres")]
    Postgres(PgDatabase),
}

impl TestDb {
    /// A fresh SQLite file and, if configured, a fresh PostgreSQL database.
    pub fn all() -> Vec<TestDb> {
        #[allow(unused_mut)] // Without the `postgres` feature, SQLite only.
        let mut all = vec![Self::sqlite()];
        #[cfg(feature = "postgres")]
        if let Some(database) = PgDatabase::create() {
            all.push(Self::Postgres(database));
        }
        all
    }

    /// A fresh SQLite file.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.sqlite");
        TestDb::Sqlite(dir, path)
    }

    /// Another fresh store of the same kind.
    pub fn fresh(&self) -> TestDb {
        match self {
            TestDb::Sqlite(..) => Self::sqlite(),
            #[cfg(feature = "postgres")]
            TestDb::Postgres(_) => TestDb::Postgres(PgDatabase::create().unwrap()),
        }
    }

    /// Where the store is, as `--db` takes it.
    pub fn location(&self) -> String {
        match self {
            TestDb::Sqlite(_, path) => path.display().to_string(),
            #[cfg(feature = "postgres")]
            TestDb::Postgres(database) => database.url.clone(),
        }
    }

    /// Which kind, for assertion messages.
    pub fn kind(&self) -> &'static str {
        match self {
            TestDb::Sqlite(..) => "sqlite",
            #[cfg(feature = "postgres")]
            TestDb::Postgres(_) => "postgres",
        }
    }

    /// A handle on the store (each call a new one, as another process would open).
    pub fn open(&self) -> AnyStore {
        AnyStore::open(&self.location()).unwrap()
    }

    /// An inventory over a new handle.
    pub fn inventory(&self) -> Inventory<AnyStore> {
        Inventory::with_store(self.open())
    }
}

/// How many rows of `table` belong to `account`, counted with the store's own client.
pub fn count(db: &TestDb, table: &str, account: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE account = $1");
    match db {
        TestDb::Sqlite(_, path) => rusqlite::Connection::open(path)
            .unwrap()
            .query_row(&sql.replace('$', "?"), [account], |row| row.get(0))
            .unwrap(),
        #[cfg(feature = "postgres")]
        TestDb::Postgres(database) => database
            .client()
            .query_one(&sql, &[&account])
            .unwrap()
            .get(0),
    }
}

/// A database of its own on the test server, dropped (with its connections) at the end.
#[cfg(feature = "postgres")]
pub struct PgDatabase {
    admin_url: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

#[cfg(feature = "postgres")]
impl PgDatabase {
    /// A new database, or `None` (with a notice) when no server is configured; a failure
    /// under `CI=true`.
    pub fn create() -> Option<PgDatabase> {
        let admin_url = server()?;
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "digicert_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|err| panic!("{VARIABLE}: cannot connect: {err}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = with_dbname(&admin_url, &name);
        Some(PgDatabase {
            admin_url,
            name,
            url,
        })
    }

    /// A plain client on the database, to look at or tamper with it directly.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

#[cfg(feature = "postgres")]
impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The test server's URL; `None` with a notice when it is not set, a panic under `CI=true`.
pub fn server() -> Option<String> {
    match std::env::var(VARIABLE) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!(
                    "{VARIABLE} is not set, and CI=true: .ci/run must start a PostgreSQL server"
                );
            }
            eprintln!("skipping: {VARIABLE} is not set");
            None
        }
    }
}

/// `url` with another database name.
pub fn with_dbname(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let query = tail.split_once('?').map(|(_, query)| query);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// Takes an account's sync lock on `store`, waiting (30 s at most) for the server to end
/// the session that held it: a closed connection's session ends when the server sees it.
pub fn take_lock<S: Store>(store: &mut S, account: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        match store.lock_sync(account) {
            Ok(()) => return,
            Err(digicert_inventory::Error::SyncRunning { .. })
                if std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(err) => panic!("{err:?}"),
        }
    }
}
