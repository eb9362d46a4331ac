//! Writing a sync's batches on a thread of its own, so that fetching and decoding the next
//! pages overlap with storing the last ones (a full pull is CPU-bound on both sides).
//!
//! The thread owns a second handle on the store ([`WriteTuning::writer`](crate::WriteTuning::writer)) and applies the batches
//! in the order they were sent, whole, so a sync killed at any moment still leaves whole
//! batches: it writes [`MERGED`] of them at most in one transaction, waiting for that many
//! (or the last) when the store gathers batches ([`WriteTuning::gathers_batches`](crate::WriteTuning::gathers_batches)), else taking
//! those queued when it gets to them.
//! The watermark still moves only in the last transaction, and only if every earlier one
//! succeeded: the thread stops at the first failure.

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::Instant;

use super::Progress;
use crate::error::Error;
use crate::store::{Applied, Batch, Store};

/// What the writing thread needs of a store: where it is, and applying batches.
pub(super) trait Sink: Send {
    /// Where the store is, for messages.
    fn location(&self) -> String;
    /// Applies one batch in one transaction.
    fn apply(&mut self, batch: Batch) -> Result<Applied, Error>;
}

impl Sink for Box<dyn Store + Send> {
    fn location(&self) -> String {
        Store::location(self.as_ref())
    }

    fn apply(&mut self, batch: Batch) -> Result<Applied, Error> {
        Store::apply(self.as_mut(), batch)
    }
}

/// Batches (report pages) waiting for the writer at most; the fetch waits beyond. As many
/// as one transaction takes, so that while the writer commits one the next fills up.
const QUEUED: usize = MERGED;

/// Batches applied in one transaction at most: every commit writes each index page that
/// the transaction touched, and the inserts into the thumbprint, serial number and name
/// indexes fall all over them, so a commit per report page would write each of these
/// indexes whole a hundred times over a first pull of 100,000 orders.
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
        store: Box<dyn Sink>,
        gather: bool,
        progress: Option<Progress>,
        started: Instant,
    ) -> Result<Self, Error> {
        let location = store.location();
        let (batches, queue) = mpsc::sync_channel(QUEUED);
        let (answer, results) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("inventory-writer".to_owned())
            .spawn(move || {
                write(store, gather, &queue, &answer, progress.as_deref(), started);
            })
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
            applied += more;
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
            applied += answer?;
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

/// The thread: applies batches until the queue closes or one fails.
fn write(
    mut store: Box<dyn Sink>,
    gather: bool,
    queue: &Receiver<Batch>,
    answer: &mpsc::Sender<Result<Applied, Error>>,
    progress: Option<&(dyn Fn(u64) + Send + Sync)>,
    started: Instant,
) {
    let mut stored = 0u64;
    while let Ok(mut batch) = queue.recv() {
        let mut merged = 1;
        while batch.finish.is_none() && merged < MERGED {
            let next = if gather {
                queue.recv().ok()
            } else {
                queue.try_recv().ok()
            };
            // None: the queue closed, or (not gathering) nothing more is queued.
            let Some(next) = next else { break };
            batch.orders.extend(next.orders);
            batch.unchanged.runs.extend(next.unchanged.runs);
            batch.unchanged.orders += next.unchanged.orders;
            batch.seen_at = next.seen_at;
            batch.finish = next.finish;
            merged += 1;
        }
        if let Some(finish) = &mut batch.finish {
            finish.duration_seconds = started.elapsed().as_secs_f64();
        }
        let count = batch.orders.len() as u64 + batch.unchanged.orders;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::{Arc, Mutex};

    use chrono::Utc;

    use super::*;
    use crate::store::SyncFinish;

    /// Each transaction written: its orders, and whether it carries the sync's end.
    type Transactions = Arc<Mutex<Vec<(usize, bool)>>>;

    /// Records the transactions it is asked for; fails the transaction numbered `fail_at`.
    struct Recorder {
        transactions: Transactions,
        fail_at: Option<usize>,
    }

    impl Sink for Recorder {
        fn location(&self) -> String {
            "recorder".to_owned()
        }
        fn apply(&mut self, batch: Batch) -> Result<Applied, Error> {
            let mut transactions = self.transactions.lock().unwrap();
            if self.fail_at == Some(transactions.len()) {
                return Err(Error::Store {
                    location: self.location(),
                    source: "disk full".into(),
                });
            }
            transactions.push((batch.orders.len(), batch.finish.is_some()));
            Ok(Applied {
                added: batch.orders.len() as u64,
                ..Applied::default()
            })
        }
    }

    fn batch(orders: usize, last: bool) -> Batch {
        let record =
            crate::OrderRecord::new(1, "issued", crate::OrderJson::Report("{}".to_owned()));
        Batch {
            account: "default".to_owned(),
            orders: vec![record; orders],
            unchanged: Default::default(),
            seen_at: Utc::now(),
            finish: last.then(|| SyncFinish {
                watermark: Utc::now(),
                full: true,
                duration_seconds: 0.0,
            }),
        }
    }

    fn writer(fail_at: Option<usize>, gather: bool) -> (Writer, Transactions) {
        let transactions = Arc::new(Mutex::new(Vec::new()));
        let store = Recorder {
            transactions: Arc::clone(&transactions),
            fail_at,
        };
        let writer = Writer::start(Box::new(store), gather, None, Instant::now()).unwrap();
        (writer, transactions)
    }

    #[test]
    fn every_batch_is_written_whole_and_the_end_last() {
        for gather in [true, false] {
            let (mut writer, transactions) = writer(None, gather);
            let mut added = 0;
            for _ in 0..20 {
                added += writer.send(batch(10, false)).unwrap().added;
            }
            added += writer.send(batch(3, true)).unwrap().added;
            added += writer.finish().unwrap().added;
            assert_eq!(added, 203);
            let transactions = transactions.lock().unwrap();
            // Whole batches of 10, up to MERGED of them per transaction (exactly that many
            // when gathering); the end in the last one.
            if gather {
                assert_eq!(
                    transactions.len(),
                    21usize.div_ceil(MERGED),
                    "{transactions:?}"
                );
            } else {
                assert!(transactions.len() >= 21 / MERGED, "{transactions:?}");
            }
            for (orders, _) in transactions.iter() {
                assert!(orders % 10 == 0 || orders % 10 == 3, "{transactions:?}");
                assert!(*orders <= MERGED * 10, "{transactions:?}");
            }
            assert_eq!(
                transactions.iter().map(|(orders, _)| orders).sum::<usize>(),
                203
            );
            let ends: Vec<bool> = transactions.iter().map(|(_, end)| *end).collect();
            assert_eq!(ends.iter().filter(|end| **end).count(), 1);
            assert_eq!(ends.last(), Some(&true));
        }
    }

    #[test]
    fn after_a_failed_transaction_nothing_more_is_written() {
        let (mut writer, transactions) = writer(Some(1), true);
        let mut failed = None;
        for _ in 0..50 {
            if let Err(err) = writer.send(batch(10, false)) {
                failed = Some(err);
                break;
            }
        }
        let err = match failed {
            Some(err) => err,
            None => {
                let sent = writer.send(batch(1, true));
                sent.err()
                    .or_else(|| writer.finish().err())
                    .expect("the failure is reported")
            }
        };
        assert!(err.to_string().contains("disk full"), "{err}");
        // One transaction went through; the sync's end never did.
        let transactions = transactions.lock().unwrap();
        assert_eq!(transactions.len(), 1, "{transactions:?}");
        assert!(!transactions[0].1);
    }
}
