//! The async driver: sends what the planning core asks; report pages and order details are
//! fetched up to the client's concurrency at once.

use digicert_api::transport::AsyncTransport;
use digicert_api::{Client, OrderRef, ReportQuery};
use futures_util::{StreamExt, TryStreamExt, stream};

use super::{Next, Plan, Session, SyncOptions, SyncReport};
use crate::error::Error;
use crate::store::Store;

/// Syncs `store` through an async client.
pub(crate) async fn sync<S: Store, T: AsyncTransport>(
    store: &mut S,
    client: &Client<T>,
    options: &SyncOptions,
) -> Result<SyncReport, Error> {
    let (mut session, plan) = Session::begin(store, options)?;
    let next = match plan {
        Plan::Skip(last_success) => return session.skipped(last_success),
        Plan::Full => Next::Full,
        Plan::Changes { from, to } => {
            session.changes(&client.status_changes_between(from, to).await?)?
        }
    };
    match next {
        Next::Full => {
            let rows = client.order_report_all(ReportQuery::new());
            futures_util::pin_mut!(rows);
            while let Some(row) = rows.try_next().await? {
                session.report_row(row)?;
            }
        }
        Next::Fetch(order_ids) => {
            let concurrency = client.config().page_concurrency().max(1);
            let mut infos = stream::iter(order_ids)
                .map(|order_id| async move {
                    (order_id, client.order_info(&OrderRef::from(order_id)).await)
                })
                .buffered(concurrency);
            while let Some((order_id, info)) = infos.next().await {
                match info {
                    Ok(info) => session.order_info(&info)?,
                    Err(err) if err.is_not_found() => session.order_gone(order_id),
                    Err(err) => return Err(err.into()),
                }
            }
        }
    }
    session.finish()
}
