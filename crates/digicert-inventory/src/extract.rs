//! The one place that reads model fields: a report row or order details into the record the
//! store keeps (indexed columns, plus the whole order serialized as the model writes it).

use digicert_api::model::{OrderInfo, ReportRow, StatusChange};

use crate::error::Error;
use crate::find::normalize_hex;
use crate::record::{OrderJson, OrderRecord};

/// Bytes reserved for a report row's JSON: its 60-odd fields come to about 2 KiB, and
/// growing a buffer from serde_json's 128 bytes copied each row five times over.
pub(crate) const REPORT_JSON_CAPACITY: usize = 2560;

/// A report row's JSON as stored, written into `json` (emptied first; a sync keeps one buffer
/// for every row).
pub(crate) fn report_json(row: &ReportRow, json: &mut Vec<u8>) -> Result<(), Error> {
    json.clear();
    serde_json::to_writer(&mut *json, row).map_err(|source| Error::Json {
        order_id: row.order_id,
        source,
    })
}

/// A report row as stored, with its JSON ([`report_json`]).
pub(crate) fn from_report_row(row: ReportRow, json: &[u8]) -> Result<OrderRecord, Error> {
    let json = std::str::from_utf8(json).map_err(|err| Error::Json {
        order_id: row.order_id,
        source: serde::ser::Error::custom(err),
    })?;
    Ok(OrderRecord {
        order_id: row.order_id,
        status: row.status.as_str().to_owned(),
        thumbprint: row.thumbprint.as_deref().and_then(normalize_hex),
        serial_number: row.serial_number.as_deref().and_then(normalize_hex),
        common_name: row.common_name,
        dns_names: row.dns_names,
        valid_from: row.valid_from,
        valid_till: row.valid_till,
        product_name_id: row.product_name_id,
        organization: row.organization_name,
        certificate_id: row.certificate_tracker_id,
        json: OrderJson::Report(json.to_owned()),
    })
}

/// Order details as stored.
pub(crate) fn from_order_info(info: &OrderInfo) -> Result<OrderRecord, Error> {
    let json = serde_json::to_string(info).map_err(|source| Error::Json {
        order_id: info.id,
        source,
    })?;
    let certificate = info.certificate.as_ref();
    let organization = info
        .organization
        .as_ref()
        .or_else(|| certificate.and_then(|c| c.organization.as_ref()))
        .and_then(|o| o.name.clone());
    let product_name_id = info
        .product
        .as_ref()
        .and_then(|p| p.name_id.clone())
        .or_else(|| info.product_name_id.clone());
    Ok(OrderRecord {
        order_id: info.id,
        status: info.status.as_str().to_owned(),
        common_name: certificate.and_then(|c| c.common_name.clone()),
        dns_names: certificate.map(|c| c.dns_names.clone()).unwrap_or_default(),
        valid_from: certificate.and_then(|c| c.valid_from),
        valid_till: certificate.and_then(|c| c.valid_till),
        product_name_id,
        thumbprint: certificate
            .and_then(|c| c.thumbprint.as_deref())
            .and_then(normalize_hex),
        serial_number: certificate
            .and_then(|c| c.serial_number.as_deref())
            .and_then(normalize_hex),
        organization,
        certificate_id: certificate.and_then(|c| c.id),
        json: OrderJson::Info(json),
    })
}

/// A status change's order id, status and certificate id.
pub(crate) fn change_key(change: &StatusChange) -> (u64, &str, Option<u64>) {
    (
        change.order_id,
        change.status.as_str(),
        change.certificate_id,
    )
}
