//! A loopback server that answers every request with the same bytes, written as given: for
//! answers the fake CertCentral never gives (any status, any headers, any body, a redirect,
//! a chunked body), and to see whether anything was sent at all.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// Largest request head read; a longer one is answered all the same.
const MAX_HEAD: usize = 64 * 1024;
/// How long a connection may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A server on 127.0.0.1 that answers every request with one fixed raw HTTP answer and
/// records each request line. It handles one connection at a time and closes it after the
/// answer; dropping it stops the server.
///
/// ```no_run
/// use digicert_mock::RawServer;
///
/// let server = RawServer::ok("text/html", b"<html>Sign in</html>")?;
/// // ... GET `server.base_url()` + "/order/certificate/1" ...
/// assert!(server.requests().len() <= 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct RawServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RawServer {
    /// Answers every request with `answer`, the status line, headers and body as they
    /// go on the wire.
    pub fn start(answer: Vec<u8>) -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, stop) = (Arc::clone(&requests), Arc::clone(&stop));
            thread::Builder::new()
                .name(format!("digicert-mock-raw-{}", addr.port()))
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        if let Ok(stream) = stream {
                            serve(stream, &answer, &requests);
                        }
                    }
                })?
        };
        Ok(Self {
            addr,
            requests,
            stop,
            thread: Some(thread),
        })
    }

    /// Answers every request `200 OK` with `body` and its content type.
    pub fn ok(content_type: &str, body: &[u8]) -> io::Result<Self> {
        Self::start(Self::answer(
            "200 OK",
            &[("Content-Type", content_type)],
            body,
        ))
    }

    /// A whole HTTP/1.1 answer: status line, headers, `Content-Length`, `Connection: close`, body.
    pub fn answer(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {status}\r\n");
        for (name, value) in headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let mut out = out.into_bytes();
        out.extend_from_slice(body);
        out
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A CertCentral-style base URL on this server: `http://127.0.0.1:PORT/services/v2`.
    pub fn base_url(&self) -> String {
        format!("http://{}/services/v2", self.addr)
    }

    /// The request line of each request received (`GET /services/v2/... HTTP/1.1`), in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads one request head, records its first line, writes the answer and closes.
fn serve(mut stream: TcpStream, answer: &[u8], requests: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(read) => head.extend_from_slice(buf.get(..read).unwrap_or_default()),
        }
    }
    if head.is_empty() {
        return; // a wake-up connection, or a client that sent nothing
    }
    let line = String::from_utf8_lossy(&head)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(line);
    let _ = stream.write_all(answer);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Let the client read to the end before the socket goes (a reset could lose the tail).
    let _ = stream.read(&mut buf);
}
