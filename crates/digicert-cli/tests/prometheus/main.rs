//! The shipped Prometheus and Grafana files against a real Prometheus (Debian's
//! `prometheus`, found on PATH): it scrapes a running `digicert serve` over loopback with
//! `contrib/prometheus-scrape.yml` and evaluates `contrib/prometheus-alerts.yml`; then every
//! query of `contrib/grafana/digicert.json` and every alert's expression runs through its
//! HTTP API without error and answers the series worked out by hand from a scrape
//! (`expected.rs`). One test and one Prometheus: CI runs it once.
//!
//! The deployment probe's families: `serve` probes real TLS endpoints on loopback
//! (`endpoints.rs`: current, stale, unknown, expired, wrong-name and soon-expiring
//! certificates, and a port where nothing listens), so every probe alert and panel answers
//! series, each with the address of the node it is about.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod dashboard;
mod endpoints;
mod expected;
mod exposition;
mod server;
#[path = "../support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use digicert_mock::{DemoState, MockConfig, MockServer};
use endpoints::Probed;
use expected::{Expected, Scrape};
use exposition::Exposition;
use server::Prometheus;
use support::KEY;

/// How often `serve` syncs: often, so that a refusal injected during the test is counted
/// while Prometheus watches.
const SYNC_INTERVAL: &str = "2s";

#[test]
fn prometheus_scrapes_serve_and_every_panel_and_alert_answers() {
    let Some(binary) = server::binary() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let us = mock(1);
    let eu = mock(2);
    // eu's first request is refused: a 429 counted before Prometheus starts.
    eu.faults().rate_limit_next(1);
    let probed = Probed::start(&us);
    let serve = Serve::start(dir.path(), &[("us", &us), ("eu", &eu)], &probed);
    let prometheus = Prometheus::start(&binary, dir.path(), &[serve.addr.as_str()]);
    let baseline = settle(&prometheus, &serve, &eu, &probed);

    let exposition = Exposition::parse(&serve.metrics());
    let scrape = Scrape {
        exposition: &exposition,
        baseline: &baseline,
        now: now(),
        account: None,
    };
    let mut failures = Vec::new();
    let mut expressions = dashboard::check(&prometheus, scrape, &mut failures);
    expressions.extend(check_alerts(&prometheus, scrape, &probed, &mut failures));
    check_names(&expressions, &exposition, &mut failures);
    assert!(
        failures.is_empty(),
        "{}\n\nserve's log:\n{}\nPrometheus' log:\n{}",
        failures.join("\n"),
        serve.log(),
        prometheus.log()
    );
}

/// Waits until Prometheus has seen what the checks need, and returns the baseline scrape:
/// eu refused once before Prometheus started (a counter that never grows while it watches),
/// then once more (a new counter: the baseline is taken once Prometheus has it), then once
/// again (that counter grows); the probe's results for every endpoint; every request counter
/// scraped twice (so `rate` answers for each); every alert rule evaluated.
fn settle(prometheus: &Prometheus, serve: &Serve, eu: &MockServer, probed: &Probed) -> Exposition {
    let refused = r#"digicert_api_requests_total{account="eu",code="429"}"#;
    wait_until(prometheus, "the first 429 scraped", || {
        prometheus.answers(refused)
    });
    eu.faults().rate_limit_next(1);
    wait_until(prometheus, "a second counter of 429s scraped", || {
        prometheus.answers(&format!("count({refused}) >= 2"))
    });
    let baseline = Exposition::parse(&serve.metrics());
    eu.faults().rate_limit_next(1);
    wait_until(prometheus, "the second counter grown", || {
        prometheus.answers(&format!("{refused} >= 2"))
    });
    let targets = probed.count();
    wait_until(prometheus, "every probe target scraped", || {
        prometheus.answers(&format!("count(digicert_probe_success) >= {targets}"))
    });
    wait_until(prometheus, "every request counter scraped twice", || {
        prometheus.answers(
            "count(digicert_api_requests_total) == count(rate(digicert_api_requests_total[1m]))",
        )
    });
    wait_until(prometheus, "every alert rule evaluated", || {
        alert_rules(prometheus)
            .iter()
            .all(|rule| rule["health"] != "unknown")
    });
    baseline
}

/// Every alert rule Prometheus loaded, as its API describes them.
fn alert_rules(prometheus: &Prometheus) -> Vec<serde_json::Value> {
    let data = prometheus.api("rules", &[("type", "alert")]).unwrap();
    let groups = data["groups"].as_array().cloned().unwrap_or_default();
    groups
        .iter()
        .flat_map(|group| group["rules"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Each alert rule is healthy and its expression answers the series expected of it;
/// every alert expected is loaded. Returns the expressions.
fn check_alerts(
    prometheus: &Prometheus,
    scrape: Scrape,
    probed: &Probed,
    failures: &mut Vec<String>,
) -> Vec<String> {
    let mut expected = expected::alerts(&scrape);
    // The dataset, the injected refusals and the probed endpoints make these fire; if they
    // did not, the comparison would prove less.
    let firing = [
        "DigicertCertificateExpiringSoon",
        "DigicertCertificateExpired",
        "DigicertApiErrors",
        "DigicertProbeFailing",
        "DigicertProbeStale",
        "DigicertProbeUnknown",
        "DigicertServedCertificateExpiringSoon",
        "DigicertServedCertificateExpired",
    ];
    for name in firing {
        assert!(!expected[name].is_empty(), "{name}: nothing to fire on");
    }
    // Each probe alert is about the node it should be about.
    let about = [
        ("DigicertProbeStale", probed.node(DemoState::Stale)),
        ("DigicertProbeUnknown", probed.node(DemoState::Unknown)),
        (
            "DigicertServedCertificateExpired",
            probed.node(DemoState::Expired),
        ),
        ("DigicertServedCertificateExpiringSoon", probed.soon.clone()),
        (
            "DigicertProbeFailing",
            endpoints::UNREACHABLE.split(':').next().unwrap().to_owned(),
        ),
    ];
    for (name, address) in about {
        assert!(
            expected[name].has("address", &address),
            "{name}: not about {address}: {:?}",
            expected[name]
        );
    }
    let mut expressions = Vec::new();
    for rule in alert_rules(prometheus) {
        let name = rule["name"].as_str().unwrap_or_default();
        let query = rule["query"].as_str().unwrap_or_default();
        expressions.push(query.to_owned());
        if rule["health"] != "ok" {
            failures.push(format!(
                "alert {name}: {} {}",
                rule["health"], rule["lastError"]
            ));
        }
        compare(
            prometheus,
            &format!("alert {name}: {query}"),
            query,
            scrape.now,
            expected.remove(name),
            failures,
        );
    }
    for name in expected.keys() {
        failures.push(format!("alert {name} is not in the rules"));
    }
    expressions
}

/// Runs `expr` at `now` and compares its answer with `expected` (`None`: nothing is
/// expected of it, which is a failure too).
pub fn compare(
    prometheus: &Prometheus,
    what: &str,
    expr: &str,
    now: f64,
    expected: Option<Expected>,
    failures: &mut Vec<String>,
) {
    let Some(expected) = expected else {
        failures.push(format!("{what}: nothing is expected of it in expected.rs"));
        return;
    };
    let checked = prometheus
        .query(expr, now)
        .and_then(|answer| expected.check(&answer));
    if let Err(err) = checked {
        failures.push(format!("{what}: {err}"));
    }
}

/// Every metric name the expressions use is one that was scraped: an expression that
/// answers nothing because of a misspelt name fails here.
fn check_names(expressions: &[String], exposition: &Exposition, failures: &mut Vec<String>) {
    for expr in expressions {
        for (at, _) in expr.match_indices("digicert_") {
            let name: String = expr[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !exposition.names.contains(&name) {
                failures.push(format!("{expr}: nothing scraped exports {name}"));
            }
        }
    }
}

/// Waits up to two minutes for `done`; fails with Prometheus' log after that.
fn wait_until(prometheus: &Prometheus, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "not seen within two minutes: {what}\n{}",
            prometheus.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Now in Unix seconds, to the millisecond (Prometheus' precision).
pub fn now() -> f64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    since.as_millis() as f64 / 1000.0
}

/// A fake CertCentral with 2,000 orders from `seed`.
fn mock(seed: u64) -> MockServer {
    let config = MockConfig::default()
        .with_api_key(KEY)
        .with_orders(2_000)
        .with_seed(seed);
    MockServer::start_background(config).unwrap()
}

/// A `digicert serve` process on a free loopback port, stopped when dropped.
struct Serve {
    child: Child,
    addr: String,
    log: PathBuf,
}

impl Serve {
    /// Starts `serve` in `dir` with one profile per (name, fake CertCentral), syncing and
    /// probing `probed` every [`SYNC_INTERVAL`].
    fn start(dir: &Path, accounts: &[(&str, &MockServer)], probed: &Probed) -> Self {
        let profiles: String = accounts
            .iter()
            .map(|(name, server)| {
                let url = server.base_url();
                format!("[profiles.{name}]\nbase_url = \"{url}\"\napi_key_env = \"TEST_KEY\"\n")
            })
            .collect();
        std::fs::create_dir_all(dir.join("digicert")).unwrap();
        std::fs::write(dir.join("digicert/config.toml"), profiles).unwrap();
        let mut command = support::command();
        command
            .env("HOME", dir)
            .env("XDG_CONFIG_HOME", dir)
            .env_remove("DIGICERT_PROFILE")
            .env("TEST_KEY", KEY)
            .arg("--no-rate-limit")
            .arg("--db")
            .arg(dir.join("inventory.sqlite"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--interval",
                SYNC_INTERVAL,
            ]);
        std::fs::write(dir.join("targets.txt"), &probed.targets).unwrap();
        command
            .args(["--probe-interval", SYNC_INTERVAL, "--targets"])
            .arg(dir.join("targets.txt"))
            .arg("--ca-cert")
            .arg(endpoints::ca_file(dir));
        for resolve in &probed.resolves {
            command.args(["--resolve", resolve]);
        }
        let log = dir.join("serve.log");
        let mut serve = Self {
            child: server::spawn(&mut command, &log),
            addr: String::new(),
            log,
        };
        serve.addr = serve.listening();
        serve
    }

    /// The address it says it serves on, once it says so.
    fn listening(&mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = self.log();
            if let Some((_, rest)) = log.split_once("serving http://") {
                return rest.split('/').next().unwrap_or_default().to_owned();
            }
            let exited = self.child.try_wait().unwrap();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "serve did not start: {log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Its log so far.
    fn log(&self) -> String {
        server::read(&self.log)
    }

    /// One scrape of `/metrics`.
    fn metrics(&self) -> String {
        let url = format!("http://{}/metrics", self.addr);
        let mut response = server::agent().get(&url).call().unwrap();
        assert_eq!(response.status(), 200);
        response.body_mut().read_to_string().unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
