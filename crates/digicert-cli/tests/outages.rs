//! `digicert serve` through the binary when what it depends on fails: PostgreSQL slow, stalled, cut
//! and refused (through a relay the test controls), absent at start, restarted for real (a
//! cluster of the test's own); two `serve` processes on one database, the sync lock's
//! connection cut under the one syncing; an SQLite folder absent at start; a full disk;
//! CertCentral down. After each, the inventory is checked against the mock: nothing lost, nothing
//! doubled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use digicert_mock::{MockConfig, MockServer, Relay};
use digicert_model::OrderStatus;
use support::KEY;
use support::cluster::Cluster;
use support::db::PgDatabase;
use support::mirror::assert_mirrors;
use support::serve::{Serve, get, sum};

/// The line an outage starts with in the log, and the one it ends with.
const OUTAGE: [&str; 2] = [
    "the inventory is unavailable",
    "the inventory is reachable again",
];

fn mock(orders: usize) -> MockServer {
    MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(orders))
        .unwrap()
}

/// How many times each of [`OUTAGE`]'s lines is in `log`.
fn outages(log: &str) -> [usize; 2] {
    OUTAGE.map(|line| log.matches(line).count())
}

/// A sample line of an exposition.
fn sample<'m>(metrics: &'m str, prefix: &str) -> &'m str {
    metrics
        .lines()
        .find(|line| line.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {metrics}"))
}

#[test]
fn serve_rides_out_its_postgres_going_slow_away_and_back() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let server = mock(2_000);
    let (relay, through) = Relay::in_front_of(&database.url).unwrap();
    // A slow network first: no outage, the first sync completes.
    relay.set_delay(Duration::from_millis(3));
    let serve = Serve::start(&server, &through, "2s");
    serve.wait_healthy();
    relay.set_delay(Duration::ZERO);

    // The database goes away: every connection cut, new ones refused.
    relay.refuse_new(true);
    relay.cut_all();
    let body = serve.wait_for("/healthz", 503);
    assert!(body.contains("unavailable"), "{body}");
    let (status, body) = get(&serve.addr, "/metrics");
    assert_eq!(status, 503);
    assert!(body.contains(" is unavailable: "), "{body}");
    // CertCentral changes meanwhile, while rounds fail.
    server.add_orders(5);
    let dataset = server.dataset();
    let issued: Vec<u64> = dataset
        .order_ids()
        .filter(|&id| dataset.report_row(id).unwrap().status == OrderStatus::Issued)
        .take(2)
        .collect();
    assert!(server.reissue(issued[0]));
    assert!(server.revoke(issued[1]));
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(get(&serve.addr, "/healthz").0, 503);

    back(serve, &relay, &server, &database.url);
}

/// A generous bound on a scrape's answer while the database does not answer: well under the
/// web layer's 30 s request limit, so a scrape that waited for the database fails the test.
const AT_ONCE: Duration = Duration::from_secs(15);

/// Scrapes `/metrics` and `/healthz`, `each` of both at the same time; each answered 503
/// within [`AT_ONCE`].
fn scrape_unavailable(serve: &Serve, each: usize) {
    let answers: Vec<(&str, u16, Duration)> = std::thread::scope(|scope| {
        let scrapes: Vec<_> = ["/metrics", "/healthz"]
            .into_iter()
            .cycle()
            .take(2 * each)
            .map(|path| {
                scope.spawn(move || {
                    let started = Instant::now();
                    let (status, _) = get(&serve.addr, path);
                    (path, status, started.elapsed())
                })
            })
            .collect();
        scrapes
            .into_iter()
            .map(|scrape| scrape.join().unwrap())
            .collect()
    });
    for (path, status, took) in answers {
        assert_eq!(status, 503, "{path}");
        assert!(took < AT_ONCE, "{path} answered after {took:?}");
    }
}

#[test]
fn serve_answers_at_once_while_its_postgres_stalls() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let server = mock(300);
    let (relay, through) = Relay::in_front_of(&database.url).unwrap();
    let serve = Serve::start(&server, &through, "2s");
    serve.wait_healthy();

    // The database stops answering; every connection stays open.
    relay.stall(true);
    server.add_orders(4);
    // Scrapes at once and one after another: none waits for the database, or for another.
    scrape_unavailable(&serve, 8);
    serve.wait_for_log(OUTAGE[0]);
    for _ in 0..3 {
        scrape_unavailable(&serve, 2);
    }
    assert_eq!(outages(&serve.log()), [1, 0], "{}", serve.log());

    relay.stall(false);
    back(serve, &relay, &server, &database.url);
}

/// The database behind `relay` is back: a sync stores what the mock holds, both answers
/// are 200 again, the log holds one outage, and the inventory mirrors the mock.
fn back(serve: Serve, relay: &Relay, server: &MockServer, db: &str) {
    relay.refuse_new(false);
    serve.wait_healthy();
    serve.wait_for_sum("digicert_orders{", server.dataset().len() as f64);
    let log = serve.stop();
    assert_eq!(outages(&log), [1, 1], "{log}");
    assert!(!log.contains("panicked"), "{log}");
    assert_mirrors(db, server);
}

#[test]
fn serve_starts_without_its_postgres_and_connects_when_it_appears() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    let server = mock(300);
    let (relay, through) = Relay::in_front_of(&database.url).unwrap();
    relay.refuse_new(true);
    let serve = Serve::start(&server, &through, "2s");
    let body = serve.wait_for("/healthz", 503);
    assert!(body.contains(" is unavailable: "), "{body}");
    assert_eq!(get(&serve.addr, "/metrics").0, 503);
    back(serve, &relay, &server, &database.url);
}

#[test]
fn serve_starts_without_its_sqlite_folder_and_opens_it_when_it_appears() {
    let server = mock(300);
    let dir = tempfile::tempdir().unwrap();
    // The folder is not there (a network mount not mounted yet, or a typo).
    let folder = dir.path().join("mounted");
    let db = folder.join("inventory.sqlite");
    let serve = Serve::start(&server, db.to_str().unwrap(), "1s");
    let body = serve.wait_for("/healthz", 503);
    assert!(body.contains(" is unavailable: "), "{body}");
    assert!(body.contains(&folder.display().to_string()), "{body}");
    // Rounds go by (one a second, and the reader's attempts): serve waits for the folder
    // rather than making it.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!folder.exists(), "serve created the folder --db named");
    std::fs::create_dir(&folder).unwrap();
    serve.wait_healthy();
    let log = serve.stop();
    assert_eq!(outages(&log), [1, 1], "{log}");
    assert_mirrors(db.to_str().unwrap(), &server);
}

#[test]
fn serve_survives_a_real_postgres_restart() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let server = mock(500);
    let serve = Serve::start(&server, &cluster.url, "2s");
    serve.wait_healthy();
    cluster.restart();
    server.add_orders(3);
    // A sync after the restart stored the new orders; both answers are 200.
    serve.wait_for_sum("digicert_orders{", 503.0);
    serve.wait_healthy();
    let log = serve.stop();
    assert_eq!(outages(&log), [1, 1], "{log}");
    assert_mirrors(&cluster.url, &server);
}

/// A small tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    /// A tmpfs of `size` (`8m`), or `None` with a notice where the test may not mount one;
    /// under `CI=true` that fails the test instead, so CI never skips it unnoticed.
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        let refused = match mounted {
            Ok(output) if output.status.success() => return Some(Self(dir)),
            Ok(output) => String::from_utf8_lossy(&output.stderr).into_owned(),
            Err(err) => err.to_string(),
        };
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!("CI=true, and this test may not mount a tmpfs: {refused}");
        }
        eprintln!("skipping: this test may not mount a tmpfs (it needs root): {refused}");
        None
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).output();
    }
}

/// Fills the file system `path` is on with one file, until it is full; the file.
fn fill(path: &Path) -> PathBuf {
    let filler = path.join("filler");
    let mut file = File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    while file.write_all(&chunk[..512]).is_ok() {}
    let _ = file.sync_all();
    filler
}

#[test]
fn a_full_disk_keeps_the_last_good_data_served_until_space_is_freed() {
    let Some(disk) = Tmpfs::mount("16m") else {
        return;
    };
    let server = mock(200);
    let db = disk.path().join("inventory.sqlite");
    let serve = Serve::start(&server, db.to_str().unwrap(), "1s");
    serve.wait_healthy();
    let filler = fill(disk.path());
    // The next sync pulls the report whole, far more than the room left.
    server.add_orders(3_000);
    serve.wait_for_log("database or disk is full");
    // The last good data is served; /healthz turns 503 two intervals after the last sync.
    let (status, metrics) = get(&serve.addr, "/metrics");
    assert_eq!(status, 200);
    assert_eq!(sum(&metrics, "digicert_orders{"), 200.0);
    let body = serve.wait_for("/healthz", 503);
    assert!(
        body.contains("no successful sync within two intervals"),
        "{body}"
    );

    std::fs::remove_file(filler).unwrap();
    serve.wait_for_sum("digicert_orders{", 3_200.0);
    serve.wait_healthy();
    let log = serve.stop();
    let full = log
        .lines()
        .find(|line| line.contains("database or disk is full"))
        .unwrap();
    assert!(full.contains(&db.display().to_string()), "{full}");
    assert_eq!(outages(&log), [0, 0], "a full disk is no outage: {log}");
    assert_mirrors(db.to_str().unwrap(), &server);
}

/// The waits `serve` logged before trying CertCentral again, in order.
fn backoff_waits(log: &str) -> Vec<f64> {
    log.lines()
        .filter(|line| line.contains("backing off"))
        .map(|line| {
            let value = line.split("retry_in_seconds=").nth(1).unwrap();
            value.split_whitespace().next().unwrap().parse().unwrap()
        })
        .collect()
}

#[test]
fn certcentral_down_keeps_the_inventory_served_backs_off_and_resumes_incrementally() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    certcentral_down(db.to_str().unwrap());
}

#[test]
fn certcentral_down_keeps_a_postgres_inventory_served_backs_off_and_resumes_incrementally() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    certcentral_down(&database.url);
}

/// CertCentral answers 503 for a while behind `serve` on the inventory `db`: the inventory
/// is still served, `/healthz` turns 503, rounds back off, and the first round after it
/// returns syncs incrementally.
fn certcentral_down(db: &str) {
    let server = mock(500);
    let serve = Serve::start(&server, db, "1s");
    serve.wait_healthy();
    let last_success = "digicert_sync_last_success_timestamp_seconds{account=\"default\"}";

    // CertCentral answers 503 to everything.
    server.clear_requests();
    server.faults().service_unavailable_next(u32::MAX);
    // A round under way may still have succeeded; none after the first failed one.
    serve.wait_until("a failed round", || {
        (!backoff_waits(&serve.log()).is_empty()).then_some(())
    });
    let before = get(&serve.addr, "/metrics").1;
    let body = serve.wait_for("/healthz", 503);
    assert!(
        body.contains("no successful sync within two intervals: default"),
        "{body}"
    );
    // Three failed rounds, each a longer wait than the one before.
    serve.wait_until("three failed rounds", || {
        (backoff_waits(&serve.log()).len() >= 3).then_some(())
    });
    let (status, during) = get(&serve.addr, "/metrics");
    assert_eq!(status, 200, "the inventory is still served");
    assert_eq!(sum(&during, "digicert_orders{"), 500.0);
    assert_eq!(sample(&during, last_success), sample(&before, last_success));
    let waits = backoff_waits(&serve.log());
    for (failure, wait) in waits.iter().enumerate() {
        // The ceiling doubles from one interval; each wait is in its upper half.
        let ceiling = f64::from(1u32 << failure.min(8));
        assert!(
            (ceiling / 2.0..=ceiling).contains(wait),
            "wait {failure}: {wait} s, {waits:?}"
        );
    }
    // No request outside a round: at most the client's 5 attempts per failed round, and those
    // of the rounds under way when CertCentral went down and now.
    let failed_rounds = backoff_waits(&serve.log()).len();
    assert!(
        server.request_count() <= 5 * (failed_rounds + 2),
        "{} requests in {failed_rounds} failed rounds",
        server.request_count()
    );

    // CertCentral is back: the first round asks the status changes, not the whole report.
    server.clear_requests();
    server.faults().reset();
    serve.wait_healthy();
    let after = serve.stop();
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|request| request.path_and_query.contains("/status-changes")),
        "{requests:?}"
    );
    assert!(
        !requests
            .iter()
            .any(|request| request.path_and_query.contains("/report/order")),
        "a full pull after the outage: {requests:?}\n{after}"
    );
    assert_mirrors(db, &server);
}

/// The server process that holds the sync lock of the `default` account on `database`, if
/// any: the session-level advisory lock on the sync key (not the write lock a transaction
/// takes), as `pg_locks` shows a 64-bit key.
fn sync_lock_holder(database: &mut postgres::Client) -> Option<i32> {
    database
        .query_opt(
            "SELECT l.pid FROM pg_locks AS l, (SELECT hashtextextended('digicert-inventory \
             sync ' || current_schema() || ' default', 0) AS k) AS key \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND l.classid = ((key.k >> 32) & 4294967295)::oid \
             AND l.objid = (key.k & 4294967295)::oid",
            &[],
        )
        .unwrap()
        .map(|row| row.get(0))
}

#[test]
fn two_serves_on_one_postgres_hand_the_sync_over_when_the_holder_loses_its_lock() {
    let Some(database) = PgDatabase::create() else {
        return;
    };
    // A first sync long enough to cut in its middle: 20 report pages, each 300 ms away.
    let total = 20_000;
    let server = MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(total)
            .with_faults(digicert_mock::FaultPlan {
                latency: Duration::from_millis(300),
                ..digicert_mock::FaultPlan::default()
            }),
    )
    .unwrap();
    let hosts = [
        Serve::start(&server, &database.url, "1s"),
        Serve::start(&server, &database.url, "1s"),
    ];
    let mut watcher = database.client();
    // Some of the orders written, not all, and the lock held: cut only the lock's connection.
    let holder = hosts[0].wait_until("a sync in its middle", || {
        let written: i64 = watcher
            .query_opt("SELECT COUNT(*) FROM orders", &[])
            .ok()
            .flatten()
            .map_or(0, |row| row.get(0));
        let holder = sync_lock_holder(&mut watcher)?;
        (written > 0 && written < total as i64).then_some(holder)
    });
    let cut: bool = watcher
        .query_one("SELECT pg_terminate_backend($1)", &[&holder])
        .unwrap()
        .get(0);
    assert!(cut);

    // The host that held it says its sync stopped before its next write (by then the other
    // may hold the lock); one of the two then completes the sync.
    let lost = "the sync lock was lost with its connection";
    hosts[0].wait_until("the lost lock in a log", || {
        hosts
            .iter()
            .any(|host| host.log().contains(lost))
            .then_some(())
    });
    hosts[0].wait_for_sum("digicert_orders{", total as f64);
    hosts[1].wait_for_sum("digicert_orders{", total as f64);
    let logs: Vec<String> = hosts.into_iter().map(Serve::stop).collect();
    let fenced = logs.iter().filter(|log| log.contains(lost)).count();
    assert_eq!(fenced, 1, "{logs:#?}");
    // A host took the lock once it was free (most often the other, at its next round) and
    // made the first sync whole.
    assert!(
        logs.iter()
            .any(|log| log.contains("sync done") && log.contains("full=true")),
        "{logs:#?}"
    );
    // The fenced host stayed up and served; nobody saw an outage: the database never went.
    for log in &logs {
        assert_eq!(outages(log), [0, 0], "{log}");
    }
    assert_mirrors(&database.url, &server);
}
