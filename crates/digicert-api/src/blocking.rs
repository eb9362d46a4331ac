//! The blocking client: plain function calls, no async runtime.

use std::collections::VecDeque;
use std::sync::{Arc, mpsc};

use chrono::{DateTime, TimeZone};
use digicert_model::{
    OrderInfo, Reissues, ReportRow, StatusChanges, SubaccountOrder, SubaccountOrdersPage,
};
use digicert_transport::{BlockingTransport, TransportError, TransportErrorKind};

use crate::config::Config;
use crate::core::{Core, Step};
use crate::endpoint::Endpoint;
use crate::endpoints::order_info::{OrderInfoRequest, OrderRef};
use crate::endpoints::reissues::ReissuesRequest;
use crate::endpoints::report::{ReportQuery, collect_rows};
use crate::endpoints::status_changes::StatusChangesQuery;
use crate::endpoints::subaccount_orders::SubaccountOrdersQuery;
use crate::error::Error;
use crate::paging::{Listing, Pager, ReportListing, SubaccountListing};
use crate::status_window::merge;

/// A CertCentral client that blocks the calling thread; the async
/// [`crate::Client`] has the same methods and gives the same results.
///
/// ```no_run
/// use digicert_api::{blocking, Config};
///
/// fn count(transport: impl digicert_api::transport::BlockingTransport + 'static) -> Result<usize, digicert_api::Error> {
///     // With the `ureq` feature: blocking::Client::with_ureq(Config::new(key)).
///     let client = blocking::Client::new(transport, Config::new("my-api-key"));
///     let mut count = 0;
///     for order in client.subaccount_orders_all(Default::default()) {
///         println!("{}", order?.id);
///         count += 1;
///     }
///     Ok(count)
/// }
/// ```
#[derive(Debug)]
pub struct Client<T> {
    inner: Arc<Inner<T>>,
}

/// What a client and its page workers share.
#[derive(Debug)]
struct Inner<T> {
    transport: T,
    core: Core,
}

/// Clones share the transport, the rate limiter and the configuration.
impl<T> Clone for Client<T> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[cfg(feature = "ureq")]
#[cfg_attr(docsrs, doc(cfg(feature = "ureq")))]
impl Client<digicert_transport_ureq::UreqTransport> {
    /// A client on the ureq backend, with the configuration's timeouts.
    pub fn with_ureq(config: Config) -> Self {
        let transport = digicert_transport_ureq::UreqTransport::new(config.transport_config());
        Self::new(transport, config)
    }
}

impl<T: BlockingTransport> Client<T> {
    /// A client sending through `transport`.
    pub fn new(transport: T, config: Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                transport,
                core: Core::new(config),
            }),
        }
    }

    /// The client's configuration.
    pub fn config(&self) -> &Config {
        self.inner.core.config()
    }

    /// One page of the order report (`GET /report/order`).
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// use digicert_api::ReportQuery;
    ///
    /// let rows = client.order_report(&ReportQuery::new().limit(100))?;
    /// println!("{} orders on the first page", rows.len());
    /// # Ok(()) }
    /// ```
    pub fn order_report(&self, query: &ReportQuery) -> Result<Vec<ReportRow>, Error> {
        collect_rows(self.inner.execute(query)?)
    }

    /// Every row of the order report from `query`'s offset on, page by page;
    /// stops at the first short page. The next page is fetched on a worker
    /// thread while this one is read, so at most two pages are held.
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// use digicert_api::ReportQuery;
    /// use digicert_api::model::OrderStatus;
    ///
    /// for row in client.order_report_all(ReportQuery::new().status(OrderStatus::Issued)) {
    ///     let row = row?;
    ///     println!("{} expires {:?}", row.order_id, row.valid_till);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn order_report_all(
        &self,
        query: ReportQuery,
    ) -> impl Iterator<Item = Result<ReportRow, Error>> + use<T>
    where
        T: 'static,
    {
        self.walk::<ReportListing>(query)
    }

    /// One page of sub-account orders (`GET /account/subaccount/order`).
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// use digicert_api::SubaccountOrdersQuery;
    ///
    /// let page = client.subaccount_orders(&SubaccountOrdersQuery::new())?;
    /// println!("{} of {:?}", page.orders.len(), page.page.map(|p| p.total));
    /// # Ok(()) }
    /// ```
    pub fn subaccount_orders(
        &self,
        query: &SubaccountOrdersQuery,
    ) -> Result<SubaccountOrdersPage, Error> {
        self.inner.execute(query)
    }

    /// Every sub-account order from `query`'s offset on, page by page, the next
    /// page fetched on a worker thread while this one is read.
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// let count = client.subaccount_orders_all(Default::default()).collect::<Result<Vec<_>, _>>()?.len();
    /// # Ok(()) }
    /// ```
    pub fn subaccount_orders_all(
        &self,
        query: SubaccountOrdersQuery,
    ) -> impl Iterator<Item = Result<SubaccountOrder, Error>> + use<T>
    where
        T: 'static,
    {
        self.walk::<SubaccountListing>(query)
    }

    /// One order, by order id, certificate thumbprint or serial number
    /// (`GET /order/certificate/{ref}`).
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// use digicert_api::OrderRef;
    ///
    /// match client.order_info(&OrderRef::parse("123456")?) {
    ///     Ok(order) => println!("{} is {}", order.id, order.status),
    ///     Err(err) if err.is_not_found() => println!("no such order"),
    ///     Err(err) => return Err(err),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn order_info(&self, reference: &OrderRef) -> Result<OrderInfo, Error> {
        self.inner.execute(&OrderInfoRequest(reference))
    }

    /// The reissues of an order (`GET /order/certificate/{order_id}/reissue`).
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// for cert in client.reissues(123456)?.certificates {
    ///     println!("{} {}", cert.id, cert.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn reissues(&self, order_id: u64) -> Result<Reissues, Error> {
        self.inner.execute(&ReissuesRequest(order_id))
    }

    /// Orders whose status changed in one window of at most 7 days
    /// (`GET /order/certificate/status-changes`).
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// use digicert_api::StatusChangesQuery;
    ///
    /// for change in client.status_changes(&StatusChangesQuery::last_minutes(60))?.orders {
    ///     println!("{} is now {}", change.order_id, change.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn status_changes(&self, query: &StatusChangesQuery) -> Result<StatusChanges, Error> {
        self.inner.execute(query)
    }

    /// Orders whose status changed between two instants, however far apart: the
    /// range is asked in windows of at most 7 days and the answers merged by
    /// order id, the later window's status winning.
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// use chrono::{Duration, Utc};
    ///
    /// let now = Utc::now();
    /// let month = client.status_changes_between(now - Duration::days(30), now)?;
    /// # Ok(()) }
    /// ```
    pub fn status_changes_between<Tz: TimeZone>(
        &self,
        from: DateTime<Tz>,
        to: DateTime<Tz>,
    ) -> Result<StatusChanges, Error> {
        let windows = StatusChangesQuery::windows(from, to)?;
        let answers = self
            .status_changes_in_windows(windows)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(merge(answers))
    }

    /// The answer for each window, in the windows' order, one request at a
    /// time. Join them with [`merge_status_changes`](crate::merge_status_changes);
    /// this is [`status_changes_between`](Self::status_changes_between) for a
    /// caller that wants to count the windows as they come.
    ///
    /// ```no_run
    /// # fn run(client: &digicert_api::blocking::Client<impl digicert_api::transport::BlockingTransport + 'static>) -> Result<(), digicert_api::Error> {
    /// use chrono::{Duration, Utc};
    /// use digicert_api::StatusChangesQuery;
    ///
    /// let now = Utc::now();
    /// let windows = StatusChangesQuery::windows(now - Duration::days(30), now)?;
    /// let answers = client.status_changes_in_windows(windows).collect::<Result<Vec<_>, _>>()?;
    /// let month = digicert_api::merge_status_changes(answers);
    /// # Ok(()) }
    /// ```
    pub fn status_changes_in_windows(
        &self,
        windows: Vec<StatusChangesQuery>,
    ) -> impl Iterator<Item = Result<StatusChanges, Error>> + '_ {
        windows
            .into_iter()
            .map(move |window| self.status_changes(&window))
    }

    /// Every item of a paged listing. A worker thread fetches the pages the
    /// pager asks for, one request queued ahead, while this thread reads.
    fn walk<L>(&self, query: L::Query) -> impl Iterator<Item = Result<L::Item, Error>> + use<T, L>
    where
        T: 'static,
        L: Listing + 'static,
        L::Query: Endpoint<Output = L::Page> + Send,
        L::Page: Send,
    {
        let mut pager = Pager::<L>::new(query);
        let mut fetcher = Fetcher::<T, L>::new(Arc::clone(&self.inner));
        std::iter::from_fn(move || {
            loop {
                if let Some(item) = pager.next_item() {
                    return Some(item);
                }
                if let Some(body) = pager.take_spent_body() {
                    fetcher.inner.transport.recycle(body);
                }
                if pager.is_done() {
                    return None;
                }
                // Ask for the page after the one awaited, so it arrives while that one is read.
                fetcher.top_up(&mut pager);
                let page = fetcher.next_page()?;
                pager.page_arrived(page);
            }
        })
    }
}

impl<T: BlockingTransport> Inner<T> {
    /// Runs one endpoint: rate limit, send, retry as the policy says, decode.
    fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.core.request(endpoint)?;
            let slot = loop {
                match self.core.rate_slot(self.transport.now()) {
                    Ok(slot) => break slot,
                    Err(wait) => self.transport.sleep(wait),
                }
            };
            let result = self.transport.send(request);
            slot.release(self.transport.now());
            match self.core.after_attempt(attempt, result) {
                Step::Done(response) => return self.core.finish(endpoint, response),
                Step::Retry(wait) => self.transport.sleep(wait),
                Step::Fail(error) => return Err(error),
            }
        }
    }
}

/// Page requests queued with a worker thread, and the pages it fetched, in order.
///
/// If no thread can be started, pages are fetched on the calling thread.
struct Fetcher<T, L: Listing> {
    inner: Arc<Inner<T>>,
    worker: Option<Worker<L>>,
    queued: VecDeque<L::Query>,
    in_flight: usize,
}

/// The worker thread's ends: where requests go, and where pages come back.
type Worker<L> = (
    mpsc::Sender<<L as Listing>::Query>,
    mpsc::Receiver<Result<<L as Listing>::Page, Error>>,
);

/// Pages asked for at once: the one awaited and the one after it.
const PAGES_AHEAD: usize = 2;

impl<T, L> Fetcher<T, L>
where
    T: BlockingTransport + 'static,
    L: Listing + 'static,
    L::Query: Endpoint<Output = L::Page> + Send,
    L::Page: Send,
{
    fn new(inner: Arc<Inner<T>>) -> Self {
        let (request_sender, requests) = mpsc::channel::<L::Query>();
        let (page_sender, pages) = mpsc::channel();
        let worker_inner = Arc::clone(&inner);
        let started = std::thread::Builder::new()
            .name("digicert-pages".to_owned())
            .spawn(move || {
                for query in requests {
                    if page_sender.send(worker_inner.execute(&query)).is_err() {
                        break; // the listing was dropped
                    }
                }
            });
        Self {
            inner,
            worker: started.ok().map(|_| (request_sender, pages)),
            queued: VecDeque::new(),
            in_flight: 0,
        }
    }

    /// Hands the worker the pages the pager wants, up to [`PAGES_AHEAD`].
    fn top_up(&mut self, pager: &mut Pager<L>) {
        while self.in_flight < PAGES_AHEAD {
            let Some(query) = pager.next_request() else {
                break;
            };
            self.in_flight += 1;
            match &self.worker {
                Some((requests, _)) => {
                    if let Err(mpsc::SendError(query)) = requests.send(query) {
                        self.queued.push_back(query);
                    }
                }
                None => self.queued.push_back(query),
            }
        }
    }

    /// The next page in request order, or `None` if none was asked for.
    fn next_page(&mut self) -> Option<Result<L::Page, Error>> {
        if self.in_flight == 0 {
            return None;
        }
        self.in_flight -= 1;
        if let Some(query) = self.queued.pop_front() {
            return Some(self.inner.execute(&query));
        }
        let (_, pages) = self.worker.as_ref()?;
        Some(pages.recv().unwrap_or_else(|_| {
            Err(Error::Transport(TransportError::new(
                TransportErrorKind::Other,
                "the page worker thread stopped",
            )))
        }))
    }
}
