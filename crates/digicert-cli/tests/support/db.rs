//! The inventories a test runs on: a fresh SQLite file, and, when `DIGICERT_TEST_POSTGRES`
//! names a PostgreSQL server, a fresh database of its own there. Without the variable the
//! PostgreSQL half is skipped with a notice; with `CI=true` that is a failure.

use std::path::PathBuf;

/// The variable naming the test server: `postgres://user@127.0.0.1:PORT/db`.
pub const VARIABLE: &str = "DIGICERT_TEST_POSTGRES";

/// A fresh, empty inventory, removed when dropped.
pub enum TestDb {
    /// An SQLite file in a temporary directory.
    File(tempfile::TempDir, PathBuf),
    /// A database of its own on the test server.
    Postgres(PgDatabase),
}

impl TestDb {
    /// A fresh SQLite file and, if configured, a fresh PostgreSQL database.
    pub fn all() -> Vec<TestDb> {
        let mut all = vec![Self::file()];
        all.extend(PgDatabase::create().map(TestDb::Postgres));
        all
    }

    /// A fresh SQLite file.
    pub fn file() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.sqlite");
        TestDb::File(dir, path)
    }

    /// The `--db` value: the file, or the database's URL.
    pub fn path(&self) -> PathBuf {
        match self {
            TestDb::File(_, path) => path.clone(),
            TestDb::Postgres(database) => PathBuf::from(&database.url),
        }
    }

    /// Which kind, for assertion messages.
    pub fn kind(&self) -> &'static str {
        match self {
            TestDb::File(..) => "sqlite",
            TestDb::Postgres(_) => "postgres",
        }
    }
}

/// A database of its own on the test server, dropped (with its connections) at the end.
pub struct PgDatabase {
    admin_url: String,
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl PgDatabase {
    /// A new database, or `None` (with a notice) when no server is configured; a failure
    /// under `CI=true`.
    pub fn create() -> Option<PgDatabase> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let admin_url = server()?;
        let name = format!(
            "digicert_cli_test_{}_{}_{}",
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
}

impl PgDatabase {
    /// A plain client on the database, to build or look at it directly.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).unwrap()
    }
}

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
    match tail.split_once('?') {
        Some((_, query)) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}
