//! Turning the global options into a configured client (and the demo server).

use std::sync::Arc;
use std::time::Duration;

use digicert_api::{Client, Config, Region, blocking};
use digicert_mock::{MockConfig, MockServer};
use digicert_transport_reqwest::ReqwestTransport;
use digicert_transport_ureq::UreqTransport;

use crate::api::Api;
use crate::args::{self, Backend, Global};
use crate::counting::{Counted, RequestCounts};
use crate::error::CliError;

/// A client, and the demo server it talks to if `--demo` started one.
pub struct Connection {
    pub api: Api,
    /// Requests sent so far, by endpoint and answer.
    pub counts: RequestCounts,
    /// Kept alive for as long as the client needs it.
    _demo: Option<MockServer>,
}

/// Builds the client the options ask for.
pub fn connect(global: &Global) -> Result<Connection, CliError> {
    let (config, demo) = if global.demo {
        let server = MockServer::start_background(MockConfig::default())?;
        tracing::info!(
            base_url = server.base_url(),
            orders = server.dataset().len(),
            "demo CertCentral started"
        );
        let config = Config::new(server.api_key()).with_base_url(server.base_url())?;
        (config, Some(server))
    } else {
        let key = global
            .api_key
            .as_deref()
            .filter(|key| !key.trim().is_empty())
            .ok_or_else(|| {
                CliError::Usage(
                    "no API key: pass --api-key or set DIGICERT_API_KEY (or try --demo)".to_owned(),
                )
            })?;
        let mut config = Config::new(key);
        if let Some(region) = global.region {
            config = config.region(match region {
                args::Region::Us => Region::Us,
                args::Region::Eu => Region::Eu,
            });
        }
        if let Some(url) = &global.base_url {
            config = config.with_base_url(url)?;
        }
        (config, None)
    };
    let mut config = config;
    if let Some(pages) = global.concurrency {
        config = config.concurrency(usize::from(pages));
    }
    if let Some(seconds) = global.timeout {
        config = config.timeout(Duration::from_secs(seconds));
    }
    if global.no_rate_limit {
        config = config.rate_limit(None);
    }
    let counts = RequestCounts::default();
    let api = match global.backend {
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
    Ok(Connection {
        api,
        counts,
        _demo: demo,
    })
}
