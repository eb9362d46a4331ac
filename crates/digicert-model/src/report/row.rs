//! One row of the order report, with every documented column typed.

use chrono::{NaiveDate, NaiveDateTime};

use super::extra::ReportExtra;
use super::reader::RecordFields;
use super::record::Normalized;
use super::value::ColumnValue;
use crate::common::CustomField;
use crate::decimal::Decimal;
use crate::enums::{OrderStatus, PayType, ProductType};
use crate::error::DecodeError;

/// Defines [`ReportRow`] and its column list from one table, so that a column's
/// name, type, position, decoding and encoding can never disagree.
///
/// A field's name is its column's header name. Its type decides how the column
/// reads (see `value.rs`): a plain type is a required column, `Option` an
/// optional one, `Vec` a list.
macro_rules! report_row {
    ($( $(#[$attr:meta])* $field:ident : $ty:ty, )*) => {
        /// One order of the CSV order report (`GET /report/order`).
        ///
        /// Field names are the report's column names; serialized to JSON, a row
        /// uses them too, with its unknown columns after them. Empty report values are
        /// `None` (or an empty list).
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct ReportRow {
            $( $(#[$attr])* pub $field: $ty, )*
            /// Columns the model does not know, and values kept as sent: see [`ReportExtra`].
            pub extra: ReportExtra,
        }

        /// Every column the model knows, in the order CertCentral documents them.
        pub const COLUMNS: &[&str] = &[ $( stringify!($field), )* ];

        impl ReportRow {
            /// Whether each column of [`COLUMNS`] must be present in a report header.
            pub(crate) fn required_columns() -> Vec<bool> {
                vec![ $( <$ty as ColumnValue>::absent().is_none(), )* ]
            }

            /// Whether each column of [`COLUMNS`] holds a date-time.
            pub(crate) fn time_columns() -> Vec<bool> {
                vec![ $( <$ty as ColumnValue>::IS_TIME, )* ]
            }

            /// Builds a row from one CSV record.
            pub(crate) fn decode(fields: &RecordFields<'_>) -> Result<Self, DecodeError> {
                let mut extra = ReportExtra::default();
                fields.unknown_columns(&mut extra)?;
                let mut column = 0;
                $(
                    let $field = fields.decode::<$ty>(column, &mut extra)?;
                    column += 1;
                )*
                let _ = column;
                Ok(Self { $( $field, )* extra })
            }

            /// Overwrites this row with one CSV record, reusing its allocations.
            pub(crate) fn decode_into(&mut self, fields: &RecordFields<'_>) -> Result<(), DecodeError> {
                fields.unknown_columns(&mut self.extra)?;
                let mut column = 0;
                $(
                    fields.decode_into(column, &mut self.$field, &mut self.extra)?;
                    column += 1;
                )*
                let _ = column;
                Ok(())
            }

            /// Checks each column of one CSV record as [`decode`](Self::decode) does, and
            /// notes in `out` where each column's written text is.
            pub(crate) fn normalize(fields: &RecordFields<'_>, out: &mut Normalized) -> Result<(), DecodeError> {
                let mut column = 0;
                $(
                    fields.normalize::<$ty>(column, out)?;
                    column += 1;
                )*
                let _ = column;
                Ok(())
            }

            /// Sets `texts` to each column's text, in [`COLUMNS`] order, reusing its strings.
            pub(crate) fn encode(&self, texts: &mut Vec<String>) {
                texts.resize_with(COLUMNS.len(), String::new);
                let mut texts = texts.iter_mut();
                $(
                    if let Some(text) = texts.next() {
                        text.clear();
                        self.$field.write_column(text);
                    }
                )*
            }
        }

        impl serde::Serialize for ReportRow {
            /// Every known column (a value kept as sent in its sent text), then the unknown ones.
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = s.serialize_map(None)?;
                $(
                    match self.extra.kept(stringify!($field)) {
                        Some(kept) => map.serialize_entry(stringify!($field), kept)?,
                        None => map.serialize_entry(stringify!($field), &self.$field)?,
                    }
                )*
                for (name, text) in self.extra.unknown_columns() {
                    map.serialize_entry(name, text)?;
                }
                map.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for ReportRow {
            /// Reads a row as [`Serialize`](serde::Serialize) writes it: a value that does not
            /// fit its optional column is kept as sent, other keys are unknown columns.
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                use serde::de::Error as _;
                let mut map = <serde_json::Map<String, serde_json::Value>>::deserialize(d)?;
                let mut extra = ReportExtra::default();
                $(
                    let $field: $ty = match map.remove(stringify!($field)) {
                        Some(value) => match <$ty as serde::Deserialize>::deserialize(&value) {
                            Ok(typed) => typed,
                            // A date-time in RFC 3339 in UTC (`2018-10-26T10:15:33Z`), as the
                            // `digicert` command writes the report's times, reads as its column does.
                            Err(_) if <$ty as ColumnValue>::IS_TIME
                                && let Some(typed) = value
                                    .as_str()
                                    .and_then(|text| <$ty as ColumnValue>::parse_column(text).ok()) => typed,
                            Err(err) => match <$ty as ColumnValue>::absent() {
                                Some(absent) => {
                                    extra.keep(stringify!($field), &json_text(value));
                                    absent
                                }
                                None => return Err(D::Error::custom(
                                    format!("{}: {err}", stringify!($field)),
                                )),
                            },
                        },
                        None => <$ty as ColumnValue>::absent().ok_or_else(|| {
                            D::Error::missing_field(stringify!($field))
                        })?,
                    };
                )*
                for (name, value) in map {
                    extra.set_unknown(&name, &json_text(value));
                }
                Ok(Self { $( $field, )* extra })
            }
        }
    };
}

/// A JSON value as a report column's text: a string as it is, anything else as JSON.
fn json_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    }
}

report_row! {
    /// Order ID.
    order_id: u64,
    /// Custom order ID.
    customer_order_id: Option<String>,
    /// When the order was placed (no time zone is given).
    date_created: NaiveDateTime,
    /// Container ID.
    container_id: Option<u64>,
    /// Container name.
    container_name: Option<String>,
    /// Order status.
    status: OrderStatus,
    /// ID of the user who placed the order.
    user_id: Option<u64>,
    /// Organization ID.
    organization_id: Option<u64>,
    /// Organization name.
    organization_name: Option<String>,
    /// Organization address, first line.
    organization_address_1: Option<String>,
    /// Organization address, second line.
    organization_address_2: Option<String>,
    /// Organization city.
    organization_city: Option<String>,
    /// Organization state.
    organization_state: Option<String>,
    /// Organization country.
    organization_country: Option<String>,
    /// Organization unit on the certificate.
    organization_unit: Option<String>,
    /// Technical contact's first name.
    tech_first_name: Option<String>,
    /// Technical contact's last name.
    tech_last_name: Option<String>,
    /// Technical contact's email.
    tech_email: Option<String>,
    /// Technical contact's job title.
    tech_title: Option<String>,
    /// Technical contact's telephone.
    tech_telephone: Option<String>,
    /// Server platform ID (`-1` for "other").
    server_type: Option<i64>,
    /// Issuing certificate authority.
    issuing_ca: Option<String>,
    /// ID of the accepted certificate services agreement.
    agreement_id: Option<u64>,
    /// Years of validity.
    validity_years: Option<u32>,
    /// Signature hash of the request.
    signature_hash: Option<String>,
    /// Domain control validation method.
    dcv_method: Option<String>,
    /// The name the certificate secures.
    common_name: Option<String>,
    /// Whether the Plus feature is on.
    plus_feature: Option<bool>,
    /// Further names the certificate secures (comma-separated in the report).
    dns_names: Vec<String>,
    /// Number of SANs (documented, not in every report).
    number_of_sans: Option<u32>,
    /// Number of server licenses (documented, not in every report).
    server_licenses: Option<u32>,
    /// Product ID.
    product_id: Option<u64>,
    /// Product identifier, such as `ssl_plus`.
    product_name_id: Option<String>,
    /// Product display name.
    product_name: Option<String>,
    /// Product type.
    product_type: Option<ProductType>,
    /// Email address on the certificate.
    email: Option<String>,
    /// The certificate signing request (spans several lines).
    csr: Option<String>,
    /// First day of validity.
    valid_from: Option<NaiveDate>,
    /// Expiry date.
    valid_till: Option<NaiveDate>,
    /// Certificate ID.
    certificate_tracker_id: Option<u64>,
    /// Whether the order has been renewed.
    is_renewed: Option<bool>,
    /// ID of the order this one renews.
    renewed_order_id: Option<u64>,
    /// Receipt ID.
    receipt_id: Option<u64>,
    /// Whether issuance emails are switched off.
    disable_issuance_email: Option<bool>,
    /// How the order was paid.
    pay_type: Option<PayType>,
    /// Whether the order is out of contract.
    is_out_of_contract: Option<bool>,
    /// Whether renewal notifications are switched off.
    disable_renewal_notifications: Option<bool>,
    /// Further email addresses on the order (comma-separated in the report).
    additional_emails: Vec<String>,
    /// Automatic renewals left: `0` is off, `n` renews the order `n` more times.
    auto_renew: Option<u32>,
    /// Custom message for renewal notices.
    custom_renewal_message: Option<String>,
    /// Certificate thumbprint.
    thumbprint: Option<String>,
    /// Certificate serial number.
    serial_number: Option<String>,
    /// Account ID.
    account_id: Option<u64>,
    /// First name of the user who requested the certificate.
    user_first_name: Option<String>,
    /// Last name of that user.
    user_last_name: Option<String>,
    /// Email of that user.
    user_email: Option<String>,
    /// IDs of the users assigned to the order (comma-separated in the report).
    user_assignments: Vec<u64>,
    /// Order cost (dollars or units), exact.
    cost: Option<Decimal>,
    /// Custom field values (`id 0x1f label 0x1f value` entries in the report).
    metadata: Vec<CustomField>,
    /// Whether the certificate has duplicates.
    has_duplicates: Option<bool>,
}
