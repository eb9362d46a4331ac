//! The page `serve` shows a team: `/` (accounts and syncs, endpoints to look at,
//! certificates expiring soon, orders by status), `/search?q=` and
//! `/orders/{account}/{id}`, linked to each other.
//!
//! Server-rendered from the templates under `templates/` (askama escapes every value), so it
//! works with JavaScript off; its style and its small sorting script are files served from
//! the binary (`/assets/`), nothing comes from another host.

mod assets;
mod order;
mod overview;
mod search;
mod table;
mod templates;
mod tone;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};

use super::Shared;
use table::Params;
use templates::{ErrorPage, OrderPage, OverviewPage, SearchPage};

/// What the page's handlers share.
struct Page {
    shared: Arc<Shared>,
    readings: overview::Readings,
}

/// The page's routes, on the inventory `shared` reads.
pub fn routes(shared: Arc<Shared>) -> Router {
    let page = Arc::new(Page {
        shared,
        readings: overview::Readings::default(),
    });
    Router::new()
        .route("/", get(overview))
        .route("/search", get(search))
        .route("/orders/{account}/{id}", get(order))
        .route("/assets/{name}", get(assets::asset))
        .with_state(page)
}

/// `/`.
async fn overview(State(page): State<Arc<Page>>, RawQuery(query): RawQuery) -> Response {
    let params = params(query);
    let days = params
        .get("days")
        .and_then(|days| days.trim().parse::<u32>().ok())
        .map_or(overview::DEFAULT_DAYS, |days| {
            days.clamp(1, overview::MAX_DAYS)
        });
    let reader = Arc::clone(&page);
    let reading = super::read(&page.shared, move |inventory| {
        reader.readings.get(&reader.shared, inventory, days)
    })
    .await;
    let reading = match reading {
        Ok(reading) => reading,
        Err(err) => return unavailable(&err),
    };
    // Only `days` asked: the page every team member opens, made once per reading.
    let plain = params.0.iter().all(|(name, _)| name == "days");
    let interval = page.shared.interval;
    templates::render_blocking(StatusCode::OK, move || {
        let make = || {
            let view = overview::Overview::new(&reading, days, interval, &params);
            templates::html(&OverviewPage::new(view))
        };
        if !plain {
            return make();
        }
        // The first request makes it; those meanwhile wait for it rather than each making
        // its own.
        let made = reading
            .plain
            .get_or_init(|| make().map_err(|err| err.to_string()));
        made.clone()
            .map_err(|err| askama::Error::Custom(err.into()))
    })
    .await
}

/// `/search?q=`.
async fn search(State(page): State<Arc<Page>>, RawQuery(query): RawQuery) -> Response {
    let params = params(query);
    let query = params.get("q").unwrap_or_default().trim().to_owned();
    if query.is_empty() {
        return templates::render(StatusCode::OK, &SearchPage::empty());
    }
    let asked = query.clone();
    let found = super::read(&page.shared, move |inventory| {
        Ok(match inventory.find(&asked) {
            Ok(orders) => Ok(orders),
            Err(digicert_inventory::Error::InvalidQuery(_)) => Err(()),
            Err(err) => return Err(err),
        })
    })
    .await;
    match found {
        Ok(Ok(orders)) => {
            templates::render_blocking(StatusCode::OK, move || {
                let table = search::results(&orders, Utc::now().date_naive(), &params);
                templates::html(&SearchPage::found(query, table))
            })
            .await
        }
        Ok(Err(())) => templates::render(StatusCode::BAD_REQUEST, &SearchPage::refused(query)),
        Err(err) => unavailable(&err),
    }
}

/// `/orders/{account}/{id}`.
async fn order(
    State(page): State<Arc<Page>>,
    Path((account, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let params = params(query);
    let wanted = account.clone();
    let reading = super::read(&page.shared, move |inventory| {
        order::read(inventory, &wanted, id)
    })
    .await;
    match reading {
        Ok(Some(reading)) => {
            templates::render_blocking(StatusCode::OK, move || {
                let view = order::OrderView::new(&reading, Utc::now().date_naive(), &params);
                templates::html(&OrderPage::new(view))
            })
            .await
        }
        Ok(None) => not_found(),
        Err(err) => unavailable(&err),
    }
}

/// The query string's pairs; one that does not decode is taken as none.
fn params(query: Option<String>) -> Params {
    Params(
        query
            .and_then(|query| serde_urlencoded::from_str(&query).ok())
            .unwrap_or_default(),
    )
}

/// 404, as a page.
fn not_found() -> Response {
    templates::render(
        StatusCode::NOT_FOUND,
        &ErrorPage::new(
            StatusCode::NOT_FOUND,
            "No such order in the served accounts.",
        ),
    )
}

/// 503, as a page: the inventory could not be read.
fn unavailable(err: &str) -> Response {
    tracing::warn!(error = %err, "page: reading the inventory failed");
    let message = format!("The inventory could not be read: {err}");
    templates::render(
        StatusCode::SERVICE_UNAVAILABLE,
        &ErrorPage::new(StatusCode::SERVICE_UNAVAILABLE, &message),
    )
}

/// The path of an order's page.
pub fn order_href(account: &str, order_id: u64) -> String {
    format!("/orders/{}/{order_id}", path_segment(account))
}

/// The path of a search.
pub fn search_href(query: &str) -> String {
    match serde_urlencoded::to_string([("q", query)]) {
        Ok(query) => format!("/search?{query}"),
        Err(_) => "/search".to_owned(),
    }
}

/// The link to search for a name, if the search can answer it: a person's name as a
/// certificate's common name (`Alex Example`) is shown, not linked to a refusal.
pub fn name_href(name: &str) -> Option<String> {
    digicert_inventory::Find::parse(name)
        .is_ok()
        .then(|| search_href(name))
}

/// A time as the page writes it: to the minute, UTC.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Text percent-encoded for a path segment (all but unreserved characters).
fn path_segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A response of `body` as `content_type`, cached for an hour (the assets).
fn cached(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_encoded() {
        assert_eq!(order_href("eu prod/x", 7), "/orders/eu%20prod%2Fx/7");
        assert_eq!(search_href("*.example.com"), "/search?q=*.example.com");
        assert_eq!(search_href("a b&c"), "/search?q=a+b%26c");
        assert_eq!(
            name_href("api.example.com").as_deref(),
            Some("/search?q=api.example.com")
        );
        assert_eq!(name_href("Alex Example"), None);
    }
}
