//! `GET /report/order`: the order report as CSV, a page at a time.

use std::io::Cursor;

use digicert_model::{DecodeError, OrderStatus, ReportReader};

use super::{MAX_PAGE_SIZE, check_limit};
use crate::endpoint::{Endpoint, Format, Target};
use crate::error::Error;

/// One page of the order report, decoded row by row as it is read.
pub type ReportPage = ReportReader<Cursor<Vec<u8>>>;

/// Which part of the order report to fetch.
///
/// ```
/// use digicert_api::ReportQuery;
/// use digicert_model::OrderStatus;
///
/// let query = ReportQuery::new().limit(500).offset(1000).status(OrderStatus::Issued);
/// assert_eq!(query.page_size(), 500);
///
/// // Every filter DigiCert documents has a method; `filter` sends any other.
/// let query = ReportQuery::new()
///     .common_name("www.example.com")
///     .valid_till("2026-07-01...2026-07-31")
///     .product_name_id("ssl_plus")
///     .organization_id(112233)
///     .container_id(5);
/// assert_eq!(query.filters().len(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    limit: u32,
    offset: u64,
    filters: Vec<(String, String)>,
}

impl Default for ReportQuery {
    fn default() -> Self {
        Self {
            limit: MAX_PAGE_SIZE,
            offset: 0,
            filters: Vec::new(),
        }
    }
}

impl ReportQuery {
    /// The first page of 1000 orders, unfiltered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows per page, 1 to 1000 (checked when sent).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Rows to skip.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Adds one of DigiCert's report filters, sent as `filters[name]=value`
    /// (for example `common_name`, `valid_till`, `date_created`, `product_name_id`,
    /// `organization_id`, `container_id`). Names are lowercase letters, digits and `_`.
    pub fn filter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.filters.push((name.into(), value.into()));
        self
    }

    /// Only orders with this status (`filters[status]`).
    pub fn status(self, status: OrderStatus) -> Self {
        self.filter("status", status.as_str())
    }

    /// Only orders for this common name (`filters[common_name]`).
    pub fn common_name(self, common_name: impl Into<String>) -> Self {
        self.filter("common_name", common_name)
    }

    /// Only orders whose certificate expires on a date or in a range of dates
    /// (`filters[valid_till]`): `2026-07-01`, or `2026-07-01...2026-07-31`.
    pub fn valid_till(self, date_or_range: impl Into<String>) -> Self {
        self.filter("valid_till", date_or_range)
    }

    /// Only orders for this product (`filters[product_name_id]`, such as `ssl_plus`).
    pub fn product_name_id(self, product_name_id: impl Into<String>) -> Self {
        self.filter("product_name_id", product_name_id)
    }

    /// Only orders of this organization (`filters[organization_id]`).
    pub fn organization_id(self, organization_id: u64) -> Self {
        self.filter("organization_id", organization_id.to_string())
    }

    /// Only orders of this container, or division (`filters[container_id]`).
    pub fn container_id(self, container_id: u64) -> Self {
        self.filter("container_id", container_id.to_string())
    }

    /// Rows per page.
    pub fn page_size(&self) -> u32 {
        self.limit
    }

    /// Rows skipped.
    pub fn start(&self) -> u64 {
        self.offset
    }

    /// The filters, as `(name, value)` pairs, in the order they were added.
    pub fn filters(&self) -> &[(String, String)] {
        &self.filters
    }

    /// The same query at another offset.
    pub(crate) fn at(&self, offset: u64) -> Self {
        Self {
            offset,
            ..self.clone()
        }
    }
}

/// Decodes every row of one page.
pub(crate) fn collect_rows(page: ReportPage) -> Result<Vec<digicert_model::ReportRow>, Error> {
    page.map(|row| {
        row.map_err(|source| Error::Decode {
            endpoint: ReportQuery::NAME,
            source,
        })
    })
    .collect()
}

impl Endpoint for ReportQuery {
    type Output = ReportPage;
    const NAME: &'static str = "order report";
    const FORMAT: Format = Format::Csv;

    fn target(&self) -> Result<Target, Error> {
        check_limit(self.limit)?;
        let mut query = vec![
            ("limit".to_owned(), self.limit.to_string()),
            ("offset".to_owned(), self.offset.to_string()),
        ];
        for (name, value) in &self.filters {
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(Error::InvalidInput(format!(
                    "report filter name `{}` is not lowercase letters, digits and `_`",
                    name.escape_debug()
                )));
            }
            query.push((format!("filters[{name}]"), value.clone()));
        }
        Ok(Target {
            path: "/report/order".to_owned(),
            query,
        })
    }

    fn decode(&self, body: Vec<u8>) -> Result<ReportPage, DecodeError> {
        ReportReader::new(Cursor::new(body))
    }
}
