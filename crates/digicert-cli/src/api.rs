//! One face for both clients, so each command is written once.
//!
//! Single calls run on the calling thread (the async backend on a tokio
//! runtime). Listings run apart from the writer, feeding a bounded channel, so
//! pages keep arriving and decoding while the main thread writes rows: a
//! thread for the blocking backend, a task for the async one.

use std::sync::Arc;

use digicert_api::model::{
    OrderInfo, Reissues, ReportRow, StatusChanges, SubaccountOrder, SubaccountOrdersPage,
};
use digicert_api::{
    Client, Error, OrderRef, ReportQuery, StatusChangesQuery, SubaccountOrdersQuery, blocking,
};
use digicert_transport_reqwest::ReqwestTransport;
use digicert_transport_ureq::UreqTransport;
use futures_util::StreamExt;
use tokio::runtime::Runtime;

/// Items handed to the writer at once: one hand-over per item would wake the
/// writer thread for every row.
const CHUNK_ITEMS: usize = 256;

/// Chunks buffered between a listing and the writer.
const CHANNEL_CHUNKS: usize = 4;

/// A client on the chosen backend.
pub enum Api {
    /// ureq; shared with the thread a listing runs on.
    Blocking(Arc<blocking::Client<UreqTransport>>),
    /// reqwest, on a runtime of its own.
    Async {
        client: Arc<Client<ReqwestTransport>>,
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

/// Runs a listing apart from the calling thread and hands its items over in chunks.
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
                let $client = Arc::clone(client);
                let (sender, mut receiver) = tokio::sync::mpsc::channel(CHANNEL_CHUNKS);
                runtime.spawn(async move {
                    // Whatever is ready, up to a chunk: no waiting to fill one.
                    let chunks = $call.ready_chunks(CHUNK_ITEMS);
                    futures_util::pin_mut!(chunks);
                    while let Some(chunk) = chunks.next().await {
                        if sender.send(chunk).await.is_err() {
                            break; // the reader stopped
                        }
                    }
                });
                Box::new(std::iter::from_fn(move || receiver.blocking_recv()).flatten())
            }
        }
    };
}

impl Api {
    pub fn order_report(&self, query: &ReportQuery) -> Result<Vec<ReportRow>, Error> {
        call!(self, |client| client.order_report(query))
    }

    pub fn order_report_all(
        &self,
        query: ReportQuery,
    ) -> Box<dyn Iterator<Item = Result<ReportRow, Error>> + '_> {
        listing!(self, |client| client.order_report_all(query))
    }

    pub fn subaccount_orders(
        &self,
        query: &SubaccountOrdersQuery,
    ) -> Result<SubaccountOrdersPage, Error> {
        call!(self, |client| client.subaccount_orders(query))
    }

    pub fn subaccount_orders_all(
        &self,
        query: SubaccountOrdersQuery,
    ) -> Box<dyn Iterator<Item = Result<SubaccountOrder, Error>> + '_> {
        listing!(self, |client| client.subaccount_orders_all(query))
    }

    pub fn order_info(&self, reference: &OrderRef) -> Result<OrderInfo, Error> {
        call!(self, |client| client.order_info(reference))
    }

    pub fn reissues(&self, order_id: u64) -> Result<Reissues, Error> {
        call!(self, |client| client.reissues(order_id))
    }

    pub fn status_changes(&self, query: &StatusChangesQuery) -> Result<StatusChanges, Error> {
        call!(self, |client| client.status_changes(query))
    }

    pub fn status_changes_between(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<StatusChanges, Error> {
        call!(self, |client| client.status_changes_between(from, to))
    }
}
