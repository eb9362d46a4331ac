//! A fake transport for both clients: answers from a handler, records every
//! request (key redacted) and every sleep, and keeps a fake clock that only
//! sleeping advances, so retry and rate-limit tests never really wait.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use digicert_api::transport::{
    AsyncTransport, BlockingTransport, Request, Response, TransportError,
};
use digicert_api::{Config, RetryPolicy};

/// The key every test configures; no output may ever contain it.
pub const KEY: &str = "TEST-KEY-0123456789abcdef";

/// The base URL every test configures.
pub const BASE: &str = "http://127.0.0.1:9/services/v2";

type Handler = dyn Fn(&Request, usize) -> Result<Response, TransportError> + Send + Sync;

/// What the fake transport saw.
#[derive(Default)]
struct Log {
    requests: Vec<String>,
    sent_at: Vec<Duration>,
    sleeps: Vec<Duration>,
    recycled: Vec<Vec<u8>>,
    clock: Duration,
}

/// A scripted server: `handler(request, call_number)` answers each request.
pub struct Fake {
    handler: Box<Handler>,
    log: Mutex<Log>,
    epoch: Instant,
}

impl Fake {
    pub fn new(
        handler: impl Fn(&Request, usize) -> Result<Response, TransportError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            handler: Box::new(handler),
            log: Mutex::default(),
            epoch: Instant::now(),
        }
    }

    /// Answers every request with the same status and body.
    pub fn always(status: u16, body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        Self::new(move |_, _| Ok(response(status, body.clone())))
    }

    /// Each request as `METHOD URL` and its headers, one per line, key redacted.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().requests.clone()
    }

    /// Every sleep asked for, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.log.lock().unwrap().sleeps.clone()
    }

    /// Every body handed back with `recycle`, in order.
    pub fn recycled(&self) -> Vec<Vec<u8>> {
        self.log.lock().unwrap().recycled.clone()
    }

    /// The fake clock's reading at each send.
    pub fn sent_at(&self) -> Vec<Duration> {
        self.log.lock().unwrap().sent_at.clone()
    }

    fn answer(&self, request: Request) -> Result<Response, TransportError> {
        let call = {
            let mut log = self.log.lock().unwrap();
            let mut text = format!("{} {}", request.method(), request.uri());
            for (name, value) in request.headers() {
                let value = value.to_str().unwrap();
                assert!(
                    name != "x-dc-devkey" || value == KEY,
                    "the key header must carry the key"
                );
                let shown = if value.contains(KEY) { "[key]" } else { value };
                text.push_str(&format!("\n  {name}: {shown}"));
            }
            if name_is_sensitive(&request) {
                text.push_str("\n  (x-dc-devkey marked sensitive)");
            }
            let shown = text.replace(env!("CARGO_PKG_VERSION"), "[version]");
            log.requests.push(shown);
            let now = log.clock;
            log.sent_at.push(now);
            log.requests.len() - 1
        };
        (self.handler)(&request, call)
    }

    fn advance(&self, duration: Duration) {
        let mut log = self.log.lock().unwrap();
        log.sleeps.push(duration);
        log.clock += duration;
    }

    fn clock(&self) -> Instant {
        self.epoch + self.log.lock().unwrap().clock
    }

    fn take_back(&self, body: Vec<u8>) {
        self.log.lock().unwrap().recycled.push(body);
    }
}

fn name_is_sensitive(request: &Request) -> bool {
    request
        .headers()
        .get("x-dc-devkey")
        .is_some_and(|v| v.is_sensitive())
}

impl BlockingTransport for Fake {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        self.answer(request)
    }
    fn sleep(&self, duration: Duration) {
        self.advance(duration);
    }
    fn recycle(&self, body: Vec<u8>) {
        self.take_back(body);
    }
    fn now(&self) -> Instant {
        self.clock()
    }
}

impl AsyncTransport for Fake {
    fn send(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send {
        std::future::ready(self.answer(request))
    }
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()> + Send {
        self.advance(duration);
        std::future::ready(())
    }
    fn recycle(&self, body: Vec<u8>) {
        self.take_back(body);
    }
    fn now(&self) -> Instant {
        self.clock()
    }
}

/// A response with a status and body (JSON content type unless the body looks like CSV or HTML).
pub fn response(status: u16, body: impl Into<Vec<u8>>) -> Response {
    let body = body.into();
    let content_type = match body.first() {
        Some(b'<') => "text/html",
        Some(b'{' | b'[') => "application/json",
        _ => "text/csv",
    };
    http::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(body)
        .unwrap()
}

/// A fixture's bytes, by its path under `fixtures/`.
pub fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The configuration tests use: the fake base URL, no jitter, no rate limit.
pub fn config() -> Config {
    Config::new(KEY)
        .with_base_url(BASE)
        .unwrap()
        .retry(RetryPolicy::default().with_jitter(false))
        .rate_limit(None)
}

/// Runs a future to completion on a single-threaded runtime.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

/// Checks that a value's `Debug` and the error's `Display` never show the key.
pub fn assert_no_key<T: Debug>(value: &T) {
    let shown = format!("{value:?}");
    assert!(!shown.contains(KEY), "the key leaked: {shown}");
}

/// Runs `$call` (an expression using `$client`) through the blocking client and,
/// awaited, through the async client, each on a fresh fake from `$fake`; asserts
/// both give the same result (by `Debug`) and send the same requests; returns the
/// blocking result and the requests.
#[macro_export]
macro_rules! both {
    // rustfmt may wrap the call in a block; unwrap it so temporaries live through `.await`.
    ($fake:expr, $config:expr, |$client:ident| { $call:expr }) => {
        $crate::both!($fake, $config, |$client| $call)
    };
    ($fake:expr, $config:expr, |$client:ident| $call:expr) => {{
        let (blocking_fake, async_fake) = ($fake, $fake);
        let blocking_result = {
            let $client = digicert_api::blocking::Client::new(&blocking_fake, $config);
            $call
        };
        let async_result = $crate::support::block_on(async {
            let $client = digicert_api::Client::new(&async_fake, $config);
            $call.await
        });
        assert_eq!(
            format!("{blocking_result:?}"),
            format!("{async_result:?}"),
            "the clients disagree"
        );
        assert_eq!(
            blocking_fake.requests(),
            async_fake.requests(),
            "the clients sent different requests"
        );
        assert_eq!(
            blocking_fake.sleeps(),
            async_fake.sleeps(),
            "the clients waited differently"
        );
        $crate::support::assert_no_key(&blocking_result);
        (blocking_result, blocking_fake)
    }};
}

/// Like [`both!`] for the `*_all` listings: collects the blocking iterator and the async stream.
#[macro_export]
macro_rules! both_all {
    ($fake:expr, $config:expr, |$client:ident| { $call:expr }) => {
        $crate::both_all!($fake, $config, |$client| $call)
    };
    ($fake:expr, $config:expr, |$client:ident| $call:expr) => {{
        use futures_util::StreamExt as _;
        // The blocking listing fetches pages on a worker thread, which needs an owned transport.
        let (blocking_fake, async_fake) = (std::sync::Arc::new($fake), $fake);
        let blocking_items: Vec<_> = {
            let $client =
                digicert_api::blocking::Client::new(std::sync::Arc::clone(&blocking_fake), $config);
            $call.collect()
        };
        let async_items: Vec<_> = $crate::support::block_on(async {
            let $client = digicert_api::Client::new(&async_fake, $config);
            $call.collect().await
        });
        assert_eq!(
            format!("{blocking_items:?}"),
            format!("{async_items:?}"),
            "the clients disagree"
        );
        $crate::support::assert_no_key(&blocking_items);
        (blocking_items, blocking_fake, async_fake)
    }};
}
