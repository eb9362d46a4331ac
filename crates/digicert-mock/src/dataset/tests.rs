//! The dataset's promises: deterministic, consistent across views, spread out, cheap.

use std::collections::HashSet;

use chrono::{TimeDelta, TimeZone};
use digicert_model::{ReportReader, ReportRow};

use super::*;

fn reference() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap()
}

fn dataset(orders: usize) -> Dataset {
    Dataset::new(&DatasetConfig::new(reference()).with_orders(orders))
}

fn all_rows(dataset: &Dataset) -> Vec<ReportRow> {
    dataset.report_rows(&[], 0, usize::MAX).collect()
}

#[test]
fn same_settings_same_orders() {
    let a = dataset(300);
    let b = dataset(300);
    assert_eq!(all_rows(&a), all_rows(&b));
    let other = Dataset::new(
        &DatasetConfig::new(reference())
            .with_orders(300)
            .with_seed(1),
    );
    assert_ne!(all_rows(&a), all_rows(&other));
}

#[test]
fn ids_descend_and_end_with_the_seed_examples() {
    let dataset = dataset(2500);
    let ids: Vec<u64> = dataset.order_ids().collect();
    assert_eq!(ids.len(), 2500);
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]));
    assert_eq!(ids[2495..], [123458, 123457, 123456, 123455, 123454]);
    let seed = dataset.report_row(123456).unwrap();
    assert_eq!(seed.common_name.as_deref(), Some("example.com"));
    assert_eq!(seed.date_created.to_string(), "2018-10-26 10:15:33");
    assert_eq!(seed.certificate_tracker_id, Some(111113));
    // Fewer orders than examples: the newest examples only.
    assert_eq!(dataset_ids(3), [123458, 123457, 123456]);
    assert!(super::Dataset::new(&DatasetConfig::new(reference()).with_orders(0)).is_empty());
}

fn dataset_ids(orders: usize) -> Vec<u64> {
    dataset(orders).order_ids().collect()
}

#[test]
fn statuses_and_dates_are_spread() {
    let dataset = dataset(2500);
    let rows = all_rows(&dataset);
    let count = |status: OrderStatus| rows.iter().filter(|row| row.status == status).count();
    assert!(count(OrderStatus::Issued) > rows.len() / 2, "mostly issued");
    for status in [
        OrderStatus::Pending,
        OrderStatus::Revoked,
        OrderStatus::Expired,
        OrderStatus::NeedsApproval,
        OrderStatus::Rejected,
        OrderStatus::Canceled,
        OrderStatus::ReissuePending,
    ] {
        assert!(
            count(status.clone()) > 10,
            "{status}: {}",
            count(status.clone())
        );
    }
    let today = reference().date_naive();
    let days: Vec<i64> = rows
        .iter()
        .filter_map(|row| row.valid_till)
        .map(|till| (till - today).num_days())
        .collect();
    assert!(
        days.iter().any(|&d| (0..30).contains(&d)),
        "expiring within 30 days"
    );
    assert!(days.iter().any(|&d| d > 360), "valid for a year yet");
    assert!(
        days.iter().any(|&d| (-400..-300).contains(&d)),
        "expired long ago"
    );
    for row in &rows {
        if row.status == OrderStatus::Issued && row.order_id > 200_000 {
            assert!(
                row.valid_till.unwrap() >= today,
                "issued but expired: {row:?}"
            );
        }
        if row.status == OrderStatus::Expired {
            assert!(row.valid_till.unwrap() < today);
        }
        assert!(row.date_created <= reference().naive_utc());
    }
}

#[test]
fn rows_are_varied_and_fake() {
    let rows = all_rows(&dataset(2500));
    let csr_lines = |row: &ReportRow| row.csr.as_deref().unwrap_or("").lines().count();
    let long_csr = rows.iter().find(|row| csr_lines(row) > 10).unwrap();
    let csr = long_csr.csr.as_deref().unwrap();
    assert!((900..1300).contains(&csr.len()), "{}", csr.len());
    assert!(csr.contains("FAKECSRFORTESTSONLY"));
    assert!(rows.iter().any(|row| row.metadata.len() >= 2));
    assert!(rows.iter().any(|row| {
        row.organization_name
            .as_deref()
            .is_some_and(|name| !name.is_ascii())
    }));
    for row in &rows {
        for name in row.dns_names.iter().chain(&row.common_name) {
            assert!(
                name.ends_with("example.com")
                    || name.ends_with("example.org")
                    || name.ends_with("example.net")
                    || !name.contains('.')
                    || row.product_type
                        == Some(digicert_model::ProductType::CodeSigningCertificate)
                    || name == "example2.com"
                    || name == "sub.example2.com",
                "{name}"
            );
        }
        for email in row.tech_email.iter().chain(&row.user_email) {
            assert!(email.contains("@example."), "{email}");
        }
    }
}

#[test]
fn thumbprints_and_serials_find_their_order() {
    let dataset = dataset(2500);
    let mut seen = HashSet::new();
    for row in all_rows(&dataset) {
        let (Some(thumbprint), Some(serial)) = (&row.thumbprint, &row.serial_number) else {
            assert!(!row.status.has_certificate_view(), "{row:?}");
            continue;
        };
        assert_eq!(thumbprint.len(), 40);
        assert!(thumbprint.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(seen.insert(thumbprint.clone()) && seen.insert(serial.clone()));
        assert_eq!(dataset.find(thumbprint), Some(row.order_id));
        assert_eq!(dataset.find(&thumbprint.to_lowercase()), Some(row.order_id));
        assert_eq!(dataset.find(&serial.to_lowercase()), Some(row.order_id));
        assert_eq!(dataset.find(&row.order_id.to_string()), Some(row.order_id));
    }
    assert_eq!(dataset.find("0"), None);
    assert_eq!(dataset.find(""), None);
    assert_eq!(dataset.find("not-an-order"), None);
    assert_eq!(dataset.find(&"F".repeat(40)), None);
    assert_eq!(dataset.find(&"0".repeat(32)), None);
    assert_eq!(dataset.find("99999999999999999999999"), None);
}

/// Whether a status comes with an issued certificate, from the model's point of view.
trait CertificateView {
    fn has_certificate_view(&self) -> bool;
}

impl CertificateView for OrderStatus {
    fn has_certificate_view(&self) -> bool {
        matches!(
            self,
            OrderStatus::Issued
                | OrderStatus::Expired
                | OrderStatus::Revoked
                | OrderStatus::ReissuePending
                | OrderStatus::WaitingPickup
        )
    }
}

#[test]
fn every_view_tells_the_same_story() {
    let dataset = dataset(2500);
    let mut subaccount_orders = 0;
    for row in all_rows(&dataset) {
        let id = row.order_id;
        let info = dataset.order_info(id).unwrap();
        let certificate = info.certificate.clone().unwrap();
        assert_eq!(info.id, id);
        assert_eq!(info.status, row.status);
        assert_eq!(certificate.id, row.certificate_tracker_id);
        assert_eq!(certificate.thumbprint, row.thumbprint);
        assert_eq!(certificate.serial_number, row.serial_number);
        assert_eq!(certificate.common_name, row.common_name);
        assert_eq!(certificate.dns_names, row.dns_names);
        assert_eq!(certificate.valid_from, row.valid_from);
        assert_eq!(certificate.valid_till, row.valid_till);
        assert_eq!(certificate.csr, row.csr);
        assert_eq!(info.custom_fields, row.metadata);
        assert_eq!(
            info.date_created.unwrap().naive_utc(),
            row.date_created,
            "{id}"
        );
        let last_updated = dataset.status_last_updated(id).unwrap();
        assert!(last_updated.naive_utc() >= row.date_created);
        assert!(last_updated <= reference());
        let change = dataset
            .status_changes(last_updated, last_updated)
            .orders
            .into_iter()
            .find(|change| change.order_id == id)
            .unwrap();
        assert_eq!(change.certificate_id, row.certificate_tracker_id);
        assert_eq!(change.status, row.status);
        if let Some(sub) = dataset.subaccount_order(id) {
            subaccount_orders += 1;
            assert_eq!(sub.status, row.status);
            assert_eq!(sub.date_created, info.date_created);
            let account = sub.subaccount.unwrap().account_id;
            assert_eq!(account, row.account_id);
            if let Some(cert) = sub.certificate {
                assert_eq!(cert.id, row.certificate_tracker_id);
                assert_eq!(cert.thumbprint, row.thumbprint);
                assert_eq!(cert.common_name, row.common_name);
                assert_eq!(cert.valid_till, row.valid_till);
            }
        }
        let reissues = dataset.reissues(id).unwrap().certificates;
        if let Some(current) = reissues
            .iter()
            .find(|cert| Some(cert.id) == row.certificate_tracker_id)
        {
            assert_eq!(current.thumbprint, row.thumbprint);
            assert_eq!(current.valid_till, row.valid_till);
        }
    }
    let page = dataset.subaccount_orders(0, 10_000);
    assert_eq!(page.orders.len(), subaccount_orders);
    assert_eq!(page.page.unwrap().total, subaccount_orders as u64);
    assert!(page.orders.iter().any(|order| order.certificate.is_none()));
    assert!(page.orders.iter().any(|order| order.certificate.is_some()));
    assert!(page.orders.iter().any(|order| order.id == 123457));
    let listed: Vec<u64> = page.orders.iter().map(|order| order.id).collect();
    assert_eq!(dataset.subaccount_order_ids().collect::<Vec<_>>(), listed);
}

#[test]
fn some_orders_were_reissued() {
    let dataset = dataset(2500);
    let lists: Vec<_> = dataset
        .order_ids()
        .map(|id| dataset.reissues(id).unwrap().certificates)
        .filter(|list| !list.is_empty())
        .collect();
    assert!(lists.len() > 50, "{}", lists.len());
    assert!(lists.iter().any(|list| list.len() >= 3));
    assert!(
        lists
            .iter()
            .any(|list| list[0].status == OrderStatus::Pending)
    );
    assert!(lists.iter().flatten().all(|cert| !cert.status.is_unknown()));
    assert!(dataset.reissues(123456).unwrap().certificates.is_empty());
}

#[test]
fn status_changes_cluster_near_the_reference_time() {
    let dataset = dataset(2500);
    let now = reference();
    let within = |span: TimeDelta| dataset.status_changes(now - span, now).orders.len();
    let hour = within(TimeDelta::hours(1));
    let day = within(TimeDelta::days(1));
    let week = within(TimeDelta::days(7));
    assert!(hour >= 5, "{hour}");
    assert!(day > hour && week > day, "{hour} {day} {week}");
    assert!(week < 2500 / 5, "{week}");
    let changes = dataset.status_changes(now - TimeDelta::days(7), now).orders;
    assert!(
        changes
            .windows(2)
            .all(|pair| pair[0].order_id > pair[1].order_id)
    );
    assert!(
        dataset
            .status_changes(now + TimeDelta::seconds(1), now + TimeDelta::days(1))
            .orders
            .is_empty()
    );
}

#[test]
fn report_pages_and_filters() {
    let dataset = dataset(2500);
    let page = |statuses: &[OrderStatus], offset, limit| -> Vec<u64> {
        dataset
            .report_rows(statuses, offset, limit)
            .map(|row| row.order_id)
            .collect()
    };
    let all: Vec<u64> = dataset.order_ids().collect();
    assert_eq!(page(&[], 0, 1000), all[..1000]);
    assert_eq!(page(&[], 2000, 1000), all[2000..]);
    assert!(page(&[], 2500, 1000).is_empty());
    let pending = page(&[OrderStatus::Pending], 0, 10_000);
    assert!(!pending.is_empty());
    for id in &pending {
        assert_eq!(
            dataset.report_row(*id).unwrap().status,
            OrderStatus::Pending
        );
    }
    assert_eq!(page(&[OrderStatus::Pending], 3, 2), pending[3..5]);
    let both = page(&[OrderStatus::Pending, OrderStatus::Revoked], 0, 10_000);
    assert!(both.len() > pending.len());
    assert!(page(&[OrderStatus::from("awaiting_magic")], 0, 10).is_empty());
}

#[test]
fn written_report_reads_back_the_same() {
    let dataset = dataset(400);
    let csv = dataset.write_report(Vec::new(), &[], 100, 300).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.starts_with("order_id,customer_order_id,date_created,"));
    let read: Vec<ReportRow> = ReportReader::new(csv.as_slice())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let expected: Vec<ReportRow> = dataset.report_rows(&[], 100, 300).collect();
    assert_eq!(read.len(), 300);
    assert_eq!(read, expected);
}

#[test]
fn scales_to_a_hundred_thousand_orders() {
    let started = std::time::Instant::now();
    let dataset = dataset(100_000);
    let built = started.elapsed();
    let csv = dataset.write_report(Vec::new(), &[], 50_000, 1000).unwrap();
    let last: Vec<ReportRow> = dataset.report_rows(&[], 100_000 - 10, 1000).collect();
    assert_eq!(last.len(), 10);
    assert!(csv.len() > 100_000);
    // Generous bounds: debug builds on a busy machine.
    assert!(built.as_secs() < 5, "{built:?}");
}

#[test]
fn report_filters_keep_exactly_the_matching_rows() {
    let dataset = dataset(1500);
    let every: Vec<ReportRow> = dataset.report_rows(&[], 0, usize::MAX).collect();
    let sample = every
        .iter()
        .find(|row| row.status == OrderStatus::Issued && row.valid_till.is_some())
        .unwrap()
        .clone();
    let till = sample.valid_till.unwrap();
    let mut filters = vec![
        ReportFilter::default()
            .with_common_name(sample.common_name.clone().unwrap().to_uppercase()),
        ReportFilter::default().with_statuses(vec![OrderStatus::Issued]),
    ];
    let by_product =
        ReportFilter::default().with_product_name_id(sample.product_name_id.clone().unwrap());
    let by_org = ReportFilter::default()
        .with_statuses(vec![OrderStatus::Issued])
        .with_organization_id(sample.organization_id.unwrap());
    let by_container = ReportFilter::default().with_container_id(sample.container_id.unwrap());
    let by_till = ReportFilter::default().with_valid_till(till, till + chrono::Days::new(10));
    filters.extend([by_product, by_org, by_container, by_till]);
    for filter in &filters {
        let expected: Vec<u64> = every
            .iter()
            .filter(|row| filter.keeps(row))
            .map(|row| row.order_id)
            .collect();
        assert!(expected.contains(&sample.order_id), "{filter:?}");
        assert!(expected.len() < every.len(), "{filter:?} keeps everything");
        let got: Vec<u64> = dataset
            .filtered_report_rows(filter, 0, usize::MAX)
            .map(|row| row.order_id)
            .collect();
        assert_eq!(got, expected, "{filter:?}");
        let page: Vec<u64> = dataset
            .filtered_report_rows(filter, 1, 2)
            .map(|row| row.order_id)
            .collect();
        assert_eq!(page, expected[1..expected.len().min(3)], "{filter:?}");
    }
}

/// An issued order from the middle of the dataset.
fn issued_order(dataset: &Dataset, skip: usize) -> u64 {
    dataset
        .report_rows(&[OrderStatus::Issued], skip, 1)
        .next()
        .unwrap()
        .order_id
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn placed_orders_come_first_everywhere() {
    let dataset = dataset(300);
    let before: Vec<u64> = dataset.order_ids().collect();
    let when = at("2024-03-10T13:00:00Z");
    let ids = dataset.add_orders_at(3, when);
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "oldest first");
    assert!(ids[0] > before[0]);
    assert_eq!(dataset.len(), 303);
    let after: Vec<u64> = dataset.order_ids().collect();
    assert_eq!(after[..3], [ids[2], ids[1], ids[0]]);
    assert_eq!(after[3..], before[..]);
    assert_eq!(
        all_rows(&dataset)
            .iter()
            .map(|row| row.order_id)
            .collect::<Vec<_>>(),
        after
    );
    for &id in &ids {
        let row = dataset.report_row(id).unwrap();
        assert_eq!(row.status, OrderStatus::Issued);
        assert_eq!(row.valid_from, Some(when.date_naive()));
        assert_eq!(
            row.valid_till,
            when.date_naive().checked_add_days(chrono::Days::new(397))
        );
        assert_eq!(row.date_created, when.naive_utc());
        let thumbprint = row.thumbprint.clone().unwrap();
        assert_eq!(dataset.find(&thumbprint), Some(id));
        assert_eq!(
            dataset.find(&row.serial_number.clone().unwrap().to_lowercase()),
            Some(id)
        );
        let info = dataset.order_info(id).unwrap();
        assert_eq!(info.status, OrderStatus::Issued);
        assert_eq!(info.certificate.unwrap().id, row.certificate_tracker_id);
        assert!(dataset.reissues(id).unwrap().certificates.is_empty());
        assert_eq!(dataset.status_last_updated(id), Some(when));
    }
    let changes = dataset.status_changes(when, when).orders;
    assert_eq!(
        changes.iter().map(|c| c.order_id).collect::<Vec<_>>(),
        [ids[2], ids[1], ids[0]]
    );
    let log = dataset.change_log();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|record| {
        record.at == when
            && record.status == OrderStatus::Issued
            && Some(record.certificate_id)
                == dataset
                    .report_row(record.order_id)
                    .unwrap()
                    .certificate_tracker_id
    }));
    // More later: still newest first, every ID once.
    let more = dataset.add_orders_at(2, when);
    assert!(more[0] > ids[2]);
    let ids: HashSet<u64> = dataset.order_ids().collect();
    assert_eq!(ids.len(), 305);
}

#[test]
fn revocation_shows_in_every_view() {
    let dataset = dataset(2500);
    let id = issued_order(&dataset, 40);
    let revoked_before = dataset
        .report_rows(&[OrderStatus::Revoked], 0, 10_000)
        .count();
    let when = at("2024-03-10T12:30:00Z");
    assert!(dataset.revoke_at(id, when));
    assert!(!dataset.revoke_at(id, when), "already revoked");
    let row = dataset.report_row(id).unwrap();
    assert_eq!(row.status, OrderStatus::Revoked);
    assert!(row.thumbprint.is_some());
    assert_eq!(dataset.order_info(id).unwrap().status, OrderStatus::Revoked);
    let revoked: Vec<u64> = dataset
        .report_rows(&[OrderStatus::Revoked], 0, 10_000)
        .map(|row| row.order_id)
        .collect();
    assert_eq!(revoked.len(), revoked_before + 1);
    assert!(revoked.contains(&id));
    assert!(
        !dataset
            .report_rows(&[OrderStatus::Issued], 0, 10_000)
            .any(|row| row.order_id == id)
    );
    let change = dataset.status_changes(when, when).orders;
    assert_eq!(change.len(), 1);
    assert_eq!(change[0].order_id, id);
    assert_eq!(change[0].status, OrderStatus::Revoked);
    assert_eq!(change[0].certificate_id, row.certificate_tracker_id);
    assert_eq!(dataset.status_last_updated(id), Some(when));
    // No certificate in force, no such order: nothing to revoke, nothing recorded.
    let pending = dataset
        .report_rows(&[OrderStatus::Pending], 0, 1)
        .next()
        .unwrap()
        .order_id;
    assert!(!dataset.revoke_at(pending, when));
    assert!(!dataset.revoke_at(42, when));
    assert!(!dataset.reissue_at(id, when));
    assert_eq!(dataset.change_log().len(), 1);
}

#[test]
fn reissue_gives_a_new_certificate() {
    let dataset = dataset(2500);
    let id = issued_order(&dataset, 7);
    let old = dataset.report_row(id).unwrap();
    let when = at("2024-03-11T09:00:00Z");
    assert!(dataset.reissue_at(id, when));
    let row = dataset.report_row(id).unwrap();
    assert_eq!(row.status, OrderStatus::Issued);
    assert_ne!(row.certificate_tracker_id, old.certificate_tracker_id);
    assert_ne!(row.thumbprint, old.thumbprint);
    assert_ne!(row.serial_number, old.serial_number);
    assert_eq!(row.valid_from, Some(when.date_naive()));
    assert!(row.valid_till > old.valid_till);
    assert_eq!(row.common_name, old.common_name);
    assert_eq!(dataset.find(row.thumbprint.as_deref().unwrap()), Some(id));
    assert_eq!(
        dataset.find(row.serial_number.as_deref().unwrap()),
        Some(id)
    );
    // The replaced certificate still finds its order (CertCentral's documentation says the
    // path takes "a certificate thumbprint or serial number" without limiting it to the
    // current one).
    assert_eq!(dataset.find(old.thumbprint.as_deref().unwrap()), Some(id));
    assert_eq!(
        dataset.find(old.serial_number.as_deref().unwrap()),
        Some(id)
    );
    let info = dataset.order_info(id).unwrap();
    let certificate = info.certificate.unwrap();
    assert_eq!(certificate.id, row.certificate_tracker_id);
    assert_eq!(certificate.thumbprint, row.thumbprint);
    assert_eq!(certificate.valid_from, row.valid_from);
    assert_eq!(certificate.valid_till, row.valid_till);
    let reissues = dataset.reissues(id).unwrap().certificates;
    assert_eq!(Some(reissues[0].id), row.certificate_tracker_id);
    assert_eq!(reissues[0].status, OrderStatus::Issued);
    assert_eq!(reissues[0].thumbprint, row.thumbprint);
    assert_eq!(Some(reissues[1].id), old.certificate_tracker_id);
    assert_eq!(reissues[1].status, OrderStatus::Revoked);
    assert_eq!(reissues[1].thumbprint, old.thumbprint);
    assert_eq!(reissues[1].valid_till, old.valid_till);
    // Again: each certificate ID once.
    assert!(dataset.reissue_at(id, when + TimeDelta::days(1)));
    let again = dataset.reissues(id).unwrap().certificates;
    let ids: HashSet<u64> = again.iter().map(|cert| cert.id).collect();
    assert_eq!(ids.len(), again.len());
    assert_eq!(again[2].id, reissues[1].id);
    let log = dataset.change_log();
    assert_eq!(log.len(), 2);
    assert_eq!(Some(log[0].certificate_id), row.certificate_tracker_id);
    assert_eq!(
        Some(log[1].certificate_id),
        dataset.report_row(id).unwrap().certificate_tracker_id
    );
}

#[test]
fn the_latest_change_by_time_wins_and_windows_see_their_own() {
    let dataset = dataset(2500);
    let id = issued_order(&dataset, 3);
    let generated = dataset.status_last_updated(id).unwrap();
    let t1 = at("2024-03-10T12:10:00Z");
    let t2 = at("2024-03-10T12:20:00Z");
    assert!(dataset.record_change_at(id, OrderStatus::Revoked, t2));
    assert!(dataset.record_change_at(id, OrderStatus::ReissuePending, t1));
    // Backdated before the revocation: history only.
    assert_eq!(dataset.report_row(id).unwrap().status, OrderStatus::Revoked);
    assert_eq!(dataset.status_last_updated(id), Some(t2));
    let status_in = |from, to| {
        dataset
            .status_changes(from, to)
            .orders
            .into_iter()
            .find(|change| change.order_id == id)
            .map(|change| change.status)
    };
    assert_eq!(status_in(t1, t2), Some(OrderStatus::Revoked));
    assert_eq!(
        status_in(t1, t2 - TimeDelta::seconds(1)),
        Some(OrderStatus::ReissuePending)
    );
    assert_eq!(status_in(generated, generated), Some(OrderStatus::Issued));
    assert_eq!(
        status_in(t2 + TimeDelta::seconds(1), t2 + TimeDelta::hours(1)),
        None
    );
    // Unknown statuses and orders are refused; any known status goes.
    assert!(!dataset.record_change_at(id, OrderStatus::from("awaiting_magic"), t2));
    assert!(!dataset.record_change_at(7, OrderStatus::Issued, t2));
    assert_eq!(dataset.change_log().len(), 2);
    // A pending order that becomes issued gets a certificate then.
    let pending = dataset
        .report_rows(&[OrderStatus::Pending], 0, 1)
        .next()
        .unwrap();
    assert!(pending.thumbprint.is_none());
    assert!(dataset.record_change_at(pending.order_id, OrderStatus::Issued, t2));
    let issued = dataset.report_row(pending.order_id).unwrap();
    assert_eq!(issued.valid_from, Some(t2.date_naive()));
    assert_eq!(
        dataset.find(issued.thumbprint.as_deref().unwrap()),
        Some(pending.order_id)
    );
}

#[test]
fn a_clone_changes_on_its_own() {
    let dataset = dataset(300);
    let id = issued_order(&dataset, 0);
    let when = at("2024-03-10T12:30:00Z");
    assert!(dataset.revoke_at(id, when));
    let clone = dataset.clone();
    assert_eq!(clone.change_log(), dataset.change_log());
    clone.add_orders_at(1, when);
    assert_eq!((clone.len(), dataset.len()), (301, 300));
    assert_eq!(clone.report_row(id).unwrap().status, OrderStatus::Revoked);
    // A page taken before a change keeps to the dataset as it was.
    let before: Vec<u64> = dataset.order_ids().take(5).collect();
    let page = dataset.report_rows(&[], 0, 5);
    let placed = dataset.add_orders_at(1, when)[0];
    assert_eq!(page.map(|row| row.order_id).collect::<Vec<_>>(), before);
    assert_eq!(dataset.order_ids().next(), Some(placed));
    assert_eq!(all_rows(&dataset).len(), 301);
}

#[test]
fn a_renamed_order_has_its_new_common_name_in_every_view_and_nothing_else_changes() {
    let dataset = dataset(50);
    let id = dataset.order_ids().nth(3).unwrap();
    let before = dataset.report_row(id).unwrap();
    assert!(dataset.rename(id, "<script>alert(1)</script>"));
    let after = dataset.report_row(id).unwrap();
    assert_eq!(
        after.common_name.as_deref(),
        Some("<script>alert(1)</script>")
    );
    let info = dataset.order_info(id).unwrap();
    assert_eq!(
        info.certificate.unwrap().common_name.as_deref(),
        Some("<script>alert(1)</script>")
    );
    assert_eq!(
        (after.status, after.thumbprint),
        (before.status, before.thumbprint)
    );
    assert!(dataset.change_log().is_empty());
    assert!(!dataset.rename(1, "x"));
}
