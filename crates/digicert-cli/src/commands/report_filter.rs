//! The report's filters applied to an exported file (`report --input`), as CertCentral
//! applies them to the report it serves: a status exactly, a common name or product in any
//! case, an expiry date or range of dates (both ends included), an organization or container
//! by id. A row is read column by column, so that the same test serves decoded rows and the
//! raw records of a CSV copy.

use std::borrow::Cow;

use chrono::NaiveDate;
use digicert_api::model::{OrderStatus, ReportRow};

use super::report::ReportFilters;

/// The filters to keep a row by; none set keeps every row.
#[derive(Debug, Default)]
pub struct LocalFilter {
    status: Option<OrderStatus>,
    common_name: Option<String>,
    valid_till: Option<(NaiveDate, NaiveDate)>,
    product_name_id: Option<String>,
    organization_id: Option<u64>,
    container_id: Option<u64>,
}

impl LocalFilter {
    /// The filters the command line gives (`valid_till` already checked by its parser).
    pub fn new(status: Option<OrderStatus>, filters: &ReportFilters) -> Self {
        Self {
            status,
            common_name: filters.common_name.clone(),
            valid_till: filters.valid_till.as_deref().and_then(date_range),
            product_name_id: filters.product_name_id.clone(),
            organization_id: filters.organization_id,
            container_id: filters.container_id,
        }
    }

    /// Whether no filter is set.
    pub fn keeps_all(&self) -> bool {
        self.status.is_none()
            && self.common_name.is_none()
            && self.valid_till.is_none()
            && self.product_name_id.is_none()
            && self.organization_id.is_none()
            && self.container_id.is_none()
    }

    /// Whether a row passes every filter; `column` gives a column's text by name (`None`
    /// or empty when the row has no value).
    pub fn keeps<'a>(&self, column: impl Fn(&str) -> Option<Cow<'a, str>>) -> bool {
        let value = |name: &str| column(name).filter(|text| !text.is_empty());
        let same_text = |wanted: &Option<String>, name: &str| {
            wanted.as_deref().is_none_or(|wanted| {
                value(name).is_some_and(|text| text.eq_ignore_ascii_case(wanted))
            })
        };
        let same_id = |wanted: Option<u64>, name: &str| {
            wanted.is_none_or(|wanted| {
                value(name).is_some_and(|text| text.trim().parse() == Ok(wanted))
            })
        };
        self.status
            .as_ref()
            .is_none_or(|wanted| value("status").as_deref() == Some(wanted.as_str()))
            && same_text(&self.common_name, "common_name")
            && same_text(&self.product_name_id, "product_name_id")
            && same_id(self.organization_id, "organization_id")
            && same_id(self.container_id, "container_id")
            && self.valid_till.is_none_or(|(from, to)| {
                value("valid_till")
                    .and_then(|text| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok())
                    .is_some_and(|till| from <= till && till <= to)
            })
    }
}

/// A decoded row's column, by name, for the filtered columns (text borrowed from the row).
pub fn row_column<'a>(row: &'a ReportRow, name: &str) -> Option<Cow<'a, str>> {
    match name {
        "status" => Some(Cow::Borrowed(row.status.as_str())),
        "common_name" => row.common_name.as_deref().map(Cow::Borrowed),
        "product_name_id" => row.product_name_id.as_deref().map(Cow::Borrowed),
        "organization_id" => row.organization_id.map(|id| Cow::Owned(id.to_string())),
        "container_id" => row.container_id.map(|id| Cow::Owned(id.to_string())),
        "valid_till" => row.valid_till.map(|till| Cow::Owned(till.to_string())),
        _ => None,
    }
}

/// `2026-07-01` (that day) or `2026-07-01...2026-07-31` (both included).
fn date_range(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let date = |text: &str| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok();
    match text.split_once("...") {
        Some((from, to)) => Some((date(from)?, date(to)?)),
        None => date(text).map(|day| (day, day)),
    }
}
