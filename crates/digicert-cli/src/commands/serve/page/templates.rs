//! The page's templates (files under `templates/`), each bound to what it shows; askama
//! escapes every value written into them.

use askama::Template;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::order::OrderView;
use super::overview::Overview;
use super::table::Table;

/// The days ahead offered as links beside the control.
const DAY_CHOICES: [u32; 4] = [7, 30, 90, 365];

/// `/`.
#[derive(Debug, Template)]
#[template(path = "overview.html")]
pub struct OverviewPage {
    title: String,
    search: String,
    view: Overview,
    day_choices: [u32; 4],
}

impl OverviewPage {
    /// The page of an overview.
    pub fn new(view: Overview) -> Self {
        Self {
            title: "Certificate inventory".to_owned(),
            search: String::new(),
            view,
            day_choices: DAY_CHOICES,
        }
    }
}

/// `/search`.
#[derive(Debug, Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    title: String,
    search: String,
    results: Option<Table>,
    refused: bool,
}

impl SearchPage {
    /// No query yet.
    pub fn empty() -> Self {
        Self {
            title: "Search".to_owned(),
            search: String::new(),
            results: None,
            refused: false,
        }
    }

    /// The orders a query found.
    pub fn found(query: String, results: Table) -> Self {
        Self {
            title: format!("Search: {query}"),
            search: query,
            results: Some(results),
            refused: false,
        }
    }

    /// A query that names nothing the inventory can look for.
    pub fn refused(query: String) -> Self {
        Self {
            title: format!("Search: {query}"),
            search: query,
            results: None,
            refused: true,
        }
    }
}

/// `/orders/{account}/{id}`.
#[derive(Debug, Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    title: String,
    search: String,
    view: OrderView,
}

impl OrderPage {
    /// The page of an order.
    pub fn new(view: OrderView) -> Self {
        Self {
            title: format!("Order {} ({})", view.order_id, view.account),
            search: String::new(),
            view,
        }
    }
}

/// An error, as a page.
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    title: String,
    search: String,
    message: String,
}

impl ErrorPage {
    /// The page of `status` saying `message`.
    pub fn new(status: StatusCode, message: &str) -> Self {
        Self {
            title: status.to_string(),
            search: String::new(),
            message: message.to_owned(),
        }
    }
}

/// The page's HTML.
pub fn html(page: &impl Template) -> Result<Bytes, askama::Error> {
    page.render().map(Bytes::from)
}

/// HTML as a response with `status`; a rendering error as 500.
pub fn respond(status: StatusCode, html: Result<Bytes, askama::Error>) -> Response {
    match html {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "page: rendering failed");
            failed()
        }
    }
}

/// The page as an HTML response with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    respond(status, html(page))
}

/// A page made and rendered on a blocking thread (it is CPU work: a table may have
/// thousands of rows to sort), as an HTML response with `status`.
pub async fn render_blocking(
    status: StatusCode,
    make: impl FnOnce() -> Result<Bytes, askama::Error> + Send + 'static,
) -> Response {
    match tokio::task::spawn_blocking(make).await {
        Ok(html) => respond(status, html),
        Err(_) => failed(),
    }
}

fn failed() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "rendering the page failed\n",
    )
        .into_response()
}
