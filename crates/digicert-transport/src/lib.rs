//! The seam between the DigiCert API client and an HTTP client.
//!
//! A transport sends one [`Request`] and hands back one [`Response`], both plain
//! [`http`] types with the whole body in a `Vec<u8>`, and knows how to wait
//! ([`BlockingTransport::sleep`], [`AsyncTransport::sleep`]) so retry logic never
//! hard-wires a runtime. A caller done with a body may hand it back with `recycle`, so
//! a backend can read the next response into it ([`BodyPool`]). Every HTTP answer, 4xx
//! and 5xx included, is a `Response`; only a request that got no answer is a
//! [`TransportError`]. Transports do not follow redirects and keep every response
//! header. This crate holds no HTTP client and no runtime: the backends
//! (`digicert-transport-ureq`, `digicert-transport-reqwest`) do.
//!
//! A canned transport, as a test double might be written:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use digicert_transport::{BlockingTransport, Request, Response, TransportError};
//!
//! struct Canned;
//!
//! impl BlockingTransport for Canned {
//!     fn send(&self, request: Request) -> Result<Response, TransportError> {
//!         let body = format!("you asked for {}", request.uri().path()).into_bytes();
//!         Ok(http::Response::builder().status(404).body(body).unwrap_or_default())
//!     }
//!     fn sleep(&self, _duration: Duration) {}
//! }
//!
//! let request = http::Request::get("https://example.invalid/order").body(Vec::new())?;
//! let response = Canned.send(request)?;
//! assert_eq!(response.status(), 404);
//! assert_eq!(response.body(), b"you asked for /order");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`http`]: https://docs.rs/http/1

mod config;
mod error;
mod pool;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use config::TransportConfig;
pub use error::{TransportError, TransportErrorKind};
pub use pool::BodyPool;

/// The request a transport sends: an `http` request with the whole body in memory.
pub type Request = http::Request<Vec<u8>>;

/// The response a transport returns: status, all headers and the whole (decoded) body.
pub type Response = http::Response<Vec<u8>>;

/// A blocking backend, so the blocking client can run without any async runtime.
///
/// `send` returns `Ok` for every HTTP answer, whatever its status, and does not follow
/// redirects; `sleep` is how the client waits between retries.
pub trait BlockingTransport: Send + Sync {
    /// Sends `request` and returns the response, or an error if no response came.
    fn send(&self, request: Request) -> Result<Response, TransportError>;

    /// Blocks the current thread for `duration` (e.g. before a retry).
    fn sleep(&self, duration: Duration);

    /// Takes back the body of a response the caller has finished with, so the backend
    /// can read a later response into the same memory (see [`BodyPool`]). The
    /// default drops it.
    fn recycle(&self, body: Vec<u8>) {
        drop(body);
    }

    /// The current time on the clock `sleep` advances; a test double can fake both.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// An async backend; its futures are `Send` so clients work on multi-threaded runtimes.
///
/// Same contract as [`BlockingTransport`]: every HTTP answer is `Ok`, no redirects are
/// followed, and `sleep` uses the backend's runtime timer.
pub trait AsyncTransport: Send + Sync {
    /// Sends `request` and resolves to the response, or an error if no response came.
    fn send(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send;

    /// Resolves after `duration` without blocking the thread (e.g. before a retry).
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send;

    /// Takes back the body of a response the caller has finished with, so the backend
    /// can read a later response into the same memory (see [`BodyPool`]). The
    /// default drops it.
    fn recycle(&self, body: Vec<u8>) {
        drop(body);
    }

    /// The current time on the clock `sleep` advances; a test double can fake both.
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A borrowed transport is a transport, so one backend can serve several clients.
impl<T: BlockingTransport + ?Sized> BlockingTransport for &T {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }

    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }
    fn recycle(&self, body: Vec<u8>) {
        (**self).recycle(body);
    }
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A shared transport is a transport, so clients on several threads can share one backend.
impl<T: BlockingTransport + ?Sized> BlockingTransport for Arc<T> {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }

    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }
    fn recycle(&self, body: Vec<u8>) {
        (**self).recycle(body);
    }
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A boxed transport is a transport, so a backend can be picked at run time (`Box<dyn ...>`).
impl<T: BlockingTransport + ?Sized> BlockingTransport for Box<T> {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }

    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }
    fn recycle(&self, body: Vec<u8>) {
        (**self).recycle(body);
    }
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A borrowed transport is a transport, so one backend can serve several clients.
impl<T: AsyncTransport + ?Sized> AsyncTransport for &T {
    fn send(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send {
        (**self).send(request)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        (**self).sleep(duration)
    }
    fn recycle(&self, body: Vec<u8>) {
        (**self).recycle(body);
    }
    fn now(&self) -> Instant {
        (**self).now()
    }
}

/// A shared transport is a transport, so tasks can share one backend.
impl<T: AsyncTransport + ?Sized> AsyncTransport for Arc<T> {
    fn send(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send {
        (**self).send(request)
    }

    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        (**self).sleep(duration)
    }
    fn recycle(&self, body: Vec<u8>) {
        (**self).recycle(body);
    }
    fn now(&self) -> Instant {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::{Future, ready};
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Waker};

    /// Answers every request with 200 and counts calls and bodies handed back.
    #[derive(Default)]
    struct Counter {
        sent: AtomicUsize,
        recycled: AtomicUsize,
    }

    impl Counter {
        fn answer(&self) -> Result<Response, TransportError> {
            self.sent.fetch_add(1, Ordering::SeqCst);
            Ok(Response::new(b"ok".to_vec()))
        }
        fn take_back(&self, body: &[u8]) {
            assert_eq!(body, b"ok");
            self.recycled.fetch_add(1, Ordering::SeqCst);
        }
        fn counts(&self) -> (usize, usize) {
            (
                self.sent.load(Ordering::SeqCst),
                self.recycled.load(Ordering::SeqCst),
            )
        }
    }

    impl BlockingTransport for Counter {
        fn send(&self, _request: Request) -> Result<Response, TransportError> {
            self.answer()
        }
        fn sleep(&self, _duration: Duration) {}
        fn recycle(&self, body: Vec<u8>) {
            self.take_back(&body);
        }
    }

    impl AsyncTransport for Counter {
        fn send(
            &self,
            _request: Request,
        ) -> impl Future<Output = Result<Response, TransportError>> + Send {
            ready(self.answer())
        }
        fn sleep(&self, _duration: Duration) -> impl Future<Output = ()> + Send {
            ready(())
        }
        fn recycle(&self, body: Vec<u8>) {
            self.take_back(&body);
        }
    }

    fn request() -> Request {
        Request::new(Vec::new())
    }

    fn blocking_send(transport: impl BlockingTransport) {
        transport.sleep(Duration::ZERO);
        let response = transport.send(request()).unwrap();
        transport.recycle(response.into_body());
    }

    /// Polls a future that is ready at once; enough for these tests, no runtime needed.
    fn now<F: Future>(future: F) -> F::Output {
        match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("future not ready"),
        }
    }

    fn async_send(transport: impl AsyncTransport) {
        now(transport.sleep(Duration::ZERO));
        let response = now(transport.send(request())).unwrap();
        transport.recycle(response.into_body());
    }

    #[test]
    fn blocking_blanket_impls() {
        let counter = Arc::new(Counter::default());
        blocking_send(&*counter);
        blocking_send(Arc::clone(&counter));
        let boxed: Box<dyn BlockingTransport> = Box::new(Arc::clone(&counter));
        blocking_send(boxed);
        assert_eq!(counter.counts(), (3, 3));
    }

    #[test]
    fn async_blanket_impls() {
        let counter = Arc::new(Counter::default());
        async_send(&*counter);
        async_send(Arc::clone(&counter));
        assert_eq!(counter.counts(), (2, 2));
    }
}
