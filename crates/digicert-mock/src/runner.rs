//! What runs a loopback server (the fake CertCentral, the TLS endpoints): a task on the
//! caller's runtime or a thread with a runtime of its own; and how it is told to stop.

use std::future::Future;
use std::io;
use std::sync::mpsc;
use std::thread;

use tokio::sync::watch;

/// What runs a server.
#[derive(Debug)]
pub(crate) enum Runner {
    /// A task on the caller's runtime (detached: it ends by itself once told to stop).
    Task,
    /// A thread with a runtime of its own.
    Thread(thread::JoinHandle<()>),
}

/// A running server's stop switch: dropping it tells the server to stop and, if it runs on
/// a thread of its own, waits for that thread.
#[derive(Debug)]
pub(crate) struct Running {
    stop: watch::Sender<bool>,
    runner: Option<Runner>,
}

impl Running {
    /// The switch, and what the server watches.
    pub(crate) fn new() -> (Self, watch::Receiver<bool>) {
        let (stop, stopping) = watch::channel(false);
        (Self { stop, runner: None }, stopping)
    }

    /// Records what runs the server.
    pub(crate) fn started(&mut self, runner: Runner) {
        self.runner = Some(runner);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(Runner::Thread(thread)) = self.runner.take() {
            let _ = thread.join();
        }
    }
}

/// Runs `serve` on a thread named `name` with a current-thread runtime of its own, once
/// `prepare` (run on that runtime: listeners made async there) has succeeded; returns once
/// it has, with the thread, or with what failed.
pub(crate) fn spawn_thread<T, F, Fut>(
    name: String,
    prepare: impl FnOnce() -> io::Result<T> + Send + 'static,
    serve: F,
) -> io::Result<Runner>
where
    F: FnOnce(T) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    let (ready_tx, ready_rx) = mpsc::channel();
    let thread = thread::Builder::new().name(name).spawn(move || {
        let started = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .and_then(|runtime| {
                let prepared = runtime.block_on(async { prepare() })?;
                Ok((runtime, prepared))
            });
        let (runtime, prepared) = match started {
            Ok(started) => started,
            Err(err) => {
                let _ = ready_tx.send(Err(err));
                return;
            }
        };
        let _ = ready_tx.send(Ok(()));
        runtime.block_on(serve(prepared));
    })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Runner::Thread(thread)),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(io::Error::other("the server thread ended at start")),
    }
}

/// Resolves once the server is told to stop (or its handle is gone).
pub(crate) async fn stop_signal(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}
