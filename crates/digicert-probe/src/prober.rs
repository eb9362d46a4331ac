//! Runs many probes: each target resolved once, each of its addresses probed on its own,
//! every DNS lookup and probe under one concurrency cap, observations handed out as they
//! complete.

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use chrono::Utc;
use futures_util::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};

use crate::error::SetupError;
use crate::observation::{Observation, Outcome, Timings};
use crate::options::Options;
use crate::probe::probe;
use crate::resolve::{Addresses, Overrides, addresses, system_lookup};
use crate::target::Target;
use crate::tls::Tls;

/// Probes targets: every address of every target, on its own, at most
/// [`Options::concurrency`] at once over all the runs of this prober.
///
/// Cheap to clone: clones share the TLS configuration and the concurrency cap.
#[derive(Debug, Clone)]
pub struct Prober {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    options: Options,
    tls: Tls,
    overrides: Overrides,
    slots: Arc<Semaphore>,
}

impl Prober {
    /// Sets a prober up: loads the trusted roots (the system's take a moment to read) and
    /// builds the TLS client. Fails on an added root that cannot be a trust anchor.
    pub fn new(options: Options) -> Result<Self, SetupError> {
        let tls = Tls::new(&options)?;
        let overrides = Overrides::new(&options.resolve);
        let slots = Arc::new(Semaphore::new(
            options.concurrency.clamp(1, Semaphore::MAX_PERMITS),
        ));
        Ok(Self {
            shared: Arc::new(Shared {
                options,
                tls,
                overrides,
                slots,
            }),
        })
    }

    /// The options it runs with.
    pub fn options(&self) -> &Options {
        &self.shared.options
    }

    /// Probes `targets`, handing out each observation as its probe ends.
    ///
    /// A target given twice is probed once; a name's addresses are each probed once. A
    /// target whose name does not resolve gives one observation without an address.
    /// The stream must be polled inside a tokio runtime with its timer and I/O enabled;
    /// the probes run as tasks of that runtime. Dropping the stream stops them.
    pub fn probe(
        &self,
        targets: impl IntoIterator<Item = Target>,
    ) -> impl Stream<Item = Observation> + Send + 'static {
        let mut seen = HashSet::new();
        let targets = targets
            .into_iter()
            .filter(|target| seen.insert(target.clone()))
            .collect();
        Observations {
            state: State::Waiting(self.shared.clone(), targets),
        }
    }

    /// Probes `targets` and returns every observation, in the order they ended.
    pub async fn probe_all(&self, targets: impl IntoIterator<Item = Target>) -> Vec<Observation> {
        self.probe(targets).collect().await
    }
}

/// The observations of a [`Prober::probe`] run, as they complete; starts the run when first
/// polled, stops it when dropped.
#[derive(Debug)]
struct Observations {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Not polled yet: nothing started.
    Waiting(Arc<Shared>, Vec<Target>),
    /// Running: observations arrive on the channel.
    Running {
        observations: mpsc::Receiver<Observation>,
        run: JoinHandle<()>,
    },
    /// Every observation handed out.
    Done,
}

impl Stream for Observations {
    type Item = Observation;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Observation>> {
        if let State::Waiting(shared, targets) = &mut self.state {
            let (sender, receiver) = mpsc::channel(shared.options.concurrency.max(1));
            let run = tokio::spawn(run(shared.clone(), std::mem::take(targets), sender));
            self.state = State::Running {
                observations: receiver,
                run,
            };
        }
        let State::Running { observations, .. } = &mut self.state else {
            return Poll::Ready(None);
        };
        let next = observations.poll_recv(cx);
        if let Poll::Ready(None) = next {
            self.state = State::Done;
        }
        next
    }
}

impl Drop for Observations {
    fn drop(&mut self) {
        if let State::Running { run, .. } = &self.state {
            run.abort();
        }
    }
}

/// Starts each target's lookup as a slot frees; waits for them all.
async fn run(shared: Arc<Shared>, targets: Vec<Target>, sender: mpsc::Sender<Observation>) {
    let mut tasks = JoinSet::new();
    for target in targets {
        let Ok(slot) = shared.slots.clone().acquire_owned().await else {
            return;
        };
        tasks.spawn(probe_target(shared.clone(), target, slot, sender.clone()));
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// Finds a target's addresses (in `slot`), then probes each one in a slot of its own.
async fn probe_target(
    shared: Arc<Shared>,
    target: Target,
    slot: OwnedSemaphorePermit,
    sender: mpsc::Sender<Observation>,
) {
    let options = &shared.options;
    let (started_at, start) = (Utc::now(), Instant::now());
    let found = addresses(
        &target,
        &shared.overrides,
        options.max_addresses.max(1),
        options.deadline,
        system_lookup,
    )
    .await;
    drop(slot);
    let lookup = start.elapsed();
    let (list, resolve) = match found {
        Addresses::Given(list) => (list, None),
        Addresses::Looked(list) => (list, Some(lookup)),
        Addresses::Failed(kind, reason) => {
            let observation = Observation {
                target,
                address: None,
                started_at,
                timings: Timings {
                    resolve: Some(lookup),
                    total: lookup,
                    ..Timings::default()
                },
                outcome: Outcome::Unreachable { kind, reason },
            };
            let _ = sender.send(observation).await;
            return;
        }
    };
    let target = Arc::new(target);
    let mut probes = JoinSet::new();
    for address in list {
        let Ok(slot) = shared.slots.clone().acquire_owned().await else {
            return;
        };
        let (shared, target, sender) = (shared.clone(), target.clone(), sender.clone());
        probes.spawn(async move {
            let observation = probe(&shared.tls, &shared.options, &target, address, resolve).await;
            drop(slot);
            let _ = sender.send(observation).await;
        });
    }
    while probes.join_next().await.is_some() {}
}
