//! Running the `digicert` binary in tests: a clean environment, the output as text, the
//! ids of JSON-lines output.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod cluster;
pub mod db;
pub mod hostile;
pub mod inventory;
pub mod mirror;
pub mod serve;
pub mod served;

use std::process::{Command, Output};

/// The key every test configures; no output may ever contain it.
pub const KEY: &str = "cli-faults-key-7c2d91e4b0";

/// Every variable that can send the binary's requests through a proxy.
pub const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// The binary with no key, base URL, log filter or proxy from the environment.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_digicert"));
    let others = [
        "DIGICERT_API_KEY",
        "DIGICERT_BASE_URL",
        "DIGICERT_DB",
        "XDG_DATA_HOME",
        "RUST_LOG",
        "NO_PROXY",
        "no_proxy",
    ];
    for name in PROXY_VARIABLES.iter().chain(&others) {
        command.env_remove(name);
    }
    command
}

/// A fake CertCentral with `orders` orders, taking the test key.
pub fn mock(orders: usize) -> digicert_mock::MockServer {
    digicert_mock::MockServer::start_background(
        digicert_mock::MockConfig::default()
            .with_api_key(KEY)
            .with_orders(orders),
    )
    .unwrap()
}

/// The binary pointed at the fake CertCentral at `base_url`, with the test key and no
/// rate limit.
pub fn command_at(base_url: &str) -> Command {
    let mut command = command();
    command.args(["--base-url", base_url, "--api-key", KEY, "--no-rate-limit"]);
    command
}

/// Runs `digicert --db <db> <args>` against `server` with the test key, no rate limit.
pub fn run_db(server: &digicert_mock::MockServer, db: &std::path::Path, args: &[&str]) -> Output {
    command_at(server.base_url())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

/// Runs the binary with `args` against `base_url` with the test key.
pub fn digicert_at(base_url: &str, args: &[&str]) -> Output {
    command()
        .args(["--base-url", base_url, "--api-key", KEY])
        .args(args)
        .output()
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The exit code; a panic (101) or a signal fails the test at once.
pub fn exit_code(output: &Output) -> i32 {
    let code = output.status.code();
    assert!(
        matches!(code, Some(0..=2)),
        "exit {code:?}: {}",
        text(&output.stderr)
    );
    assert!(
        !text(&output.stderr).contains("panicked"),
        "{}",
        text(&output.stderr)
    );
    for stream in [&output.stdout, &output.stderr] {
        assert!(!text(stream).contains(KEY), "the key was printed");
    }
    code.unwrap_or_default()
}

/// The `id_field` of each line of JSON-lines output.
pub fn ids(stdout: &[u8], id_field: &str) -> Vec<u64> {
    text(stdout)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value[id_field].as_u64().unwrap()
        })
        .collect()
}

/// `value` as JSON with every date-time as an instant in UTC: CertCentral's objects as the
/// CLI writes them (times with `Z`) and as sent (`+00:00`, or no zone) compare the same.
pub fn same_instants<T: serde::Serialize>(value: &T) -> serde_json::Value {
    fn walk(value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match value {
            // RFC 3339, or a time with no zone (the report's), which is UTC.
            Value::String(text) => match chrono::DateTime::parse_from_rfc3339(&text) {
                Ok(at) => Value::String(at.to_utc().to_rfc3339()),
                Err(_) => match chrono::NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S") {
                    Ok(at) => Value::String(at.and_utc().to_rfc3339()),
                    Err(_) => Value::String(text),
                },
            },
            Value::Array(items) => Value::Array(items.into_iter().map(walk).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, walk(v))).collect())
            }
            other => other,
        }
    }
    walk(serde_json::to_value(value).unwrap())
}
