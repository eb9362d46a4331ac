//! The `cargo xtask` binary end to end: regen from the fake CertCentral, then check.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use digicert_model::{
    OrderInfo, Reissues, ReportReader, StatusChanges, SubaccountOrdersPage, decode_json,
};

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_remove("DIGICERT_API_KEY")
        .output()
        .unwrap()
}

/// A fresh folder under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}

#[test]
fn regen_from_the_mock_writes_files_that_check_and_decode() {
    let dir = TempDir::new("regen");
    let out = dir.0.to_str().unwrap();

    let regen = xtask(&["fixtures", "regen", "--mock", "--out", out]);
    let stdout = String::from_utf8_lossy(&regen.stdout);
    assert!(
        regen.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&regen.stderr)
    );
    assert_eq!(stdout.matches("      new  ").count(), 5, "{stdout}");
    assert!(stdout.contains("cargo insta review"), "{stdout}");

    let check = xtask(&["fixtures", "check", "--dir", out]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let rows = ReportReader::new(read(&dir.0, "report/recorded.csv").as_slice())
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].csr.as_deref(), Some("<csr>"));
    let order: OrderInfo = decode_json(&read(&dir.0, "order_info/recorded.json")).unwrap();
    assert_eq!(order.id, rows[0].order_id);
    decode_json::<SubaccountOrdersPage>(&read(&dir.0, "subaccount_orders/recorded.json")).unwrap();
    decode_json::<Reissues>(&read(&dir.0, "reissues/recorded.json")).unwrap();
    decode_json::<StatusChanges>(&read(&dir.0, "status_changes/recorded.json")).unwrap();
}

#[test]
fn check_reports_problems_with_file_and_line_and_fails() {
    let dir = TempDir::new("check");
    std::fs::create_dir_all(dir.0.join("order_info")).unwrap();
    std::fs::write(
        dir.0.join("order_info/quirk_leak.json"),
        "{\n  \"email\": \"someone@gmail.com\"\n}\n",
    )
    .unwrap();
    let check = xtask(&["fixtures", "check", "--dir", dir.0.to_str().unwrap()]);
    assert_eq!(check.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("order_info/quirk_leak.json:2: email address someone@gmail.com"),
        "{stdout}"
    );
}

#[test]
fn live_regen_needs_the_key_and_bad_usage_exits_2() {
    let regen = xtask(&["fixtures", "regen", "--out", "/nonexistent"]);
    assert_eq!(regen.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&regen.stderr).contains("DIGICERT_API_KEY is not set"));

    let both = xtask(&[
        "fixtures",
        "regen",
        "--mock",
        "--base-url",
        "https://x.example",
    ]);
    assert_eq!(both.status.code(), Some(2));
    assert_eq!(xtask(&["bench-data", "many"]).status.code(), Some(2));
    assert_eq!(xtask(&["nothing"]).status.code(), Some(2));
}
