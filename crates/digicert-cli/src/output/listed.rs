//! How each listed type is written: its table columns and cells.

use std::io::{self, Write};

use chrono::{DateTime, FixedOffset};
use digicert_api::model::{
    CustomField, OrderInfo, ReissuedCertificate, ReportRow, StatusChange, SubaccountOrder,
};
use digicert_inventory::StoredOrder;
use serde::Serialize;

use super::spelling::{hex, time};
use super::{Column, CsvOut, Listed};

/// Text of an optional value, empty when absent.
pub(super) fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A time CertCentral sent, as every table writes times ([`time`]); empty when absent.
fn sent_time(value: Option<DateTime<FixedOffset>>) -> String {
    value.map(|at| time(at.to_utc())).unwrap_or_default()
}

/// A thumbprint or serial number as every output writes it ([`hex`]); empty when absent.
fn hex_text(value: Option<&str>) -> String {
    value.map(hex).unwrap_or_default()
}

/// Custom fields as a person reads them: `label=value; label=value` (the CSV keeps the
/// API's own encoding).
fn custom_fields(fields: &[CustomField]) -> String {
    fields
        .iter()
        .map(|field| {
            let label = field
                .label
                .clone()
                .or_else(|| field.metadata_id.map(|id| format!("#{id}")))
                .unwrap_or_default();
            format!("{label}={}", field.value.as_deref().unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl Listed for ReportRow {
    const AS_SENT: bool = true;

    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("status", 14),
        ("valid_till", 10),
        ("product_name_id", 20),
        ("common_name", 40),
        ("metadata", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.order_id.to_string(),
            self.status.to_string(),
            text(self.valid_till),
            text(self.product_name_id.as_deref()),
            text(self.common_name.as_deref()),
            custom_fields(&self.metadata),
        ]
    }

    /// The report's own columns, every value quoted, as CertCentral writes it (times in UTC).
    fn csv_out<W: Write>(out: W) -> io::Result<CsvOut<W>> {
        Ok(CsvOut::Report(super::report_csv(out, None)?))
    }

    fn csv_row<W: Write>(&self, out: &mut CsvOut<W>) -> io::Result<()> {
        match out {
            CsvOut::Report(writer) => writer.write_row(self),
            CsvOut::Plain(csv) => Ok(csv.write_record(self.cells())?),
        }
    }
}

/// An order of `expiring`: the report row, and the days left until its certificate expires.
#[derive(Debug, Clone, Serialize)]
pub struct ExpiringOrder {
    /// Days from today (UTC) to `valid_till`; below 0 once expired.
    pub days_left: i64,
    /// The order's report row, its columns beside `days_left` in JSON.
    #[serde(flatten)]
    pub row: ReportRow,
}

impl Listed for ExpiringOrder {
    const AS_SENT: bool = true;

    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("days_left", 9),
        ("valid_till", 10),
        ("status", 14),
        ("product_name_id", 20),
        ("common_name", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.row.order_id.to_string(),
            self.days_left.to_string(),
            text(self.row.valid_till),
            self.row.status.to_string(),
            text(self.row.product_name_id.as_deref()),
            text(self.row.common_name.as_deref()),
        ]
    }
}

impl Listed for SubaccountOrder {
    const AS_SENT: bool = true;

    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("status", 14),
        ("account_id", 10),
        ("product_name_id", 20),
        ("date_created", 20),
        ("common_name", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.status.to_string(),
            text(self.subaccount.as_ref().and_then(|s| s.account_id)),
            text(self.product.as_ref().and_then(|p| p.name_id.as_deref())),
            sent_time(self.date_created),
            text(
                self.certificate
                    .as_ref()
                    .and_then(|c| c.common_name.as_deref()),
            ),
        ]
    }
}

impl Listed for OrderInfo {
    const AS_SENT: bool = true;

    const COLUMNS: &'static [Column] = &[
        ("order_id", 10),
        ("status", 14),
        ("common_name", 40),
        ("dns_names", 40),
        ("product_name_id", 20),
        ("date_created", 20),
        ("valid_from", 10),
        ("valid_till", 10),
        ("thumbprint", 40),
        ("serial_number", 32),
        ("organization_name", 40),
        ("custom_fields", 60),
    ];

    fn cells(&self) -> Vec<String> {
        let certificate = self.certificate.as_ref();
        vec![
            self.id.to_string(),
            self.status.to_string(),
            text(certificate.and_then(|c| c.common_name.as_deref())),
            certificate
                .map(|c| c.dns_names.join(","))
                .unwrap_or_default(),
            text(self.product.as_ref().and_then(|p| p.name_id.as_deref())),
            sent_time(self.date_created),
            text(certificate.and_then(|c| c.valid_from)),
            text(certificate.and_then(|c| c.valid_till)),
            hex_text(certificate.and_then(|c| c.thumbprint.as_deref())),
            hex_text(certificate.and_then(|c| c.serial_number.as_deref())),
            text(self.organization.as_ref().and_then(|o| o.name.as_deref())),
            custom_fields(&self.custom_fields),
        ]
    }
}

impl Listed for ReissuedCertificate {
    const AS_SENT: bool = true;

    const COLUMNS: &'static [Column] = &[
        ("certificate_id", 14),
        ("status", 14),
        ("date_created", 20),
        ("valid_till", 10),
        ("thumbprint", 40),
        ("serial_number", 32),
        ("common_name", 60),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.status.to_string(),
            sent_time(self.date_created),
            text(self.valid_till),
            hex_text(self.thumbprint.as_deref()),
            hex_text(self.serial_number.as_deref()),
            text(self.common_name.as_deref()),
        ]
    }
}

impl Listed for StatusChange {
    const AS_SENT: bool = true;

    const COLUMNS: &'static [Column] = &[("order_id", 10), ("certificate_id", 14), ("status", 14)];

    fn cells(&self) -> Vec<String> {
        vec![
            self.order_id.to_string(),
            text(self.certificate_id),
            self.status.to_string(),
        ]
    }
}

impl Listed for StoredOrder {
    const COLUMNS: &'static [Column] = &[
        ("account", 10),
        ("order_id", 10),
        ("status", 14),
        ("valid_till", 10),
        ("days_left", 9),
        ("product_name_id", 20),
        ("organization", 24),
        ("common_name", 50),
    ];

    fn cells(&self) -> Vec<String> {
        vec![
            self.account.clone(),
            self.order_id.to_string(),
            self.status.clone(),
            text(self.valid_till),
            text(self.days_left),
            text(self.product_name_id.as_deref()),
            text(self.organization.as_deref()),
            text(self.common_name.as_deref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_rfc_3339_and_custom_fields_read_as_label_value() {
        let denver = DateTime::parse_from_rfc3339("2026-05-01T02:30:00-06:00").unwrap();
        assert_eq!(sent_time(Some(denver)), "2026-05-01T08:30:00Z");
        assert_eq!(sent_time(None), "");
        let fields = [
            CustomField {
                metadata_id: Some(7),
                label: Some("Cost center".into()),
                value: Some("42".into()),
                ..Default::default()
            },
            CustomField {
                metadata_id: Some(9),
                label: None,
                value: Some("x".into()),
                ..Default::default()
            },
        ];
        assert_eq!(custom_fields(&fields), "Cost center=42; #9=x");
    }
}
