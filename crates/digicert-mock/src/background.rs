//! A loopback listener served on a thread of its own with its own tokio runtime, for
//! blocking callers (tests, benchmarks): the fake server's and the relay's.

use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use tokio::net::TcpListener;

/// A listener on 127.0.0.1:`port` (0: any free port), ready for [`spawn`], and its address.
pub(crate) fn bind(port: u16) -> io::Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Runs `serve` on `listener` on a thread named `name`; returns once it runs.
pub(crate) fn spawn<F>(
    name: String,
    listener: std::net::TcpListener,
    serve: impl FnOnce(TcpListener) -> F + Send + 'static,
) -> io::Result<JoinHandle<()>>
where
    F: Future<Output = ()>,
{
    let (ready_tx, ready_rx) = mpsc::channel();
    let thread = thread::Builder::new().name(name).spawn(move || {
        let started = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .and_then(|runtime| {
                let listener = runtime.block_on(async { TcpListener::from_std(listener) })?;
                Ok((runtime, listener))
            });
        match started {
            Ok((runtime, listener)) => {
                let _ = ready_tx.send(Ok(()));
                runtime.block_on(serve(listener));
            }
            Err(err) => {
                let _ = ready_tx.send(Err(err));
            }
        }
    })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(thread),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(io::Error::other("the listener's thread ended at start")),
    }
}
