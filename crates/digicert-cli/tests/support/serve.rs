//! `digicert serve` as a child process for tests: started on a free loopback port against a
//! mock, its log kept, its answers read with a plain HTTP/1.1 GET.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use digicert_mock::MockServer;

use super::command_at;

/// How long a test waits for `serve` to reach a state before it fails.
const PATIENCE: Duration = Duration::from_secs(90);

/// A plain HTTP/1.1 GET: the status code and the body. An answer that does not come within
/// 20 seconds fails the test (a scrape must not hang).
pub fn get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .unwrap_or_else(|err| panic!("GET {path}: no answer ({err})"));
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The sum of the samples of an exposition whose line starts with `prefix`.
pub fn sum(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with(prefix))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

/// A `digicert serve` process, stopped when dropped.
pub struct Serve {
    child: std::process::Child,
    /// Where it listens, `127.0.0.1:PORT`.
    pub addr: String,
    /// Everything it wrote on stderr so far.
    log: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Serve {
    /// Starts `digicert serve` on a free loopback port against `server`, on the inventory
    /// `db` (a file, or a database URL).
    pub fn start(server: &MockServer, db: &str, interval: &str) -> Self {
        let mut child = command_at(server.base_url())
            .args(["--db", db, "-v"])
            .args(["serve", "--listen", "127.0.0.1:0", "--interval", interval])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        // The sync thread may log before the listener says where it is (with `-v`).
        let mut first = String::new();
        while !first.contains("serving http://") {
            assert_ne!(stderr.read_line(&mut first).unwrap(), 0, "{first}");
        }
        let addr = first
            .rsplit("serving http://")
            .next()
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned();
        // Keep reading the log, so the process never blocks on a full pipe.
        let log = Arc::new(Mutex::new(first));
        let lines = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            for line in stderr.lines() {
                let line = line.unwrap_or_default();
                let mut log = lines.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self {
            child,
            addr,
            log,
            reader: Some(reader),
        }
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Stops the process; its whole log.
    pub fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        // The reader ends with the pipe.
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.log()
    }

    /// Polls `probe` until it gives a value, and fails after a while saying `what` it
    /// waited for (with the log).
    pub fn wait_until<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = probe() {
                return value;
            }
            assert!(Instant::now() < deadline, "no {what}; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `GET path` answers `status`; the body.
    pub fn wait_for(&self, path: &str, status: u16) -> String {
        self.wait_until(&format!("{status} from {path}"), || {
            let (answered, body) = get(&self.addr, path);
            (answered == status).then_some(body)
        })
    }

    /// Waits until a sync has succeeded within two intervals.
    pub fn wait_healthy(&self) {
        self.wait_for("/healthz", 200);
    }

    /// Waits until a scrape's samples starting with `prefix` add up to `total`; the scrape.
    pub fn wait_for_sum(&self, prefix: &str, total: f64) -> String {
        self.wait_until(&format!("{prefix} adding up to {total}"), || {
            let (status, metrics) = get(&self.addr, "/metrics");
            (status == 200 && sum(&metrics, prefix) == total).then_some(metrics)
        })
    }

    /// Waits until the log holds `text`.
    pub fn wait_for_log(&self, text: &str) {
        self.wait_until(&format!("`{text}` in the log"), || {
            self.log().contains(text).then_some(())
        });
    }

    /// The certificate samples of one scrape, sorted.
    pub fn certificates(&self) -> Vec<String> {
        let (status, metrics) = get(&self.addr, "/metrics");
        assert_eq!(status, 200);
        let mut samples: Vec<String> = metrics
            .lines()
            .filter(|line| line.starts_with("digicert_certificate_not_after_timestamp_seconds{"))
            .map(str::to_owned)
            .collect();
        samples.sort();
        samples
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
