//! `/assets/{name}`: the page's style sheet and sorting script, files of the templates
//! folder compiled into the binary and served from the page's own origin (its
//! Content-Security-Policy allows scripts and styles from there only).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The style sheet.
const STYLE: &str = include_str!("../../../../templates/assets/page.css");
/// The script that sorts and filters the tables in place.
const SCRIPT: &str = include_str!("../../../../templates/assets/sort.js");

/// `GET /assets/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "page.css" => super::cached("text/css; charset=utf-8", STYLE),
        "sort.js" => super::cached("text/javascript; charset=utf-8", SCRIPT),
        _ => (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    }
}
