//! What the inventory tests share: the mock, `digicert --db` against it on either backend
//! or offline, and what an inventory holds against what the mock serves.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use digicert_mock::{FaultPlan, MockConfig, MockServer};

use super::db::TestDb;
use super::{KEY, command, command_at, exit_code, text};

/// The backends, by name.
pub const BACKENDS: [&str; 2] = ["blocking", "async"];

/// Every backend on every store (PostgreSQL when configured), each pair on a fresh one.
pub fn cases() -> Vec<(TestDb, &'static str)> {
    BACKENDS
        .iter()
        .flat_map(|&backend| TestDb::all().into_iter().map(move |db| (db, backend)))
        .collect()
}

/// The mock with `orders` orders, answering after `latency`.
pub fn server(orders: usize, latency: Duration) -> MockServer {
    MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(orders)
            .with_faults(FaultPlan {
                latency,
                ..FaultPlan::default()
            }),
    )
    .unwrap()
}

/// `digicert --db <db>` against `server` with `backend`, arguments to follow.
pub fn against(server: &MockServer, backend: &str, db: &Path) -> Command {
    let mut command = command_at(server.base_url());
    command.args(["--backend", backend, "--db"]).arg(db);
    command
}

/// `digicert --db <db> <args>` against `server` with `backend`.
pub fn digicert(server: &MockServer, backend: &str, db: &Path, args: &[&str]) -> Output {
    against(server, backend, db).args(args).output().unwrap()
}

/// `digicert --db <db> <args>`, no server.
pub fn offline(db: &Path, args: &[&str]) -> Output {
    command().arg("--db").arg(db).args(args).output().unwrap()
}

/// Each exported order's id and status, from `inventory export --format jsonl`; asserts no
/// order appears twice.
pub fn exported(db: &Path) -> HashMap<u64, String> {
    let output = offline(db, &["inventory", "export", "--format", "jsonl"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let mut orders = HashMap::new();
    for line in text(&output.stdout).lines() {
        let order: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = order["order_id"].as_u64().unwrap();
        let status = order["status"].as_str().unwrap().to_owned();
        assert!(orders.insert(id, status).is_none(), "order {id} twice");
    }
    orders
}

/// The mock's orders and their statuses.
pub fn expected(server: &MockServer) -> HashMap<u64, String> {
    let dataset = server.dataset();
    dataset
        .order_ids()
        .map(|id| {
            let status = dataset.report_row(id).unwrap().status;
            (id, status.as_str().to_owned())
        })
        .collect()
}
