//! What can go wrong with an inventory, each failure naming the store it concerns.

use std::path::PathBuf;

/// An inventory failure.
///
/// Messages name the inventory (its file) and never carry the API key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file exists but is not an inventory; it was left as it was.
    #[error("{path} is not a digicert inventory ({detail}); it was left unchanged")]
    NotAnInventory {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// The inventory was written by a newer version; it was left as it was.
    #[error(
        "{path} is an inventory of schema version {found}, newer than this program knows ({known}); \
         it was left unchanged: use a newer digicert"
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        known: i64,
    },
    /// Another sync of the account holds the inventory (another process, or another host
    /// on a shared database).
    #[error(
        "another sync of account `{account}` is running on {location}; try again when it has \
         finished"
    )]
    SyncRunning {
        /// The inventory.
        location: String,
        /// The account.
        account: String,
    },
    /// The store failed (reading, writing, a constraint).
    #[error("inventory {location}: {source}")]
    Store {
        /// The inventory.
        location: String,
        /// What the database said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store could not be reached, or its connection was lost: a server restart, a
    /// failover, a network cut, a folder on a network mount that went away. Nothing was
    /// written beyond whole transactions, and opening the store again may succeed.
    #[error("inventory {location} is unavailable: {source}")]
    Unavailable {
        /// The inventory.
        location: String,
        /// What the database or the system said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The connection that held the account's sync lock was lost, so another host may hold
    /// the lock now: the sync stopped before its next write.
    #[error(
        "the sync lock of account `{account}` on {location} was lost with its connection; the \
         sync stopped before writing more (another host may be syncing the account now)"
    )]
    LockLost {
        /// The inventory.
        location: String,
        /// The account.
        account: String,
    },
    /// The store's data is damaged (SQLite: `database disk image is malformed`).
    #[error(
        "inventory {location} is damaged ({source}): it is a copy of CertCentral, so move it \
         aside (an SQLite file with its -wal and -shm files) and run `digicert sync` to build \
         it again; `digicert inventory check` says whether an inventory is sound"
    )]
    Corrupt {
        /// The inventory.
        location: String,
        /// What the database said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A file or directory could not be created or read.
    #[error("inventory {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// An order could not be written as JSON to be stored.
    #[error("order {order_id}: cannot be stored as JSON: {source}")]
    Json {
        /// The order.
        order_id: u64,
        /// What serde_json said.
        #[source]
        source: serde_json::Error,
    },
    /// A query that is not a domain, order id, thumbprint or serial number.
    #[error("`{0}` is not a domain name, `*.` pattern, order id, thumbprint or serial number")]
    InvalidQuery(String),
    /// A request to CertCentral failed.
    #[error(transparent)]
    Api(#[from] digicert_api::Error),
}

impl Error {
    /// Whether the store could not be reached or its connection was lost
    /// ([`Error::Unavailable`]), or its file or folder could not be created or read
    /// ([`Error::Io`]): opening it again later may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Io { .. })
    }
}
