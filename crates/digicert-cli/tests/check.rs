//! `digicert inventory check` through the binary: a synced inventory is sound (exit 0) on
//! both stores; a damaged SQLite file is not (exit 1), and every other command on it says to
//! move it aside and sync again.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};

use digicert_mock::{MockConfig, MockServer};
use support::db::TestDb;
use support::{KEY, digicert_at, exit_code, text};

/// A mock of 1,500 orders.
fn mock() -> MockServer {
    MockServer::start_background(MockConfig::default().with_api_key(KEY).with_orders(1_500))
        .unwrap()
}

/// `digicert --db <db> ARGS` against `server`.
fn run(server: &MockServer, db: &TestDb, args: &[&str]) -> std::process::Output {
    let db = db.path();
    let mut all = vec!["--db", db.to_str().unwrap()];
    all.extend_from_slice(args);
    digicert_at(server.base_url(), &all)
}

#[test]
fn a_synced_inventory_is_sound() {
    let server = mock();
    for db in TestDb::all() {
        assert_eq!(exit_code(&run(&server, &db, &["sync"])), 0, "{}", db.kind());
        let output = run(&server, &db, &["inventory", "check"]);
        let stdout = text(&output.stdout);
        assert_eq!(exit_code(&output), 0, "{}: {stdout}", db.kind());
        assert!(stdout.contains("the inventory is sound"), "{stdout}");
        assert!(
            stdout.contains("checked: the inventory's rules"),
            "{stdout}"
        );
        assert!(!stdout.contains("problem:"), "{stdout}");
    }
}

#[test]
fn a_damaged_file_is_not_sound_and_every_command_says_what_to_do() {
    let server = mock();
    let db = TestDb::file();
    assert_eq!(exit_code(&run(&server, &db, &["sync"])), 0);
    // Every page past the first three (the header, the schema) overwritten.
    let page = 16_384;
    let mut file = OpenOptions::new().write(true).open(db.path()).unwrap();
    let length = file.metadata().unwrap().len();
    file.seek(SeekFrom::Start(3 * page)).unwrap();
    file.write_all(&vec![0x5A; (length - 3 * page) as usize])
        .unwrap();
    drop(file);

    let output = run(&server, &db, &["inventory", "check"]);
    assert_eq!(exit_code(&output), 1);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("checked: SQLite's quick_check"), "{stdout}");
    assert!(stdout.contains("problem: "), "{stdout}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("the inventory is not sound"), "{stderr}");
    assert!(stderr.contains("move it aside"), "{stderr}");
    // The problems counted as people count them.
    let problems = stdout.matches("problem: ").count();
    let counted = match problems {
        1 => "(1 problem)".to_owned(),
        many => format!("({many} problems)"),
    };
    assert!(stderr.contains(&counted), "{counted}: {stderr}");

    let output = run(&server, &db, &["inventory", "expiring", "--days", "3650"]);
    assert_eq!(exit_code(&output), 1);
    let stderr = text(&output.stderr);
    for words in ["is damaged", "move it aside", "digicert sync"] {
        assert!(stderr.contains(words), "{words}: {stderr}");
    }
}
