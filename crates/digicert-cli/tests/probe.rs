//! `digicert probe` through the binary, on both stores: loopback TLS endpoints of
//! `digicert-mock` serving the current, an earlier, and an unknown certificate of the mock's
//! orders, each address probed on its own; results kept (latest and history) and listed by
//! `inventory deployments` and `inventory history`; `--fail-if`; `--demo probe`. Nothing is
//! dialled but loopback: every name goes through `--resolve`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Output;

use digicert_mock::{MockCa, MockConfig, MockServer, TlsEndpoints, TlsEntry};
use serde_json::Value;
use support::db::TestDb;
use support::served::{Served, get};
use support::{KEY, command, exit_code, text};

/// `digicert --db <db>` against `server`, with `args`.
fn digicert(server: &MockServer, db: &Path, args: &[&str]) -> Output {
    command()
        .args(["--base-url", server.base_url(), "--api-key", KEY])
        .args(["--no-rate-limit", "--db"])
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

/// The JSON objects of JSON-lines output.
fn objects(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// Each endpoint's state, by address.
fn states(rows: &[Value]) -> BTreeMap<String, String> {
    rows.iter()
        .map(|row| {
            (
                row["address"].as_str().unwrap().to_owned(),
                row["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The mock's CA, as a file for `--ca-cert`.
fn ca_file(dir: &Path) -> String {
    let path = dir.join("mock-ca.pem");
    std::fs::write(&path, MockCa::get().unwrap().certificate_pem()).unwrap();
    path.display().to_string()
}

/// An order's common name.
fn name(server: &MockServer, order_id: u64) -> String {
    let row = server.dataset().report_row(order_id).unwrap();
    row.common_name.unwrap().to_ascii_lowercase()
}

/// A mock of a few dozen orders with the keys of the tests: one order reissued (so it has an
/// earlier certificate), one untouched; both issued, with their common names.
struct Fixture {
    server: MockServer,
    reissued: u64,
    other: u64,
}

fn fixture() -> Fixture {
    let server =
        MockServer::start_background(MockConfig::default().with_orders(40).with_api_key(KEY))
            .unwrap();
    let soon = chrono::Utc::now().date_naive() + chrono::Days::new(30);
    let mut issued = server.dataset().order_ids().filter(|&id| {
        let row = server.dataset().report_row(id).unwrap();
        row.status == digicert_api::model::OrderStatus::Issued
            && row.valid_till.is_some_and(|till| till > soon)
            && row.common_name.is_some_and(|name| !name.contains('*'))
    });
    let reissued = issued.next().unwrap();
    let other = issued.next().unwrap();
    drop(issued);
    assert!(server.reissue(reissued));
    Fixture {
        server,
        reissued,
        other,
    }
}

#[test]
fn each_address_behind_a_name_is_told_current_stale_or_unknown_and_kept() {
    let fixture = fixture();
    let server = &fixture.server;
    let certificates = server.certificates(fixture.reissued);
    let (current, earlier) = (&certificates[0], &certificates[1]);
    assert!(current.current && !earlier.current);
    let name = name(server, fixture.reissued);
    let nodes = [
        Ipv4Addr::new(127, 0, 0, 2),
        Ipv4Addr::new(127, 0, 0, 3),
        Ipv4Addr::new(127, 0, 0, 4),
    ];
    // Another CA's certificate for the same name: self-signed, made here.
    let key = rcgen::KeyPair::generate().unwrap();
    let foreign = rcgen::CertificateParams::new(vec![name.clone()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let unknown = TlsEntry::new(nodes[2], vec![foreign.der().to_vec()], key.serialize_der());
    let endpoints = TlsEndpoints::start_background(vec![
        TlsEntry::for_certificate(nodes[0], current).unwrap(),
        TlsEntry::for_certificate(nodes[1], earlier).unwrap(),
        unknown,
    ])
    .unwrap();
    let port = endpoints.port().to_string();
    let resolve = endpoints.resolve(&name, &nodes);
    for db in TestDb::all() {
        let dir = tempfile::tempdir().unwrap();
        let ca_cert = ca_file(dir.path());
        let output = digicert(server, &db.path(), &["-q", "sync"]);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        endpoints.clear_handshakes();
        let probe = [
            "probe",
            &name,
            "--port",
            &port,
            "--resolve",
            &resolve,
            "--ca-cert",
            &ca_cert,
            "--format",
            "jsonl",
        ];
        let output = digicert(server, &db.path(), &probe);
        assert_eq!(
            exit_code(&output),
            0,
            "{}: {}",
            db.kind(),
            text(&output.stderr)
        );
        let rows = objects(&output);
        assert_eq!(
            states(&rows),
            BTreeMap::from([
                ("127.0.0.2".to_owned(), "current".to_owned()),
                ("127.0.0.3".to_owned(), "stale".to_owned()),
                ("127.0.0.4".to_owned(), "unknown".to_owned()),
            ]),
            "{}: {rows:#?}",
            db.kind()
        );
        for node in nodes {
            assert_eq!(endpoints.handshakes(node), 1, "{node} dialled once");
        }
        let stale = &rows[1];
        assert_eq!(stale["order_id"], fixture.reissued);
        assert_eq!(stale["served_thumbprint"], earlier.thumbprint.as_str());
        assert_eq!(stale["current_thumbprint"], current.thumbprint.as_str());
        assert_eq!(
            stale["current_serial_number"],
            current.serial_number.as_str()
        );
        assert_eq!(stale["verified"], true);
        assert_eq!(stale["port"], endpoints.port());
        for key in [
            "account",
            "target",
            "reason",
            "served_serial_number",
            "served_not_after",
            "days_left",
            "probed_at",
        ] {
            assert!(stale.get(key).is_some(), "{key} missing: {stale}");
        }
        assert_eq!(rows[2]["verified"], false, "another CA");
        // The inventory synced after the reissue, so it never held the earlier certificate:
        // the order's reissues found it; nobody knows the other CA's.
        assert_eq!(
            text(&output.stderr).trim(),
            "probe: 3 endpoints: 1 unknown, 1 stale, 1 current; 2 unknown certificates \
             looked up, 1 found"
        );

        // Probed again: nothing changed, so no new history row, and nothing is asked again.
        let output = digicert(server, &db.path(), &probe);
        assert_eq!(exit_code(&output), 0);
        assert_eq!(
            text(&output.stderr).trim(),
            "probe: 3 endpoints: 1 unknown, 1 stale, 1 current"
        );
        let stale_only = [
            "inventory",
            "deployments",
            "--state",
            "stale",
            "--format",
            "jsonl",
        ];
        let output = digicert(server, &db.path(), &stale_only);
        assert_eq!(
            states(&objects(&output)),
            BTreeMap::from([("127.0.0.3".to_owned(), "stale".to_owned())])
        );
        let id = fixture.reissued.to_string();
        // --order: the nodes serving its certificates, and the one that should (unknown).
        // --name: the name, or host:port as the metrics' target label writes it.
        let listed = |filter: &[&str]| {
            let mut args = vec!["inventory", "deployments", "--format", "jsonl"];
            args.extend(filter);
            states(&objects(&digicert(server, &db.path(), &args)))
        };
        let all = states(&rows);
        let label = format!("{name}:{port}");
        let other_port = format!("{name}:1");
        assert_eq!(listed(&["--order", &id]), all, "{}", db.kind());
        assert_eq!(listed(&["--name", &name]), all, "{}", db.kind());
        assert_eq!(listed(&["--name", &label, "--order", &id]), all);
        assert_eq!(listed(&["--name", &other_port]), BTreeMap::new());
        let other = fixture.other.to_string();
        assert_eq!(listed(&["--order", &other]), BTreeMap::new());
        let history = ["inventory", "history", &id, "--format", "jsonl"];
        let events = objects(&digicert(server, &db.path(), &history));
        let deployments: Vec<&Value> = events
            .iter()
            .filter(|event| event["event"] == "deployment")
            .collect();
        assert_eq!(deployments.len(), 2, "{}: {events:#?}", db.kind());
        assert!(events.iter().any(|event| event["event"] == "status"));

        // The page: the stale and unknown nodes first, to look at; the order's page, where
        // its certificates were seen.
        let served = Served::start(server.base_url(), db.path().to_str().unwrap(), "1h", &[]);
        let addr = served.addr.clone();
        served.wait_until("a sync", || get(&addr, "/healthz").status == 200);
        let overview = get(&addr, "/").body;
        let section = overview
            .split("Endpoints to look at")
            .nth(1)
            .and_then(|rest| rest.split("<h2").next())
            .unwrap();
        for (address, state) in [("127.0.0.3", "stale"), ("127.0.0.4", "unknown")] {
            assert!(
                section.contains(address),
                "{}: {address} {section}",
                db.kind()
            );
            assert!(section.contains(state), "{state}");
        }
        assert!(!section.contains("127.0.0.2"), "the current node is fine");
        let order = get(&addr, &format!("/orders/default/{}", fixture.reissued)).body;
        for address in ["127.0.0.2", "127.0.0.3"] {
            assert!(order.contains(address), "{address} on the order's page");
        }
    }
}

#[test]
fn serve_probes_every_interval_one_host_at_a_time_and_exports_the_probe_families() {
    let fixture = fixture();
    let server = &fixture.server;
    let certificates = server.certificates(fixture.reissued);
    let (current, earlier) = (&certificates[0], &certificates[1]);
    let name = name(server, fixture.reissued);
    let nodes = [Ipv4Addr::new(127, 0, 0, 6), Ipv4Addr::new(127, 0, 0, 7)];
    let endpoints = TlsEndpoints::start_background(vec![
        TlsEntry::for_certificate(nodes[0], current).unwrap(),
        TlsEntry::for_certificate(nodes[1], earlier).unwrap(),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca_cert = ca_file(dir.path());
    let targets = dir.path().join("targets.txt");
    let target = format!("{name}:{}", endpoints.port());
    std::fs::write(&targets, format!("# the load balancer's nodes\n{target}\n")).unwrap();
    let resolve = endpoints.resolve(&name, &nodes);
    for db in TestDb::all() {
        let location = db.path().display().to_string();
        assert_eq!(exit_code(&digicert(server, &db.path(), &["-q", "sync"])), 0);
        endpoints.clear_handshakes();
        let probing = [
            "-v",
            "--probe-interval",
            "1h",
            "--targets",
            targets.to_str().unwrap(),
            "--resolve",
            &resolve,
            "--ca-cert",
            &ca_cert,
        ];
        // Two hosts on one inventory, starting at once: one probes.
        let hosts = [
            Served::start(server.base_url(), &location, "1h", &probing),
            Served::start(server.base_url(), &location, "1h", &probing),
        ];
        for host in &hosts {
            host.wait_until("its first probe round", || {
                let log = host.log();
                log.contains("probe done") || log.contains("skipping this round")
            });
        }
        let probed = hosts
            .iter()
            .filter(|host| host.log().contains("probe done"))
            .count();
        assert_eq!(probed, 1, "{}: one host probes", db.kind());
        for node in nodes {
            assert_eq!(endpoints.handshakes(node), 1, "{}: {node} once", db.kind());
        }
        let addr = hosts[0].addr.clone();
        let metrics = get(&addr, "/metrics").body;
        let labels = |address: &str| format!("target=\"{target}\",address=\"{address}\"");
        for (address, state) in [("127.0.0.6", "current"), ("127.0.0.7", "stale")] {
            let sample = format!(
                "digicert_probe_state{{{},state=\"{state}\"}} 1",
                labels(address)
            );
            assert!(
                metrics.contains(&sample),
                "{}: {sample} in {metrics}",
                db.kind()
            );
            let success = format!("digicert_probe_success{{{}}} 1", labels(address));
            assert!(metrics.contains(&success), "{success}");
            let duration = format!("digicert_probe_duration_seconds{{{}}} ", labels(address));
            assert!(metrics.contains(&duration), "{duration}");
        }
        let not_after = format!(
            "digicert_probe_certificate_not_after_timestamp_seconds{{{},serial_number=\"{}\",thumbprint=\"{}\",order_id=\"{}\"}}",
            labels("127.0.0.7"),
            earlier.serial_number,
            earlier.thumbprint,
            fixture.reissued
        );
        assert!(metrics.contains(&not_after), "{not_after} in {metrics}");
    }
}

#[test]
fn fail_if_exits_3_and_the_summary_counts_the_states() {
    let fixture = fixture();
    let server = &fixture.server;
    let name = name(server, fixture.other);
    let current = server.certificate(fixture.other).unwrap();
    let node = Ipv4Addr::new(127, 0, 0, 5);
    let endpoints =
        TlsEndpoints::start_background(vec![TlsEntry::for_certificate(node, &current).unwrap()])
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    let ca_cert = ca_file(dir.path());
    assert_eq!(exit_code(&digicert(server, &db, &["-q", "sync"])), 0);
    let target = format!("{name}:{}", endpoints.port());
    let resolve = endpoints.resolve(&name, &[node]);
    let probe = |fail_if: &str| {
        digicert(
            server,
            &db,
            &[
                "probe",
                &target,
                "127.0.0.1:1",
                "--resolve",
                &resolve,
                "--ca-cert",
                &ca_cert,
                "--fail-if",
                fail_if,
            ],
        )
    };
    let output = probe("stale,unknown");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("probe: 2 endpoints: 1 unreachable, 1 current"),
        "{stderr}"
    );
    let output = probe("unreachable");
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("unreachable (--fail-if)"));
    // The table still lists both.
    assert_eq!(text(&output.stdout).lines().count(), 3);
    let output = probe("fine");
    assert_eq!(exit_code(&output), 2);
    assert!(text(&output.stderr).contains("not a deployment state"));
    // Port 0 is no port: refused before anything is dialled.
    let output = digicert(server, &db, &["probe", "127.0.0.1", "--port", "0"]);
    assert_eq!(exit_code(&output), 2, "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("--port"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn without_targets_every_name_of_the_inventory_is_probed_and_wildcards_counted() {
    let fixture = fixture();
    let server = &fixture.server;
    // At least one wildcard name, whatever the dataset made.
    assert!(server.rename(fixture.other, "*.wild.example.com"));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    assert_eq!(exit_code(&digicert(server, &db, &["-q", "sync"])), 0);
    let output = digicert(server, &db, &["inventory", "export", "--format", "jsonl"]);
    let today = chrono::Utc::now().date_naive().to_string();
    let mut names = std::collections::BTreeSet::new();
    let mut wildcards = std::collections::BTreeSet::new();
    for order in objects(&output) {
        let live = order["status"] == "issued"
            && order["valid_till"]
                .as_str()
                .is_some_and(|till| till >= today.as_str());
        if !live {
            continue;
        }
        let all = order["dns_names"].as_array().unwrap().iter().cloned();
        for name in order["common_name"]
            .as_str()
            .map(Value::from)
            .into_iter()
            .chain(all)
        {
            let name = name.as_str().unwrap().to_ascii_lowercase();
            if name.contains('*') {
                wildcards.insert(name);
            } else {
                names.insert(name);
            }
        }
    }
    assert!(!names.is_empty());
    // Every name at port 1 of loopback: refused at once, and nothing reaches the DNS.
    let mut args = vec!["probe".to_owned(), "--port".to_owned(), "1".to_owned()];
    for name in &names {
        args.push("--resolve".to_owned());
        args.push(format!("{name}:1:127.0.0.1"));
    }
    args.extend(["--format".to_owned(), "jsonl".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = digicert(server, &db, &args);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let probed: std::collections::BTreeSet<String> = objects(&output)
        .iter()
        .map(|row| row["target"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(probed, names);
    let stderr = text(&output.stderr);
    assert!(wildcards.contains("*.wild.example.com"), "{wildcards:?}");
    assert!(
        stderr.contains(&format!("{} wildcard name", wildcards.len())),
        "{stderr}"
    );
}

#[test]
fn the_demo_shows_every_state_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let output = command()
        .arg("--demo")
        .arg("--db")
        .arg(&db)
        .args(["probe", "--format", "jsonl"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let seen: std::collections::BTreeSet<String> = objects(&output)
        .iter()
        .map(|row| row["state"].as_str().unwrap().to_owned())
        .collect();
    let every: std::collections::BTreeSet<String> = [
        "current",
        "stale",
        "unknown",
        "expired",
        "name_mismatch",
        "unreachable",
        "handshake_failed",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(seen, every);
    assert!(text(&output.stderr).contains("probe: "));
}

#[test]
fn an_account_the_inventory_and_config_do_not_know_is_refused() {
    let fixture = fixture();
    let server = &fixture.server;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    assert_eq!(exit_code(&digicert(server, &db, &["-q", "sync"])), 0);
    let probe = |account: &str| {
        digicert(
            server,
            &db,
            &["probe", "127.0.0.1:1", "--account", account, "-q"],
        )
    };
    let output = probe("nope");
    assert_eq!(exit_code(&output), 2, "{}", text(&output.stderr));
    let refused = text(&output.stderr);
    let listing = digicert(
        server,
        &db,
        &["inventory", "deployments", "--account", "nope"],
    );
    assert_eq!(exit_code(&listing), 2);
    assert_eq!(
        refused,
        text(&listing.stderr),
        "the same message as inventory's"
    );
    assert!(refused.contains("no account `nope`"), "{refused}");
    let output = probe("default");
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
}

#[test]
fn sni_names_on_one_node_are_classified_looked_up_and_kept_under_the_sni_name() {
    let fixture = fixture();
    let server = &fixture.server;
    let (reissued, other) = (name(server, fixture.reissued), name(server, fixture.other));
    let earlier = server.certificates(fixture.reissued).remove(1);
    let current = server.certificate(fixture.other).unwrap();
    let node = Ipv4Addr::new(127, 0, 0, 8);
    let endpoints = TlsEndpoints::start_background(vec![
        TlsEntry::for_certificate(node, &earlier)
            .unwrap()
            .with_server_name(&reissued),
        TlsEntry::for_certificate(node, &current)
            .unwrap()
            .with_server_name(&other),
    ])
    .unwrap();
    let port = endpoints.port();
    let dir = tempfile::tempdir().unwrap();
    let ca_cert = ca_file(dir.path());
    // The README's load balancer node, dialled by its own name, asked for two site names.
    let targets = dir.path().join("targets.txt");
    std::fs::write(
        &targets,
        format!("lb-node.test:{port} sni={reissued}\nlb-node.test:{port} sni={other}\n"),
    )
    .unwrap();
    let resolve = endpoints.resolve("lb-node.test", &[node]);
    let expected = BTreeMap::from([
        (reissued.clone(), "stale".to_owned()),
        (other.clone(), "current".to_owned()),
    ]);
    let by_target = |rows: &[Value]| -> BTreeMap<String, String> {
        rows.iter()
            .map(|row| {
                assert_eq!(row["address"], "127.0.0.8", "{row}");
                assert_eq!(row["port"], port, "{row}");
                (
                    row["target"].as_str().unwrap().to_owned(),
                    row["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    for db in TestDb::all() {
        assert_eq!(exit_code(&digicert(server, &db.path(), &["-q", "sync"])), 0);
        let probe = [
            "probe",
            "--targets",
            targets.to_str().unwrap(),
            "--resolve",
            &resolve,
            "--ca-cert",
            &ca_cert,
            "--format",
            "jsonl",
        ];
        let output = digicert(server, &db.path(), &probe);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        let rows = objects(&output);
        assert_eq!(by_target(&rows), expected, "{}: {rows:#?}", db.kind());
        // The earlier certificate was found among the reissues of the order covering the
        // SNI name, not of orders covering the node's name (none).
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("1 unknown certificate looked up, 1 found"),
            "{stderr}"
        );
        let stale = rows.iter().find(|row| row["target"] == reissued).unwrap();
        assert_eq!(stale["order_id"], fixture.reissued);
        assert_eq!(stale["served_thumbprint"], earlier.thumbprint.as_str());

        let listed = ["inventory", "deployments", "--format", "jsonl"];
        let kept = objects(&digicert(server, &db.path(), &listed));
        assert_eq!(by_target(&kept), expected, "{}: both kept", db.kind());
        assert_eq!(kept.len(), 2, "{}: {kept:#?}", db.kind());
    }
}

#[test]
fn an_endpoint_answering_a_tls_alert_is_handshake_failed_with_its_reason_and_kept() {
    let fixture = fixture();
    let server = &fixture.server;
    let name = name(server, fixture.other);
    let node = Ipv4Addr::new(127, 0, 0, 9);
    let endpoints = TlsEndpoints::start_background(vec![TlsEntry::alert(node)]).unwrap();
    let target = format!("{name}:{}", endpoints.port());
    let resolve = endpoints.resolve(&name, &[node]);
    let reason = "the server sent the TLS alert access_denied";
    for db in TestDb::all() {
        assert_eq!(exit_code(&digicert(server, &db.path(), &["-q", "sync"])), 0);
        let probe = ["probe", &target, "--resolve", &resolve, "--format", "jsonl"];
        let output = digicert(server, &db.path(), &probe);
        assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
        let listed = [
            "inventory",
            "deployments",
            "--state",
            "handshake_failed",
            "--format",
            "jsonl",
        ];
        let kept = objects(&digicert(server, &db.path(), &listed));
        for rows in [objects(&output), kept] {
            assert_eq!(rows.len(), 1, "{}: {rows:#?}", db.kind());
            let row = &rows[0];
            assert_eq!(row["state"], "handshake_failed", "{}: {row}", db.kind());
            assert_eq!(row["reason"], reason);
            assert_eq!(
                (&row["target"], &row["address"]),
                (&Value::from(name.as_str()), &Value::from("127.0.0.9"))
            );
            for key in [
                "verified",
                "served_thumbprint",
                "served_serial_number",
                "order_id",
            ] {
                assert_eq!(row[key], Value::Null, "{key}: {row}");
            }
        }
        assert!(text(&output.stderr).contains("1 handshake_failed"));
    }
}
