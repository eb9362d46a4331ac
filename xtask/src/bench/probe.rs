//! The TLS probe's figures: digicert-probe making 5,000 loopback handshakes (distinct names
//! mapped by resolve entries to 127.0.0.1-4) at concurrency 64, against a bare tokio-rustls
//! loop making the same handshakes at the same concurrency, in the same rounds, and the
//! prober's peak RSS. Both are `digicert-probe`'s `loopback_bench` example, against one
//! loopback server (the same example) that runs for the whole measurement.

use std::error::Error;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{
    Check, Contender, Row, WorkDir, load_average, measure_rounds, target_dir, workspace_root,
};

/// Handshakes per run.
const TARGETS: &str = "5000";
/// Handshakes in flight.
const CONCURRENCY: &str = "64";
/// Target: the prober at most this many times the bare loop's time.
const SPEED_TARGET: f64 = 1.5;
/// Target: the prober's peak RSS, in MiB.
const RSS_MIB_TARGET: f64 = 100.0;

/// The prober (P) and the bare loop (Q), `runs` rounds, and the rows of the table.
pub(super) fn probe_rows(runs: usize) -> Result<Vec<Row>, Box<dyn Error>> {
    let bench = build()?;
    println!(
        "bench: TLS probe, {TARGETS} handshakes at concurrency {CONCURRENCY}, {runs} run(s); load average {}",
        load_average()
    );
    let work = WorkDir::create(target_dir().join("xtask-bench-probe"))?;
    let server = Server::start(&bench, &work.0)?;
    let port = server.port.to_string();
    let ca = work.0.join("ca.pem");
    let ca = ca.to_string_lossy();
    let args = |mode| [mode, port.as_str(), &ca, TARGETS, CONCURRENCY];
    let contenders = [
        Contender::new("P digicert-probe x64", &bench, &args("probe")),
        Contender::new("Q bare rustls x64", &bench, &args("bare")),
    ];
    let mut rows = measure_rounds(&contenders, runs, &work)?;
    let [probe, bare] = &mut rows[..] else {
        return Err("expected contenders P and Q".into());
    };
    let ratio = probe.seconds() / bare.seconds();
    let peak = probe.peak_mib();
    probe
        .checks
        .push(Check::at_most("P/Q", ratio, SPEED_TARGET));
    probe.checks.push(Check {
        unit: " MiB",
        ..Check::at_most("peak RSS", peak, RSS_MIB_TARGET)
    });
    let title = format!("TLS probe, {TARGETS} loopback handshakes at concurrency {CONCURRENCY}");
    let mut table = vec![Row::section(&title)];
    table.extend(rows);
    Ok(table)
}

/// Builds the `loopback_bench` example in release and returns its path.
fn build() -> Result<PathBuf, Box<dyn Error>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--release", "-p", "digicert-probe"])
        .args(["--example", "loopback_bench"])
        .current_dir(workspace_root())
        .status()
        .map_err(|err| format!("cannot run cargo build: {err}"))?;
    if !status.success() {
        return Err(
            format!("cargo build --release --example loopback_bench failed ({status})").into(),
        );
    }
    Ok(target_dir()
        .join("release")
        .join("examples")
        .join("loopback_bench"))
}

/// The loopback TLS server, a child process; killed when dropped (also on error).
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Starts the server, which writes its CA to `dir/ca.pem`, and reads its port.
    fn start(bench: &Path, dir: &Path) -> Result<Self, Box<dyn Error>> {
        let child = Command::new(bench)
            .arg("serve")
            .arg(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|err| format!("cannot start {}: {err}", bench.display()))?;
        let mut server = Self { child, port: 0 };
        let stdout = server
            .child
            .stdout
            .take()
            .ok_or("the server has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        server.port = line
            .trim()
            .parse()
            .map_err(|_| format!("the server printed {line:?}, not its port"))?;
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
