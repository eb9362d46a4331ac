//! One face for both clients, so each command is written once.
//!
//! Single calls run on the calling thread (the async backend on a tokio
//! runtime). Listings keep pages arriving while the main thread writes rows:
//! on the blocking backend a thread runs the listing and hands rows over in
//! chunks; on the async backend the runtime's worker receives the pages, and
//! the main thread decodes each when its turn comes and writes its rows.

use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use digicert_api::model::{
    OrderInfo, Reissues, ReportRow, StatusChanges, SubaccountOrder, SubaccountOrdersPage,
};
use digicert_api::{
    Client, Error, OrderRef, ReportQuery, StatusChangesQuery, SubaccountOrdersQuery, blocking,
};
use digicert_inventory::{SyncOptions, SyncReport};
use digicert_transport_reqwest::ReqwestTransport;
use digicert_transport_ureq::UreqTransport;
use futures_util::StreamExt;
use tokio::runtime::Runtime;

use super::counting::Counted;
use crate::store::Inventory;

/// Items a blocking listing hands to the writer at once: one hand-over per item
/// would wake the writer thread for every row.
const CHUNK_ITEMS: usize = 256;

/// Chunks buffered between a blocking listing and the writer.
const CHANNEL_CHUNKS: usize = 4;

/// A client on the chosen backend.
pub enum Api {
    /// ureq; shared with the thread a listing runs on.
    Blocking(Arc<blocking::Client<Counted<UreqTransport>>>),
    /// reqwest, on a runtime of its own.
    Async {
        /// The client.
        client: Arc<Client<Counted<ReqwestTransport>>>,
        /// The runtime its calls are awaited on.
        runtime: Runtime,
    },
}

/// Calls `$call` on whichever client there is, awaiting it on the async one.
macro_rules! call {
    ($api:expr, |$client:ident| $call:expr) => {
        match $api {
            Api::Blocking($client) => $call,
            Api::Async {
                client: $client,
                runtime,
            } => runtime.block_on(async { $call.await }),
        }
    };
}

/// Runs a listing so that its pages keep arriving while the caller writes its items.
macro_rules! listing {
    ($api:expr, |$client:ident| $call:expr) => {
        match $api {
            Api::Blocking(client) => {
                let $client = Arc::clone(client);
                let (sender, receiver) = std::sync::mpsc::sync_channel(CHANNEL_CHUNKS);
                std::thread::spawn(move || {
                    let mut chunk = Vec::with_capacity(CHUNK_ITEMS);
                    for item in $call {
                        chunk.push(item);
                        if chunk.len() == CHUNK_ITEMS
                            && sender.send(std::mem::take(&mut chunk)).is_err()
                        {
                            return; // the reader stopped
                        }
                    }
                    let _ = sender.send(chunk);
                });
                Box::new(receiver.into_iter().flatten()) as Box<dyn Iterator<Item = _> + '_>
            }
            Api::Async { client, runtime } => {
                // Polled here, so a page is decoded on this thread, and rows are
                // dropped on the thread that allocated them. Most items are ready
                // at once (the rest of a page): those are taken without blocking,
                // and only a wait for the next page enters `block_on`.
                let $client = client;
                let mut items = Box::pin($call);
                Box::new(std::iter::from_fn(move || {
                    let _context = runtime.enter();
                    let mut ready = Context::from_waker(Waker::noop());
                    match items.poll_next_unpin(&mut ready) {
                        Poll::Ready(item) => item,
                        Poll::Pending => runtime.block_on(items.next()),
                    }
                }))
            }
        }
    };
}

impl Api {
    /// One page of the order report.
    pub fn order_report(&self, query: &ReportQuery) -> Result<Vec<ReportRow>, Error> {
        call!(self, |client| client.order_report(query))
    }

    /// Every row of the order report, page after page.
    pub fn order_report_all(
        &self,
        query: ReportQuery,
    ) -> Box<dyn Iterator<Item = Result<ReportRow, Error>> + '_> {
        listing!(self, |client| client.order_report_all(query))
    }

    /// One page of the orders placed by sub-accounts.
    pub fn subaccount_orders(
        &self,
        query: &SubaccountOrdersQuery,
    ) -> Result<SubaccountOrdersPage, Error> {
        call!(self, |client| client.subaccount_orders(query))
    }

    /// Every order placed by sub-accounts, page after page.
    pub fn subaccount_orders_all(
        &self,
        query: SubaccountOrdersQuery,
    ) -> Box<dyn Iterator<Item = Result<SubaccountOrder, Error>> + '_> {
        listing!(self, |client| client.subaccount_orders_all(query))
    }

    /// One order.
    pub fn order_info(&self, reference: &OrderRef) -> Result<OrderInfo, Error> {
        call!(self, |client| client.order_info(reference))
    }

    /// The reissues of an order.
    pub fn reissues(&self, order_id: u64) -> Result<Reissues, Error> {
        call!(self, |client| client.reissues(order_id))
    }

    /// The orders whose status changed in one window.
    pub fn status_changes(&self, query: &StatusChangesQuery) -> Result<StatusChanges, Error> {
        call!(self, |client| client.status_changes(query))
    }

    /// The answer for each window as it comes, in order: one at a time on the blocking
    /// backend, up to the configured concurrency at once on the async one.
    pub fn status_changes_in_windows(
        &self,
        windows: Vec<StatusChangesQuery>,
    ) -> Box<dyn Iterator<Item = Result<StatusChanges, Error>> + '_> {
        match self {
            Api::Blocking(client) => Box::new(client.status_changes_in_windows(windows)),
            Api::Async { client, runtime } => {
                let mut answers = Box::pin(client.status_changes_in_windows(windows));
                Box::new(std::iter::from_fn(move || runtime.block_on(answers.next())))
            }
        }
    }

    /// Brings `inventory` up to date through this client.
    pub fn sync_inventory(
        &self,
        inventory: &mut Inventory,
        options: &SyncOptions,
    ) -> Result<SyncReport, digicert_inventory::Error> {
        match self {
            Api::Blocking(client) => inventory.sync_blocking(client, options),
            Api::Async { client, runtime } => runtime.block_on(inventory.sync(client, options)),
        }
    }
}
