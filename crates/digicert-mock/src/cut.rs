//! The "connection closed mid-body" fault: an answer that declares its full length, sends
//! about half of it, and then breaks off, which drops the connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

/// How long the half body is left to reach the client before the connection drops.
const PAUSE: Duration = Duration::from_millis(20);

/// Rewrites `response` so its body stops half-way through and the connection closes.
pub(crate) async fn cut_short(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let full = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(full) => full,
        Err(_) => Bytes::new(),
    };
    // Always declare more than is sent, even for an empty body.
    let declared = full.len().max(1) as u64;
    let sent = full.slice(..full.len() / 2);
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(declared));
    let body = CutBody {
        sent: (!sent.is_empty()).then_some(sent),
        declared,
        pause: None,
    };
    Response::from_parts(parts, Body::new(body))
}

/// A body that yields its one chunk, waits a moment, then fails.
///
/// The failure makes the server drop the connection with the declared length unmet, which
/// the client sees as a body cut off mid-way.
struct CutBody {
    sent: Option<Bytes>,
    declared: u64,
    pause: Option<Pin<Box<Sleep>>>,
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(chunk) = this.sent.take() {
            return Poll::Ready(Some(Ok(Frame::data(chunk))));
        }
        let pause = this
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(PAUSE)));
        ready!(pause.as_mut().poll(cx));
        Poll::Ready(Some(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "digicert-mock: connection closed mid-body (injected fault)",
        ))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.declared)
    }
}
