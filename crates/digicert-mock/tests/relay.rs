//! The relay between a test's client and server, over real loopback sockets to an echo
//! server: bytes pass both ways; one connection or all are cut (both sides closed); new ones
//! are refused while asked; a delay holds the bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use digicert_mock::Relay;

/// An echo server: each connection's bytes sent back; how many of its connections ended.
fn echo() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let ended = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ended);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let counter = Arc::clone(&counter);
            thread::spawn(move || {
                let mut buffer = [0; 1024];
                while let Ok(read) = stream.read(&mut buffer) {
                    if read == 0 || stream.write_all(&buffer[..read]).is_err() {
                        break;
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
            });
        }
    });
    (addr, ended)
}

/// A client through the relay, reads bounded so a broken relay fails rather than hangs.
fn connect(relay: &Relay) -> TcpStream {
    let stream = TcpStream::connect(relay.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Sends `text` and reads it back.
fn round_trip(stream: &mut TcpStream, text: &str) -> String {
    stream.write_all(text.as_bytes()).unwrap();
    let mut back = vec![0; text.len()];
    stream.read_exact(&mut back).unwrap();
    String::from_utf8(back).unwrap()
}

/// Whether the peer has closed the stream (end of file or reset).
fn closed(stream: &mut TcpStream) -> bool {
    let mut byte = [0; 1];
    match stream.read(&mut byte) {
        Ok(0) => true,
        Err(err) => matches!(
            err.kind(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
        ),
        Ok(_) => false,
    }
}

/// Waits until `count` of the echo server's connections have ended.
fn wait_ended(ended: &AtomicUsize, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while ended.load(Ordering::SeqCst) < count {
        assert!(Instant::now() < deadline, "the server side stayed open");
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn bytes_pass_and_one_cut_connection_ends_on_both_sides() {
    let (server, ended) = echo();
    let relay = Relay::start(server).unwrap();
    let mut first = connect(&relay);
    let mut second = connect(&relay);
    assert_eq!(round_trip(&mut first, "hello"), "hello");
    assert_eq!(round_trip(&mut second, "world"), "world");
    assert_eq!(relay.relayed(), 2);
    assert_eq!(relay.open(), [0, 1]);

    assert!(relay.cut(0));
    assert!(closed(&mut first));
    wait_ended(&ended, 1);
    assert_eq!(round_trip(&mut second, "still here"), "still here");
    assert_eq!(relay.open(), [1]);
    assert!(!relay.cut(0), "already cut");
    assert!(!relay.cut(7), "no such connection");
}

#[test]
fn cut_all_and_refuse_new_until_told_otherwise() {
    let (server, ended) = echo();
    let relay = Relay::start(server).unwrap();
    let mut streams: Vec<TcpStream> = (0..3).map(|_| connect(&relay)).collect();
    for stream in &mut streams {
        assert_eq!(round_trip(stream, "ping"), "ping");
    }
    relay.refuse_new(true);
    assert_eq!(relay.cut_all(), 3);
    for stream in &mut streams {
        assert!(closed(stream));
    }
    wait_ended(&ended, 3);
    let mut refused = connect(&relay);
    let _ = refused.write_all(b"anyone?");
    assert!(closed(&mut refused));
    assert_eq!(relay.relayed(), 3, "a refused connection is not relayed");

    relay.refuse_new(false);
    let mut back = connect(&relay);
    assert_eq!(round_trip(&mut back, "back"), "back");
    assert_eq!(relay.open(), [3]);
}

#[test]
fn a_delay_holds_every_chunk_each_way() {
    let (server, _) = echo();
    let relay = Relay::start(server).unwrap();
    let mut stream = connect(&relay);
    relay.set_delay(Duration::from_secs(2));
    stream.write_all(b"slow").unwrap();
    // Held (far longer than the look takes), then passed on whole, each way.
    assert!(silent(&mut stream), "the bytes came back at once");
    let mut back = [0; 4];
    stream.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"slow");
    relay.set_delay(Duration::ZERO);
    assert_eq!(round_trip(&mut stream, "fast"), "fast");
}

/// Whether nothing arrives on `stream` within a short wait, the connection staying open.
fn silent(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0; 1];
    let silent = matches!(
        stream.read(&mut byte),
        Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
    );
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    silent
}

#[test]
fn a_stall_holds_the_bytes_keeps_the_sockets_open_and_lets_them_go_after() {
    let (server, ended) = echo();
    let relay = Relay::start(server).unwrap();
    let mut open = connect(&relay);
    assert_eq!(round_trip(&mut open, "before"), "before");

    relay.stall(true);
    open.write_all(b"held").unwrap();
    assert!(silent(&mut open), "bytes passed during the stall");
    // A connection made during the stall is accepted, and silent too.
    let mut new = connect(&relay);
    new.write_all(b"new").unwrap();
    assert!(
        silent(&mut new),
        "a new connection was answered during the stall"
    );
    assert_eq!(ended.load(Ordering::SeqCst), 0, "a stall closes nothing");
    assert_eq!(relay.open(), [0, 1]);

    relay.stall(false);
    let mut back = [0; 4];
    open.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"held");
    let mut back = [0; 3];
    new.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"new");
    assert_eq!(round_trip(&mut open, "after"), "after");
}
