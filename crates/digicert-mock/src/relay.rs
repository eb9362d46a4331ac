//! A loopback TCP relay that a test puts between a client and a server (a database) and
//! controls: cut every connection, refuse new ones, cut one, delay the bytes, stall.
//!
//! The network faults a database client must survive, made on demand and deterministic:
//! [`Relay::cut_all`] is a server restart or a failover as the client sees it, and with
//! [`Relay::refuse_new`] a server that stays down; [`Relay::cut`] loses one connection
//! (the one holding a lock, say) while the others live on; [`Relay::set_delay`] makes the
//! network slow; [`Relay::stall`] makes it silent (a database that hangs, or a network cut
//! that sends no reset: every socket stays open and nothing answers). A connection cut is closed on both sides, so the server ends its session
//! too (and with it the session's locks).
//!
//! ```no_run
//! use digicert_mock::Relay;
//!
//! # fn run(database: std::net::SocketAddr) -> std::io::Result<()> {
//! let relay = Relay::start(database)?;
//! // ... point the client at relay.addr() ...
//! relay.refuse_new(true);
//! relay.cut_all(); // the database is gone for the client
//! relay.refuse_new(false); // and back
//! # Ok(()) }
//! ```

use std::io;
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::runner::{Running, spawn_thread};

/// Bytes read at once from either side.
const CHUNK: usize = 16 * 1024;

/// A relay on 127.0.0.1 (a port of its own) to a target, on a thread of its own; every
/// connection is closed when it is dropped.
#[derive(Debug)]
pub struct Relay {
    addr: SocketAddr,
    control: Arc<Control>,
    /// Stops the relay (and closes every connection) when dropped.
    _running: Running,
}

/// What the test switches, shared with the relay's tasks.
#[derive(Debug)]
struct Control {
    state: Mutex<State>,
    /// Whether bytes are held (and new connections wait) rather than passed on.
    stalled: watch::Sender<bool>,
}

impl Default for Control {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            stalled: watch::Sender::new(false),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    refusing: bool,
    delay: Duration,
    /// Each connection relayed so far, by number from 0: the switch that cuts it.
    connections: Vec<watch::Sender<bool>>,
}

impl Control {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits while the relay is stalled.
    async fn unstalled(&self) {
        let mut stalled = self.stalled.subscribe();
        let _ = stalled.wait_for(|stalled| !*stalled).await;
    }
}

impl Relay {
    /// Starts relaying connections to `target`.
    pub fn start(target: SocketAddr) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let control = Arc::new(Control::default());
        let (mut running, stopping) = Running::new();
        let shared = Arc::clone(&control);
        let runner = spawn_thread(
            format!("relay-{}", addr.port()),
            move || TcpListener::from_std(listener),
            move |listener| accept(listener, target, shared, stopping),
        )?;
        running.started(runner);
        Ok(Self {
            addr,
            control,
            _running: running,
        })
    }

    /// Starts a relay to the server a URL names (`scheme://[user@]host:port/...`, as a
    /// database URL is written), and the same URL through the relay.
    ///
    /// ```no_run
    /// # fn run() -> std::io::Result<()> {
    /// let (relay, url) = digicert_mock::Relay::in_front_of("postgres://me@127.0.0.1:5432/db")?;
    /// assert_eq!(url, format!("postgres://me@{}/db", relay.addr()));
    /// # Ok(()) }
    /// ```
    pub fn in_front_of(url: &str) -> io::Result<(Self, String)> {
        let invalid =
            || io::Error::new(io::ErrorKind::InvalidInput, "not a scheme://host:port URL");
        let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
        let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        let (user, server) = match authority.rsplit_once('@') {
            Some((user, server)) => (format!("{user}@"), server),
            None => (String::new(), authority),
        };
        let target = server.to_socket_addrs()?.next().ok_or_else(invalid)?;
        let relay = Self::start(target)?;
        let through = format!("{scheme}://{user}{}{tail}", relay.addr());
        Ok((relay, through))
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts every open connection; how many there were.
    pub fn cut_all(&self) -> usize {
        let state = self.control.lock();
        state
            .connections
            .iter()
            .filter(|cut| cut.send(true).is_ok())
            .count()
    }

    /// Cuts connection `number` (the first one relayed is 0); false if it had ended already
    /// or there is no such connection.
    pub fn cut(&self, number: usize) -> bool {
        let state = self.control.lock();
        state
            .connections
            .get(number)
            .is_some_and(|cut| cut.send(true).is_ok())
    }

    /// Refuses new connections (each is accepted and closed at once, before a byte reaches
    /// the target), or relays them again. Open connections are left as they are.
    pub fn refuse_new(&self, refuse: bool) {
        self.control.lock().refusing = refuse;
    }

    /// Holds every chunk of bytes this long before passing it on, both ways (zero: none).
    pub fn set_delay(&self, delay: Duration) {
        self.control.lock().delay = delay;
    }

    /// Stalls the relay, or lets it go again: while stalled, every byte read from either side
    /// is held (not passed on, not refused) and a new connection is accepted but not yet
    /// connected to the target; every socket stays open. Let go, what was held passes on.
    pub fn stall(&self, stall: bool) {
        self.control.stalled.send_replace(stall);
    }

    /// How many connections have been relayed so far (refused ones not counted).
    pub fn relayed(&self) -> usize {
        self.control.lock().connections.len()
    }

    /// The numbers of the connections open now.
    pub fn open(&self) -> Vec<usize> {
        let state = self.control.lock();
        (0..state.connections.len())
            .filter(|&number| !state.connections[number].is_closed())
            .collect()
    }
}

/// Accepts connections until told to stop; each relayed on a task of its own.
async fn accept(
    listener: TcpListener,
    target: SocketAddr,
    control: Arc<Control>,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        let client = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopping.wait_for(|stop| *stop) => return,
        };
        let Ok((client, _)) = client else { continue };
        let cut = {
            let mut state = control.lock();
            if state.refusing {
                continue; // dropping `client` closes it
            }
            let (cut, cut_off) = watch::channel(false);
            state.connections.push(cut);
            cut_off
        };
        tokio::spawn(relay(client, target, Arc::clone(&control), cut));
    }
}

/// Relays one connection until both sides have ended, or until it is cut. Its cut switch's
/// receiver lives as long as the connection does (so [`Relay::open`] can tell).
async fn relay(
    client: TcpStream,
    target: SocketAddr,
    control: Arc<Control>,
    mut cut: watch::Receiver<bool>,
) {
    let server = async {
        control.unstalled().await;
        TcpStream::connect(target).await
    };
    let server = tokio::select! {
        server = server => server,
        _ = cut.wait_for(|cut| *cut) => return,
    };
    let Ok(server) = server else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let both = async {
        tokio::join!(
            pump(client_read, server_write, &control),
            pump(server_read, client_write, &control)
        )
    };
    tokio::select! {
        _ = both => {}
        _ = cut.wait_for(|cut| *cut) => {}
    }
}

/// Copies one direction, each chunk after the delay in force and once the relay is not
/// stalled, until the reading side ends.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, control: &Control) {
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let delay = control.lock().delay;
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        control.unstalled().await;
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
