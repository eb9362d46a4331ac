//! One file per CertCentral order endpoint.

pub(crate) mod order_info;
pub(crate) mod reissues;
pub(crate) mod report;
pub(crate) mod status_changes;
pub(crate) mod subaccount_orders;

/// The most items CertCentral returns in one page.
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Refuses a page size outside `1..=MAX_PAGE_SIZE`.
fn check_limit(limit: u32) -> Result<(), crate::Error> {
    if (1..=MAX_PAGE_SIZE).contains(&limit) {
        Ok(())
    } else {
        Err(crate::Error::InvalidInput(format!(
            "page size {limit} is outside 1..={MAX_PAGE_SIZE}"
        )))
    }
}
