//! A PostgreSQL cluster of the test's own, to restart for real: `initdb` into a temporary
//! folder (as the `postgres` user when the test runs as root, as `.ci/postgres.sh` does),
//! started on 127.0.0.1 at a free port, stopped and removed when dropped.
//!
//! Without PostgreSQL's server programs the test is skipped with a notice; under `CI=true`
//! that is a failure.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// A running cluster of the test's own.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Runs the server's programs as `postgres` when the test runs as root.
    as_postgres: bool,
    /// Its `postgres` database, as the `postgres` user.
    pub url: String,
}

impl Cluster {
    /// A new cluster, running; `None` (with a notice) when PostgreSQL is not installed.
    pub fn start() -> Option<Cluster> {
        let Some(bin) = server_programs() else {
            if std::env::var("CI").is_ok_and(|ci| ci == "true") {
                panic!("no PostgreSQL server programs (initdb), and CI=true");
            }
            eprintln!("skipping: no PostgreSQL server programs (initdb) to start a cluster");
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let mut cluster = Cluster {
            dir,
            bin,
            as_postgres,
            url: String::new(),
        };
        let data = cluster.data();
        cluster.run_program(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let port = free_port();
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {}",
            cluster.dir.path().display()
        );
        let log = cluster.log();
        cluster.run_program(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-w", "-t", "60", "-o", &options, "start",
            ],
        );
        cluster.url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        Some(cluster)
    }

    /// `pg_ctl restart` (fast shutdown: sessions are ended, as in a routine restart).
    pub fn restart(&self) {
        let (data, log) = (self.data(), self.log());
        // The server's output goes to its log, not to this process's pipes (which it would
        // hold open).
        self.run_program(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-m", "fast", "-w", "-t", "60", "restart",
            ],
        );
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn log(&self) -> String {
        self.dir.path().join("server.log").display().to_string()
    }

    /// Runs one of the server's programs; it must succeed.
    fn run_program(&self, program: &str, args: &[&str]) {
        run(self.program(program).args(args));
    }

    /// One of the server's programs, run as `postgres` if need be, in the cluster's folder.
    fn program(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&path);
            command
        } else {
            Command::new(&path)
        };
        command.current_dir(self.dir.path());
        command
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .program("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}

/// The newest `/usr/lib/postgresql/*/bin` that has `initdb`.
fn server_programs() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// A port nobody listens on just now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a command that must succeed.
fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
