//! The command's failures and the exit code each one ends in.

use std::io;
use std::process::ExitCode;

use digicert_model::DecodeError;

/// Why the command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or input, refused before any request (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The API call failed (exit 1, or 2 for input the client refused).
    #[error(transparent)]
    Api(#[from] digicert_api::Error),
    /// A report file could not be decoded (exit 1).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The inventory failed (exit 1), or refused its file or a query it cannot read (exit 2).
    #[error(transparent)]
    Inventory(#[from] digicert_inventory::Error),
    /// Reading input or writing output failed (exit 1).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Some accounts of a sync failed; the others were synced (exit 1).
    #[error("{0}")]
    Accounts(String),
    /// The command ran and found what `--fail-if-any` asks to fail on (exit 3).
    #[error("{0}")]
    Found(String),
    /// The one thing a command names does not exist (exit 1): an order the inventory does
    /// not hold, an account it does not know.
    #[error("{0}")]
    NotFound(String),
    /// `inventory check` found the inventory damaged (exit 1).
    #[error("{0}")]
    Unsound(String),
}

impl CliError {
    /// 2 for usage and refused input (an inventory file that is not one included), 3 for
    /// findings `--fail-if-any` fails on, 1 for everything that went wrong afterwards.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_)
            | Self::Api(digicert_api::Error::InvalidInput(_))
            | Self::Inventory(
                digicert_inventory::Error::InvalidQuery(_)
                | digicert_inventory::Error::NotAnInventory { .. }
                | digicert_inventory::Error::NewerSchema { .. },
            ) => ExitCode::from(2),
            Self::Found(_) => ExitCode::from(3),
            _ => ExitCode::from(1),
        }
    }

    /// Whether this is only the reader of our output going away (`digicert ... | head`).
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Self::Io(err) => err.kind() == io::ErrorKind::BrokenPipe,
            Self::Inventory(digicert_inventory::Error::Io { source, .. }) => {
                source.kind() == io::ErrorKind::BrokenPipe
            }
            _ => false,
        }
    }
}
