//! Writing a sync's batches on a thread of its own, so that fetching and decoding the next
//! pages overlap with storing the last ones (a full pull is CPU-bound on both sides).
//!
//! The thread owns a second handle on the store ([`Store::writer`]) and applies the batches
//! in the order they were sent, whole, so a sync killed at any moment still leaves whole
//! batches: it gathers [`MERGED`] of them (or fewer: the last) into one transaction.
//! The watermark still moves only in the last transaction, and only if every earlier one
//! succeeded: the thread stops at the first failure.

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Instant;

use super::Progress;
use crate::error::Error;
use crate::store::{Applied, Batch, Store};

/// Batches (report pages) waiting for the writer at most; the fetch waits beyond.
const QUEUED: usize = 2;

/// Batches applied in one transaction: every commit writes each index page that the
/// transaction touched, and the inserts into the thumbprint, serial number and name
/// indexes fall all over them, so a commit per report page would write each of these
/// indexes whole a hundred times over a pull of 100,000 orders.
const MERGED: usize = 8;

/// The writing thread, and the way to it and back.
pub(super) struct Writer {
    /// Closed to tell the thread that no batch follows.
    batches: Option<SyncSender<Batch>>,
    /// One answer per transaction.
    results: Receiver<Result<Applied, Error>>,
    thread: Option<JoinHandle<()>>,
    location: String,
}

impl Writer {
    /// Starts the thread on `store`. The last batch's [`crate::SyncFinish`] gets its duration
    /// counted from `started` when it is written.
    pub(super) fn start(
        store: Box<dyn Store + Send>,
        progress: Option<Progress>,
        started: Instant,
    ) -> Result<Self, Error> {
        let location = store.location();
        let (batches, queue) = mpsc::sync_channel(QUEUED);
        let (answer, results) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("inventory-writer".to_owned())
            .spawn(move || write(store, &queue, &answer, progress.as_deref(), started))
            .map_err(|source| Error::Store {
                location: location.clone(),
                source: Box::new(source),
            })?;
        Ok(Self {
            batches: Some(batches),
            results,
            thread: Some(thread),
            location,
        })
    }

    /// Queues a batch (waiting while the queue is full); what the transactions finished
    /// since the last call applied, or the first failure.
    pub(super) fn send(&mut self, batch: Batch) -> Result<Applied, Error> {
        let mut applied = self.answers(false)?;
        let sent = match &self.batches {
            Some(batches) => batches.send(batch).is_ok(),
            None => false,
        };
        if !sent {
            // The thread has ended: it says why.
            let more = self.answers(true)?;
            add(&mut applied, more);
            return Err(self.ended());
        }
        Ok(applied)
    }

    /// Waits for every queued batch to be written; what they applied, or the first failure.
    pub(super) fn finish(mut self) -> Result<Applied, Error> {
        self.batches = None;
        let applied = self.answers(true)?;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            return Err(self.ended());
        }
        Ok(applied)
    }

    /// The answers so far (`wait`: all of them, until the thread ends), summed.
    fn answers(&self, wait: bool) -> Result<Applied, Error> {
        let mut applied = Applied::default();
        loop {
            let answer = if wait {
                match self.results.recv() {
                    Ok(answer) => answer,
                    Err(_) => return Ok(applied),
                }
            } else {
                match self.results.try_recv() {
                    Ok(answer) => answer,
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => return Ok(applied),
                }
            };
            add(&mut applied, answer?);
        }
    }

    /// The failure when the thread ended without saying why (it panicked).
    fn ended(&self) -> Error {
        Error::Store {
            location: self.location.clone(),
            source: "the inventory's writing thread ended unexpectedly".into(),
        }
    }
}

impl Drop for Writer {
    /// Lets the thread write what is queued (whole batches) and end.
    fn drop(&mut self) {
        self.batches = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn add(sum: &mut Applied, applied: Applied) {
    sum.added += applied.added;
    sum.changed += applied.changed;
    sum.unchanged += applied.unchanged;
}

/// The thread: applies batches until the queue closes or one fails.
fn write(
    mut store: Box<dyn Store + Send>,
    queue: &Receiver<Batch>,
    answer: &mpsc::Sender<Result<Applied, Error>>,
    progress: Option<&(dyn Fn(u64) + Send + Sync)>,
    started: Instant,
) {
    let mut stored = 0u64;
    while let Ok(mut batch) = queue.recv() {
        let mut merged = 1;
        while batch.finish.is_none() && merged < MERGED {
            match queue.recv() {
                Ok(next) => {
                    batch.orders.extend(next.orders);
                    batch.seen_at = next.seen_at;
                    batch.finish = next.finish;
                    merged += 1;
                }
                Err(_) => break,
            }
        }
        if let Some(finish) = &mut batch.finish {
            finish.duration_seconds = started.elapsed().as_secs_f64();
        }
        let count = batch.orders.len() as u64;
        let result = store.apply(batch);
        let failed = result.is_err();
        if answer.send(result).is_err() || failed {
            return;
        }
        stored += count;
        if let Some(progress) = progress {
            progress(stored);
        }
    }
}
