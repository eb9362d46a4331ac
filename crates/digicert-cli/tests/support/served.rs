//! A `digicert serve` process for the page, web config and browser tests, and a plain
//! HTTP/1.1 client for it (one request per connection, over TLS when given a client
//! configuration).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::command_at;

/// An answer: status, headers (names lower case) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one request (`request` is the whole text) on `stream` and reads the answer.
pub fn exchange(mut stream: impl Read + Write, request: &str) -> std::io::Result<Answer> {
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    // A TLS peer may close without close_notify: what was read counts.
    if let Err(err) = stream.read_to_end(&mut raw) {
        if raw.is_empty() {
            return Err(err);
        }
    }
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {text:?}")))?;
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// A request's text: `method path`, `extra` header lines, `Connection: close`.
pub fn request(method: &str, addr: &str, path: &str, extra: &[String]) -> String {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for line in extra {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text
}

/// `GET path` over plain HTTP.
pub fn get(addr: &str, path: &str) -> Answer {
    send(addr, "GET", path, &[])
}

/// Any request over plain HTTP.
pub fn send(addr: &str, method: &str, path: &str, extra: &[String]) -> Answer {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    exchange(stream, &request(method, addr, path, extra)).unwrap()
}

/// `GET path` over plain HTTP from a socket bound to `source` (any of 127/8 reaches
/// 127.0.0.1 on Linux).
pub fn get_from(source: std::net::IpAddr, addr: &str, path: &str) -> std::io::Result<Answer> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let target: std::net::SocketAddr = addr.parse().map_err(std::io::Error::other)?;
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((source, 0).into())?;
        socket.connect(target).await?.into_std()
    })?;
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    exchange(stream, &request("GET", addr, path, &[]))
}

/// A running `digicert serve`, stopped when dropped.
pub struct Served {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    log: Arc<Mutex<String>>,
}

impl Served {
    /// `digicert serve` against the mock at `base_url`, on the inventory `db`, syncing every
    /// `interval`, with `extra` options of `serve`.
    pub fn start(base_url: &str, db: &str, interval: &str, extra: &[&str]) -> Self {
        let mut child = command_at(base_url)
            .args(["--db", db])
            .args(["serve", "--listen", "127.0.0.1:0", "--interval", interval])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut log = String::new();
        let addr = loop {
            let mut line = String::new();
            assert_ne!(
                stderr.read_line(&mut line).unwrap(),
                0,
                "serve ended: {log}"
            );
            log.push_str(&line);
            if let Some((_, rest)) = line.split_once("://") {
                if line.starts_with("serving ") {
                    break rest.split('/').next().unwrap().to_owned();
                }
            }
        };
        let log = Arc::new(Mutex::new(log));
        let reader = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in stderr.lines() {
                let mut log = reader.lock().unwrap();
                log.push_str(&line.unwrap_or_default());
                log.push('\n');
            }
        });
        Self { child, addr, log }
    }

    /// Waits until `healthy` says so (at most a minute).
    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done() {
            assert!(Instant::now() < deadline, "{what}: not within a minute");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Everything the process logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
