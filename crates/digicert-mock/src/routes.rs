//! The HTTP face of the fake: routes, the gate every request passes (log, faults, API key),
//! and DigiCert's error body.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use digicert_model::{ApiErrorEntry, ErrorBody, ErrorCode};
use tokio::sync::watch;

use crate::cut::cut_short;
use crate::dataset::{Dataset, ReportFilter};
use crate::faults::{Action, Faults};
use crate::log::RequestLog;
use crate::window::{WindowError, WindowQuery, window};

/// Where every endpoint lives.
pub(crate) const BASE_PATH: &str = "/services/v2";
/// The header that carries the API key.
const KEY_HEADER: &str = "x-dc-devkey";
/// The largest page the list endpoints serve, and their default.
const MAX_LIMIT: usize = 1000;
/// The page DigiCert's CDN answers with when the service is down.
const UNAVAILABLE_PAGE: &str = "<html>\r\n<head><title>503 Service Unavailable</title></head>\r\n\
<body>\r\n<center><h1>503 Service Unavailable</h1></center>\r\n\
<p>The server is temporarily unable to service your request. Please try again later.</p>\r\n\
</body>\r\n</html>\r\n";

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dataset: Dataset,
    pub(crate) api_key: String,
    pub(crate) faults: Faults,
    pub(crate) log: RequestLog,
    /// Turns true when the server shuts down; requests held by the hang fault end then.
    pub(crate) stopping: watch::Receiver<bool>,
}

/// The application: every endpoint behind the gate, and DigiCert's 404 for anything else.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = |path: &str| format!("{BASE_PATH}{path}");
    Router::new()
        .route(&api("/report/order"), get(report))
        .route(&api("/account/subaccount/order"), get(subaccount_orders))
        .route(
            &api("/order/certificate/status-changes"),
            get(status_changes),
        )
        .route(&api("/order/certificate/{reference}"), get(order_info))
        .route(
            &api("/order/certificate/{reference}/reissue"),
            get(reissues),
        )
        .fallback(route_not_found)
        .method_not_allowed_fallback(route_not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), gate))
        .with_state(shared)
}

/// A DigiCert error answer: status and `{"errors":[{"code","message"}]}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request_format", message)
    }

    fn order_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found|order", "Order not found.")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            errors: vec![ApiErrorEntry {
                code: ErrorCode::new(self.code),
                message: self.message,
                extra: Default::default(),
            }],
            ..Default::default()
        };
        let mut response = json(serde_json::to_vec(&body));
        *response.status_mut() = self.status;
        response
    }
}

/// A JSON answer from `serde_json::to_vec`; a value that could not be serialized is a 500
/// with DigiCert's body.
fn json(serialized: serde_json::Result<Vec<u8>>) -> Response {
    match serialized {
        Ok(body) => with_type(body, "application/json"),
        Err(err) => {
            let body = format!(
                r#"{{"errors":[{{"code":"internal_error","message":"{}"}}]}}"#,
                err.to_string().replace('"', "'")
            );
            let mut response = with_type(body.into_bytes(), "application/json");
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        }
    }
}

/// A 200 answer with a body and its content type.
fn with_type(body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// The gate: log the request, apply the faults, check the API key, then route it.
async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or_else(
        || request.uri().path().to_owned(),
        |pq| pq.as_str().to_owned(),
    );
    let number = shared.log.arrived(request.method().as_str(), &target);
    let key = request
        .headers()
        .get(KEY_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let decision = shared.faults.decide(number, &key, Instant::now());
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }
    let response = match decision.action {
        Action::Hang => return hang(&shared).await,
        Action::Unavailable => unavailable(),
        Action::RateLimited(retry_after) => rate_limited(retry_after),
        Action::Serve | Action::Truncate if key != shared.api_key => ApiError::new(
            StatusCode::FORBIDDEN,
            "access_denied|access_denied_invalid_key",
            "The API key is missing or invalid.",
        )
        .into_response(),
        Action::Serve => next.run(request).await,
        Action::Truncate => cut_short(next.run(request).await).await,
    };
    shared.log.answered(number, response.status().as_u16());
    response
}

/// Holds a request until the server shuts down, then lets its connection go.
async fn hang(shared: &Shared) -> Response {
    let mut stopping = shared.stopping.clone();
    // An error means the server is gone, which ends the wait as well.
    let _ = stopping.wait_for(|stop| *stop).await;
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

/// The 503 a CDN in front of the API answers with: an HTML page.
fn unavailable() -> Response {
    let mut response = with_type(
        UNAVAILABLE_PAGE.as_bytes().to_vec(),
        "text/html; charset=utf-8",
    );
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}

/// DigiCert's 429, with `Retry-After` only if the fault plan asks for it.
fn rate_limited(retry_after: Option<Duration>) -> Response {
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "request_limit_exceeded",
        "Service unavailable, please limit request volume",
    )
    .into_response();
    if let Some(delay) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(delay.as_secs()));
    }
    response
}

/// DigiCert's answer to a path it does not serve.
async fn route_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found|route",
        "The requested route was not found.",
    )
}

/// The query string's pairs, URL-decoded (`+` is a space).
struct Params(Vec<(String, String)>);

impl Params {
    fn of(uri: &Uri) -> Result<Self, ApiError> {
        Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|Query(pairs)| Self(pairs))
            .map_err(|_| ApiError::bad_request("The query string is malformed."))
    }

    /// The last value given for `name`.
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A whole number, `default` when absent.
    fn number(&self, name: &str, default: usize) -> Result<usize, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(text) => text
                .trim()
                .parse()
                .map_err(|_| ApiError::bad_request(format!("{name} must be a whole number."))),
        }
    }

    /// `offset` and `limit` of a list endpoint: limit 1 to 1000 (default 1000).
    fn paging(&self) -> Result<(usize, usize), ApiError> {
        let offset = self.number("offset", 0)?;
        let limit = self.number("limit", MAX_LIMIT)?;
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit must be between 1 and {MAX_LIMIT}."
            )));
        }
        Ok((offset, limit))
    }
}

/// `GET /report/order`: one page of the CSV order report.
async fn report(State(shared): State<Arc<Shared>>, uri: Uri) -> Result<Response, ApiError> {
    let params = Params::of(&uri)?;
    let (offset, limit) = params.paging()?;
    let filter = ReportFilter::from_query(&params.0).map_err(ApiError::bad_request)?;
    let buffer = Vec::with_capacity(limit.min(shared.dataset.len()) * 1200 + 1024);
    let body = shared
        .dataset
        .write_filtered_report(buffer, &filter, offset, limit)
        .map_err(|err| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                err.to_string(),
            )
        })?;
    Ok(with_type(body, "text/csv; charset=utf-8"))
}

/// `GET /account/subaccount/order`: one page of sub-account orders.
async fn subaccount_orders(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let (offset, limit) = Params::of(&uri)?.paging()?;
    Ok(json(serde_json::to_vec(
        &shared.dataset.subaccount_orders(offset, limit),
    )))
}

/// One view of the order a path names (by order ID, thumbprint or serial number), as JSON,
/// or DigiCert's 404.
fn order_view(
    shared: &Shared,
    reference: Result<Path<String>, PathRejection>,
    view: impl FnOnce(&Dataset, u64) -> Option<serde_json::Result<Vec<u8>>>,
) -> Result<Response, ApiError> {
    let Ok(Path(reference)) = reference else {
        return Err(ApiError::order_not_found());
    };
    shared
        .dataset
        .find(&reference)
        .and_then(|order_id| view(&shared.dataset, order_id))
        .map(json)
        .ok_or_else(ApiError::order_not_found)
}

/// `GET /order/certificate/{reference}`: one order's details.
async fn order_info(
    State(shared): State<Arc<Shared>>,
    reference: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    order_view(&shared, reference, |dataset, order_id| {
        Some(serde_json::to_vec(&dataset.order_info(order_id)?))
    })
}

/// `GET /order/certificate/{reference}/reissue`: one order's reissues.
async fn reissues(
    State(shared): State<Arc<Shared>>,
    reference: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    order_view(&shared, reference, |dataset, order_id| {
        Some(serde_json::to_vec(&dataset.reissues(order_id)?))
    })
}

/// `GET /order/certificate/status-changes`: orders whose status changed in a window.
async fn status_changes(State(shared): State<Arc<Shared>>, uri: Uri) -> Result<Response, ApiError> {
    let params = Params::of(&uri)?;
    let query = WindowQuery {
        minutes: params.get("minutes"),
        seconds: params.get("seconds"),
        range: params.get("filters[status_last_updated]"),
    };
    let (from, to) = window(query, Utc::now()).map_err(|err| match err {
        WindowError::TooLong => ApiError::new(
            StatusCode::BAD_REQUEST,
            "time_frame_too_long",
            "An error occurred while processing your request.",
        ),
        WindowError::Missing => ApiError::bad_request(
            "At least one filter is required: minutes, seconds or filters[status_last_updated].",
        ),
        WindowError::Invalid(message) => ApiError::bad_request(message),
    })?;
    let changes = shared.dataset.status_changes(from, to);
    if changes.orders.is_empty() {
        // CertCentral's answer when nothing changed is an empty object.
        return Ok(with_type(b"{}".to_vec(), "application/json"));
    }
    Ok(json(serde_json::to_vec(&changes)))
}
