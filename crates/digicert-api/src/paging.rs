//! Walking every page of a listing: a pure state machine shared by the blocking
//! `Iterator`s and the async `Stream`s.
//!
//! The pager says which page to request next, takes pages in the order they
//! were requested, and hands out their items one at a time. It stops at the
//! first short page (the report has no total) or at `page.total` (sub-account
//! orders, whose total is re-read from every page). An item whose id was in the
//! previous or the current page is skipped: when orders are added while pages
//! are read, offsets shift and a page repeats the end of the one before.

use std::collections::{HashSet, VecDeque};
use std::vec;

use digicert_model::{DecodeError, ReportRow, SubaccountOrder, SubaccountOrdersPage};

use crate::endpoints::report::{ReportPage, ReportQuery};
use crate::endpoints::subaccount_orders::SubaccountOrdersQuery;
use crate::error::Error;

/// A kind of paged listing.
pub(crate) trait Listing {
    /// The query of one page.
    type Query;
    /// A page as it arrives.
    type Page;
    /// The items a page yields, one at a time.
    type Items: Send;
    /// One item.
    type Item;
    /// Whether pages may be requested before the previous one arrived (no total to wait for).
    const SPECULATIVE: bool;

    fn page_size(query: &Self::Query) -> u32;
    fn start(query: &Self::Query) -> u64;
    fn at(query: &Self::Query, offset: u64) -> Self::Query;
    /// The page's items, and the listing's total if the page tells it.
    fn open(page: Self::Page) -> (Self::Items, Option<u64>);
    /// The next item of a page, `None` when it is used up.
    fn next_item(items: &mut Self::Items) -> Option<Result<Self::Item, Error>>;
    /// The id that identifies an item across pages.
    fn id(item: &Self::Item) -> u64;
    /// The body a used-up page still holds, for the transport to reuse.
    fn into_body(items: Self::Items) -> Option<Vec<u8>>;
}

/// Every row of the order report.
pub(crate) struct ReportListing;

impl Listing for ReportListing {
    type Query = ReportQuery;
    type Page = ReportPage;
    type Items = ReportPage;
    type Item = ReportRow;
    const SPECULATIVE: bool = true;

    fn page_size(query: &ReportQuery) -> u32 {
        query.page_size()
    }
    fn start(query: &ReportQuery) -> u64 {
        query.start()
    }
    fn at(query: &ReportQuery, offset: u64) -> ReportQuery {
        query.at(offset)
    }
    fn open(page: ReportPage) -> (ReportPage, Option<u64>) {
        (page, None)
    }
    fn next_item(items: &mut ReportPage) -> Option<Result<ReportRow, Error>> {
        items
            .read_row()
            .map_err(|source: DecodeError| Error::Decode {
                endpoint: "order report",
                source,
            })
            .transpose()
    }
    fn id(item: &ReportRow) -> u64 {
        item.order_id
    }
    fn into_body(items: ReportPage) -> Option<Vec<u8>> {
        Some(items.into_inner().into_inner())
    }
}

/// Every order of the sub-accounts.
pub(crate) struct SubaccountListing;

impl Listing for SubaccountListing {
    type Query = SubaccountOrdersQuery;
    type Page = SubaccountOrdersPage;
    type Items = vec::IntoIter<SubaccountOrder>;
    type Item = SubaccountOrder;
    const SPECULATIVE: bool = false;

    fn page_size(query: &SubaccountOrdersQuery) -> u32 {
        query.page_size()
    }
    fn start(query: &SubaccountOrdersQuery) -> u64 {
        query.start()
    }
    fn at(query: &SubaccountOrdersQuery, offset: u64) -> SubaccountOrdersQuery {
        query.at(offset)
    }
    fn open(page: SubaccountOrdersPage) -> (Self::Items, Option<u64>) {
        (page.orders.into_iter(), page.page.map(|p| p.total))
    }
    fn next_item(items: &mut Self::Items) -> Option<Result<SubaccountOrder, Error>> {
        items.next().map(Ok)
    }
    fn id(item: &SubaccountOrder) -> u64 {
        item.id
    }
    /// The JSON body was dropped once the page was decoded.
    fn into_body(_items: Self::Items) -> Option<Vec<u8>> {
        None
    }
}

/// The page being read, and how many items it held so far.
struct Current<L: Listing> {
    items: L::Items,
    count: u64,
}

/// Where a walk over every page stands.
pub(crate) struct Pager<L: Listing> {
    query: L::Query,
    page_size: u64,
    next_offset: u64,
    total: Option<u64>,
    /// A short page was read, or a page failed: request nothing more.
    finished: bool,
    /// Offsets of the pages requested that have not arrived yet, oldest first.
    in_flight: VecDeque<u64>,
    current: Option<Current<L>>,
    /// The body of the page last used up, until the walk hands it back to the transport.
    spent: Option<Vec<u8>>,
    failure: Option<Error>,
    previous_ids: HashSet<u64>,
    current_ids: HashSet<u64>,
}

impl<L: Listing> Pager<L> {
    pub(crate) fn new(query: L::Query) -> Self {
        let page_size = u64::from(L::page_size(&query));
        let next_offset = L::start(&query);
        Self {
            query,
            page_size,
            next_offset,
            total: None,
            finished: false,
            in_flight: VecDeque::new(),
            current: None,
            spent: None,
            failure: None,
            previous_ids: HashSet::new(),
            current_ids: HashSet::new(),
        }
    }

    /// The next page to request, if more may be needed.
    pub(crate) fn next_request(&mut self) -> Option<L::Query> {
        if !self.wants_more() {
            return None;
        }
        let query = L::at(&self.query, self.next_offset);
        self.in_flight.push_back(self.next_offset);
        self.next_offset += self.page_size.max(1);
        Some(query)
    }

    /// Whether another page may hold items.
    fn wants_more(&self) -> bool {
        match self.total {
            _ if self.finished => false,
            Some(total) => self.next_offset < total,
            None => self.next_offset == L::start(&self.query) || L::SPECULATIVE,
        }
    }

    /// Takes the next page, in request order. Pages after the end are dropped:
    /// after a short page, and past a total that shrank after they were requested.
    pub(crate) fn page_arrived(&mut self, page: Result<L::Page, Error>) {
        let offset = self.in_flight.pop_front();
        let past_total =
            matches!((offset, self.total), (Some(offset), Some(total)) if offset >= total);
        if self.finished || (past_total && page.is_ok()) {
            return;
        }
        match page {
            Ok(page) => {
                let (items, total) = L::open(page);
                if total.is_some() {
                    self.total = total;
                }
                self.previous_ids = std::mem::take(&mut self.current_ids);
                self.current = Some(Current { items, count: 0 });
            }
            Err(err) => {
                self.failure = Some(err);
                self.finished = true;
            }
        }
    }

    /// The next item of the current page, or `None` when a new page is needed (or all is done).
    pub(crate) fn next_item(&mut self) -> Option<Result<L::Item, Error>> {
        if let Some(err) = self.failure.take() {
            return Some(Err(err));
        }
        loop {
            let current = self.current.as_mut()?;
            match L::next_item(&mut current.items) {
                Some(Ok(item)) => {
                    current.count += 1;
                    let id = L::id(&item);
                    if self.previous_ids.contains(&id) || !self.current_ids.insert(id) {
                        continue;
                    }
                    return Some(Ok(item));
                }
                Some(Err(err)) => {
                    current.count += 1;
                    return Some(Err(err));
                }
                None => {
                    if current.count < self.page_size {
                        self.finished = true;
                    }
                    self.spent = self
                        .current
                        .take()
                        .and_then(|page| L::into_body(page.items));
                    return None;
                }
            }
        }
    }

    /// The body of the page last used up, once, for [`recycle`] (on either transport).
    ///
    /// [`recycle`]: digicert_transport::BlockingTransport::recycle
    pub(crate) fn take_spent_body(&mut self) -> Option<Vec<u8>> {
        self.spent.take()
    }

    /// Whether every item has been handed out and no page is needed.
    pub(crate) fn is_done(&self) -> bool {
        self.current.is_none()
            && self.failure.is_none()
            && (self.finished || (self.in_flight.is_empty() && !self.wants_more()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use digicert_model::{OrderStatus, Page};

    fn order(id: u64) -> SubaccountOrder {
        digicert_model::decode_json(format!(r#"{{"id":{id},"status":"issued"}}"#).as_bytes())
            .unwrap()
    }

    fn page(ids: &[u64], total: u64) -> SubaccountOrdersPage {
        SubaccountOrdersPage {
            orders: ids.iter().copied().map(order).collect(),
            page: Some(Page {
                total,
                limit: 2,
                offset: 0,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn drain(pager: &mut Pager<SubaccountListing>) -> Vec<u64> {
        std::iter::from_fn(|| pager.next_item())
            .map(|o| o.unwrap().id)
            .collect()
    }

    #[test]
    fn waits_for_the_total_then_stops_at_it() {
        let mut pager = Pager::<SubaccountListing>::new(SubaccountOrdersQuery::new().limit(2));
        assert_eq!(pager.next_request().unwrap().start(), 0);
        assert!(
            pager.next_request().is_none(),
            "no total yet: no speculation"
        );
        pager.page_arrived(Ok(page(&[1, 2], 5)));
        assert_eq!(drain(&mut pager), [1, 2]);
        assert_eq!(pager.next_request().unwrap().start(), 2);
        assert_eq!(pager.next_request().unwrap().start(), 4);
        assert!(pager.next_request().is_none());
        assert!(!pager.is_done(), "two pages are still in flight");
        pager.page_arrived(Ok(page(&[3, 4], 5)));
        assert_eq!(drain(&mut pager), [3, 4]);
        pager.page_arrived(Ok(page(&[5], 5)));
        assert_eq!(drain(&mut pager), [5]);
        assert!(pager.is_done());
    }

    #[test]
    fn a_repeated_item_from_shifted_offsets_is_skipped() {
        let mut pager = Pager::<SubaccountListing>::new(SubaccountOrdersQuery::new().limit(2));
        pager.next_request();
        pager.page_arrived(Ok(page(&[10, 9], 4)));
        assert_eq!(drain(&mut pager), [10, 9]);
        // An order was added at the front: the next page starts with 9 again.
        pager.next_request();
        pager.page_arrived(Ok(page(&[9, 8], 5)));
        assert_eq!(drain(&mut pager), [8]);
    }

    #[test]
    fn a_page_requested_past_a_total_that_shrank_is_dropped() {
        let mut pager = Pager::<SubaccountListing>::new(SubaccountOrdersQuery::new().limit(2));
        pager.next_request();
        pager.page_arrived(Ok(page(&[1, 2], 6)));
        assert_eq!(drain(&mut pager), [1, 2]);
        // Asked for offsets 2 and 4 while the total was 6 ...
        assert_eq!(pager.next_request().unwrap().start(), 2);
        assert_eq!(pager.next_request().unwrap().start(), 4);
        // ... then the total shrank to 4: the page at offset 4 is past the end.
        pager.page_arrived(Ok(page(&[3, 4], 4)));
        assert_eq!(drain(&mut pager), [3, 4]);
        pager.page_arrived(Ok(page(&[5, 6], 4)));
        assert!(pager.next_item().is_none());
        assert!(pager.is_done());
    }

    #[test]
    fn a_failed_page_is_reported_once_and_ends_the_walk() {
        let mut pager = Pager::<SubaccountListing>::new(SubaccountOrdersQuery::new().limit(2));
        pager.next_request();
        pager.page_arrived(Err(Error::InvalidInput("boom".into())));
        assert!(pager.next_item().unwrap().is_err());
        assert!(pager.next_item().is_none());
        assert!(pager.is_done());
        assert!(pager.next_request().is_none());
    }

    #[test]
    fn the_report_speculates_until_a_short_page() {
        let mut pager = Pager::<ReportListing>::new(ReportQuery::new().limit(2));
        let offsets: Vec<u64> = (0..3)
            .map(|_| pager.next_request().unwrap().start())
            .collect();
        assert_eq!(offsets, [0, 2, 4]);
        let csv = |ids: &[u64]| {
            let mut body = b"order_id,date_created,status\n".to_vec();
            for id in ids {
                body.extend(format!("\"{id}\",\"2020-01-01 00:00:00\",\"issued\"\n").bytes());
            }
            digicert_model::ReportReader::new(std::io::Cursor::new(body)).unwrap()
        };
        pager.page_arrived(Ok(csv(&[1, 2])));
        let rows: Vec<_> = std::iter::from_fn(|| pager.next_item())
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].status, OrderStatus::Issued);
        let body = pager.take_spent_body().expect("the used-up page's body");
        assert!(body.starts_with(b"order_id,date_created,status\n\"1\""));
        assert!(pager.take_spent_body().is_none(), "handed back once");
        pager.page_arrived(Ok(csv(&[3])));
        assert_eq!(std::iter::from_fn(|| pager.next_item()).count(), 1);
        assert!(pager.is_done());
        // The page requested past the end arrives and is dropped.
        pager.page_arrived(Ok(csv(&[])));
        assert!(pager.next_item().is_none());
        assert!(pager.next_request().is_none());
    }
}
