//! The order report's filters (`filters[status]`, `filters[common_name]`, ...), as the fake
//! applies them.

use chrono::NaiveDate;
use digicert_model::{OrderStatus, ReportRow};

/// Which rows of the order report to serve; the default keeps every row.
///
/// ```
/// use digicert_mock::ReportFilter;
/// use digicert_model::OrderStatus;
///
/// let filter = ReportFilter::default()
///     .with_statuses(vec![OrderStatus::Issued])
///     .with_common_name("www.example.com");
/// assert!(!filter.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReportFilter {
    /// `filters[status]`: any of these statuses (all when empty).
    pub statuses: Vec<OrderStatus>,
    /// `filters[common_name]`: this common name, in any case.
    pub common_name: Option<String>,
    /// `filters[valid_till]`: expiring from the first date to the second, both included.
    pub valid_till: Option<(NaiveDate, NaiveDate)>,
    /// `filters[product_name_id]`: this product.
    pub product_name_id: Option<String>,
    /// `filters[organization_id]`: this organization.
    pub organization_id: Option<u64>,
    /// `filters[container_id]`: this container (division).
    pub container_id: Option<u64>,
}

impl ReportFilter {
    /// Keeps rows with one of `statuses` (all rows when empty).
    pub fn with_statuses(mut self, statuses: Vec<OrderStatus>) -> Self {
        self.statuses = statuses;
        self
    }

    /// Keeps rows with this common name, in any case.
    pub fn with_common_name(mut self, common_name: impl Into<String>) -> Self {
        self.common_name = Some(common_name.into());
        self
    }

    /// Keeps rows expiring from `from` to `to`, both included.
    pub fn with_valid_till(mut self, from: NaiveDate, to: NaiveDate) -> Self {
        self.valid_till = Some((from, to));
        self
    }

    /// Keeps rows of this product.
    pub fn with_product_name_id(mut self, product_name_id: impl Into<String>) -> Self {
        self.product_name_id = Some(product_name_id.into());
        self
    }

    /// Keeps rows of this organization.
    pub fn with_organization_id(mut self, organization_id: u64) -> Self {
        self.organization_id = Some(organization_id);
        self
    }

    /// Keeps rows of this container.
    pub fn with_container_id(mut self, container_id: u64) -> Self {
        self.container_id = Some(container_id);
        self
    }

    /// Whether the filter keeps every row.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Whether a status passes the status filter (cheap: no row needed).
    pub(crate) fn keeps_status(&self, status: &OrderStatus) -> bool {
        self.statuses.is_empty() || self.statuses.contains(status)
    }

    /// Whether the filters other than status need the whole row.
    pub(crate) fn needs_row(&self) -> bool {
        self.common_name.is_some()
            || self.valid_till.is_some()
            || self.product_name_id.is_some()
            || self.organization_id.is_some()
            || self.container_id.is_some()
    }

    /// Whether a row passes every filter.
    pub(crate) fn keeps(&self, row: &ReportRow) -> bool {
        let same_text = |wanted: &Option<String>, value: &Option<String>| {
            wanted.as_ref().is_none_or(|wanted| {
                value
                    .as_deref()
                    .is_some_and(|value| value.eq_ignore_ascii_case(wanted))
            })
        };
        let same_id =
            |wanted: Option<u64>, value: Option<u64>| wanted.is_none_or(|w| value == Some(w));
        self.keeps_status(&row.status)
            && same_text(&self.common_name, &row.common_name)
            && same_text(&self.product_name_id, &row.product_name_id)
            && same_id(self.organization_id, row.organization_id)
            && same_id(self.container_id, row.container_id)
            && self.valid_till.is_none_or(|(from, to)| {
                row.valid_till
                    .is_some_and(|till| from <= till && till <= to)
            })
    }

    /// Reads the filters of a report request's query pairs (URL-decoded); a value that does
    /// not read is an error message for a 400 answer.
    pub(crate) fn from_query(pairs: &[(String, String)]) -> Result<Self, String> {
        let mut filter = Self::default();
        for (name, value) in pairs {
            let value = value.trim();
            match name.as_str() {
                "filters[status]" => filter.statuses.extend(
                    value
                        .split(',')
                        .map(|status| OrderStatus::from(status.trim())),
                ),
                "filters[common_name]" => filter.common_name = Some(value.to_owned()),
                "filters[product_name_id]" => filter.product_name_id = Some(value.to_owned()),
                "filters[organization_id]" => filter.organization_id = Some(id(name, value)?),
                "filters[container_id]" => filter.container_id = Some(id(name, value)?),
                "filters[valid_till]" => filter.valid_till = Some(date_range(value)?),
                _ => {}
            }
        }
        Ok(filter)
    }
}

/// A whole-number id filter.
fn id(name: &str, value: &str) -> Result<u64, String> {
    value
        .parse()
        .map_err(|_| format!("{name} must be a whole number."))
}

/// `YYYY-MM-DD` (that day) or `YYYY-MM-DD...YYYY-MM-DD` (from, to; both included).
fn date_range(value: &str) -> Result<(NaiveDate, NaiveDate), String> {
    let date = |text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
            "filters[valid_till] must be yyyy-MM-dd or yyyy-MM-dd...yyyy-MM-dd.".to_owned()
        })
    };
    match value.split_once("...") {
        Some((from, to)) => Ok((date(from)?, date(to)?)),
        None => date(value).map(|day| (day, day)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn reads_every_documented_filter() {
        let filter = ReportFilter::from_query(&pairs(&[
            ("limit", "10"),
            ("filters[status]", "issued,revoked"),
            ("filters[common_name]", "www.example.com"),
            ("filters[valid_till]", "2026-01-01...2026-02-01"),
            ("filters[product_name_id]", "ssl_plus"),
            ("filters[organization_id]", "112233"),
            ("filters[container_id]", "5"),
        ]))
        .unwrap();
        assert_eq!(filter.statuses, [OrderStatus::Issued, OrderStatus::Revoked]);
        assert_eq!(filter.common_name.as_deref(), Some("www.example.com"));
        let day = |d| NaiveDate::from_ymd_opt(2026, d, 1).unwrap();
        assert_eq!(filter.valid_till, Some((day(1), day(2))));
        assert_eq!(filter.organization_id, Some(112_233));
        assert_eq!(filter.container_id, Some(5));
        assert!(filter.needs_row());
        let one_day = ReportFilter::from_query(&pairs(&[("filters[valid_till]", "2026-01-01")]));
        assert_eq!(one_day.unwrap().valid_till, Some((day(1), day(1))));
    }

    #[test]
    fn refuses_values_that_do_not_read() {
        for (name, value) in [
            ("filters[organization_id]", "abc"),
            ("filters[container_id]", "-1"),
            ("filters[valid_till]", "yesterday"),
            ("filters[valid_till]", "2026-01-01...soon"),
        ] {
            assert!(
                ReportFilter::from_query(&pairs(&[(name, value)])).is_err(),
                "{name}={value}"
            );
        }
        assert!(ReportFilter::from_query(&[]).unwrap().is_empty());
    }
}
