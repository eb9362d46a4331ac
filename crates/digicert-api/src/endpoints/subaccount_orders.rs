//! `GET /account/subaccount/order`: orders of sub-accounts, a page at a time.

use digicert_model::{DecodeError, SubaccountOrdersPage, decode_json};

use super::{MAX_PAGE_SIZE, check_limit};
use crate::endpoint::{Endpoint, Format, Target};
use crate::error::Error;

/// Which page of sub-account orders to fetch.
///
/// ```
/// use digicert_api::SubaccountOrdersQuery;
///
/// let query = SubaccountOrdersQuery::new().limit(100).offset(200);
/// assert_eq!((query.page_size(), query.start()), (100, 200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubaccountOrdersQuery {
    limit: u32,
    offset: u64,
}

impl Default for SubaccountOrdersQuery {
    fn default() -> Self {
        Self {
            limit: MAX_PAGE_SIZE,
            offset: 0,
        }
    }
}

impl SubaccountOrdersQuery {
    /// The first page of 1000 orders.
    pub fn new() -> Self {
        Self::default()
    }

    /// Orders per page, 1 to 1000 (checked when sent).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Orders to skip.
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Orders per page.
    pub fn page_size(&self) -> u32 {
        self.limit
    }

    /// Orders skipped.
    pub fn start(&self) -> u64 {
        self.offset
    }

    /// The same query at another offset.
    pub(crate) fn at(&self, offset: u64) -> Self {
        Self { offset, ..*self }
    }
}

impl Endpoint for SubaccountOrdersQuery {
    type Output = SubaccountOrdersPage;
    const NAME: &'static str = "sub-account orders";
    const FORMAT: Format = Format::Json;

    fn target(&self) -> Result<Target, Error> {
        check_limit(self.limit)?;
        Ok(Target {
            path: "/account/subaccount/order".to_owned(),
            query: vec![
                ("offset".to_owned(), self.offset.to_string()),
                ("limit".to_owned(), self.limit.to_string()),
            ],
        })
    }

    fn decode(&self, body: Vec<u8>) -> Result<SubaccountOrdersPage, DecodeError> {
        decode_json(&body)
    }
}
