//! The periodic tasks `serve` runs beside its server (the sync of the accounts, and any
//! other that joins it), each on a thread of its own, one round at a time.
//!
//! A task is a [`Task`]: its name and a round. Each round says when the next one starts:
//! an interval after it started, or sooner or later ([`Next::After`]: a database to connect
//! to again, an API to back off from). A task joins with one call:
//!
//! ```text
//! schedule::every(interval, SyncTask::new(...))?;
//! ```

use std::io;
use std::thread;
use std::time::{Duration, Instant};

/// When a task's next round starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// One interval after the round that just ended started (at once if that has passed).
    Interval,
    /// This long from now.
    After(Duration),
}

/// A periodic task of `serve`.
pub trait Task: Send + 'static {
    /// Its name: its thread's, for logs.
    fn name(&self) -> &'static str;

    /// Runs one round, and says when the next one starts.
    fn round(&mut self) -> Next;
}

/// Runs `task` on a thread of its own for as long as the process lives: a round at once, and
/// the next ones `interval` apart unless a round asks otherwise.
pub fn every(interval: Duration, mut task: impl Task) -> io::Result<()> {
    thread::Builder::new()
        .name(task.name().to_owned())
        .spawn(move || {
            loop {
                let started = Instant::now();
                let wait = match task.round() {
                    Next::Interval => interval.saturating_sub(started.elapsed()),
                    Next::After(wait) => wait,
                };
                thread::sleep(wait);
            }
        })?;
    Ok(())
}
