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

/// Items buffered between the async listing task and the writer.
const CHANNEL_ITEMS: usize = 512;

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

/// Runs an async listing as a task and hands its items to the calling thread.
macro_rules! listing {
    ($api:expr, |$client:ident| $call:expr) => {
        match $api {
            Api::Blocking(client) => {
                let $client = Arc::clone(client);
                let (sender, receiver) = std::sync::mpsc::sync_channel(CHANNEL_ITEMS);
                std::thread::spawn(move || {
                    for item in $call {
                        if sender.send(item).is_err() {
                            break; // the reader stopped
                        }
                    }
                });
                Box::new(receiver.into_iter()) as Box<dyn Iterator<Item = _> + '_>
            }
            Api::Async { client, runtime } => {
                let $client = Arc::clone(client);
                let (sender, mut receiver) = tokio::sync::mpsc::channel(CHANNEL_ITEMS);
                runtime.spawn(async move {
                    let items = $call;
                    futures_util::pin_mut!(items);
                    while let Some(item) = items.next().await {
                        if sender.send(item).await.is_err() {
                            break; // the reader stopped
                        }
                    }
                });
                Box::new(std::iter::from_fn(move || receiver.blocking_recv()))
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
