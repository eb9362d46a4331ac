//! The async client: the same methods as the blocking one, awaited.

use chrono::{DateTime, TimeZone};
use digicert_model::{
    OrderInfo, Reissues, ReportRow, StatusChanges, SubaccountOrder, SubaccountOrdersPage,
};
use digicert_transport::{AsyncTransport, Response};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use futures_util::stream::{self, FuturesOrdered, Stream, StreamExt, TryStreamExt};

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

/// An async CertCentral client; the [`crate::blocking::Client`] has the same
/// methods and gives the same results. Its futures and streams are `Send`.
///
/// Listings of every page fetch up to [`Config::concurrency`] pages at once and
/// still yield items in order.
///
/// ```no_run
/// use digicert_api::{Client, Config};
/// use futures_util::StreamExt;
/// # async fn run(transport: impl digicert_api::transport::AsyncTransport) -> Result<(), digicert_api::Error> {
///
/// // With the `reqwest` feature: Client::with_reqwest(Config::new(key))?.
/// let client = Client::new(transport, Config::new("my-api-key"));
/// let orders = client.subaccount_orders_all(Default::default());
/// futures_util::pin_mut!(orders);
/// while let Some(order) = orders.next().await {
///     println!("{}", order?.id);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client<T> {
    transport: T,
    core: Core,
}

#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
impl Client<digicert_transport_reqwest::ReqwestTransport> {
    /// A client on the reqwest backend, with the configuration's timeouts.
    pub fn with_reqwest(config: Config) -> Result<Self, Error> {
        let transport =
            digicert_transport_reqwest::ReqwestTransport::new(config.transport_config())?;
        Ok(Self::new(transport, config))
    }
}

impl<T: AsyncTransport> Client<T> {
    /// A client sending through `transport`.
    pub fn new(transport: T, config: Config) -> Self {
        Self {
            transport,
            core: Core::new(config),
        }
    }

    /// The client's configuration.
    pub fn config(&self) -> &Config {
        self.core.config()
    }

    /// One page of the order report (`GET /report/order`).
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// let rows = client.order_report(&digicert_api::ReportQuery::new().limit(100)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn order_report(&self, query: &ReportQuery) -> Result<Vec<ReportRow>, Error> {
        collect_rows(self.execute(query).await?)
    }

    /// Every row of the order report from `query`'s offset on. Pages are fetched
    /// ahead, up to the configured concurrency, until the first short page.
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// use futures_util::TryStreamExt;
    ///
    /// let rows = client.order_report_all(Default::default());
    /// futures_util::pin_mut!(rows);
    /// while let Some(row) = rows.try_next().await? {
    ///     println!("{} {}", row.order_id, row.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn order_report_all(
        &self,
        query: ReportQuery,
    ) -> impl Stream<Item = Result<ReportRow, Error>> + Send + '_ {
        self.walk::<ReportListing>(query)
    }

    /// One page of sub-account orders (`GET /account/subaccount/order`).
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// let page = client.subaccount_orders(&Default::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn subaccount_orders(
        &self,
        query: &SubaccountOrdersQuery,
    ) -> Result<SubaccountOrdersPage, Error> {
        self.execute(query).await
    }

    /// Every sub-account order from `query`'s offset on. Once the first page
    /// gives the total, the remaining pages are fetched concurrently.
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// use futures_util::TryStreamExt;
    ///
    /// let orders: Vec<_> = client.subaccount_orders_all(Default::default()).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn subaccount_orders_all(
        &self,
        query: SubaccountOrdersQuery,
    ) -> impl Stream<Item = Result<SubaccountOrder, Error>> + Send + '_ {
        self.walk::<SubaccountListing>(query)
    }

    /// One order, by order id, certificate thumbprint or serial number
    /// (`GET /order/certificate/{ref}`).
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// let order = client.order_info(&"0A1B2C3D".parse()?).await?;
    /// # Ok(()) }
    /// ```
    pub async fn order_info(&self, reference: &OrderRef) -> Result<OrderInfo, Error> {
        self.execute(&OrderInfoRequest(reference)).await
    }

    /// The reissues of an order (`GET /order/certificate/{order_id}/reissue`).
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// let reissues = client.reissues(123456).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reissues(&self, order_id: u64) -> Result<Reissues, Error> {
        self.execute(&ReissuesRequest(order_id)).await
    }

    /// Orders whose status changed in one window of at most 7 days
    /// (`GET /order/certificate/status-changes`).
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// let changes = client.status_changes(&digicert_api::StatusChangesQuery::last_minutes(10)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn status_changes(&self, query: &StatusChangesQuery) -> Result<StatusChanges, Error> {
        self.execute(query).await
    }

    /// Orders whose status changed between two instants, however far apart,
    /// asked in windows of at most 7 days and merged (the later status wins).
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// let now = chrono::Utc::now();
    /// let month = client.status_changes_between(now - chrono::Duration::days(30), now).await?;
    /// # Ok(()) }
    /// ```
    pub async fn status_changes_between<Tz: TimeZone>(
        &self,
        from: DateTime<Tz>,
        to: DateTime<Tz>,
    ) -> Result<StatusChanges, Error> {
        let windows = StatusChangesQuery::windows(from, to)?;
        let answers: Vec<StatusChanges> = self
            .status_changes_in_windows(windows)
            .try_collect()
            .await?;
        Ok(merge(answers))
    }

    /// The answer for each window, in the windows' order, with up to
    /// [`Config::concurrency`] windows asked at once. Join them with
    /// [`merge_status_changes`](crate::merge_status_changes); this is
    /// [`status_changes_between`](Self::status_changes_between) for a caller
    /// that wants to count the windows as they come.
    ///
    /// ```no_run
    /// # async fn run(client: &digicert_api::Client<impl digicert_api::transport::AsyncTransport>) -> Result<(), digicert_api::Error> {
    /// use digicert_api::StatusChangesQuery;
    /// use futures_util::TryStreamExt;
    ///
    /// let now = chrono::Utc::now();
    /// let windows = StatusChangesQuery::windows(now - chrono::Duration::days(30), now)?;
    /// let answers: Vec<_> = client.status_changes_in_windows(windows).try_collect().await?;
    /// let month = digicert_api::merge_status_changes(answers);
    /// # Ok(()) }
    /// ```
    pub fn status_changes_in_windows(
        &self,
        windows: Vec<StatusChangesQuery>,
    ) -> impl Stream<Item = Result<StatusChanges, Error>> + Send + '_ {
        let concurrency = self.core.config().page_concurrency();
        stream::iter(windows)
            .map(move |window| async move { self.status_changes(&window).await })
            .buffered(concurrency)
    }

    /// Runs one endpoint: rate limit, send, retry as the policy says, decode.
    async fn execute<E: Endpoint>(&self, endpoint: &E) -> Result<E::Output, Error> {
        let response = self.fetch(endpoint).await?;
        self.core.finish(endpoint, response)
    }

    /// Sends one endpoint's request until it has an answer to decode: rate limit,
    /// send, retry as the policy says.
    async fn fetch<E: Endpoint>(&self, endpoint: &E) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = self.core.request(endpoint)?;
            let slot = loop {
                match self.core.rate_slot(self.transport.now()) {
                    Ok(slot) => break slot,
                    Err(wait) => self.transport.sleep(wait).await,
                }
            };
            let result = self.transport.send(request).await;
            slot.release(self.transport.now());
            match self.core.after_attempt(attempt, result) {
                Step::Done(response) => return Ok(response),
                Step::Retry(wait) => self.transport.sleep(wait).await,
                Step::Fail(error) => return Err(error),
            }
        }
    }

    /// Every item of a paged listing, with up to the configured number of pages in flight.
    ///
    /// A page is decoded when its turn comes, not when it arrives: pages that arrive
    /// ahead of a slow one wait as their bodies, about half the size of their rows.
    fn walk<L>(&self, query: L::Query) -> impl Stream<Item = Result<L::Item, Error>> + Send + '_
    where
        L: Listing + 'static,
        L::Query: Endpoint<Output = L::Page> + Send + 'static,
        L::Page: Send,
        L::Item: Send,
    {
        let concurrency = self.core.config().page_concurrency();
        let in_flight: FuturesOrdered<Fetch<'_, L::Query>> = FuturesOrdered::new();
        stream::unfold(
            (Pager::<L>::new(query), in_flight),
            move |(mut pager, mut in_flight)| async move {
                loop {
                    if let Some(item) = pager.next_item() {
                        return Some((item, (pager, in_flight)));
                    }
                    if let Some(body) = pager.take_spent_body() {
                        self.transport.recycle(body);
                    }
                    if pager.is_done() {
                        return None;
                    }
                    while in_flight.len() < concurrency {
                        let Some(query) = pager.next_request() else {
                            break;
                        };
                        in_flight.push_back(
                            async move {
                                let response = self.fetch(&query).await;
                                (query, response)
                            }
                            .boxed(),
                        );
                    }
                    let (query, response) = in_flight.next().await?;
                    pager.page_arrived(response.and_then(|page| self.core.finish(&query, page)));
                }
            },
        )
    }
}

/// A page request in flight: the query, with its answer still to decode.
type Fetch<'a, Q> = BoxFuture<'a, (Q, Result<Response, Error>)>;
