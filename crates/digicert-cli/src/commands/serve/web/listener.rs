//! The listener of `serve`: HTTP/1.1, over TLS when the web config says so, with limits so
//! that a slow or flooding client cannot hold the server from the others (the sync runs on
//! a thread of its own and is not served from here at all).
//!
//! - at most [`MAX_CONNECTIONS`](super::slots::MAX_CONNECTIONS) connections at once, at
//!   most [`MAX_PER_CLIENT`](super::slots::MAX_PER_CLIENT) of them from one client; one
//!   more is closed at once;
//! - a TLS handshake within [`HANDSHAKE_TIME`];
//! - a request's headers within [`HEADER_TIME`] (also the most a connection stays idle),
//!   at most [`HEADER_BYTES`] of them (431 beyond);
//! - a connection is asked to close after [`CONNECTION_TIME`], however busy.
//!
//! The request time limit is a middleware (`headers.rs`), beside the routes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use super::live::Live;
use super::slots::Slots;

/// Time for a TLS handshake.
pub const HANDSHAKE_TIME: Duration = Duration::from_secs(10);
/// Time for a request's headers to arrive, and the most a connection waits idle for one.
pub const HEADER_TIME: Duration = Duration::from_secs(10);
/// The most a request's line and headers may take (hyper's read buffer; at least 8 KiB).
pub const HEADER_BYTES: usize = 16 * 1024;
/// How long a connection is kept before it is asked to close.
pub const CONNECTION_TIME: Duration = Duration::from_secs(300);

/// Serves `app` on `listener` until the process ends; over TLS with `tls`'s settings as they
/// are when each connection comes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<Arc<Live>>,
) -> std::io::Result<()> {
    let slots = Arc::new(Slots::default());
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors, most often: wait for some to close.
                tracing::warn!(error = %err, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(slot) = slots.take(peer.ip()) else {
            tracing::debug!(%peer, "too many connections open: closing a new one");
            continue;
        };
        let app = app.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _ = stream.set_nodelay(true);
            match tls {
                None => connection(stream, app).await,
                Some(live) => {
                    // None while the web config does not read or check (`live.rs` logs it).
                    let Some(tls) = live.current().and_then(|settings| settings.tls.clone()) else {
                        return;
                    };
                    if let Some(stream) = tls.accept(stream, HANDSHAKE_TIME).await {
                        connection(stream, app).await;
                    }
                }
            }
        });
    }
}

/// Serves one connection's requests.
async fn connection<I>(io: I, app: Router)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIME)
        .max_buf_size(HEADER_BYTES)
        .keep_alive(true);
    let served = builder.serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
    tokio::pin!(served);
    let ended = tokio::select! {
        ended = served.as_mut() => ended,
        () = tokio::time::sleep(CONNECTION_TIME) => {
            served.as_mut().graceful_shutdown();
            match tokio::time::timeout(HEADER_TIME, served.as_mut()).await {
                Ok(ended) => ended,
                Err(_) => Ok(()),
            }
        }
    };
    if let Err(err) = ended {
        tracing::debug!(error = %err, "connection ended with an error");
    }
}
