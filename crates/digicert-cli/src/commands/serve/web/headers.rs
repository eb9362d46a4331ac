//! What every answer of `serve` carries, and what every request must be: security headers
//! on every response (the page, `/metrics`, `/healthz`, errors alike), the web config's
//! `http_server_config.headers` over them; GET and HEAD only; a time limit per request.

use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The page's policy: its script and style are files of this origin, nothing inline and
/// nothing from another host; no frame may hold it, no form may post elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The headers every response carries unless the web config sets them otherwise.
const DEFAULTS: [(HeaderName, &str); 5] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
];

/// How long one request may take, from its headers read to its answer made.
pub const REQUEST_TIME: Duration = Duration::from_secs(30);

/// The headers to set on every response: the defaults, then the configured ones over them.
#[derive(Debug, Clone, Default)]
pub struct Headers(Vec<(HeaderName, HeaderValue)>);

impl Headers {
    /// The defaults.
    pub fn defaults() -> Self {
        Self(
            DEFAULTS
                .iter()
                .map(|(name, value)| (name.clone(), HeaderValue::from_static(value)))
                .collect(),
        )
    }

    /// The defaults with `configured` (already checked) set over them.
    pub fn new<'a>(
        configured: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Result<Self, String> {
        let Self(mut headers) = Self::defaults();
        for (name, value) in configured {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|err| format!("HTTP header {name:?}: {err}"))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|err| format!("HTTP header {name}: {err}"))?;
            headers.retain(|(known, _)| *known != name);
            headers.push((name, value));
        }
        Ok(Self(headers))
    }

    /// Sets the headers on a response (and `Cache-Control: no-store` where the handler set
    /// none: what the page shows is not for shared caches).
    pub fn apply(&self, answer: &mut HeaderMap) {
        for (name, value) in &self.0 {
            answer.insert(name.clone(), value.clone());
        }
        if !answer.contains_key(header::CACHE_CONTROL) {
            answer.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
}

/// 405 for anything but GET and HEAD, before any route.
pub async fn only_get_and_head(request: Request, next: Next) -> Response {
    if request.method() == Method::GET || request.method() == Method::HEAD {
        return next.run(request).await;
    }
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::ALLOW, "GET, HEAD")],
        "only GET and HEAD\n",
    )
        .into_response()
}

/// 503 for a request whose answer takes longer than [`REQUEST_TIME`].
pub async fn time_limit(request: Request, next: Next) -> Response {
    match tokio::time::timeout(REQUEST_TIME, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the answer took too long\n",
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn configured_headers_replace_the_defaults() {
        let csp = "Content-Security-Policy".to_owned();
        let value = "default-src 'self'".to_owned();
        let sts = "Strict-Transport-Security".to_owned();
        let age = "max-age=31536000".to_owned();
        let headers = Headers::new([(&csp, &value), (&sts, &age)]).unwrap();
        let get = |name: &str| {
            headers
                .0
                .iter()
                .filter(|(known, _)| known == name)
                .map(|(_, value)| value.to_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("content-security-policy"), [value]);
        assert_eq!(get("strict-transport-security"), [age]);
        assert_eq!(get("x-content-type-options"), ["nosniff"]);
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    }
}
