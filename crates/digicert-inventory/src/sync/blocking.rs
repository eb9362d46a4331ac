//! The blocking driver: sends what the planning core asks, one request at a time.

use digicert_api::transport::BlockingTransport;
use digicert_api::{OrderRef, ReportQuery, blocking};

use super::{Next, Plan, Session, SyncOptions, SyncReport};
use crate::error::Error;
use crate::store::Store;

/// Syncs `store` through a blocking client.
pub(crate) fn sync<S: Store, T: BlockingTransport + 'static>(
    store: &mut S,
    client: &blocking::Client<T>,
    options: &SyncOptions,
) -> Result<SyncReport, Error> {
    let (mut session, plan) = Session::begin(store, options)?;
    let next = match plan {
        Plan::Skip(last_success) => return session.skipped(last_success),
        Plan::Full => Next::Full,
        Plan::Changes { from, to } => session.changes(&client.status_changes_between(from, to)?)?,
    };
    match next {
        Next::Full => {
            for row in client.order_report_all(ReportQuery::new()) {
                session.report_row(row?)?;
            }
        }
        Next::Fetch(order_ids) => {
            for order_id in order_ids {
                match client.order_info(&OrderRef::from(order_id)) {
                    Ok(info) => session.order_info(&info)?,
                    Err(err) if err.is_not_found() => session.order_gone(order_id),
                    Err(err) => return Err(err.into()),
                }
            }
        }
    }
    session.finish()
}
