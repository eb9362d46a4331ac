//! Serving safely: `serve --web-config FILE` (exporter-toolkit's web configuration: TLS,
//! client certificates, basic authentication, headers, a rate limit), security headers and
//! GET/HEAD only by default, and the listener's limits. It covers every route alike: the
//! page, `/metrics` and `/healthz`.
//!
//! The file is read once, at start: a change needs a restart (exporter-toolkit reads it
//! again on every request).

mod auth;
mod config;
mod go_errors;
mod headers;
mod listener;
mod rate;
mod slots;
mod tls;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tokio::net::TcpListener;

pub use config::WebConfigError;

use auth::BasicAuth;
use config::WebFile;
use headers::Headers;
use rate::RateLimit;
use tls::Tls;

/// How `serve` answers: what the web config file asks, or the defaults without one.
#[derive(Debug)]
pub struct Web {
    tls: Option<Arc<Tls>>,
    auth: Option<Arc<BasicAuth>>,
    headers: Arc<Headers>,
    rate: Option<Arc<RateLimit>>,
}

impl Web {
    /// The settings of the file at `path`, checked (certificates and keys read); the
    /// defaults (plain HTTP, no authentication) without a file.
    pub fn load(path: Option<&Path>) -> Result<Self, WebConfigError> {
        let Some(path) = path else {
            return Ok(Self {
                tls: None,
                auth: None,
                headers: Arc::new(Headers::defaults()),
                rate: None,
            });
        };
        let invalid = |message: String| WebConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let file = WebFile::read(path)?;
        config::check_headers(&file.http_server_config.headers).map_err(invalid)?;
        let auth = BasicAuth::new(&file.basic_auth_users).map_err(invalid)?;
        let tls = if file.tls_enabled() {
            Some(Arc::new(
                Tls::new(&file.tls_server_config).map_err(invalid)?,
            ))
        } else {
            None
        };
        let rate = file
            .rate_limit()
            .map_err(|err| invalid(format!("rate_limit.interval: {err}")))?
            .map(|(interval, burst)| Arc::new(RateLimit::new(interval, burst)));
        let headers = Headers::new(&file.http_server_config.headers).map_err(invalid)?;
        Ok(Self {
            tls,
            auth: auth.map(Arc::new),
            headers: Arc::new(headers),
            rate,
        })
    }

    /// `https` with TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// Serves `app` behind the settings until the process ends: headers on every answer,
    /// GET and HEAD only, the rate limit, authentication, the request time limit.
    pub async fn serve(self, listener: TcpListener, app: Router) -> std::io::Result<()> {
        let mut app = app.layer(from_fn(headers::time_limit));
        if let Some(auth) = self.auth {
            app = app.layer(from_fn_with_state(auth, auth::require));
        }
        if let Some(rate) = self.rate {
            app = app.layer(from_fn_with_state(rate, rate::limit));
        }
        let app = app
            .layer(from_fn(headers::only_get_and_head))
            .layer(from_fn_with_state(self.headers, headers::set));
        listener::serve(listener, app, self.tls).await
    }
}
