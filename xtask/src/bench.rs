//! `cargo xtask bench`: the whole report pulled from the loopback mock by `digicert`, by
//! `curl` and by a plain Python script, side by side in one run; peak memory of the pulls
//! and of a report file's conversion, at a tenth of the orders and at all of them.
//! Then the inventory's figures (`bench/inventory.rs`), the deployment classifier's
//! (`bench/classify.rs`), the TLS probe's loopback handshakes against a bare rustls loop
//! (`bench/probe.rs`), and `digicert serve` under 200 clients for 30 s (`bench/load.rs`).
//!
//! Every contender runs once per round, `--runs` rounds, so a change in the machine's load
//! falls on all of them alike; the table shows each one's median wall time, its median CPU
//! time (user + system) and its highest peak RSS. It is a measurement, not a test: a target
//! missed is a FAIL line, and the task still succeeds.

use std::error::Error;
use std::ffi::OsString;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::Value;

mod classify;
pub(crate) mod inventory;
mod load;
pub(crate) mod postgres;
mod probe;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Orders the mock serves (the memory figures are taken at a tenth of them too).
    #[arg(long, default_value_t = 100_000, conflicts_with = "quick")]
    orders: usize,
    /// Latency the mock adds to every answer, in milliseconds.
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Runs of every contender; the table shows the median.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..), conflicts_with = "quick")]
    runs: u16,
    /// A smoke test: 10,000 orders, one run.
    #[arg(long)]
    quick: bool,
    /// Only the inventory's figures (sync, queries, scrape).
    #[arg(long)]
    inventory_only: bool,
    /// Only the TLS probe's figures (loopback handshakes against a bare rustls loop).
    #[arg(long, conflicts_with = "inventory_only")]
    probe_only: bool,
    /// Only `digicert serve` under load (200 clients for 30 s on the page, a search and
    /// /metrics, over the mock's orders).
    #[arg(long, conflicts_with_all = ["inventory_only", "probe_only"])]
    serve_only: bool,
}

/// The API key the mock is started with.
const API_KEY: &str = "bench-api-key";
/// Orders per report page.
const PAGE: usize = 1000;
/// Pages in flight for the concurrent contenders (digicert async and curl --parallel).
const CONCURRENCY: &str = "8";
/// Target: digicert blocking (A) at most this many times serial curl's (B) time.
const SERIAL_TARGET: f64 = 1.15;
/// Target: digicert async (C) at most this many times parallel curl's (D) time.
const PARALLEL_TARGET: f64 = 1.3;
/// Target: the Python script (E) takes at least this many times digicert's pull at
/// `--concurrency 8` (C). Any one-page-at-a-time pull (A, B, E alike) waits out
/// `pages x latency` (2.02 s at the defaults), so against A this cannot exceed
/// E / 2.02 s; E/A is printed beside it.
const PYTHON_TARGET: f64 = 8.0;
/// Target: the conversion at most this many times the csv crate's untyped
/// `ByteRecord` read-and-write loop over the same file.
const CONVERT_TARGET: f64 = 1.5;
/// Target: peak RSS of a conversion, in MiB.
const CONVERT_MIB_TARGET: f64 = 32.0;
/// Target: peak RSS at all the orders at most this many times the peak at a tenth.
const FLAT_TARGET: f64 = 1.2;

/// The obvious Python client: requests, csv.DictReader, every row in a list, json.dump.
/// Arguments: base URL, API key, orders expected (it fails when the count differs).
const PYTHON_SCRIPT: &str = r#"import csv, io, json, os, sys
import requests

base, key, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
session = requests.Session()
session.headers["X-DC-DEVKEY"] = key
rows = []
offset = 0
while True:
    resp = session.get(base + "/report/order", params={"limit": 1000, "offset": offset})
    resp.raise_for_status()
    page = list(csv.DictReader(io.StringIO(resp.text)))
    rows.extend(page)
    if len(page) < 1000:
        break
    offset += 1000
with open(os.devnull, "w") as out:
    json.dump(rows, out)
if len(rows) != expected:
    sys.exit("expected %d rows, got %d" % (expected, len(rows)))
"#;

/// Runs the whole benchmark and prints the table.
pub(crate) fn run(options: &Options) -> Result<(), Box<dyn Error>> {
    let (orders, runs) = if options.quick {
        (10_000, 1)
    } else {
        (options.orders, usize::from(options.runs))
    };
    if options.probe_only {
        print_table(&probe::probe_rows(runs)?);
        return Ok(());
    }
    let small = (orders / 10).max(1);
    let bins = build()?;
    let work = WorkDir::create(target_dir().join("xtask-bench"))?;
    if options.serve_only {
        print_table(&load::load_rows(&bins, &work, orders, options.latency_ms)?);
        return Ok(());
    }
    println!(
        "bench: {orders} orders ({small} for the memory baseline), {} ms latency, {runs} run(s); load average {}",
        options.latency_ms,
        load_average()
    );

    let inventory_figures = {
        let mock = Mock::start(&bins.mock, orders, options.latency_ms)?;
        let mut rows = inventory::inventory_rows(&bins, &mock, &work, orders, runs)?;
        let db = work.0.join("inventory.sqlite");
        rows.extend(classify::classify_rows(&bins, &work, &db, runs)?);
        rows
    };
    let mut inventory_table = vec![Row::section(&format!("inventory, {orders} orders"))];
    inventory_table.extend(inventory_figures);
    if options.inventory_only {
        print_table(&inventory_table);
        return Ok(());
    }

    let pulls = {
        let mock = Mock::start(&bins.mock, orders, options.latency_ms)?;
        pull_rows(&bins, &mock, &work, orders, runs)?
    };
    let small_pulls = {
        let mock = Mock::start(&bins.mock, small, options.latency_ms)?;
        let pulls = [blocking(&bins, &mock), concurrent(&bins, &mock)];
        for pull in &pulls {
            check_complete(&pull.with_format("jsonl"), small)?;
        }
        measure_rounds(&pulls, runs, &work)?
    };
    let conversions = convert_rows(&bins, &work, &[small, orders], runs)?;

    let mut table = vec![Row::section(&format!("whole-report pull, {orders} orders"))];
    table.extend(pulls.iter().cloned());
    table.push(Row::section("peak memory"));
    if let [small_convert, large_convert, untyped] = &conversions[..] {
        table.push(small_convert.clone().check(convert_mib(small_convert)));
        let flat = flat(large_convert, small_convert);
        let ratio = large_convert.seconds() / untyped.seconds();
        table.push(
            large_convert
                .clone()
                .check(convert_mib(large_convert))
                .check(flat)
                .check(Check::at_most("convert/untyped", ratio, CONVERT_TARGET)),
        );
        table.push(untyped.clone());
    }
    let large_pulls = pulls.iter().filter(|row| row.label.starts_with(['A', 'C']));
    for (large_pull, small_pull) in large_pulls.zip(&small_pulls) {
        let name = &large_pull.label[..1];
        table.push(Row::measured(
            format!("{name} pull {small}"),
            small_pull.summary,
        ));
        let large = Row::measured(format!("{name} pull {orders}"), large_pull.summary);
        table.push(large.check(flat(large_pull, small_pull)));
    }
    table.extend(inventory_table);
    table.extend(probe::probe_rows(runs)?);
    table.extend(load::load_rows(&bins, &work, orders, options.latency_ms)?);
    print_table(&table);
    print_criterion_note();
    println!("load average at the end: {}", load_average());
    Ok(())
}

/// The release binaries the contenders run.
struct Bins {
    /// The `digicert` command.
    digicert: PathBuf,
    /// The fake CertCentral.
    mock: PathBuf,
    /// This program, for `bench-data`.
    xtask: PathBuf,
}

/// Builds `digicert`, `digicert-mock` and `xtask` in release and returns their paths.
fn build() -> Result<Bins, Box<dyn Error>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "digicert-cli"])
        .args(["-p", "digicert-mock", "-p", "xtask"])
        .current_dir(workspace_root())
        .status()
        .map_err(|err| format!("cannot run cargo build: {err}"))?;
    if !status.success() {
        return Err(format!("cargo build --release failed ({status})").into());
    }
    let release = target_dir().join("release");
    Ok(Bins {
        digicert: release.join("digicert"),
        mock: release.join("digicert-mock"),
        xtask: release.join("xtask"),
    })
}

/// The workspace's root folder, wherever `cargo xtask` is run from.
pub(crate) fn workspace_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Where cargo builds: `CARGO_TARGET_DIR` if set, else the workspace's `target/`.
pub(crate) fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// The 1, 5 and 15 minute load averages from /proc/loadavg, or a note that it is unknown.
pub(crate) fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// A folder for the benchmark's files, removed when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    /// Creates the folder `path`, empty.
    fn create(path: PathBuf) -> Result<Self, Box<dyn Error>> {
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path)
            .map_err(|err| format!("cannot create {}: {err}", path.display()))?;
        Ok(Self(path))
    }

    /// Writes `text` to the file `name` in the folder and returns its path.
    fn write(&self, name: &str, text: &str) -> Result<PathBuf, Box<dyn Error>> {
        let path = self.0.join(name);
        fs::write(&path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        Ok(path)
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The fake CertCentral, running as a child process; killed when dropped (also on error).
struct Mock {
    /// The `digicert-mock` process.
    child: Child,
    /// `http://127.0.0.1:PORT/services/v2`.
    base_url: String,
    /// Latency it adds to every answer.
    latency_ms: u64,
}

impl Mock {
    /// Starts `digicert-mock` with `orders` orders and waits for its base URL.
    fn start(bin: &Path, orders: usize, latency_ms: u64) -> Result<Self, Box<dyn Error>> {
        let child = Command::new(bin)
            .args(["--port", "0", "--api-key", API_KEY])
            .args(["--orders", &orders.to_string()])
            .args(["--latency-ms", &latency_ms.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", bin.display()))?;
        let mut mock = Self {
            child,
            base_url: String::new(),
            latency_ms,
        };
        let stdout = mock.child.stdout.take().ok_or("the mock has no stdout")?;
        BufReader::new(stdout).read_line(&mut mock.base_url)?;
        mock.base_url.truncate(mock.base_url.trim_end().len());
        if !mock.base_url.starts_with("http://") {
            return Err(format!("the mock printed {:?}, not its base URL", mock.base_url).into());
        }
        Ok(mock)
    }

    /// The URLs of every page a whole-report pull fetches: offsets 0, 1000, ... up to the
    /// first short page.
    fn page_urls(&self, orders: usize) -> Vec<String> {
        (0..=orders / PAGE)
            .map(|page| {
                let offset = page * PAGE;
                format!(
                    "{}/report/order?limit={PAGE}&offset={offset}",
                    self.base_url
                )
            })
            .collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A contender: a label and the command line it runs.
#[derive(Debug, Clone)]
struct Contender {
    /// Its name in the table, such as `A digicert blocking`.
    label: String,
    /// The program run.
    program: PathBuf,
    /// Its arguments.
    args: Vec<OsString>,
    /// What is undone before each of its runs, so that every run starts from the same state.
    reset: Option<inventory::Reset>,
}

impl Contender {
    /// `program` with `args`, named `label`.
    fn new(label: &str, program: impl Into<PathBuf>, args: &[&str]) -> Self {
        Self {
            label: label.into(),
            program: program.into(),
            args: args.iter().map(OsString::from).collect(),
            reset: None,
        }
    }

    /// The same digicert command with another `--format`.
    fn with_format(&self, format: &str) -> Self {
        let mut changed = self.clone();
        let at = changed.args.iter().position(|arg| arg == "--format");
        if let Some(value) = at.and_then(|at| changed.args.get_mut(at + 1)) {
            *value = format.into();
        }
        changed
    }

    /// The command, stdin and stdout on /dev/null.
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        command
    }
}

/// `digicert` pulling every page of the report with `backend_args`, JSON to /dev/null.
fn digicert_pull(bins: &Bins, mock: &Mock, label: &str, backend_args: &[&str]) -> Contender {
    let mut args = vec!["--base-url", &mock.base_url, "--api-key", API_KEY];
    args.extend(["--no-rate-limit", "--format", "json"]);
    args.extend(backend_args);
    args.extend(["report", "--all"]);
    Contender::new(label, &bins.digicert, &args)
}

/// Contender A: digicert on the blocking backend.
fn blocking(bins: &Bins, mock: &Mock) -> Contender {
    digicert_pull(bins, mock, "A digicert blocking", &[])
}

/// Contender C: digicert on the async backend, 8 pages in flight.
fn concurrent(bins: &Bins, mock: &Mock) -> Contender {
    let backend = ["--backend", "async", "--concurrency", CONCURRENCY];
    digicert_pull(bins, mock, "C digicert async x8", &backend)
}

/// A curl config (`curl -K`) fetching every page URL into /dev/null with the API key header.
fn curl_config(urls: &[String]) -> String {
    let mut config = format!("header = \"X-DC-DEVKEY: {API_KEY}\"\n");
    for url in urls {
        config.push_str(&format!("url = \"{url}\"\noutput = \"/dev/null\"\n"));
    }
    config
}

/// The whole-report pull: contenders A to E against one mock, and their rows.
fn pull_rows(
    bins: &Bins,
    mock: &Mock,
    work: &WorkDir,
    orders: usize,
    runs: usize,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let config = work.write("curl.cfg", &curl_config(&mock.page_urls(orders)))?;
    let config = config.to_string_lossy();
    let curl = ["--silent", "--show-error", "--fail", "-K", &config];
    let parallel = ["--parallel", "--parallel-max", CONCURRENCY];
    let mut contenders = vec![
        blocking(bins, mock),
        Contender::new("B curl serial", "curl", &curl),
        concurrent(bins, mock),
        Contender::new(
            "D curl parallel x8",
            "curl",
            &[&parallel[..], &curl].concat(),
        ),
    ];
    for digicert in [&contenders[0], &contenders[2]] {
        check_complete(&digicert.with_format("jsonl"), orders)?;
    }
    match python_requests() {
        Ok(()) => {
            let script = work.write("pull.py", PYTHON_SCRIPT)?;
            let script = script.to_string_lossy();
            let expected = orders.to_string();
            let args = [&script, mock.base_url.as_str(), API_KEY, &expected];
            contenders.push(Contender::new("E python requests", "python3", &args));
        }
        Err(reason) => println!("E python requests: skipped, {reason}"),
    }
    let mut rows = measure_rounds(&contenders, runs, work)?;
    let [a, b, c, d, rest @ ..] = &mut rows[..] else {
        return Err("expected contenders A to D".into());
    };
    let (serial, parallel) = (a.seconds() / b.seconds(), c.seconds() / d.seconds());
    a.checks.push(Check::at_most("A/B", serial, SERIAL_TARGET));
    c.checks
        .push(Check::at_most("C/D", parallel, PARALLEL_TARGET));
    if let [e] = rest {
        let speedup = e.seconds() / c.seconds();
        c.checks
            .push(Check::at_least("E/C", speedup, PYTHON_TARGET));
        let pages = mock.page_urls(orders).len();
        println!(
            "E/A, both one page at a time: {:.2}; each waits {pages} pages x {} ms = {:.2} s of latency",
            e.seconds() / a.seconds(),
            mock.latency_ms,
            pages as f64 * mock.latency_ms as f64 / 1000.0,
        );
    }
    Ok(rows)
}

/// Whether `python3` can import requests; the reason when it cannot.
fn python_requests() -> Result<(), String> {
    let output = Command::new("python3")
        .args(["-c", "import requests"])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot run python3: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("failed");
        Err(format!("python3 -c \"import requests\": {last}"))
    }
}

/// The conversion (`digicert --format csv report --input FILE`) of a generated report of
/// each size in `sizes`, and its rows.
fn convert_rows(
    bins: &Bins,
    work: &WorkDir,
    sizes: &[usize],
    runs: usize,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let file = |orders: usize| work.0.join(format!("report-{orders}.csv"));
    let mut contenders = Vec::new();
    for &orders in sizes {
        let file = file(orders);
        let file = file.to_string_lossy();
        let status = Command::new(&bins.xtask)
            .args(["bench-data", &orders.to_string(), "--out", &file])
            .stdin(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("xtask bench-data {orders} failed ({status})").into());
        }
        let args = ["--format", "csv", "report", "--input", &file];
        let label = format!("convert {orders}");
        let contender = Contender::new(&label, &bins.digicert, &args);
        check_complete(&contender.with_format("jsonl"), orders)?;
        contenders.push(contender);
    }
    // The baseline, over the largest file only.
    if let Some(&orders) = sizes.last() {
        let file = file(orders);
        let label = format!("untyped copy {orders}");
        let args = ["untyped-copy", &file.to_string_lossy()];
        contenders.push(Contender::new(&label, &bins.xtask, &args));
    }
    measure_rounds(&contenders, runs, work)
}

/// The csv crate's untyped loop, the conversion's baseline: `ByteRecord`s read from `input`
/// and written to stdout, every field quoted, through the same size of buffer as `digicert`.
pub(crate) fn untyped_copy(input: &Path) -> Result<(), Box<dyn Error>> {
    let mut reader = csv::Reader::from_path(input)?;
    let stdout = std::io::stdout().lock();
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(std::io::BufWriter::with_capacity(256 * 1024, stdout));
    writer.write_byte_record(reader.byte_headers()?)?;
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        writer.write_byte_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

/// Runs `contender` with stdout piped and fails unless it succeeds with exactly `expected`
/// lines (a JSON Lines run, one line per order).
fn check_complete(contender: &Contender, expected: usize) -> Result<(), Box<dyn Error>> {
    let mut child = contender.command().stdout(Stdio::piped()).spawn()?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let mut buffer = vec![0; 64 * 1024];
    let mut lines = 0;
    loop {
        let read = stdout.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        lines += buffer[..read].iter().filter(|&&b| b == b'\n').count();
    }
    let status = child.wait()?;
    if !status.success() || lines != expected {
        let label = &contender.label;
        return Err(format!("{label}: {lines} lines of {expected} ({status})").into());
    }
    Ok(())
}

/// One run's figures.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Wall time.
    seconds: f64,
    /// User plus system time.
    cpu_seconds: f64,
    /// Peak resident set size, KiB.
    peak_kib: u64,
}

/// Runs the command under `/usr/bin/time` and returns its wall time, CPU time and peak RSS;
/// an error when it fails.
fn time_command(contender: &Contender, time_file: &Path) -> Result<Sample, Box<dyn Error>> {
    let mut command = Command::new("/usr/bin/time");
    command
        .args(["-f", "%U %S %M", "-o"])
        .arg(time_file)
        .arg(&contender.program)
        .args(&contender.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    let start = Instant::now();
    let output = command
        .output()
        .map_err(|err| format!("cannot run /usr/bin/time: {err}"))?;
    let seconds = start.elapsed().as_secs_f64();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let label = &contender.label;
        return Err(format!("{label} failed ({}): {}", output.status, stderr.trim()).into());
    }
    let figures = fs::read_to_string(time_file)?;
    let parsed: Vec<f64> = figures
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|err| format!("/usr/bin/time wrote {figures:?}: {err}"))?;
    let [user, system, peak_kib] = parsed[..] else {
        return Err(format!("/usr/bin/time wrote {figures:?}").into());
    };
    Ok(Sample {
        seconds,
        cpu_seconds: user + system,
        peak_kib: peak_kib as u64,
    })
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let middle = sorted.len() / 2;
    match sorted.len() {
        0 => f64::NAN,
        len if len % 2 == 1 => sorted[middle],
        _ => (sorted[middle - 1] + sorted[middle]) / 2.0,
    }
}

/// Runs every contender once per round, `runs` rounds, and returns one row per contender:
/// median wall and CPU time, highest peak RSS.
fn measure_rounds(
    contenders: &[Contender],
    runs: usize,
    work: &WorkDir,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let time_file = work.0.join("time.txt");
    let mut samples = vec![Vec::new(); contenders.len()];
    for round in 1..=runs {
        for (contender, samples) in contenders.iter().zip(&mut samples) {
            if let Some(reset) = &contender.reset {
                reset.apply()?;
            }
            let sample = time_command(contender, &time_file)?;
            eprintln!(
                "bench: run {round}/{runs} {:<22} {:>8.3} s",
                contender.label, sample.seconds
            );
            samples.push(sample);
        }
    }
    Ok(contenders
        .iter()
        .zip(samples)
        .map(|(contender, samples)| {
            let of = |figure: fn(&Sample) -> f64| {
                median(&samples.iter().map(figure).collect::<Vec<_>>())
            };
            let summary = Sample {
                seconds: of(|s| s.seconds),
                cpu_seconds: of(|s| s.cpu_seconds),
                peak_kib: samples.iter().map(|s| s.peak_kib).max().unwrap_or(0),
            };
            Row::measured(contender.label.clone(), Some(summary))
        })
        .collect())
}

/// A figure held against its target.
#[derive(Debug, Clone)]
struct Check {
    /// What the figure is, such as `A/B`.
    name: &'static str,
    /// The figure measured.
    value: f64,
    /// The target it is held against.
    limit: f64,
    /// Whether the figure must reach the limit rather than stay under it.
    at_least: bool,
    /// Unit of value and limit, such as ` MiB`.
    unit: &'static str,
}

impl Check {
    /// `value` must stay at or under `limit`.
    fn at_most(name: &'static str, value: f64, limit: f64) -> Self {
        Self {
            name,
            value,
            limit,
            at_least: false,
            unit: "",
        }
    }

    /// `value` must reach `limit`.
    fn at_least(name: &'static str, value: f64, limit: f64) -> Self {
        Self {
            at_least: true,
            ..Self::at_most(name, value, limit)
        }
    }

    /// Whether the target is met.
    fn passes(&self) -> bool {
        if self.at_least {
            self.value >= self.limit
        } else {
            self.value <= self.limit
        }
    }
}

/// Peak RSS of a conversion against its ceiling.
fn convert_mib(row: &Row) -> Check {
    Check {
        unit: " MiB",
        ..Check::at_most("peak RSS", row.peak_mib(), CONVERT_MIB_TARGET)
    }
}

/// Peak RSS at all the orders against the same contender's at a tenth of them.
fn flat(large: &Row, small: &Row) -> Check {
    Check::at_most(
        "RSS large/small",
        large.peak_mib() / small.peak_mib(),
        FLAT_TARGET,
    )
}

/// A line of the table: a contender's figures and the targets held against them, or a
/// section heading (no figures).
#[derive(Debug, Clone)]
struct Row {
    /// The contender's name, or the section's title.
    label: String,
    /// The contender's figures; `None` for a section heading.
    summary: Option<Sample>,
    /// The targets held against the figures.
    checks: Vec<Check>,
}

impl Row {
    /// A section heading.
    fn section(title: &str) -> Self {
        Self {
            label: format!("-- {title}"),
            summary: None,
            checks: Vec::new(),
        }
    }

    /// A contender's figures, no target yet.
    fn measured(label: String, summary: Option<Sample>) -> Self {
        Self {
            label,
            summary,
            checks: Vec::new(),
        }
    }

    /// The row with one more target.
    fn check(mut self, check: Check) -> Self {
        self.checks.push(check);
        self
    }

    /// Median wall time.
    fn seconds(&self) -> f64 {
        self.summary.map_or(f64::NAN, |s| s.seconds)
    }

    /// Highest peak RSS, MiB.
    fn peak_mib(&self) -> f64 {
        self.summary
            .map_or(f64::NAN, |s| s.peak_kib as f64 / 1024.0)
    }
}

/// Prints the table: one line per contender and per further target, FAIL lines marked.
fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<22} {:>9} {:>7} {:>10}   {:<22} {:<11} verdict",
        "contender", "median s", "cpu s", "peak RSS", "figure", "target"
    );
    let (mut passed, mut failed) = (0, Vec::new());
    for row in rows {
        let Some(summary) = row.summary else {
            println!("{}", row.label);
            continue;
        };
        let figures = format!(
            "{:<22} {:>9.3} {:>7.3} {:>6.1} MiB",
            row.label,
            summary.seconds,
            summary.cpu_seconds,
            row.peak_mib()
        );
        if row.checks.is_empty() {
            println!("{figures}");
        }
        for (index, check) in row.checks.iter().enumerate() {
            let lead = if index == 0 { &figures } else { "" };
            let op = if check.at_least { ">=" } else { "<=" };
            let (name, unit) = (check.name, check.unit);
            let figure = format!("{name} {:.2}{unit}", check.value);
            let target = format!("{op} {}{unit}", check.limit);
            let verdict = if check.passes() {
                passed += 1;
                "PASS"
            } else {
                failed.push(format!("{} {name}", row.label));
                "FAIL  <<<<<<<<"
            };
            println!("{lead:<51}   {figure:<22} {target:<11} {verdict}");
        }
    }
    println!();
    println!("targets: {passed} PASS, {} FAIL", failed.len());
    for fail in &failed {
        println!("  FAIL: {fail}");
    }
}

/// Prints the last saved run of the criterion benchmark of the conversion loop (its own
/// report, in memory, no process or file around it), when there is one.
fn print_criterion_note() {
    println!();
    let group = target_dir().join("criterion").join("convert_100k_orders");
    let median = |bench: &str| criterion_median(&group.join(bench));
    let Some(untyped) = median("csv_byte_record_untyped") else {
        println!(
            "no saved run of `cargo bench -p digicert-model --bench report_reader` under {}",
            group.display()
        );
        return;
    };
    println!(
        "criterion, convert_100k_orders (last saved run), beside the untyped loop's {:.1} ms:",
        untyped / 1e6
    );
    for (bench, what) in [
        (
            "report_records_checked",
            "read_record/write_record (what the CLI does)",
        ),
        ("report_reader_and_writer_typed", "typed rows"),
    ] {
        if let Some(ms) = median(bench) {
            println!("  {what}: {:.1} ms, ratio {:.2}", ms / 1e6, ms / untyped);
        }
    }
}

/// The median, in nanoseconds, of a criterion benchmark's last saved run.
fn criterion_median(bench: &Path) -> Option<f64> {
    let text = fs::read_to_string(bench.join("new").join("estimates.json")).ok()?;
    let estimates: Value = serde_json::from_str(&text).ok()?;
    estimates["median"]["point_estimate"].as_f64()
}
