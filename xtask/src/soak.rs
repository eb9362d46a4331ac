//! `cargo xtask soak`: `digicert serve` for ten minutes at `--interval 5s` against a mock
//! whose orders change every two seconds, on a PostgreSQL database that a relay cuts every
//! minute (every connection closed, new ones refused for a few seconds). It measures how long
//! `serve` takes after each cut to sync again and answer 200, its RSS and open file
//! descriptors in the first minute against the last, and checks at the end that every change
//! the mock made is in the inventory, nothing lost, nothing doubled.
//!
//! A measurement, not a test (it takes minutes): a target missed is a FAIL line and the task
//! exits 1. `serve` is the debug build the tests use (`cargo build -p digicert-cli`).

use std::collections::HashMap;
use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use digicert_inventory::{AnyStore, Inventory, normalize_hex};
use digicert_mock::{MockConfig, MockServer, Relay};
use digicert_model::OrderStatus;

use crate::bench::inventory::memory_mib;
use crate::bench::postgres::Postgres;
use crate::bench::{load_average, target_dir, workspace_root};

/// Options of `cargo xtask soak`.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// How long `serve` runs, in minutes (the first and the last are compared).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(2..))]
    minutes: u64,
    /// `serve --interval`, in seconds.
    #[arg(long, default_value_t = 5)]
    interval: u64,
    /// Seconds between cuts of the database.
    #[arg(long, default_value_t = 60)]
    cut_every: u64,
    /// Seconds the database refuses new connections after each cut.
    #[arg(long, default_value_t = 3)]
    down: u64,
    /// Orders the mock starts with.
    #[arg(long, default_value_t = 5_000)]
    orders: usize,
}

/// The API key the mock is started with.
const API_KEY: &str = "soak-api-key";
/// Time between two changes the mock makes.
const CHANGE_EVERY: Duration = Duration::from_secs(2);
/// Time between two samples of RSS and open file descriptors.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// The loop's tick: scrapes, and checks for a recovery.
const TICK: Duration = Duration::from_millis(250);
/// Target: RSS in the last minute at most this many times the first minute's.
const RSS_TARGET: f64 = 1.2;
/// Target: open file descriptors in the last minute at most this many more than in the
/// first (a sync's second connection comes and goes).
const FD_TARGET: usize = 2;
/// The sample line of the default account's last successful sync.
const LAST_SUCCESS: &str = "digicert_sync_last_success_timestamp_seconds{account=\"default\"} ";

/// Runs the soak and prints its figures; whether every target was met.
pub(crate) fn run(options: &Options) -> Result<bool, Box<dyn Error>> {
    let digicert = build()?;
    let database = Postgres::start()?;
    let mock = MockServer::start_background(
        MockConfig::default()
            .with_api_key(API_KEY)
            .with_orders(options.orders),
    )?;
    let (relay, through) = Relay::in_front_of(&database.url)?;
    let interval = Duration::from_secs(options.interval);
    println!(
        "soak: {} min, --interval {}s, {} orders changing every {}s, the database cut every \
         {}s for {}s; load average {}",
        options.minutes,
        options.interval,
        options.orders,
        CHANGE_EVERY.as_secs(),
        options.cut_every,
        options.down,
        load_average()
    );
    let serve = Served::start(&digicert, &mock, &through, options.interval)?;
    wait(Duration::from_secs(120), || Ok(serve.healthy()?.is_some()))?;

    let mut soak = Soak::new(&serve, &mock, &relay, options);
    soak.run()?;
    // A sync after the last change, then the inventory against the mock.
    let last_change = unix_now();
    wait(interval * 3, || {
        Ok(serve.healthy()?.is_some_and(|at| at > last_change))
    })?;
    // A state the mock held for three intervals was seen by a sync, cuts and all.
    let mismatches = compare(&database.url, &mock, interval * 3)?;
    let outages = serve.outages();
    Ok(soak.report(interval, outages, &mismatches))
}

/// What the soak saw, as it went.
struct Soak<'s> {
    serve: &'s Served,
    mock: &'s MockServer,
    relay: &'s Relay,
    options: &'s Options,
    /// Seconds from the database's return to the first sync after it and a 200, per cut.
    recoveries: Vec<f64>,
    /// (seconds since the start, RSS MiB, open file descriptors).
    samples: Vec<(f64, f64, usize)>,
    /// Scrapes of `/metrics`, by answer.
    scrapes: HashMap<u16, u64>,
    /// Changes the mock made.
    changes: u64,
}

impl<'s> Soak<'s> {
    fn new(
        serve: &'s Served,
        mock: &'s MockServer,
        relay: &'s Relay,
        options: &'s Options,
    ) -> Self {
        Self {
            serve,
            mock,
            relay,
            options,
            recoveries: Vec::new(),
            samples: Vec::new(),
            scrapes: HashMap::new(),
            changes: 0,
        }
    }

    /// The minutes of the soak: changes, cuts, scrapes and samples on their schedules.
    fn run(&mut self) -> Result<(), Box<dyn Error>> {
        let started = Instant::now();
        let end = started + Duration::from_secs(self.options.minutes * 60);
        let cut_every = Duration::from_secs(self.options.cut_every);
        let down = Duration::from_secs(self.options.down);
        let (mut next_change, mut next_sample) = (started, started);
        let mut next_cut = started + cut_every;
        // The database's return (instant, Unix seconds) not yet recovered from.
        let mut back: Option<(Instant, f64)> = None;
        let mut down_until: Option<Instant> = None;
        while Instant::now() < end {
            let now = Instant::now();
            if now >= next_change {
                self.change();
                next_change += CHANGE_EVERY;
            }
            if now >= next_sample {
                let (rss, fds) = self.serve.resources()?;
                self.samples
                    .push((started.elapsed().as_secs_f64(), rss, fds));
                next_sample += SAMPLE_EVERY;
            }
            if now >= next_cut && back.is_none() && down_until.is_none() {
                self.relay.refuse_new(true);
                self.relay.cut_all();
                down_until = Some(now + down);
                next_cut += cut_every;
            }
            if down_until.is_some_and(|until| now >= until) {
                self.relay.refuse_new(false);
                down_until = None;
                back = Some((now, unix_now()));
            }
            let (status, _) = get(&self.serve.addr, "/metrics")?;
            *self.scrapes.entry(status).or_default() += 1;
            if let Some((at, unix)) = back
                && self.serve.healthy()?.is_some_and(|success| success > unix)
            {
                self.recoveries.push(at.elapsed().as_secs_f64());
                back = None;
            }
            std::thread::sleep(TICK);
        }
        if back.is_some() || down_until.is_some() {
            self.relay.refuse_new(false);
            return Err("the soak ended before serve recovered from the last cut".into());
        }
        Ok(())
    }

    /// One change: a new order, a reissue, a revocation, in turn.
    fn change(&mut self) {
        let dataset = self.mock.dataset();
        let issued = || {
            dataset
                .order_ids()
                .skip(self.changes as usize * 7 % dataset.len())
                .find(|&id| {
                    dataset
                        .report_row(id)
                        .is_some_and(|row| row.status == OrderStatus::Issued)
                })
        };
        match self.changes % 3 {
            0 => {
                self.mock.add_orders(1);
            }
            1 => {
                if let Some(id) = issued() {
                    self.mock.reissue(id);
                }
            }
            _ => {
                if let Some(id) = issued() {
                    self.mock.revoke(id);
                }
            }
        }
        self.changes += 1;
    }

    /// Prints the figures; whether every target was met.
    fn report(&self, interval: Duration, outages: usize, mismatches: &[String]) -> bool {
        let cuts = self.recoveries.len();
        let mut recoveries = self.recoveries.clone();
        recoveries.sort_by(f64::total_cmp);
        let slowest = recoveries.last().copied().unwrap_or(f64::NAN);
        let median = recoveries.get(cuts / 2).copied().unwrap_or(f64::NAN);
        let minute = |first: bool| {
            let last_start = (self.options.minutes - 1) as f64 * 60.0;
            let picked =
                self.samples.iter().filter(
                    |(at, _, _)| {
                        if first { *at < 60.0 } else { *at >= last_start }
                    },
                );
            picked.fold((0.0f64, 0usize), |(rss, fds), sample| {
                (rss.max(sample.1), fds.max(sample.2))
            })
        };
        let (first, last) = (minute(true), minute(false));
        let scrapes: u64 = self.scrapes.values().sum();
        let unavailable = self.scrapes.get(&503).copied().unwrap_or_default();
        let checks = [
            (
                format!(
                    "recovery after each of {cuts} cuts: median {median:.2} s, slowest \
                     {slowest:.2} s (target: within one interval, {} s)",
                    interval.as_secs()
                ),
                cuts > 0 && slowest <= interval.as_secs_f64(),
            ),
            (
                format!(
                    "RSS: first minute {:.1} MiB, last minute {:.1} MiB, {:.2}x (target: at most \
                     {RSS_TARGET}x)",
                    first.0,
                    last.0,
                    last.0 / first.0
                ),
                last.0 <= first.0 * RSS_TARGET,
            ),
            (
                format!(
                    "open file descriptors: first minute {}, last minute {} (target: at most \
                     {FD_TARGET} more)",
                    first.1, last.1
                ),
                last.1 <= first.1 + FD_TARGET,
            ),
            (
                format!("outages logged: {outages} (target: one per cut, {cuts})"),
                outages == cuts,
            ),
            (
                format!(
                    "inventory against the mock after {} changes (each one that lasted in the \
                     orders' history): {} orders, {} mismatches",
                    self.changes,
                    self.mock.dataset().len(),
                    mismatches.len()
                ),
                mismatches.is_empty(),
            ),
        ];
        for mismatch in mismatches.iter().take(10) {
            println!("  mismatch: {mismatch}");
        }
        println!("scrapes of /metrics: {scrapes}, {unavailable} answered 503 (during cuts)");
        let mut passed = true;
        for (line, pass) in checks {
            println!("{} {line}", if pass { "PASS" } else { "FAIL" });
            passed &= pass;
        }
        println!("load average at the end: {}", load_average());
        passed
    }
}

/// Builds the `digicert` binary the tests use; its path.
fn build() -> Result<PathBuf, Box<dyn Error>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "digicert-cli"])
        .current_dir(workspace_root())
        .status()?;
    if !status.success() {
        return Err(format!("cargo build -p digicert-cli failed ({status})").into());
    }
    Ok(target_dir().join("debug").join("digicert"))
}

/// `digicert serve`, its address and its log; stopped when dropped.
struct Served {
    child: Child,
    addr: String,
    log: Arc<Mutex<String>>,
}

impl Served {
    fn start(
        digicert: &PathBuf,
        mock: &MockServer,
        db: &str,
        interval: u64,
    ) -> Result<Self, Box<dyn Error>> {
        let mut child = Command::new(digicert)
            .args(["--base-url", mock.base_url(), "--api-key", API_KEY])
            .args(["--no-rate-limit", "--db", db])
            .args(["serve", "--listen", "127.0.0.1:0", "--interval"])
            .arg(format!("{interval}s"))
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child.stderr.take().ok_or("serve has no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let mut first = String::new();
        while !first.contains("serving http://") {
            first = lines.next().ok_or("serve ended before it listened")??;
        }
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| format!("serve printed {first:?}"))?
            .to_owned();
        let log = Arc::new(Mutex::new(String::new()));
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(mut log) = kept.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        Ok(Self { child, addr, log })
    }

    /// When the last sync succeeded (Unix seconds) if `/healthz` answers 200.
    fn healthy(&self) -> Result<Option<f64>, Box<dyn Error>> {
        if get(&self.addr, "/healthz")?.0 != 200 {
            return Ok(None);
        }
        let (status, metrics) = get(&self.addr, "/metrics")?;
        Ok((status == 200)
            .then(|| {
                metrics
                    .lines()
                    .find_map(|line| line.strip_prefix(LAST_SUCCESS)?.parse().ok())
            })
            .flatten())
    }

    /// Its RSS now, MiB, and its open file descriptors.
    fn resources(&self) -> Result<(f64, usize), Box<dyn Error>> {
        let pid = self.child.id();
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))?.count();
        Ok((memory_mib(pid, "VmRSS")?, fds))
    }

    /// How many outages it logged.
    fn outages(&self) -> usize {
        self.log
            .lock()
            .map(|log| log.matches("the inventory is unavailable").count())
            .unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.1 GET on loopback: the status and the body.
fn get(addr: &str, path: &str) -> Result<(u16, String), Box<dyn Error>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("GET {path}: {answer:?}"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Polls `done` until it says so, for `patience` at most.
fn wait(
    patience: Duration,
    mut done: impl FnMut() -> Result<bool, Box<dyn Error>>,
) -> Result<(), Box<dyn Error>> {
    let deadline = Instant::now() + patience;
    while !done()? {
        if Instant::now() > deadline {
            return Err(format!("serve did not get there within {patience:?}").into());
        }
        std::thread::sleep(TICK);
    }
    Ok(())
}

/// Now, in Unix seconds.
fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// What differs between the inventory at `db` and the mock: orders missing, stored twice, or
/// with another status or certificate; and the changes the mock made, each held at least
/// `lasting`, that are not in the order's history.
fn compare(db: &str, mock: &MockServer, lasting: Duration) -> Result<Vec<String>, Box<dyn Error>> {
    let inventory = Inventory::open_any(db)?;
    let mut stored = HashMap::new();
    let mut mismatches = Vec::new();
    inventory.export(|order| {
        if stored
            .insert(order.order_id, (order.status, order.thumbprint))
            .is_some()
        {
            mismatches.push(format!("order {} stored twice", order.order_id));
        }
        Ok(())
    })?;
    let dataset = mock.dataset();
    for id in dataset.order_ids() {
        let row = dataset.report_row(id).ok_or("an order without its row")?;
        let expected = (
            row.status.as_str().to_owned(),
            row.thumbprint.as_deref().and_then(normalize_hex),
        );
        match stored.remove(&id) {
            Some(found) if found == expected => {}
            Some(found) => mismatches.push(format!("order {id}: {found:?}, not {expected:?}")),
            None => mismatches.push(format!("order {id} missing")),
        }
    }
    mismatches.extend(
        stored
            .keys()
            .map(|id| format!("order {id} not in the mock")),
    );
    mismatches.extend(changes_missed(&inventory, mock, lasting)?);
    Ok(mismatches)
}

/// The changes the mock made that lasted at least `lasting` (the order's next change came
/// later, or none did) and that the inventory's history of the order does not hold: a state
/// that short-lived may fall between two syncs, one that lasted is seen by one.
fn changes_missed(
    inventory: &Inventory<AnyStore>,
    mock: &MockServer,
    lasting: Duration,
) -> Result<Vec<String>, Box<dyn Error>> {
    let log = mock.change_log();
    let mut histories = HashMap::new();
    let mut missed = Vec::new();
    for (at, change) in log.iter().enumerate() {
        let next = log[at + 1..]
            .iter()
            .find(|later| later.order_id == change.order_id);
        if next.is_some_and(|next| {
            (next.at - change.at)
                .to_std()
                .is_ok_and(|held| held < lasting)
        }) {
            continue;
        }
        let history = match histories.entry(change.order_id) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(unknown) => {
                unknown.insert(inventory.history(change.order_id)?)
            }
        };
        let seen = history.iter().any(|entry| {
            entry.status == change.status.as_str()
                && entry.certificate_id == Some(change.certificate_id)
        });
        if !seen {
            missed.push(format!(
                "order {}: {} with certificate {} at {} is not in its history",
                change.order_id,
                change.status.as_str(),
                change.certificate_id,
                change.at
            ));
        }
    }
    Ok(missed)
}
