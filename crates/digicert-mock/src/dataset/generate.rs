//! How one order comes to be: a compact core kept for every order, and the full order drawn
//! from the seed and the order's number whenever an answer needs it.
//!
//! The core holds what lists and filters look at (ID, status, times); everything else (names,
//! CSR, metadata) is drawn again on demand, identically each time, so a dataset of 100,000
//! orders costs a few megabytes and any one order is as cheap to build as any other.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime};
use digicert_model::{CustomField, Decimal, KeyType, PayType};

use super::changes::Certificate;
use super::rng::{Rng, SERIAL, mix64};
use super::tables::{
    CONTAINERS, CUSTOM_FIELDS, DCV_METHODS, DOMAINS, HOSTS, ISSUING_CAS, LABELS, ORGS, Org, PEOPLE,
    PLATFORMS, PRODUCT_WEIGHTS, PRODUCTS, Person, Product, ProductKind, STATUS_WEIGHTS, Status,
    UNITS, USERS,
};
use crate::certs::Leaf;

/// ID of the oldest generated order; newer orders count up from it.
pub(crate) const ORDER_ID_BASE: u64 = 1_000_000;
/// Certificate IDs of generated orders: eight per order (the first and its reissues).
const CERT_ID_BASE: u64 = 5_000_000;
/// Days a certificate is valid (the longest TLS validity allowed since 2020).
pub(crate) const VALIDITY_DAYS: u64 = 397;
const MINUTE: i64 = 60;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// The stream of draws that makes an order's core.
const CORE_STREAM: u64 = 1;
/// The stream of draws that makes the rest of an order.
const DETAIL_STREAM: u64 = 2;

/// What lists, filters and lookups need of an order, kept for every order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Core {
    pub(crate) id: u64,
    /// The current certificate (the last reissue's, if any).
    pub(crate) certificate_id: u64,
    pub(crate) status: Status,
    /// Unix seconds (UTC).
    pub(crate) created: i64,
    /// Unix seconds (UTC); only orders whose certificate was issued.
    pub(crate) issued: Option<i64>,
    pub(crate) valid_from: Option<NaiveDate>,
    pub(crate) valid_till: Option<NaiveDate>,
    /// When the status last changed, unix seconds (UTC).
    pub(crate) last_updated: i64,
    /// Index into the sub-account table, for sub-account orders.
    pub(crate) subaccount: Option<usize>,
    /// How many times the certificate was reissued.
    pub(crate) reissues: u8,
}

/// Everything about one order, from which every endpoint's answer is rendered.
pub(crate) struct Order {
    pub(crate) core: Core,
    pub(crate) product: &'static Product,
    pub(crate) org: &'static Org,
    pub(crate) unit: &'static str,
    pub(crate) container: (u64, &'static str),
    pub(crate) user: (u64, &'static Person),
    pub(crate) tech: &'static Person,
    pub(crate) platform: (i64, &'static str),
    pub(crate) common_name: String,
    pub(crate) dns_names: Vec<String>,
    pub(crate) email: Option<String>,
    pub(crate) thumbprint: Option<String>,
    pub(crate) serial_number: Option<String>,
    pub(crate) csr: String,
    pub(crate) metadata: Vec<CustomField>,
    pub(crate) customer_order_id: Option<String>,
    pub(crate) additional_emails: Vec<String>,
    pub(crate) pay_type: PayType,
    pub(crate) cost: Option<Decimal>,
    pub(crate) receipt_id: Option<u64>,
    pub(crate) validity_years: u32,
    pub(crate) issuing_ca: &'static str,
    pub(crate) dcv_method: Option<&'static str>,
    pub(crate) key_size: u32,
    pub(crate) flags: Flags,
    pub(crate) renewed_order_id: Option<u64>,
    pub(crate) custom_renewal_message: Option<&'static str>,
    pub(crate) api_key: Option<(&'static str, KeyType)>,
    /// Certificates replaced by reissues while the server ran, newest first.
    pub(crate) replaced: Vec<Certificate>,
}

impl Order {
    /// The certificate with this serial number and validity, for the order's names.
    pub(crate) fn leaf<'a>(
        &'a self,
        serial_number: &'a str,
        valid_from: NaiveDate,
        valid_till: NaiveDate,
    ) -> Leaf<'a> {
        Leaf {
            serial_number,
            valid_from,
            valid_till,
            common_name: &self.common_name,
            dns_names: &self.dns_names,
            email: self.email.as_deref(),
        }
    }

    /// The certificate the order shows now, if it shows one.
    pub(crate) fn current_leaf(&self) -> Option<Leaf<'_>> {
        if !self.core.status.has_certificate() {
            return None;
        }
        let serial_number = self.serial_number.as_deref()?;
        Some(self.leaf(serial_number, self.core.valid_from?, self.core.valid_till?))
    }
}

/// An order's yes/no settings.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Flags {
    pub(crate) plus_feature: bool,
    pub(crate) auto_renew: bool,
    pub(crate) is_renewed: bool,
    pub(crate) disable_issuance_email: bool,
    pub(crate) out_of_contract: bool,
    pub(crate) disable_renewal_notifications: bool,
    pub(crate) has_duplicates: bool,
}

/// The CSR placeholder of the documentation example (used by most orders).
pub(crate) const SHORT_CSR: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\n...\n-----END CERTIFICATE REQUEST-----\n";

/// How long before the reference time the order of rank `rank` (0 = newest) was placed.
///
/// 80% of orders fall in the last 395 days (their certificates still valid), the rest in the
/// 405 days before (their certificates expired in the last ~400 days).
fn age_seconds(rank: usize, count: usize) -> i64 {
    let x = rank as f64 / count.max(1) as f64;
    let days = if x < 0.8 {
        x / 0.8 * 395.0
    } else {
        395.0 + (x - 0.8) / 0.2 * 405.0
    };
    10 * MINUTE + (days * DAY as f64) as i64
}

/// The date (UTC) of a unix time.
pub(crate) fn date_of(seconds: i64) -> NaiveDate {
    datetime_of(seconds).date()
}

/// The UTC date and time of a unix time.
pub(crate) fn datetime_of(seconds: i64) -> NaiveDateTime {
    DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .naive_utc()
}

/// Unix seconds at the start of the day after `date`.
fn end_of(date: NaiveDate) -> i64 {
    date.checked_add_days(Days::new(1))
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .map_or(0, |midnight| midnight.and_utc().timestamp())
}

/// The core of generated order `seq` (0 = oldest) of `count`, relative to `reference`.
pub(crate) fn generated_core(seed: u64, seq: usize, count: usize, reference: i64) -> Core {
    let mut rng = Rng::new(seed, CORE_STREAM, seq as u64);
    let rank = count.saturating_sub(1).saturating_sub(seq);
    let age = age_seconds(rank, count);
    let created = reference - age;
    let mut status = rng.weighted(STATUS_WEIGHTS).unwrap_or(Status::Issued);
    let (mut issued, mut valid_from, mut valid_till) = (None, None, None);
    if status.has_certificate() {
        let at = created + rng.between(MINUTE, (2 * DAY).min(age - MINUTE));
        let from = date_of(at);
        let till = from.checked_add_days(Days::new(VALIDITY_DAYS));
        if till.is_some_and(|till| till < date_of(reference)) && status != Status::Revoked {
            status = Status::Expired;
        }
        (issued, valid_from, valid_till) = (Some(at), Some(from), till);
    }
    let reissues = if status.has_certificate() && rng.chance(120) {
        u8::try_from(rng.between(1, 3)).unwrap_or(1)
    } else {
        0
    };
    let subaccount = rng
        .chance(200)
        .then(|| rng.index(super::tables::SUBACCOUNTS.len()));
    let natural = natural_last_update(&mut rng, status, created, issued, valid_till, reference);
    let recent = recent_change(&mut rng).map(|offset| reference - offset);
    let last_updated = recent.unwrap_or(natural).max(created).min(reference);
    Core {
        id: ORDER_ID_BASE + seq as u64,
        certificate_id: CERT_ID_BASE + seq as u64 * 8 + u64::from(reissues),
        status,
        created,
        issued,
        valid_from,
        valid_till,
        last_updated,
        subaccount,
        reissues,
    }
}

/// When a status would last have changed, left to itself.
fn natural_last_update(
    rng: &mut Rng,
    status: Status,
    created: i64,
    issued: Option<i64>,
    valid_till: Option<NaiveDate>,
    reference: i64,
) -> i64 {
    let issued = issued.unwrap_or(created);
    match status {
        Status::Issued | Status::WaitingPickup => issued,
        Status::ReissuePending | Status::Revoked => rng.between(issued, reference),
        Status::Expired => valid_till.map_or(issued, end_of),
        Status::Rejected | Status::Canceled => created + rng.between(HOUR, 3 * DAY),
        Status::Pending | Status::Processing | Status::NeedsApproval | Status::NeedsCsr => created,
    }
}

/// For a share of orders, a status change in the last hour (0.6%), day (2.4%) or week (5%):
/// how long before the reference time it happened.
fn recent_change(rng: &mut Rng) -> Option<i64> {
    match rng.below(1000) {
        0..6 => Some(rng.between(1, HOUR - 1)),
        6..30 => Some(rng.between(HOUR, DAY - 1)),
        30..80 => Some(rng.between(DAY, 7 * DAY - 1)),
        _ => None,
    }
}

/// A certificate's serial number (see [`reissued_serial_number`]).
pub(crate) fn serial_number(seed: u64, order_id: u64) -> String {
    reissued_serial_number(seed, order_id, 0)
}

/// The serial number of one of the order's certificates (`salt` tells them apart, 0 being
/// the first): 16 bytes in 32 upper-case hex digits, as the certificate holds them. The
/// first byte is 01 to 7F (a positive number without padding), the next eight a reversible
/// scramble of the order ID (so the order is found from its serial numbers without an
/// index), the last seven drawn from the seed.
pub(crate) fn reissued_serial_number(seed: u64, order_id: u64, salt: u64) -> String {
    let tail = mix64(seed ^ mix64(order_id ^ 0x7365_7269_616C_6E6F) ^ salt);
    let lead = 1 + tail % 0x7F;
    let rest = mix64(tail) >> 8;
    format!("{lead:02X}{:016X}{rest:014X}", SERIAL.apply(order_id))
}

/// The core of an order placed while the server runs: generated order `seq` (past the
/// generated ones), issued at `at` (unix seconds) with a fresh validity.
pub(crate) fn placed_core(seq: usize, at: i64) -> Core {
    let from = date_of(at);
    Core {
        id: ORDER_ID_BASE + seq as u64,
        certificate_id: CERT_ID_BASE + seq as u64 * 8,
        status: Status::Issued,
        created: at,
        issued: Some(at),
        valid_from: Some(from),
        valid_till: from.checked_add_days(Days::new(VALIDITY_DAYS)),
        last_updated: at,
        subaccount: None,
        reissues: 0,
    }
}

/// The order ID a serial number would belong to, from its hex digits 3 to 18.
pub(crate) fn order_id_in_serial(serial_number: &str) -> Option<u64> {
    if serial_number.len() != 32 || !serial_number.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let scrambled = u64::from_str_radix(serial_number.get(2..18)?, 16).ok()?;
    Some(SERIAL.undo(scrambled))
}

/// The full generated order `seq`, around its core.
pub(crate) fn generated_order(seed: u64, seq: usize, core: Core) -> Order {
    let mut rng = Rng::new(seed, DETAIL_STREAM, seq as u64);
    let product = rng
        .weighted(PRODUCT_WEIGHTS)
        .and_then(|index| PRODUCTS.get(index))
        .unwrap_or(&PRODUCTS[0]);
    // The seed report's organization, container and person stay with the seed orders.
    let org = &ORGS[1 + rng.index(ORGS.len() - 1)];
    let user = USERS[2 + rng.index(USERS.len() - 2)];
    let user = (user.0, &PEOPLE[user.1]);
    let tech = &PEOPLE[1 + rng.index(PEOPLE.len() - 1)];
    let (common_name, dns_names, email) = names(&mut rng, product, seq, org, user.1);
    let pay_type = rng
        .weighted(&[("A", 700), ("C", 200), ("U", 100)])
        .map_or(PayType::AccountBalance, PayType::from);
    let cost = match pay_type {
        PayType::Units => Some("1".to_owned()),
        _ => rng.chance(900).then(|| format!("{}.00", product.price)),
    };
    let has_certificate = core.status.has_certificate();
    Order {
        product,
        org,
        unit: rng.pick(UNITS).unwrap_or("IT"),
        container: CONTAINERS[1 + rng.index(CONTAINERS.len() - 1)],
        user,
        tech,
        platform: rng.pick(PLATFORMS).unwrap_or((-1, "OTHER")),
        common_name,
        dns_names,
        email,
        thumbprint: None,
        serial_number: has_certificate.then(|| serial_number(seed, core.id)),
        csr: if rng.chance(350) {
            full_csr(&mut rng)
        } else {
            SHORT_CSR.to_owned()
        },
        metadata: metadata(&mut rng, seq),
        customer_order_id: rng.chance(100).then(|| format!("PO-{seq:06}")),
        additional_emails: if rng.chance(100) {
            vec![
                "alerts@example.com".to_owned(),
                "pki-team@example.org".to_owned(),
            ]
        } else {
            Vec::new()
        },
        pay_type,
        cost: cost.and_then(|text| text.parse().ok()),
        receipt_id: has_certificate.then_some(70_000 + seq as u64),
        validity_years: 1,
        issuing_ca: rng.pick(ISSUING_CAS).unwrap_or("DigiCert Global Root CA"),
        dcv_method: matches!(product.kind, ProductKind::Ssl | ProductKind::Wildcard)
            .then(|| rng.pick(DCV_METHODS))
            .flatten(),
        key_size: rng.pick(&[2048, 2048, 2048, 3072, 4096]).unwrap_or(2048),
        flags: Flags {
            plus_feature: rng.chance(300),
            auto_renew: rng.chance(200),
            is_renewed: core.status == Status::Expired && rng.chance(300),
            disable_issuance_email: rng.chance(50),
            out_of_contract: rng.chance(20),
            disable_renewal_notifications: rng.chance(100),
            has_duplicates: has_certificate && rng.chance(50),
        },
        renewed_order_id: None,
        custom_renewal_message: rng
            .chance(50)
            .then_some("Please renew through the Web Platform team."),
        api_key: match rng.below(10) {
            0..3 => Some(("automation-key", KeyType::ApiKey)),
            3 => Some((
                "https://acme.digicert.com/v2/acme/directory/",
                KeyType::AcmeUrl,
            )),
            _ => None,
        },
        replaced: Vec::new(),
        core,
    }
}

/// Common name, further names and email address of a generated order.
fn names(
    rng: &mut Rng,
    product: &Product,
    seq: usize,
    org: &Org,
    person: &Person,
) -> (String, Vec<String>, Option<String>) {
    let host = rng.pick(HOSTS).unwrap_or("www");
    let domain = rng.pick(DOMAINS).unwrap_or("example.com");
    let base = format!("{host}{seq}.{domain}");
    match product.kind {
        ProductKind::Client => (
            format!("{} {}", person.first, person.last),
            Vec::new(),
            Some(person.email.to_owned()),
        ),
        ProductKind::CodeSigning => (org.name.to_owned(), Vec::new(), None),
        ProductKind::Wildcard => {
            let name = format!("*.{base}");
            (name.clone(), vec![name, base], None)
        }
        ProductKind::Ssl | ProductKind::Private => {
            let base = match product.kind {
                ProductKind::Private => format!("{host}{seq}.internal.example.net"),
                _ => base,
            };
            let extra = rng.below(product.max_extra_names + 1) as usize;
            let mut dns_names = vec![base.clone()];
            for label in LABELS.iter().take(extra) {
                dns_names.push(format!("{label}.{base}"));
            }
            (base, dns_names, None)
        }
    }
}

/// A PEM-shaped fake CSR of about a kilobyte, clearly marked as such.
fn full_csr(rng: &mut Rng) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut body = String::from("FAKECSRFORTESTSONLY");
    while body.len() < 940 {
        let mut bits = rng.next_u64();
        for _ in 0..10 {
            body.push(char::from(ALPHABET[(bits & 63) as usize]));
            bits >>= 6;
        }
    }
    body.push_str("==");
    let mut pem = String::with_capacity(body.len() + 100);
    pem.push_str("-----BEGIN CERTIFICATE REQUEST-----\n");
    let mut rest = body.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        pem.push_str(line);
        pem.push('\n');
        rest = tail;
    }
    pem.push_str("-----END CERTIFICATE REQUEST-----\n");
    pem
}

/// Custom field values for some orders.
fn metadata(rng: &mut Rng, seq: usize) -> Vec<CustomField> {
    if !rng.chance(150) {
        return Vec::new();
    }
    let count = 1 + rng.index(CUSTOM_FIELDS.len());
    CUSTOM_FIELDS
        .iter()
        .take(count)
        .map(|&(metadata_id, label)| CustomField {
            metadata_id: Some(metadata_id),
            label: Some(label.to_owned()),
            value: Some(match metadata_id {
                12 => format!("INV-{seq:06}"),
                13 => format!("CC-{}", 100 + seq % 7),
                _ => "Platform, Web".to_owned(),
            }),
            ..Default::default()
        })
        .collect()
}
