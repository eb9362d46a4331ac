//! The inventory's figures: a full sync against the whole-report pull in the same run, a
//! sync right after a sync, `inventory expiring`, `inventory find` and `inventory export` as
//! whole processes, first syncs into empty inventories with the file's size per order, and a
//! `/metrics` scrape of `digicert serve` with the server's peak RSS.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use super::{API_KEY, Bins, CONCURRENCY, Check, Contender, Mock, Row, WorkDir, concurrent};

/// Target: a full sync at most this many times `report --all --format jsonl`'s time.
const SYNC_TARGET: f64 = 1.1;
/// Target: a full sync into PostgreSQL at most this many times the same sync into SQLite.
const POSTGRES_TARGET: f64 = 1.5;
/// Target: a first sync into an empty SQLite file at most this many times the pull's time.
const FIRST_SYNC_TARGET: f64 = 1.5;
/// Target: a first sync into an empty PostgreSQL database at most this many times the first
/// sync into an empty SQLite file.
const FIRST_POSTGRES_TARGET: f64 = 1.5;
/// Target: the SQLite file a first sync leaves (with its WAL), in KB (1,000 bytes) per order.
const KB_PER_ORDER_TARGET: f64 = 1.5;
/// Target: `inventory export --format jsonl` of every order, whole process, in seconds.
const EXPORT_TARGET: f64 = 1.5;
/// Target: `inventory expiring` and `inventory find`, whole process, in seconds.
const QUERY_TARGET: f64 = 0.05;
/// Target: one `/metrics` scrape, in seconds.
const SCRAPE_TARGET: f64 = 0.3;
/// Target: `digicert serve`'s peak RSS, in MiB.
const SERVE_MIB_TARGET: f64 = 100.0;

/// What a first-sync contender undoes before each run: its inventory.
#[derive(Debug, Clone)]
pub(super) enum Reset {
    /// An SQLite inventory file, removed with its WAL and shared-memory files.
    SqliteFile(PathBuf),
    /// A PostgreSQL database, dropped and created again empty.
    PostgresDatabase {
        /// A URL to a database other than this one on the same server.
        admin_url: String,
        /// The database's name.
        name: String,
    },
}

impl Reset {
    /// Undoes the last run.
    pub(super) fn apply(&self) -> Result<(), Box<dyn Error>> {
        match self {
            Self::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    match std::fs::remove_file(&file) {
                        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                            return Err(err.into());
                        }
                        _ => {}
                    }
                }
                Ok(())
            }
            Self::PostgresDatabase { admin_url, name } => {
                super::postgres::recreate(admin_url, name)
            }
        }
    }
}

/// `digicert` against the mock with the inventory at `db` (a file or a database URL), async
/// at 8 pages in flight.
pub(super) fn digicert(
    bins: &Bins,
    mock: &Mock,
    db: &Path,
    label: &str,
    args: &[&str],
) -> Contender {
    let db = db.to_string_lossy();
    let mut all = vec![
        "--base-url",
        &mock.base_url,
        "--api-key",
        API_KEY,
        "--no-rate-limit",
    ];
    all.extend([
        "--backend",
        "async",
        "--concurrency",
        CONCURRENCY,
        "--quiet",
    ]);
    all.extend(["--db", &db]);
    all.extend(args);
    Contender::new(label, &bins.digicert, &all)
}

/// Runs a contender once, and fails unless it succeeds; its stdout.
fn once(contender: &Contender) -> Result<String, Box<dyn Error>> {
    let output = contender.command().stdout(Stdio::piped()).output()?;
    if !output.status.success() {
        return Err(format!("{} failed ({})", contender.label, output.status).into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The inventory section of the table.
pub(super) fn inventory_rows(
    bins: &Bins,
    mock: &Mock,
    work: &WorkDir,
    orders: usize,
    runs: usize,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let db = work.0.join("inventory.sqlite");
    let pull = concurrent(bins, mock).with_format("jsonl");
    let pull = Contender {
        label: "F report jsonl x8".to_owned(),
        ..pull
    };
    let full = digicert(bins, mock, &db, "G sync --full x8", &["sync", "--full"]);
    let again = digicert(bins, mock, &db, "H sync after sync", &["sync"]);
    once(&full)?;
    // The same full sync into PostgreSQL, measured in the same rounds.
    let mut postgres = super::postgres::Postgres::start()?;
    let full_pg = digicert(
        bins,
        mock,
        Path::new(&postgres.url),
        "G2 sync --full postgres",
        &["sync", "--full"],
    );
    once(&full_pg)?;
    // First syncs, each into an empty inventory: the file removed, the database made again.
    let first_db = work.0.join("first.sqlite");
    let first = Contender {
        reset: Some(Reset::SqliteFile(first_db.clone())),
        ..digicert(bins, mock, &first_db, "G0 first sync x8", &["sync"])
    };
    let (first_pg_url, first_pg_reset) = postgres.another("first")?;
    let first_pg = Contender {
        reset: Some(first_pg_reset),
        ..digicert(
            bins,
            mock,
            Path::new(&first_pg_url),
            "G02 first sync postgres",
            &["sync"],
        )
    };
    // A name, an order id and a thumbprint the inventory holds, to look for.
    let sample = once(&digicert(
        bins,
        mock,
        &db,
        "sample",
        &[
            "--format",
            "jsonl",
            "inventory",
            "expiring",
            "--days",
            "400",
        ],
    ))?;
    // From the hundredth issued order on, the first whose common name is a domain name (the
    // mock also issues certificates to people and organizations).
    let order: serde_json::Value = sample
        .lines()
        .skip(orders / 1000)
        .chain(sample.lines())
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|order| {
            order["common_name"]
                .as_str()
                .is_some_and(|name| name.contains('.') && !name.contains(char::is_whitespace))
        })
        .ok_or("no issued order with a domain name")?;
    let name = order["common_name"].as_str().ok_or("no common name")?;
    let name = name.trim_start_matches("*.").to_owned();
    let thumbprint = order["thumbprint"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    let expiring = digicert(
        bins,
        mock,
        &db,
        "I inventory expiring 30",
        &["inventory", "expiring", "--days", "30"],
    );
    let find_name = digicert(
        bins,
        mock,
        &db,
        "J inventory find name",
        &["inventory", "find", &name],
    );
    let find_print = digicert(
        bins,
        mock,
        &db,
        "K inventory find thumb",
        &["inventory", "find", &thumbprint],
    );
    let export = digicert(
        bins,
        mock,
        &db,
        "M inventory export jsonl",
        &["--format", "jsonl", "inventory", "export"],
    );
    let contenders = [
        pull, full, full_pg, again, expiring, find_name, find_print, export, first, first_pg,
    ];
    let mut rows = super::measure_rounds(&contenders, runs, work)?;
    drop(postgres);
    // The file the last first sync left.
    let kb_per_order = file_bytes(&first_db)? as f64 / 1000.0 / orders as f64;
    if let [
        pull,
        full,
        full_pg,
        _,
        expiring,
        find_name,
        find_print,
        export,
        first,
        first_pg,
    ] = &mut rows[..]
    {
        let ratio = full.seconds() / pull.seconds();
        full.checks.push(Check::at_most("G/F", ratio, SYNC_TARGET));
        let ratio = full_pg.seconds() / full.seconds();
        full_pg
            .checks
            .push(Check::at_most("G2/G", ratio, POSTGRES_TARGET));
        for (query, target) in [
            (expiring, QUERY_TARGET),
            (find_name, QUERY_TARGET),
            (find_print, QUERY_TARGET),
            (export, EXPORT_TARGET),
        ] {
            let seconds = query.seconds();
            query.checks.push(Check {
                unit: " s",
                ..Check::at_most("wall", seconds, target)
            });
        }
        let ratio = first.seconds() / pull.seconds();
        first
            .checks
            .push(Check::at_most("G0/F", ratio, FIRST_SYNC_TARGET));
        first.checks.push(Check {
            unit: " KB",
            ..Check::at_most("file/order", kb_per_order, KB_PER_ORDER_TARGET)
        });
        let ratio = first_pg.seconds() / first.seconds();
        first_pg
            .checks
            .push(Check::at_most("G02/G0", ratio, FIRST_POSTGRES_TARGET));
    }
    rows.extend(scrape_rows(bins, mock, work, &db, runs)?);
    Ok(rows)
}

/// The bytes of an SQLite inventory: its file and its WAL.
fn file_bytes(path: &Path) -> Result<u64, Box<dyn Error>> {
    let mut bytes = std::fs::metadata(path)?.len();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(metadata) = std::fs::metadata(&wal) {
        bytes += metadata.len();
    }
    Ok(bytes)
}

/// `digicert serve` on the inventory, scraped with curl; its peak RSS afterwards.
fn scrape_rows(
    bins: &Bins,
    mock: &Mock,
    work: &WorkDir,
    db: &Path,
    runs: usize,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let serve = digicert(
        bins,
        mock,
        db,
        "serve",
        &["serve", "--listen", "127.0.0.1:0", "--interval", "1h"],
    );
    let (child, url) = start_serve(&serve)?;
    let scrape = Contender::new(
        "L scrape /metrics",
        "curl",
        &[
            "--silent",
            "--show-error",
            "--fail",
            "--output",
            "/dev/null",
            &url,
        ],
    );
    // Let the first sync finish (the inventory is current: one request), then warm up.
    std::thread::sleep(std::time::Duration::from_secs(2));
    once(&scrape)?;
    let mut rows = super::measure_rounds(&[scrape], runs.max(3), work)?;
    let peak = peak_mib(child.0.id())?;
    if let Some(row) = rows.first_mut() {
        let seconds = row.seconds();
        row.checks.push(Check {
            unit: " s",
            ..Check::at_most("wall", seconds, SCRAPE_TARGET)
        });
        row.checks.push(Check {
            unit: " MiB",
            ..Check::at_most("serve peak RSS", peak, SERVE_MIB_TARGET)
        });
    }
    Ok(rows)
}

/// Starts a `digicert serve` contender; the process and the URL of its `/metrics`. Its log
/// is read (and dropped) until it ends, so it never blocks on a full pipe.
pub(super) fn start_serve(serve: &Contender) -> Result<(Served, String), Box<dyn Error>> {
    let mut child = Served(serve.command().stderr(Stdio::piped()).spawn()?);
    let stderr = child.0.stderr.take().ok_or("serve has no stderr")?;
    let mut stderr = BufReader::new(stderr);
    let mut first = String::new();
    stderr.read_line(&mut first)?;
    let url = first
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .map(|url| url.trim_end_matches(','))
        .ok_or_else(|| format!("serve printed {first:?}"))?
        .to_owned();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Ok((child, url))
}

/// A process's peak RSS (VmHWM), MiB.
pub(super) fn peak_mib(pid: u32) -> Result<f64, Box<dyn Error>> {
    memory_mib(pid, "VmHWM")
}

/// One of a process's memory figures in `/proc/PID/status` (`VmHWM`, `VmRSS`), MiB.
pub(crate) fn memory_mib(pid: u32, field: &str) -> Result<f64, Box<dyn Error>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status"))?;
    Ok(kib / 1024.0)
}

/// The serve process, stopped when dropped.
pub(super) struct Served(pub(super) Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
