//! The client an account's settings ask for: the backend, the request counting, and the
//! demo server when `--demo` wants one.

mod api;
mod counting;

use std::sync::Arc;

use digicert_api::{Client, Config, blocking};
#[cfg(feature = "demo")]
use digicert_mock::{MockConfig, MockServer};
use digicert_transport_reqwest::ReqwestTransport;
use digicert_transport_ureq::UreqTransport;

pub use api::Api;
pub use counting::RequestCounts;

use counting::Counted;

use crate::error::CliError;
use crate::flags::Backend;
use crate::settings::{ClientSettings, Server};

/// A client, and the demo server it talks to if `--demo` started one.
pub struct Connection {
    /// The client.
    pub api: Api,
    /// Requests sent so far, by endpoint and answer.
    pub counts: RequestCounts,
    /// Kept alive for as long as the client needs it.
    #[cfg_attr(not(feature = "demo"), allow(dead_code))]
    demo: Option<Demo>,
}

/// The demo server, when the `demo` feature is compiled in.
#[cfg(feature = "demo")]
type Demo = MockServer;
/// Nothing: this binary has no demo server.
#[cfg(not(feature = "demo"))]
type Demo = std::convert::Infallible;

impl Connection {
    /// The demo server this client talks to, when `--demo` started one.
    #[cfg(feature = "demo")]
    pub fn demo_server(&self) -> Option<&MockServer> {
        self.demo.as_ref()
    }
}

/// Starts the fake CertCentral and a configuration pointing at it.
#[cfg(feature = "demo")]
fn start_demo() -> Result<(Config, Demo), CliError> {
    let server = MockServer::start_background(MockConfig::default())?;
    tracing::info!(
        base_url = server.base_url(),
        orders = server.dataset().len(),
        "demo CertCentral started"
    );
    let config = Config::new(server.api_key()).with_base_url(server.base_url())?;
    Ok((config, server))
}

/// Refuses `--demo`: the fake CertCentral was not compiled in.
#[cfg(not(feature = "demo"))]
fn start_demo() -> Result<(Config, Demo), CliError> {
    Err(CliError::Usage(
        "--demo needs the `demo` feature, which this digicert was built without".to_owned(),
    ))
}

/// Builds the client the settings ask for.
pub fn connect(settings: ClientSettings) -> Result<Connection, CliError> {
    let ClientSettings {
        backend,
        server,
        timeout,
        concurrency,
        rate_limit,
    } = settings;
    let (mut config, demo) = match server {
        Server::CertCentral(config) => (*config, None),
        Server::Demo => {
            let (config, server) = start_demo()?;
            (config, Some(server))
        }
    };
    if let Some(timeout) = timeout {
        config = config.timeout(timeout);
    }
    if let Some(pages) = concurrency {
        config = config.concurrency(pages);
    }
    if !rate_limit {
        config = config.rate_limit(None);
    }
    let counts = RequestCounts::default();
    let api = match backend {
        Backend::Blocking => {
            let transport = UreqTransport::new(config.transport_config());
            let transport = Counted::new(transport, counts.clone());
            Api::Blocking(Arc::new(blocking::Client::new(transport, config)))
        }
        Backend::Async => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?;
            let transport = ReqwestTransport::new(config.transport_config())
                .map_err(digicert_api::Error::from)?;
            let transport = Counted::new(transport, counts.clone());
            let client = Arc::new(Client::new(transport, config));
            Api::Async { client, runtime }
        }
    };
    Ok(Connection { api, counts, demo })
}
