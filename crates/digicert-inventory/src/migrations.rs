//! The schema as data: each store's numbered migrations, the files
//! `migrations/{sqlite,postgres}/NNNN_name.sql`, embedded when the crate is built. Both
//! stores hold the same versions, each in its own dialect; a schema's version is how many
//! have run, and each store's runner (`schema.rs`) runs the rest in one transaction.
//!
//! A new migration is a file in each folder with the next number, and a line in each list.

/// One migration: its file name, and its SQL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    /// `NNNN_name.sql`.
    pub(crate) file: &'static str,
    /// The statements.
    pub(crate) sql: &'static str,
}

/// A migration of `store`, embedded from its file.
macro_rules! migration {
    ($store:literal, $file:literal) => {
        Migration {
            file: $file,
            sql: include_str!(concat!("../migrations/", $store, "/", $file)),
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
];

/// PostgreSQL's migrations, oldest first.
#[cfg(any(feature = "postgres", test))]
pub(crate) const POSTGRES: &[Migration] = &[
    migration!("postgres", "0001_orders.sql"),
    migration!("postgres", "0002_accounts.sql"),
    migration!("postgres", "0003_order_seen.sql"),
    migration!("postgres", "0004_expiring_index.sql"),
    migration!("postgres", "0005_deployments.sql"),
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
    }
}
