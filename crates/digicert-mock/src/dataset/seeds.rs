//! The example orders of DigiCert's documentation, kept with their IDs, dates and names.
//!
//! Orders 123456, 123455 and 123454 are the order report example (seed 000); 123457 and
//! 123458 the sub-account orders example (seed 001). Where the examples contradict each
//! other (order 123456 is also a pending sub-account order in seed 001, and has other names
//! in seed 002), the report's version wins, so every endpoint tells the same story. The
//! placeholder thumbprints (`123ABC`, shared by three orders) are replaced by those of real
//! certificates (see [`crate::certs`]), and the serial numbers by unique ones.

use chrono::{NaiveDate, NaiveDateTime};
use digicert_model::{Decimal, PayType};

use super::generate::{Core, Flags, Order, SHORT_CSR, serial_number};
use super::tables::{CONTAINERS, ORGS, PEOPLE, PRODUCTS, Status, USERS};

/// One documented example order.
struct SeedSpec {
    id: u64,
    certificate_id: u64,
    status: Status,
    created: &'static str,
    issued: Option<&'static str>,
    valid: Option<(&'static str, &'static str)>,
    user: usize,
    unit: &'static str,
    common_name: &'static str,
    dns_names: &'static [&'static str],
    product: usize,
    receipt_id: Option<u64>,
    subaccount: Option<usize>,
    validity_years: u32,
    cost: Option<&'static str>,
    disable_renewal_notifications: bool,
    has_duplicates: bool,
}

/// The seed orders, newest ID first.
const SEEDS: &[SeedSpec] = &[
    SeedSpec {
        id: 123458,
        certificate_id: 3179443638,
        status: Status::Pending,
        created: "2019-06-21 09:06:47",
        issued: None,
        valid: None,
        user: 0,
        unit: "Finance Department",
        common_name: "example2.com",
        dns_names: &["sub.example2.com"],
        product: 3,
        receipt_id: None,
        subaccount: Some(0),
        validity_years: 1,
        cost: Some("399"),
        disable_renewal_notifications: false,
        has_duplicates: false,
    },
    SeedSpec {
        id: 123457,
        certificate_id: 101015,
        status: Status::Issued,
        created: "2019-06-11 07:08:04",
        issued: Some("2019-06-11 07:09:00"),
        valid: Some(("2019-06-11", "2020-06-15")),
        user: 0,
        unit: "IT Dept.",
        common_name: "example.com",
        dns_names: &[
            "sub1.example.com",
            "sub2.example.com",
            "sub3.example.com",
            "sub4.example.com",
        ],
        product: 2,
        receipt_id: None,
        subaccount: Some(0),
        validity_years: 1,
        cost: Some("358"),
        disable_renewal_notifications: false,
        has_duplicates: false,
    },
    SeedSpec {
        id: 123456,
        certificate_id: 111113,
        status: Status::Issued,
        created: "2018-10-26 10:15:33",
        issued: Some("2018-10-26 10:15:33"),
        valid: Some(("2018-10-26", "2020-10-30")),
        user: 0,
        unit: "IT department",
        common_name: "example.com",
        dns_names: &["example.com"],
        product: 0,
        receipt_id: Some(54323),
        subaccount: None,
        validity_years: 2,
        cost: None,
        disable_renewal_notifications: false,
        has_duplicates: false,
    },
    SeedSpec {
        id: 123455,
        certificate_id: 111112,
        status: Status::Issued,
        created: "2018-11-16 13:14:26",
        issued: Some("2018-11-16 13:14:26"),
        valid: Some(("2018-11-16", "2020-11-20")),
        user: 0,
        unit: "Finance",
        common_name: "example.org",
        dns_names: &["example.org"],
        product: 0,
        receipt_id: Some(54322),
        subaccount: None,
        validity_years: 2,
        cost: None,
        disable_renewal_notifications: true,
        has_duplicates: false,
    },
    SeedSpec {
        id: 123454,
        certificate_id: 111111,
        status: Status::Issued,
        created: "2018-11-16 13:19:16",
        issued: Some("2018-11-16 13:19:16"),
        valid: Some(("2018-11-16", "2020-11-20")),
        user: 1,
        unit: "Sales",
        common_name: "*.example.org",
        dns_names: &["*.example.org"],
        product: 1,
        receipt_id: Some(54321),
        subaccount: None,
        validity_years: 2,
        cost: None,
        disable_renewal_notifications: false,
        has_duplicates: true,
    },
];

/// How many seed orders there are.
pub(crate) const SEED_COUNT: usize = SEEDS.len();

/// Unix seconds of a `yyyy-MM-dd HH:mm:ss` UTC time (0 if malformed; tests check they are not).
fn at(text: &str) -> i64 {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .map_or(0, |time| time.and_utc().timestamp())
}

/// The date of a `yyyy-MM-dd` text.
fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The seed order `index` (0 = newest), or `None` past the last.
pub(crate) fn seed_order(seed: u64, index: usize) -> Option<Order> {
    let spec = SEEDS.get(index)?;
    let issued = spec.issued.map(at);
    let core = Core {
        id: spec.id,
        certificate_id: spec.certificate_id,
        status: spec.status,
        created: at(spec.created),
        issued,
        valid_from: spec.valid.and_then(|(from, _)| day(from)),
        valid_till: spec.valid.and_then(|(_, till)| day(till)),
        last_updated: issued.unwrap_or_else(|| at(spec.created)),
        subaccount: spec.subaccount,
        reissues: 0,
    };
    let has_certificate = spec.status.has_certificate();
    let (user_id, person) = USERS[spec.user];
    Some(Order {
        core,
        product: &PRODUCTS[spec.product],
        org: &ORGS[0],
        unit: spec.unit,
        container: CONTAINERS[0],
        user: (user_id, &PEOPLE[person]),
        tech: &PEOPLE[0],
        platform: (2, "Apache"),
        common_name: spec.common_name.to_owned(),
        dns_names: spec.dns_names.iter().map(|&name| name.to_owned()).collect(),
        email: None,
        thumbprint: None,
        serial_number: has_certificate.then(|| serial_number(seed, spec.id)),
        csr: SHORT_CSR.to_owned(),
        metadata: Vec::new(),
        customer_order_id: None,
        additional_emails: Vec::new(),
        pay_type: PayType::AccountBalance,
        cost: spec.cost.and_then(|cost| cost.parse::<Decimal>().ok()),
        receipt_id: spec.receipt_id,
        validity_years: spec.validity_years,
        issuing_ca: "DigiCert Global Root CA",
        dcv_method: None,
        key_size: 2048,
        flags: Flags {
            plus_feature: true,
            is_renewed: spec.subaccount.is_none(),
            out_of_contract: spec.subaccount.is_none(),
            disable_renewal_notifications: spec.disable_renewal_notifications,
            has_duplicates: spec.has_duplicates,
            ..Flags::default()
        },
        renewed_order_id: spec.subaccount.is_none().then_some(0),
        custom_renewal_message: None,
        api_key: None,
        replaced: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_date_parses() {
        for (index, spec) in SEEDS.iter().enumerate() {
            assert!(at(spec.created) > 0, "{}", spec.id);
            assert!(spec.issued.is_none_or(|issued| at(issued) > 0));
            let order = seed_order(0, index).unwrap();
            assert_eq!(order.core.valid_from.is_some(), spec.valid.is_some());
        }
        assert!(seed_order(0, SEED_COUNT).is_none());
    }

    #[test]
    fn ids_descend() {
        assert!(SEEDS.windows(2).all(|pair| pair[0].id > pair[1].id));
    }
}
