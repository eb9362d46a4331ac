//! The schema as data: each store's numbered migrations, the files
//! `migrations/{sqlite,postgres}/NNNN_name.sql`, embedded when the crate is built. Both
//! stores hold the same versions, each in its own dialect; a schema's version is how many
//! have run, and each store's runner (`schema.rs`) runs the rest in one transaction.
//!
//! A migration may need more than SQL (version 6 compresses every order's JSON): its file then
//! says where its [`Step`] runs, with the line [`STEP_MARKER`]: the statements before it
//! run first, then the step, then the statements after it, all in the same transaction, so
//! that a migration killed at any point is rolled back whole and runs again at the next open.
//!
//! A new migration is a file in each folder with the next number, and a line in each list.

/// The line of a migration's file where its [`Step`] runs.
pub(crate) const STEP_MARKER: &str = "-- digicert-inventory: the Rust step runs here.";

/// What a migration does beyond its SQL, carried out by each store's runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Every order's JSON, from the text columns `report_json` and `info_json`, compressed
    /// into `report` and `info` (`codec.rs`), with a dictionary trained per account; the text
    /// columns emptied.
    PackJson,
}

/// One migration: its file name, its SQL, and its step.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// `NNNN_name.sql`.
    pub(crate) file: &'static str,
    /// The statements (with [`STEP_MARKER`] where the step runs).
    pub(crate) sql: &'static str,
    /// What runs at the marker.
    pub(crate) step: Option<Step>,
}

impl Migration {
    /// The statements before the step (all of them, without a step), and those after it.
    pub(crate) fn parts(&self) -> (&'static str, &'static str) {
        match self.sql.split_once(STEP_MARKER) {
            Some((before, after)) => (before, after),
            None => (self.sql, ""),
        }
    }
}

/// A migration of `store`, embedded from its file, with its step if it has one.
macro_rules! migration {
    ($store:literal, $file:literal) => {
        migration!($store, $file, None)
    };
    ($store:literal, $file:literal, $step:expr) => {
        Migration {
            file: $file,
            sql: include_str!(concat!("../migrations/", $store, "/", $file)),
            step: $step,
        }
    };
}

/// SQLite's migrations, oldest first.
pub(crate) const SQLITE: &[Migration] = &[
    migration!("sqlite", "0001_orders.sql"),
    migration!("sqlite", "0002_accounts.sql"),
    migration!("sqlite", "0003_order_seen.sql"),
    migration!("sqlite", "0004_expiring_index.sql"),
    migration!("sqlite", "0005_deployments.sql"),
    migration!("sqlite", "0006_compact.sql", Some(Step::PackJson)),
];

/// PostgreSQL's migrations, oldest first.
#[cfg(any(feature = "postgres", test))]
pub(crate) const POSTGRES: &[Migration] = &[
    migration!("postgres", "0001_orders.sql"),
    migration!("postgres", "0002_accounts.sql"),
    migration!("postgres", "0003_order_seen.sql"),
    migration!("postgres", "0004_expiring_index.sql"),
    migration!("postgres", "0005_deployments.sql"),
    migration!("postgres", "0006_compact.sql", Some(Step::PackJson)),
];

/// The version a schema is at once every migration has run.
pub(crate) const fn latest(migrations: &[Migration]) -> i64 {
    migrations.len() as i64
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// The files of one store's folder, by name.
    fn folder(store: &str) -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(store);
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        files
    }

    fn names(migrations: &[Migration]) -> Vec<String> {
        migrations.iter().map(|m| m.file.to_owned()).collect()
    }

    #[test]
    fn both_stores_hold_the_same_versions_and_embed_every_file() {
        assert_eq!(folder("sqlite"), names(SQLITE));
        assert_eq!(folder("postgres"), names(POSTGRES));
        assert_eq!(names(SQLITE), names(POSTGRES));
        for (index, migration) in SQLITE.iter().enumerate() {
            assert!(
                migration.file.starts_with(&format!("{:04}_", index + 1)),
                "{} is not version {}",
                migration.file,
                index + 1
            );
            assert!(migration.file.ends_with(".sql"));
        }
        for migration in SQLITE.iter().chain(POSTGRES) {
            let markers = migration.sql.matches(STEP_MARKER).count();
            assert_eq!(
                markers,
                usize::from(migration.step.is_some()),
                "{}: a step and its marker go together",
                migration.file
            );
        }
    }
}
