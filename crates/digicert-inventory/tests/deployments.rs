//! The deployment probe's side of the inventory, on both stores: earlier certificates kept
//! when a sync replaces them, a probe run classified against them and recorded (the latest
//! per endpoint, a history row per change), and the lookups of unknown certificates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod common;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use common::TestDb;
use digicert_inventory::{
    AnyStore, Batch, DeploymentFilter, DeploymentState, FoundCertificate, Inventory, OrderJson,
    OrderRecord, Outcome, Probed, ServedCertificate, Store,
};

/// An issued order for `names` with certificate `certificate` (its thumbprint and serial
/// derive from it), valid until 2027-06-01.
fn order(order_id: u64, certificate: u64, names: &[&str], json: &str) -> OrderRecord {
    OrderRecord {
        common_name: names.first().map(|name| (*name).to_owned()),
        dns_names: names.iter().map(|name| (*name).to_owned()).collect(),
        valid_from: NaiveDate::from_ymd_opt(2026, 6, 1),
        valid_till: NaiveDate::from_ymd_opt(2027, 6, 1),
        thumbprint: Some(thumbprint(certificate)),
        serial_number: Some(format!("5e{certificate:06x}")),
        certificate_id: Some(certificate),
        ..OrderRecord::new(order_id, "issued", OrderJson::Report(json.to_owned()))
    }
}

fn thumbprint(certificate: u64) -> String {
    format!("{certificate:040x}")
}

fn apply(store: &mut AnyStore, orders: Vec<OrderRecord>, seen_at: DateTime<Utc>) {
    store
        .apply(Batch {
            account: "default".to_owned(),
            orders,
            unchanged: Default::default(),
            seen_at,
            finish: None,
        })
        .unwrap();
}

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
}

fn served(target: &str, address: &str, certificate: u64, day: u32) -> Probed {
    Probed {
        target: target.to_owned(),
        port: 443,
        address: address.to_owned(),
        probed_at: at(day),
        duration: None,
        outcome: Outcome::Served(ServedCertificate {
            thumbprint: thumbprint(certificate),
            serial_number: format!("5e{certificate:06x}"),
            not_after: Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap(),
            covers_name: true,
            verified: true,
            verify_error: None,
        }),
    }
}

/// An inventory where order 7 (www.example.com) was reissued from certificate 70 to 71, and
/// order 8 (api.example.com) renews order 9 (api.example.com, certificate 90).
fn filled(db: &TestDb) -> Inventory<AnyStore> {
    let mut store = db.open();
    apply(
        &mut store,
        vec![
            order(7, 70, &["www.example.com"], r#"{"order_id":7}"#),
            order(9, 90, &["api.example.com"], r#"{"order_id":9}"#),
        ],
        at(1),
    );
    apply(
        &mut store,
        vec![
            order(
                7,
                71,
                &["www.example.com"],
                r#"{"order_id":7,"reissued":true}"#,
            ),
            order(
                8,
                80,
                &["api.example.com"],
                r#"{"order_id":8,"renewed_order_id":9}"#,
            ),
        ],
        at(2),
    );
    Inventory::with_store(store)
}

/// A certificate kept in `certificates`, read with the store's own client: order,
/// certificate ID, serial number, validity (`YYYY-MM-DD`), first and last seen (Unix
/// seconds) and where it came from.
type Kept = (
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    String,
);

fn kept(db: &TestDb, thumbprint: &str) -> Vec<Kept> {
    match db {
        TestDb::Sqlite(_, path) => {
            let connection = rusqlite::Connection::open(path).unwrap();
            let mut statement = connection
                .prepare(
                    "SELECT order_id, certificate_id, serial_number, valid_from, valid_till, \
                     unixepoch(first_seen), unixepoch(last_seen), source \
                     FROM certificates WHERE thumbprint = ?1",
                )
                .unwrap();
            statement
                .query_map([thumbprint], |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                        row.get(6)?,
                        row.get(7)?,
                    ))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect()
        }
        #[cfg(feature = "postgres")]
        TestDb::Postgres(database) => database
            .client()
            .query(
                "SELECT order_id, certificate_id, serial_number, \
                 to_char(valid_from, 'YYYY-MM-DD'), to_char(valid_till, 'YYYY-MM-DD'), \
                 EXTRACT(EPOCH FROM first_seen)::BIGINT, EXTRACT(EPOCH FROM last_seen)::BIGINT, \
                 source FROM certificates WHERE thumbprint = $1",
                &[&thumbprint],
            )
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row.get(0),
                    row.get(1),
                    row.get(2),
                    row.get(3),
                    row.get(4),
                    row.get(5),
                    row.get(6),
                    row.get(7),
                )
            })
            .collect(),
    }
}

#[test]
fn a_replaced_certificate_is_kept_and_served_it_is_stale_naming_the_current_one() {
    for db in TestDb::all() {
        let inventory = filled(&db);
        // Certificate 70, current on day 1 and replaced by 71 on day 2, kept whole: seen
        // first and last on day 1.
        let day_1 = Some(at(1).timestamp());
        assert_eq!(
            kept(&db, &thumbprint(70)),
            [(
                7,
                Some(70),
                Some("5e000046".to_owned()),
                Some("2026-06-01".to_owned()),
                Some("2027-06-01".to_owned()),
                day_1,
                day_1,
                "sync".to_owned()
            )],
            "{}",
            db.kind()
        );
        assert_eq!(
            kept(&db, &thumbprint(71)),
            [],
            "the current one is the order's own"
        );
        let earlier = inventory
            .store()
            .known_certificates(&[], &[thumbprint(70)])
            .unwrap();
        assert_eq!(earlier.len(), 1, "{}", db.kind());
        assert_eq!(earlier[0].order_id, 7);
        assert_eq!(earlier[0].current_thumbprint, Some(thumbprint(71)));
        let found = inventory
            .classify(&[
                served("www.example.com", "192.0.2.1", 71, 3),
                served("WWW.example.com", "192.0.2.2", 70, 3),
                served("api.example.com", "192.0.2.3", 90, 3),
                served("api.example.com", "192.0.2.4", 80, 3),
                served("www.example.com", "192.0.2.5", 99, 3),
            ])
            .unwrap();
        let states: Vec<DeploymentState> = found.iter().map(|d| d.state).collect();
        assert_eq!(
            states,
            [
                DeploymentState::Current,
                DeploymentState::Stale,
                DeploymentState::Stale,
                DeploymentState::Current,
                DeploymentState::Unknown,
            ],
            "{}: {found:#?}",
            db.kind()
        );
        assert_eq!(found[1].order_id, Some(7));
        assert_eq!(found[1].current_thumbprint, Some(thumbprint(71)));
        assert_eq!(found[2].current_thumbprint, Some(thumbprint(80)));
        assert!(found[2].reason.contains("renewed into order 8"));
        assert_eq!(found[4].current_thumbprint, Some(thumbprint(71)));
    }
}

#[test]
fn a_run_keeps_each_endpoints_latest_and_a_history_row_per_change() {
    for db in TestDb::all() {
        let mut inventory = filled(&db);
        let first = inventory
            .classify(&[
                served("www.example.com", "192.0.2.1", 71, 3),
                served("www.example.com", "192.0.2.2", 70, 3),
            ])
            .unwrap();
        assert_eq!(inventory.record_deployments(&first).unwrap(), 2);
        // The same again: no change, no history row.
        let again = inventory
            .classify(&[
                served("www.example.com", "192.0.2.1", 71, 4),
                served("www.example.com", "192.0.2.2", 70, 4),
            ])
            .unwrap();
        assert_eq!(inventory.record_deployments(&again).unwrap(), 0);
        // The stale node gets the current certificate.
        let fixed = inventory
            .classify(&[served("www.example.com", "192.0.2.2", 71, 5)])
            .unwrap();
        assert_eq!(inventory.record_deployments(&fixed).unwrap(), 1);

        let latest = inventory.deployments(&DeploymentFilter::default()).unwrap();
        assert_eq!(latest.len(), 2, "{}", db.kind());
        assert!(latest.iter().all(|d| d.state == DeploymentState::Current));
        assert_eq!(latest[1].address, "192.0.2.2");
        assert_eq!(latest[1].probed_at, at(5));
        assert_eq!(latest[0].probed_at, at(4), "the latest probe is kept");
        assert_eq!(latest[0].verified, Some(true));
        assert_eq!(latest[0].served_thumbprint, Some(thumbprint(71)));
        assert!(latest[0].days_left.unwrap() > 0);

        let history = inventory.deployment_history(7).unwrap();
        let seen: Vec<(String, DeploymentState, DateTime<Utc>)> = history
            .iter()
            .map(|d| (d.address.clone(), d.state, d.probed_at))
            .collect();
        assert_eq!(
            seen,
            [
                ("192.0.2.1".to_owned(), DeploymentState::Current, at(3)),
                ("192.0.2.2".to_owned(), DeploymentState::Stale, at(3)),
                ("192.0.2.2".to_owned(), DeploymentState::Current, at(5)),
            ],
            "{}",
            db.kind()
        );

        let stale_then = DeploymentFilter {
            states: vec![DeploymentState::Stale],
            ..DeploymentFilter::default()
        };
        assert!(inventory.deployments(&stale_then).unwrap().is_empty());
        let by_name = DeploymentFilter {
            name: Some("WWW.Example.com.".to_owned()),
            order_id: Some(7),
            ..DeploymentFilter::default()
        };
        assert_eq!(inventory.deployments(&by_name).unwrap().len(), 2);
        let other_order = DeploymentFilter {
            order_id: Some(8),
            ..DeploymentFilter::default()
        };
        assert!(inventory.deployments(&other_order).unwrap().is_empty());
    }
}

#[test]
fn unknown_certificates_are_looked_up_once_and_what_is_found_is_known() {
    for db in TestDb::all() {
        let mut inventory = filled(&db);
        let run = inventory
            .classify(&[
                served("www.example.com", "192.0.2.1", 99, 3),
                served("www.example.com", "192.0.2.2", 99, 3),
                served("api.example.com", "192.0.2.3", 98, 3),
                served("api.example.com", "192.0.2.4", 97, 3),
            ])
            .unwrap();
        let lookups = inventory.lookups(&run, 2).unwrap();
        assert_eq!(lookups.len(), 2, "capped: {lookups:?}");
        let www = lookups
            .iter()
            .find(|lookup| lookup.thumbprint == thumbprint(99))
            .unwrap();
        assert_eq!(www.covering, [("default".to_owned(), 7)]);
        // 99 turns out to be one of order 7's reissues; 98 is nobody's.
        inventory
            .record_lookups(
                &[FoundCertificate {
                    account: "default".to_owned(),
                    order_id: 7,
                    thumbprint: thumbprint(99),
                    serial_number: Some("5e000063".to_owned()),
                    certificate_id: Some(99),
                    source: "reissues",
                }],
                &[("default".to_owned(), thumbprint(98))],
            )
            .unwrap();
        let again = inventory
            .classify(&[
                served("www.example.com", "192.0.2.1", 99, 4),
                served("api.example.com", "192.0.2.3", 98, 4),
                served("api.example.com", "192.0.2.4", 97, 4),
            ])
            .unwrap();
        assert_eq!(again[0].state, DeploymentState::Stale, "{}", db.kind());
        assert_eq!(again[1].state, DeploymentState::Unknown);
        let left: Vec<String> = inventory
            .lookups(&again, 10)
            .unwrap()
            .into_iter()
            .map(|lookup| lookup.thumbprint)
            .collect();
        assert_eq!(left, [thumbprint(97)], "98 was asked already");
    }
}

#[test]
fn probe_names_are_every_unexpired_issued_name_without_wildcards() {
    for db in TestDb::all() {
        let mut store = db.open();
        let mut expired = order(3, 30, &["old.example.com"], "{}");
        expired.valid_till = NaiveDate::from_ymd_opt(2026, 1, 1);
        let mut revoked = order(4, 40, &["gone.example.com"], "{}");
        revoked.status = "revoked".to_owned();
        apply(
            &mut store,
            vec![
                order(
                    1,
                    10,
                    &["www.example.com", "*.example.com", "Example.com."],
                    "{}",
                ),
                order(2, 20, &["www.example.com", "*.shop.example.com"], "{}"),
                expired,
                revoked,
            ],
            at(1),
        );
        let names = Inventory::with_store(store)
            .probe_names(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
            .unwrap();
        assert_eq!(names.names, ["example.com", "www.example.com"]);
        assert_eq!(names.wildcards, 2);
    }
}

#[test]
fn failures_are_recorded_with_their_reason() {
    for db in TestDb::all() {
        let mut inventory = filled(&db);
        let run = inventory
            .classify(&[Probed {
                target: "down.example.com".to_owned(),
                port: 8443,
                address: String::new(),
                probed_at: at(3) + TimeDelta::seconds(1),
                duration: Some(std::time::Duration::from_millis(1500)),
                outcome: Outcome::Unreachable("no address for down.example.com".to_owned()),
            }])
            .unwrap();
        inventory.record_deployments(&run).unwrap();
        let latest = inventory.deployments(&DeploymentFilter::default()).unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].state, DeploymentState::Unreachable);
        assert_eq!(latest[0].reason, "no address for down.example.com");
        assert_eq!(latest[0].port, 8443);
        assert_eq!(latest[0].duration_seconds, Some(1.5));
        assert_eq!(latest[0].verified, None);
        assert_eq!(latest[0].served_thumbprint, None, "{}", db.kind());
        // It belongs to no account, so a reader of any account sees it; order 7's node does
        // not show to a reader of another account.
        let served = inventory
            .classify(&[served("www.example.com", "192.0.2.1", 71, 3)])
            .unwrap();
        inventory.record_deployments(&served).unwrap();
        inventory.select_accounts(["eu"]);
        let seen: Vec<String> = inventory
            .deployments(&DeploymentFilter::default())
            .unwrap()
            .into_iter()
            .map(|deployment| deployment.target)
            .collect();
        assert_eq!(seen, ["down.example.com"], "{}", db.kind());
    }
}
