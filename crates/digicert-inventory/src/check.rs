//! Whether an inventory is sound ([`crate::Inventory::check`]): what the database's own
//! check (SQLite's `quick_check`; PostgreSQL's `amcheck` where installed) and the
//! inventory's own rules (`sql::check_rules`) found.

use crate::error::Error;

/// What a check of an inventory found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Soundness {
    /// What was checked, in words, and what was skipped and why.
    pub checked: Vec<String>,
    /// Each problem found: none in a sound inventory.
    pub problems: Vec<String>,
}

impl Soundness {
    /// Whether no problem was found.
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }

    /// Records what was checked.
    pub(crate) fn checked(&mut self, what: impl Into<String>) {
        self.checked.push(what.into());
    }

    /// Records a problem.
    pub(crate) fn problem(&mut self, problem: impl Into<String>) {
        self.problems.push(problem.into());
    }

    /// Keeps a damaged store's answer as a problem found while checking `what`; any other
    /// failure stops the check.
    pub(crate) fn damage(&mut self, what: &str, err: Error) -> Result<(), Error> {
        match err {
            Error::Corrupt { source, .. } => {
                self.problem(format!("{what}: {source}"));
                Ok(())
            }
            err => Err(err),
        }
    }
}
