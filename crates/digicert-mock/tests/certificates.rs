//! The orders' certificates are real: each thumbprint is the SHA-1 of a DER certificate from
//! the mock CA whose serial number, validity and names are what the endpoints say, for the
//! current certificate and every one a reissue replaced; the chain verifies; the same seed
//! gives the same certificates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use common::{Client, reference, sha1_hex};
use digicert_mock::{Dataset, DatasetConfig, IssuedCertificate, MockCa, MockConfig, MockServer};
use digicert_model::{OrderInfo, OrderStatus, Reissues, ReportRow, decode_json};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::ServerCertVerifier;
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{Error as TlsError, RootCertStore};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

fn dataset(seed: u64) -> Dataset {
    Dataset::new(&DatasetConfig::new(reference()).with_seed(seed))
}

fn at(date: NaiveDate, time: NaiveTime) -> i64 {
    date.and_time(time).and_utc().timestamp()
}

/// What a DER certificate says, read back with x509-parser.
#[derive(Debug, PartialEq)]
struct Read {
    serial_number: String,
    not_before: i64,
    not_after: i64,
    common_name: String,
    dns_names: Vec<String>,
    issuer: String,
}

fn read(der: &[u8]) -> Read {
    let (rest, certificate) = X509Certificate::from_der(der).unwrap();
    assert!(rest.is_empty());
    let common_name = |name: &x509_parser::x509::X509Name<'_>| {
        name.iter_common_name()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    };
    let dns_names = certificate
        .subject_alternative_name()
        .unwrap()
        .map(|extension| {
            extension
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(name) => Some((*name).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Read {
        serial_number: certificate
            .raw_serial()
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect(),
        not_before: certificate.validity().not_before.timestamp(),
        not_after: certificate.validity().not_after.timestamp(),
        common_name: common_name(certificate.subject()),
        dns_names,
        issuer: common_name(certificate.issuer()),
    }
}

/// Checks a certificate against what a view says of it: thumbprint, serial number, validity.
fn check(
    certificate: &IssuedCertificate,
    thumbprint: Option<&str>,
    serial_number: Option<&str>,
    valid_till: Option<NaiveDate>,
) {
    let read = read(certificate.der());
    assert_eq!(sha1_hex(certificate.der()), certificate.thumbprint);
    assert_eq!(thumbprint, Some(certificate.thumbprint.as_str()));
    assert_eq!(serial_number, Some(read.serial_number.as_str()));
    assert_eq!(serial_number, Some(certificate.serial_number.as_str()));
    assert_eq!(valid_till, Some(certificate.valid_till));
    assert_eq!(read.not_before, at(certificate.valid_from, NaiveTime::MIN));
    let last_second = NaiveTime::from_hms_opt(23, 59, 59).unwrap();
    assert_eq!(read.not_after, at(certificate.valid_till, last_second));
    assert_eq!(read.issuer, MockCa::SUBJECT);
}

/// Checks the order's current certificate against its report row.
fn check_current(dataset: &Dataset, row: &ReportRow) -> IssuedCertificate {
    let certificate = dataset.certificate(row.order_id).unwrap();
    assert!(certificate.current);
    assert_eq!(Some(certificate.certificate_id), row.certificate_tracker_id);
    assert_eq!(Some(certificate.valid_from), row.valid_from);
    check(
        &certificate,
        row.thumbprint.as_deref(),
        row.serial_number.as_deref(),
        row.valid_till,
    );
    let read = read(certificate.der());
    assert_eq!(Some(&read.common_name), row.common_name.as_ref());
    for name in &row.dns_names {
        assert!(read.dns_names.contains(name), "{name} in {read:?}");
    }
    certificate
}

#[test]
fn every_certificate_is_what_the_views_say() {
    let dataset = dataset(DatasetConfig::DEFAULT_SEED);
    let issued: Vec<u64> = dataset
        .report_rows(&[OrderStatus::Issued], 0, 3)
        .map(|row| row.order_id)
        .collect();
    let when = reference() + TimeDelta::hours(1);
    assert!(dataset.reissue_at(issued[0], when));
    assert!(dataset.reissue_at(issued[0], when + TimeDelta::days(30)));
    assert!(dataset.reissue_at(issued[1], when));
    dataset.add_orders_at(2, when);
    let pending = dataset
        .report_rows(&[OrderStatus::Pending], 0, 1)
        .next()
        .unwrap();
    assert!(dataset.record_change_at(pending.order_id, OrderStatus::Issued, when));
    let mut checked = 0;
    for row in dataset.report_rows(&[], 0, usize::MAX) {
        let all = dataset.certificates(row.order_id);
        if row.thumbprint.is_none() {
            assert!(dataset.certificate(row.order_id).is_none(), "{row:?}");
            continue;
        }
        let current = check_current(&dataset, &row);
        assert_eq!(all[0], current);
        // Every certificate the reissues list shows with a thumbprint is one of them.
        let listed = dataset.reissues(row.order_id).unwrap().certificates;
        let with_thumbprint: Vec<_> = listed.iter().filter(|c| c.thumbprint.is_some()).collect();
        let expected = if listed.is_empty() { 0 } else { all.len() };
        assert_eq!(with_thumbprint.len(), expected, "{row:?}");
        for entry in with_thumbprint {
            let certificate = all.iter().find(|c| c.certificate_id == entry.id).unwrap();
            check(
                certificate,
                entry.thumbprint.as_deref(),
                entry.serial_number.as_deref(),
                entry.valid_till,
            );
            assert_eq!(dataset.find(&certificate.thumbprint), Some(row.order_id));
        }
        checked += 1;
    }
    assert!(checked > 1500, "{checked}");
    let reissued = dataset.certificates(issued[0]);
    assert_eq!(reissued.len(), 3);
    assert_eq!(
        reissued.iter().map(|c| c.current).collect::<Vec<_>>(),
        [true, false, false]
    );
}

#[test]
fn a_reissue_makes_a_new_certificate_and_keeps_the_old_one() {
    let dataset = dataset(DatasetConfig::DEFAULT_SEED);
    let row = dataset
        .report_rows(&[OrderStatus::Issued], 10, 1)
        .next()
        .unwrap();
    let before = dataset.certificate(row.order_id).unwrap();
    let when = reference() + TimeDelta::days(2);
    assert!(dataset.reissue_at(row.order_id, when));
    let all = dataset.certificates(row.order_id);
    let (after, earlier) = (&all[0], &all[1]);
    assert_ne!(after.der(), before.der());
    assert_ne!(after.thumbprint, before.thumbprint);
    assert_ne!(after.serial_number, before.serial_number);
    assert_eq!(after.valid_from, when.date_naive());
    assert_eq!(read(after.der()).dns_names, read(before.der()).dns_names);
    assert_eq!(earlier.der(), before.der());
    assert!(!earlier.current);
    let shown = dataset.report_row(row.order_id).unwrap();
    check_current(&dataset, &shown);
    // The earlier certificate still finds the order, by thumbprint and by serial number.
    assert_eq!(dataset.find(&before.thumbprint), Some(row.order_id));
    assert_eq!(dataset.find(&before.serial_number), Some(row.order_id));
}

#[test]
fn the_same_seed_gives_the_same_certificates() {
    let (a, b, other) = (dataset(7), dataset(7), dataset(8));
    let when = reference() + TimeDelta::minutes(5);
    let ids: Vec<u64> = a
        .report_rows(&[OrderStatus::Issued], 0, 20)
        .map(|row| row.order_id)
        .collect();
    for dataset in [&a, &b] {
        assert!(dataset.reissue_at(ids[3], when));
        dataset.add_orders_at(1, when);
    }
    let placed = a.order_ids().next().unwrap();
    for &id in ids.iter().chain([&placed, &123_457]) {
        assert_eq!(a.certificates(id), b.certificates(id), "{id}");
        assert!(!a.certificates(id).is_empty(), "{id}");
    }
    let thumbprints = |dataset: &Dataset| -> Vec<Option<String>> {
        dataset
            .report_rows(&[], 0, 100)
            .map(|row| row.thumbprint)
            .collect()
    };
    assert_ne!(thumbprints(&a), thumbprints(&other));
}

#[test]
fn the_chain_verifies_against_the_mock_ca() {
    let dataset = dataset(DatasetConfig::DEFAULT_SEED);
    let ca = MockCa::get().unwrap();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(ca.certificate_der().to_vec()))
        .unwrap();
    let verifier =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::new(default_provider()))
            .build()
            .unwrap();
    let now =
        UnixTime::since_unix_epoch(Duration::from_secs(reference().timestamp().unsigned_abs()));
    let verify = |certificate: &IssuedCertificate, name: &str, now: UnixTime| {
        let chain = certificate.chain_der();
        let (leaf, rest) = chain.split_first().unwrap();
        let intermediates: Vec<_> = rest
            .iter()
            .map(|der| CertificateDer::from(&der[..]))
            .collect();
        verifier.verify_server_cert(
            &CertificateDer::from(&leaf[..]),
            &intermediates,
            &ServerName::try_from(name.to_owned()).unwrap(),
            &[],
            now,
        )
    };
    let mut verified = 0;
    for row in dataset.report_rows(&[OrderStatus::Issued], 0, 200) {
        let Some(name) = row.dns_names.iter().find(|name| !name.starts_with('*')) else {
            continue;
        };
        let certificate = dataset.certificate(row.order_id).unwrap();
        verify(&certificate, name, now).unwrap();
        verified += 1;
        let wrong = verify(&certificate, "elsewhere.example.org", now).unwrap_err();
        assert!(matches!(wrong, TlsError::InvalidCertificate(_)), "{wrong}");
    }
    assert!(verified > 100, "{verified}");
    // An expired order's certificate does not verify now, and did while it was valid.
    let expired = dataset
        .report_rows(&[OrderStatus::Expired], 0, 50)
        .find(|row| row.dns_names.iter().any(|name| !name.starts_with('*')))
        .unwrap();
    let certificate = dataset.certificate(expired.order_id).unwrap();
    let name = expired
        .dns_names
        .iter()
        .find(|name| !name.starts_with('*'))
        .unwrap();
    assert!(verify(&certificate, name, now).is_err());
    let then = certificate
        .valid_from
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let then = UnixTime::since_unix_epoch(Duration::from_secs(then.timestamp().unsigned_abs()));
    verify(&certificate, name, then).unwrap();
}

#[test]
fn the_endpoints_show_the_certificates() {
    let server = MockServer::start_background(
        MockConfig::default()
            .with_api_key(common::KEY)
            .with_reference_time(reference()),
    )
    .unwrap();
    let client = Client::new(&server);
    let id = server
        .dataset()
        .report_rows(&[OrderStatus::Issued], 5, 1)
        .next()
        .unwrap()
        .order_id;
    let before = server.certificate(id).unwrap();
    assert!(server.reissue(id));
    let certificates = server.certificates(id);
    assert_eq!(certificates.len(), 2);
    let info: OrderInfo =
        decode_json(client.ok(&format!("/order/certificate/{id}")).body()).unwrap();
    let shown = info.certificate.clone().unwrap();
    check(
        &certificates[0],
        shown.thumbprint.as_deref(),
        shown.serial_number.as_deref(),
        shown.valid_till,
    );
    let reissues: Reissues = decode_json(
        client
            .ok(&format!("/order/certificate/{id}/reissue"))
            .body(),
    )
    .unwrap();
    let earlier = &reissues.certificates[1];
    assert_eq!(earlier.status, OrderStatus::Revoked);
    check(
        &certificates[1],
        earlier.thumbprint.as_deref(),
        earlier.serial_number.as_deref(),
        earlier.valid_till,
    );
    assert_eq!(certificates[1].der(), before.der());
    // Order info by the earlier certificate's thumbprint finds the order, as it is now.
    let by_earlier: OrderInfo = decode_json(
        client
            .ok(&format!("/order/certificate/{}", before.thumbprint))
            .body(),
    )
    .unwrap();
    assert_eq!(by_earlier, info);
}

#[test]
fn the_mock_ca_is_fixed() {
    let ca = MockCa::get().unwrap();
    let read = read(ca.certificate_der());
    assert_eq!(read.common_name, MockCa::SUBJECT);
    assert_eq!(read.issuer, MockCa::SUBJECT);
    assert!(
        ca.certificate_pem()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
    assert!(
        ca.leaf_key_pem()
            .starts_with("-----BEGIN PRIVATE KEY-----\n")
    );
    assert!(!ca.leaf_key_der().is_empty());
    assert!(!format!("{ca:?}").contains("PRIVATE"));
    // Valid for long enough around any test's clock.
    let year = |seconds: i64| DateTime::from_timestamp(seconds, 0).unwrap();
    assert!(year(read.not_before) < Utc.with_ymd_and_hms(2001, 1, 1, 0, 0, 0).unwrap());
    assert!(year(read.not_after) > Utc.with_ymd_and_hms(2090, 1, 1, 0, 0, 0).unwrap());
}
