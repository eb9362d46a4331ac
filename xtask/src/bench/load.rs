//! `digicert serve` under load: 200 clients on loopback for 30 s, each on a kept-alive
//! connection asking the page (`/`), a search (thumbprints, names and order ids the page
//! links to) and `/metrics` in turn, while the server syncs every 10 s from the mock's
//! whole inventory. Reported: requests and errors, p50, p99 and the slowest answer per
//! route, whether a sync finished during the load, and the server's RSS.

use std::collections::BTreeMap;
use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::inventory::{digicert, peak_mib, start_serve};
use super::{Bins, Check, Mock, Row, Sample, WorkDir};

/// Clients at once.
const CLIENTS: usize = 200;
/// How long they ask.
const LOAD_TIME: Duration = Duration::from_secs(30);
/// Time between the server's syncs, so that some finish during the load.
const INTERVAL: &str = "10s";
/// Target: the server's peak RSS over the whole run (first full sync included), MiB.
const RSS_TARGET: f64 = 150.0;
/// Target: p99 latency over every route, milliseconds.
const P99_TARGET: f64 = 1000.0;
/// The routes asked, by name.
const ROUTES: [&str; 3] = ["/", "/search", "/metrics"];

/// What one client saw: latencies (microseconds) per route, and errors.
#[derive(Debug, Default)]
struct Seen {
    latencies: [Vec<u32>; 3],
    errors: u64,
    /// Each kind of error (`GET / 503`, or what the connection said) and how many.
    error_kinds: BTreeMap<String, u64>,
}

impl Seen {
    /// Counts one error of `kind`.
    fn error(&mut self, kind: String) {
        self.errors += 1;
        *self.error_kinds.entry(kind).or_default() += 1;
    }
}

/// A kept-alive HTTP/1.1 connection.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(addr: &str) -> std::io::Result<Self> {
        let writer = TcpStream::connect(addr)?;
        writer.set_read_timeout(Some(Duration::from_secs(60)))?;
        writer.set_nodelay(true)?;
        Ok(Self {
            reader: BufReader::new(writer.try_clone()?),
            writer,
        })
    }

    /// `GET path`; the status, the body handed to `into`.
    fn get(&mut self, addr: &str, path: &str, into: &mut impl Write) -> std::io::Result<u16> {
        write!(self.writer, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n")?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("status line {line:?}")))?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().map_err(std::io::Error::other)?;
            }
        }
        let copied = std::io::copy(&mut (&mut self.reader).take(length as u64), into)?;
        if copied != length as u64 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(status)
    }
}

/// One `GET` on a fresh connection: the body, or an error unless 200.
fn fetch(addr: &str, path: &str) -> Result<String, Box<dyn Error>> {
    let mut connection = Connection::open(addr)?;
    let mut body = Vec::new();
    let status = connection.get(addr, path, &mut body)?;
    if status != 200 {
        return Err(format!("GET {path}: {status}").into());
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// Every value of `prefix...` up to the next `"` in `text`.
fn values<'t>(text: &'t str, prefix: &str) -> Vec<&'t str> {
    text.split(prefix)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

/// The searches the clients make: thumbprints, names and order ids the page links to.
fn searches(addr: &str) -> Result<Vec<String>, Box<dyn Error>> {
    let overview = fetch(addr, "/?days=90")?;
    let mut searches = Vec::new();
    for order in values(&overview, "href=\"/orders/").into_iter().take(20) {
        let page = fetch(addr, &format!("/orders/{order}"))?;
        searches.extend(
            values(&page, "href=\"/search?q=")
                .into_iter()
                .map(str::to_owned),
        );
        if let Some(id) = order.rsplit('/').next() {
            searches.push(id.to_owned());
        }
    }
    if searches.is_empty() {
        return Err("the page links to no order to search for".into());
    }
    Ok(searches
        .into_iter()
        .map(|query| format!("/search?q={query}"))
        .collect())
}

/// The last successful sync's time in a `/metrics` exposition.
fn last_sync(addr: &str) -> Result<f64, Box<dyn Error>> {
    let metrics = fetch(addr, "/metrics")?;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("digicert_sync_last_success_timestamp_seconds{"))
        .and_then(|rest| rest.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| "no digicert_sync_last_success_timestamp_seconds".into())
}

/// A process's RSS now and its CPU time so far (utime + stime at 100 ticks a second).
fn rss_and_cpu(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(0.0)
        / 1024.0;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is 0, utime 11, stime 12.
    (rss, (ticks(11) + ticks(12)) / 100.0)
}

/// The percentile `p` (0-100) of sorted latencies, milliseconds.
fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1]) / 1000.0
}

/// One client: asks the routes in turn until `stop`, reconnecting after an error.
fn client(addr: &str, index: usize, searches: &[String], stop: &AtomicBool) -> Seen {
    let mut seen = Seen::default();
    let mut connection = None;
    let mut turn = index;
    while !stop.load(Ordering::Relaxed) {
        let route = turn % ROUTES.len();
        let path = match route {
            1 => searches[(turn / ROUTES.len()) % searches.len()].as_str(),
            _ => ROUTES[route],
        };
        turn += 1;
        let started = Instant::now();
        let answered = match connection.as_mut() {
            Some(open) => Ok(open),
            None => Connection::open(addr).map(|open| connection.insert(open)),
        }
        // Bodies are read and dropped as they come: the clients keep no copy.
        .and_then(|open| open.get(addr, path, &mut std::io::sink()));
        match answered {
            Ok(200) => {
                let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
                seen.latencies[route].push(micros);
            }
            Ok(status) => {
                seen.error(format!("{} {status}", ROUTES[route]));
                connection = None;
            }
            Err(err) => {
                seen.error(format!("{}: {:?}", ROUTES[route], err.kind()));
                connection = None;
            }
        }
    }
    seen
}

/// The load section of the table.
pub(super) fn load_rows(
    bins: &Bins,
    work: &WorkDir,
    orders: usize,
    latency_ms: u64,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let mock = Mock::start(&bins.mock, orders, latency_ms)?;
    let db = work.0.join("load.sqlite");
    let serve = digicert(
        bins,
        &mock,
        &db,
        "serve",
        &["serve", "--listen", "127.0.0.1:0", "--interval", INTERVAL],
    );
    let (child, url) = start_serve(&serve)?;
    let pid = child.0.id();
    let addr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_owned();
    eprintln!("bench: serve under load: waiting for the first sync of {orders} orders");
    let deadline = Instant::now() + Duration::from_secs(900);
    while fetch(&addr, "/healthz").is_err() {
        if Instant::now() > deadline {
            return Err("serve: no sync within 15 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let searches = Arc::new(searches(&addr)?);
    let synced_before = last_sync(&addr)?;
    let (_, cpu_before) = rss_and_cpu(pid);
    eprintln!(
        "bench: serve under load: {CLIENTS} clients for {} s, {} searches",
        LOAD_TIME.as_secs(),
        searches.len()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak_rss) = (Arc::clone(&stop), Arc::clone(&peak_rss));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let kib = (rss_and_cpu(pid).0 * 1024.0) as u64;
                peak_rss.fetch_max(kib, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|index| {
            let (addr, searches, stop) = (addr.clone(), Arc::clone(&searches), Arc::clone(&stop));
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || client(&addr, index, &searches, &stop))
        })
        .collect::<Result<_, _>>()?;
    std::thread::sleep(LOAD_TIME);
    stop.store(true, Ordering::Relaxed);
    let mut all = Seen::default();
    for handle in clients {
        let seen = handle.join().map_err(|_| "a client thread panicked")?;
        all.errors += seen.errors;
        for (kind, count) in seen.error_kinds {
            *all.error_kinds.entry(kind).or_default() += count;
        }
        for (into, from) in all.latencies.iter_mut().zip(seen.latencies) {
            into.extend(from);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = sampler.join();
    let (_, cpu_after) = rss_and_cpu(pid);
    let synced_after = last_sync(&addr)?;
    let hwm = peak_mib(pid)?;
    drop(child);

    println!();
    println!(
        "serve under load: {CLIENTS} clients, {elapsed:.1} s, {orders} orders, syncing every {INTERVAL}"
    );
    println!("route      requests   req/s  p50 ms  p99 ms  max ms");
    let mut every = Vec::new();
    for (route, latencies) in ROUTES.iter().zip(all.latencies.iter_mut()) {
        latencies.sort_unstable();
        print_route(route, latencies, elapsed);
        every.extend_from_slice(latencies);
    }
    every.sort_unstable();
    print_route("all", &every, elapsed);
    let load_rss = peak_rss.load(Ordering::Relaxed) as f64 / 1024.0;
    println!(
        "errors {}; a sync finished during the load: {} (last success {:.0} s after the one before); \
         RSS peak during the load {load_rss:.1} MiB, over the whole run (first full sync included) {hwm:.1} MiB",
        all.errors,
        synced_after > synced_before,
        synced_after - synced_before,
    );
    for (kind, count) in &all.error_kinds {
        println!("  error {kind}: {count}");
    }
    let p99 = percentile(&every, 99.0);
    let row = Row::measured(
        "M serve x200, 30 s".to_owned(),
        Some(Sample {
            seconds: elapsed,
            cpu_seconds: cpu_after - cpu_before,
            peak_kib: (hwm * 1024.0) as u64,
        }),
    )
    .check(Check::at_most("errors", all.errors as f64, 0.0))
    .check(Check::at_least(
        "syncs done in load",
        f64::from(u8::from(synced_after > synced_before)),
        1.0,
    ))
    .check(Check {
        unit: " ms",
        ..Check::at_most("p99 all routes", p99, P99_TARGET)
    })
    .check(Check {
        unit: " MiB",
        ..Check::at_most("serve peak RSS", hwm, RSS_TARGET)
    });
    Ok(vec![
        Row::section(&format!("serve under load, {orders} orders")),
        row,
    ])
}

fn print_route(route: &str, sorted: &[u32], elapsed: f64) {
    println!(
        "{route:<10} {:>8} {:>7.0} {:>7.1} {:>7.1} {:>7.1}",
        sorted.len(),
        sorted.len() as f64 / elapsed,
        percentile(sorted, 50.0),
        percentile(sorted, 99.0),
        sorted
            .last()
            .map_or(f64::NAN, |max| f64::from(*max) / 1000.0),
    );
}
