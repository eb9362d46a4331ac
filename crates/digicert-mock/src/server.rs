//! Starting and stopping the fake: on the caller's runtime, or on a thread of its own.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use chrono::{DateTime, Utc};
use digicert_model::OrderStatus;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::background;
use crate::dataset::{ChangeRecord, Dataset, DatasetConfig, now_to_the_minute};
use crate::faults::{FaultPlan, Faults};
use crate::log::{RequestLog, RequestRecord};
use crate::routes::{BASE_PATH, Shared, router};

/// How long a stopping server waits for open requests before it lets them go.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Settings of a [`MockServer`].
///
/// ```
/// use std::time::Duration;
/// use digicert_mock::{FaultPlan, MockConfig};
///
/// let config = MockConfig::default()
///     .with_api_key("test-key")
///     .with_orders(10_000)
///     .with_faults(FaultPlan { latency: Duration::from_millis(20), ..FaultPlan::default() });
/// assert_eq!(config.orders, 10_000);
/// assert!(!format!("{config:?}").contains("test-key"));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct MockConfig {
    /// The API key requests must carry in `X-DC-DEVKEY`.
    pub api_key: String,
    /// Number of orders in the dataset.
    pub orders: usize,
    /// Seed of the dataset.
    pub seed: u64,
    /// "Now" for the dataset; `None` is the server's start time truncated to the minute.
    pub reference_time: Option<DateTime<Utc>>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Faults switched on from the start.
    pub faults: FaultPlan,
}

impl MockConfig {
    /// The key [`MockConfig::default`] uses.
    pub const DEFAULT_API_KEY: &str = "mock-api-key";

    /// Sets the API key.
    #[must_use]
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = api_key.into();
        self
    }

    /// Sets the number of orders.
    #[must_use]
    pub fn with_orders(mut self, orders: usize) -> Self {
        self.orders = orders;
        self
    }

    /// Sets the dataset's seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Fixes "now" for the dataset (for answers that do not depend on the start time).
    #[must_use]
    pub fn with_reference_time(mut self, reference_time: DateTime<Utc>) -> Self {
        self.reference_time = Some(reference_time);
        self
    }

    /// Sets the port (0 picks a free one).
    #[must_use]
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Sets the faults on from the start.
    #[must_use]
    pub fn with_faults(mut self, faults: FaultPlan) -> Self {
        self.faults = faults;
        self
    }

    /// The dataset settings this server configuration implies.
    fn dataset(&self) -> DatasetConfig {
        DatasetConfig::new(self.reference_time.unwrap_or_else(now_to_the_minute))
            .with_seed(self.seed)
            .with_orders(self.orders)
    }
}

impl Default for MockConfig {
    /// Key [`MockConfig::DEFAULT_API_KEY`], 2,500 orders, the default seed, a free port, no faults.
    fn default() -> Self {
        Self {
            api_key: Self::DEFAULT_API_KEY.to_owned(),
            orders: DatasetConfig::DEFAULT_ORDERS,
            seed: DatasetConfig::DEFAULT_SEED,
            reference_time: None,
            port: 0,
            faults: FaultPlan::default(),
        }
    }
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockConfig")
            .field("api_key", &"[redacted]")
            .field("orders", &self.orders)
            .field("seed", &self.seed)
            .field("reference_time", &self.reference_time)
            .field("port", &self.port)
            .field("faults", &self.faults)
            .finish()
    }
}

/// What runs the server.
enum Runner {
    /// A task on the caller's runtime (detached: it ends by itself once told to stop).
    Task,
    /// A thread with a runtime of its own.
    Thread(thread::JoinHandle<()>),
}

/// A running fake CertCentral on 127.0.0.1; dropping it stops the server.
///
/// See the [crate documentation](crate) for examples.
pub struct MockServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    base_url: String,
    stop: watch::Sender<bool>,
    runner: Option<Runner>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("base_url", &self.base_url)
            .field("orders", &self.shared.dataset.len())
            .finish_non_exhaustive()
    }
}

impl MockServer {
    /// Starts the server on the current tokio runtime (which must have I/O and time enabled).
    pub async fn start(config: MockConfig) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let (server, stopping) = Self::new(&config, addr);
        let app = router(Arc::clone(&server.shared));
        tokio::spawn(serve(listener, app, stopping));
        Ok(server.with_runner(Runner::Task))
    }

    /// Starts the server on a thread of its own with its own runtime, for blocking code.
    ///
    /// Works from anywhere, inside an async runtime or not; the server stops when the
    /// returned handle is dropped or [`MockServer::shutdown`] is called.
    pub fn start_background(config: MockConfig) -> io::Result<Self> {
        let (listener, addr) = background::bind(config.port)?;
        let (server, stopping) = Self::new(&config, addr);
        let app = router(Arc::clone(&server.shared));
        let name = format!("digicert-mock-{}", addr.port());
        let thread = background::spawn(name, listener, move |listener| {
            serve(listener, app, stopping)
        })?;
        Ok(server.with_runner(Runner::Thread(thread)))
    }

    /// The handle, before anything runs it.
    fn new(config: &MockConfig, addr: SocketAddr) -> (Self, watch::Receiver<bool>) {
        let (stop, stopping) = watch::channel(false);
        let shared = Arc::new(Shared {
            dataset: Dataset::new(&config.dataset()),
            api_key: config.api_key.clone(),
            faults: Faults::new(config.faults.clone()),
            log: RequestLog::default(),
            stopping: stopping.clone(),
        });
        let server = Self {
            shared,
            addr,
            base_url: format!("http://{addr}{BASE_PATH}"),
            stop,
            runner: None,
        };
        (server, stopping)
    }

    fn with_runner(mut self, runner: Runner) -> Self {
        self.runner = Some(runner);
        self
    }

    /// The API's base URL, such as `http://127.0.0.1:41234/services/v2`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key requests must carry.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// The orders the server serves, as they are now (changes included).
    pub fn dataset(&self) -> &Dataset {
        &self.shared.dataset
    }

    /// Places `count` new orders now, issued with a fresh validity, and records each as a
    /// status change to `issued`; returns their IDs (the newest of all), oldest first.
    ///
    /// Every endpoint shows them from the next request on. For a chosen time, see
    /// [`Dataset::add_orders_at`] (through [`MockServer::dataset`]).
    pub fn add_orders(&self, count: usize) -> Vec<u64> {
        self.shared.dataset.add_orders(count)
    }

    /// Revokes the order's certificate now and records the status change; `false` if there
    /// is no such order or its certificate is not in force (see [`Dataset::revoke_at`]).
    pub fn revoke(&self, order_id: u64) -> bool {
        self.shared.dataset.revoke(order_id)
    }

    /// Reissues the order's certificate now: a new certificate ID, thumbprint and serial
    /// number, valid from today; records the status change to `issued`. `false` if there is
    /// no such order or its certificate is not in force (see [`Dataset::reissue_at`]).
    pub fn reissue(&self, order_id: u64) -> bool {
        self.shared.dataset.reissue(order_id)
    }

    /// Sets the order's status now and records the change; `false` if there is no such
    /// order (see [`Dataset::record_change_at`]).
    pub fn set_status(&self, order_id: u64, status: OrderStatus) -> bool {
        self.shared.dataset.set_status(order_id, status)
    }

    /// Records a change of the order to `status` at `at`, in the past if need be (for the
    /// edges of status-change windows); `false` if there is no such order. The order's
    /// status is that of its latest change by time (see [`Dataset::record_change_at`]).
    pub fn record_change_at(&self, order_id: u64, status: OrderStatus, at: DateTime<Utc>) -> bool {
        self.shared.dataset.record_change_at(order_id, status, at)
    }

    /// Every change made while the server ran, in the order made.
    pub fn change_log(&self) -> Vec<ChangeRecord> {
        self.shared.dataset.change_log()
    }

    /// The live fault settings; changes apply to the next request.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Number of requests received (since the last [`MockServer::clear_requests`]).
    pub fn request_count(&self) -> usize {
        self.shared.log.len()
    }

    /// Every request received (since the last [`MockServer::clear_requests`]), in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log.records()
    }

    /// The most requests received (since the last [`MockServer::clear_requests`]) within any
    /// span of `window`, by arrival time: what a rate limit over `window` would see.
    pub fn busiest(&self, window: Duration) -> usize {
        self.shared.log.busiest(window)
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.shared.log.clear();
    }

    /// Stops the server; same as dropping it.
    ///
    /// A server started with [`MockServer::start_background`] has stopped listening when
    /// this returns; one started with [`MockServer::start`] stops on its runtime shortly after.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        match self.runner.take() {
            Some(Runner::Thread(thread)) => {
                let _ = thread.join();
            }
            Some(Runner::Task) | None => {}
        }
    }
}

/// Serves until told to stop, then gives open requests a short grace period.
async fn serve(listener: TcpListener, app: axum::Router, stopping: watch::Receiver<bool>) {
    let signal = stop_signal(stopping.clone());
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let deadline = async move {
        stop_signal(stopping).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        _ = server => {}
        () = deadline => {}
    }
}

/// Resolves once the server is told to stop (or its handle is gone).
async fn stop_signal(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}
