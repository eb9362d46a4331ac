//! A real Prometheus (the `prometheus` binary on PATH) on loopback: its configuration made
//! from the shipped `contrib/` files, the process, and the HTTP API calls the test makes.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exposition::Labels;

/// The labels Prometheus adds to (or keeps from) every scraped series, left out when
/// answers are compared.
const ADDED: [&str; 3] = ["job", "instance", "__name__"];

/// The `prometheus` binary on PATH. Without it: `None` with a notice on stderr, or a
/// failure when `CI=true` (CI installs it: `.ci/prometheus.sh`).
pub fn binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("prometheus"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "no `prometheus` on PATH (install Debian's `prometheus` package)"
        );
        eprintln!("skipped: no `prometheus` on PATH (install Debian's `prometheus` package)");
    }
    found
}

/// The shipped file `contrib/<name>`.
pub fn contrib(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contrib")
        .join(name)
}

/// A Prometheus process, stopped when dropped.
pub struct Prometheus {
    child: Child,
    base: String,
    log: PathBuf,
    agent: ureq::Agent,
}

impl Prometheus {
    /// Starts Prometheus in `dir` with the shipped scrape config pointed at `targets` (every
    /// two seconds: a scrape that times out would mark every series stale, so not too
    /// tight on a busy machine) and the shipped alert rules (evaluated every second); waits
    /// until it is ready.
    pub fn start(binary: &Path, dir: &Path, targets: &[&str]) -> Self {
        let config = dir.join("prometheus.yml");
        std::fs::write(&config, configuration(targets)).unwrap();
        let log = dir.join("prometheus.log");
        // A free port, found by binding it: another process may take it before Prometheus
        // does, so a start that fails is tried again on another.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .unwrap()
                .port();
            let mut command = Command::new(binary);
            command
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"));
            let child = spawn(&mut command, &log);
            let mut prometheus = Self {
                child,
                base: format!("http://127.0.0.1:{port}"),
                log: log.clone(),
                agent: agent(),
            };
            if prometheus.ready() {
                return prometheus;
            }
        }
        panic!("Prometheus did not start: {}", read(&log));
    }

    /// Waits until `/-/ready` answers 200: true; false if the process ended first.
    fn ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            let url = format!("{}/-/ready", self.base);
            if self.agent.get(&url).call().is_ok_and(|r| r.status() == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("Prometheus was not ready within a minute: {}", self.log());
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        read(&self.log)
    }

    /// `GET /api/v1/<path>` with `params`: the `data` of a success, or Prometheus' error.
    pub fn api(&self, path: &str, params: &[(&str, &str)]) -> Result<Value, String> {
        let mut request = self.agent.get(format!("{}/api/v1/{path}", self.base));
        for (key, value) in params {
            request = request.query(*key, *value);
        }
        let mut response = request.call().map_err(|err| err.to_string())?;
        let text = response.body_mut().read_to_string();
        let body: Value =
            serde_json::from_str(&text.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
        match body["status"].as_str() {
            Some("success") => Ok(body["data"].clone()),
            _ => Err(format!("{}: {}", body["errorType"], body["error"])),
        }
    }

    /// An instant query at `time`: each series' labels (less those Prometheus adds) and
    /// value.
    pub fn query(&self, expr: &str, time: f64) -> Result<BTreeMap<Labels, f64>, String> {
        let data = self.api("query", &[("query", expr), ("time", &format!("{time:.3}"))])?;
        if data["resultType"] != "vector" {
            return Err(format!("a {} answer, not a vector", data["resultType"]));
        }
        let mut answer = BTreeMap::new();
        for series in data["result"].as_array().into_iter().flatten() {
            let labels: Labels = series["metric"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(key, _)| !ADDED.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().into()))
                .collect();
            let value = series["value"][1].as_str().and_then(|v| v.parse().ok());
            let value = value.ok_or_else(|| format!("no value in {series}"))?;
            if answer.insert(labels.clone(), value).is_some() {
                return Err(format!("{labels:?} twice"));
            }
        }
        Ok(answer)
    }

    /// Whether `expr` answers any series now.
    pub fn answers(&self, expr: &str) -> bool {
        let now = crate::now();
        self.query(expr, now).is_ok_and(|answer| !answer.is_empty())
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client for loopback: no proxy from the environment, an error status answered
/// as a response (Prometheus explains a bad query in its body).
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// prometheus.yml: the shipped scrape config scraping `targets` every two seconds, the
/// shipped alert rules evaluated every second.
fn configuration(targets: &[&str]) -> String {
    let shipped = read(&contrib("prometheus-scrape.yml"));
    let mut scrape = shipped.clone();
    let targets = targets.join("\", \"");
    for (from, to) in [
        ("127.0.0.1:9464", targets.as_str()),
        ("scrape_interval: 1m", "scrape_interval: 2s"),
        ("scrape_timeout: 10s", "scrape_timeout: 2s"),
    ] {
        assert!(scrape.contains(from), "{from} not in {shipped}");
        scrape = scrape.replace(from, to);
    }
    let rules = contrib("prometheus-alerts.yml");
    format!(
        "global:\n  evaluation_interval: 1s\nrule_files:\n  - {}\n{scrape}",
        rules.display()
    )
}

/// Starts `command` with its output on stderr written to `log`.
pub fn spawn(command: &mut Command, log: &Path) -> Child {
    command
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

/// A file's text (empty if it cannot be read: only for messages).
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
