//! Serving safely: `serve --web-config FILE` (exporter-toolkit's web configuration: TLS,
//! client certificates, basic authentication, headers, a rate limit), security headers and
//! GET/HEAD only by default, and the listener's limits. It covers every route alike: the
//! page, `/metrics` and `/healthz`.
//!
//! The file is read again as exporter-toolkit reads it, for every request and every TLS
//! handshake (`live.rs`): a renewed certificate or a changed user takes effect without a
//! restart.

mod auth;
mod config;
mod go_errors;
mod headers;
mod listener;
mod live;
mod rate;
mod slots;
mod tls;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

pub use config::WebConfigError;

use headers::Headers;
use live::{Live, Settings};
use rate::RateLimit;

/// How `serve` answers: what the web config file asks, or the defaults without one.
#[derive(Debug)]
pub struct Web {
    live: Arc<Live>,
    rate: Option<Arc<RateLimit>>,
}

impl Web {
    /// The settings of the file at `path`, checked (certificates and keys read); the
    /// defaults (plain HTTP, no authentication) without a file.
    pub fn load(path: Option<&Path>) -> Result<Self, WebConfigError> {
        let Some(path) = path else {
            return Ok(Self {
                live: Arc::new(Live::fixed(Settings::defaults())),
                rate: None,
            });
        };
        let live = Live::watching(path)?;
        // Taken at start only, as in exporter-toolkit: one bucket for the process.
        let rate = live
            .rate()
            .map(|(interval, burst)| Arc::new(RateLimit::new(interval, burst)));
        Ok(Self {
            live: Arc::new(live),
            rate,
        })
    }

    /// `https` with TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.live.tls() { "https" } else { "http" }
    }

    /// Serves `app` behind the settings until the process ends: headers on every answer,
    /// GET and HEAD only, the rate limit, authentication, the request time limit.
    pub async fn serve(self, listener: TcpListener, app: Router) -> std::io::Result<()> {
        let mut app = app
            .layer(from_fn(headers::time_limit))
            .layer(from_fn(authenticate));
        if let Some(rate) = self.rate {
            app = app.layer(from_fn_with_state(rate, rate::limit));
        }
        let app = app
            .layer(from_fn(headers::only_get_and_head))
            .layer(from_fn_with_state(Arc::clone(&self.live), with_settings));
        let tls = self.live.tls().then_some(self.live);
        listener::serve(listener, app, tls).await
    }
}

/// The settings as the file is now, handed to the layers inside through the request, and
/// their headers on the answer; 500 (with the default headers) while the file does not read
/// or check.
async fn with_settings(
    State(live): State<Arc<Live>>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(settings) = live.current() else {
        let mut answer =
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error\n").into_response();
        Headers::defaults().apply(answer.headers_mut());
        return answer;
    };
    request.extensions_mut().insert(Arc::clone(&settings));
    let mut answer = next.run(request).await;
    settings.headers.apply(answer.headers_mut());
    answer
}

/// 401 unless the request carries a user's credentials, when the file names users.
async fn authenticate(request: Request, next: Next) -> Response {
    let settings = request.extensions().get::<Arc<Settings>>().cloned();
    let Some(settings) = settings else {
        // Set by `with_settings` on every request: without it, nothing is known to allow.
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match &settings.auth {
        Some(auth) if !auth.allows(request.headers()).await => auth::unauthorized(),
        _ => next.run(request).await,
    }
}
