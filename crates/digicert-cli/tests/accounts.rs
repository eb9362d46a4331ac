//! Several accounts in one inventory, through the binary: every profile of the config file
//! synced into one file, each through a client (and a fake CertCentral) of its own, the same
//! order ids kept apart by account, queries narrowed with `--account` or `--profile` by the
//! rule sync follows (an unknown name an error), one failing account not stopping the others,
//! and an account that left the config forgotten only when asked.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use digicert_mock::{MockConfig, MockServer};
use support::{KEY, exit_code, text};

/// A base URL where nothing listens.
const NOWHERE: &str = "http://127.0.0.1:9/services/v2";

/// A fake CertCentral with `orders` orders; the same seed for both, so their order ids
/// overlap as two real accounts' may.
fn server(orders: usize) -> MockServer {
    MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(orders)
            .with_seed(7),
    )
    .unwrap()
}

/// A config home with one profile per (name, base URL), each reading the key from
/// `DIGICERT_TEST_KEY`.
fn home(dir: &Path, profiles: &[(&str, &str)]) {
    let mut toml = String::new();
    for (name, base_url) in profiles {
        toml.push_str(&format!(
            "[profiles.{name}]\nbase_url = \"{base_url}\"\napi_key_env = \"DIGICERT_TEST_KEY\"\n"
        ));
    }
    std::fs::create_dir_all(dir.join("digicert")).unwrap();
    std::fs::write(dir.join("digicert/config.toml"), toml).unwrap();
}

/// `digicert --db <db> <args>` with the config home `dir` and no key flag.
fn digicert(dir: &Path, args: &[&str]) -> Output {
    support::command()
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("DIGICERT_PROFILE")
        .env("DIGICERT_TEST_KEY", KEY)
        .args(["--no-rate-limit", "--db"])
        .arg(dir.join("inventory.sqlite"))
        .args(args)
        .output()
        .unwrap()
}

/// The exported orders: (account, order id) to status.
fn exported(dir: &Path, args: &[&str]) -> BTreeMap<(String, u64), String> {
    let mut all = vec!["--format", "jsonl"];
    all.extend(args);
    all.extend(["inventory", "export"]);
    let output = digicert(dir, &all);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let mut orders = BTreeMap::new();
    for line in text(&output.stdout).lines() {
        let order: serde_json::Value = serde_json::from_str(line).unwrap();
        let key = (
            order["account"].as_str().unwrap().to_owned(),
            order["order_id"].as_u64().unwrap(),
        );
        let status = order["status"].as_str().unwrap().to_owned();
        assert!(
            orders.insert(key.clone(), status).is_none(),
            "{key:?} twice"
        );
    }
    orders
}

#[test]
fn every_profile_is_an_account_of_one_inventory() {
    let (us, eu) = (server(300), server(200));
    let dir = tempfile::tempdir().unwrap();
    home(dir.path(), &[("us", us.base_url()), ("eu", eu.base_url())]);

    let output = digicert(dir.path(), &["sync"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("eu: sync full: 200 added"), "{stderr}");
    assert!(stderr.contains("us: sync full: 300 added"), "{stderr}");
    // Each account went to its own CertCentral.
    assert!(!us.requests().is_empty() && !eu.requests().is_empty());

    let orders = exported(dir.path(), &[]);
    assert_eq!(orders.len(), 500);
    let ids = |account: &str| -> BTreeSet<u64> {
        orders
            .keys()
            .filter(|(a, _)| a == account)
            .map(|(_, id)| *id)
            .collect()
    };
    let (us_ids, eu_ids) = (ids("us"), ids("eu"));
    assert_eq!(
        us_ids,
        us.dataset().order_ids().collect::<BTreeSet<_>>(),
        "the us account holds the us orders"
    );
    assert_eq!(eu_ids, eu.dataset().order_ids().collect::<BTreeSet<_>>());
    let shared: Vec<_> = us_ids.intersection(&eu_ids).collect();
    assert!(!shared.is_empty(), "the same ids in both accounts");

    // Queries narrowed to one account; the table names the account.
    let only_eu = exported(dir.path(), &["--account", "eu"]);
    assert_eq!(only_eu.len(), 200);
    assert!(only_eu.keys().all(|(account, _)| account == "eu"));
    let id = shared[0].to_string();
    let output = digicert(dir.path(), &["inventory", "find", &id]);
    let table = text(&output.stdout);
    assert!(table.starts_with("account"), "{table}");
    let accounts: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(accounts, ["eu", "us"], "{table}");

    // `--account` syncs only that account: one request to its CertCentral, none to the other.
    us.clear_requests();
    eu.clear_requests();
    let output = digicert(dir.path(), &["sync", "--account", "us"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(us.requests().len(), 1);
    assert!(eu.requests().is_empty());

    // An account the config file does not have is refused before any request.
    let output = digicert(dir.path(), &["sync", "--account", "apac"]);
    assert_eq!(exit_code(&output), 2);
    assert!(text(&output.stderr).contains("apac"));
}

#[test]
fn one_failing_account_does_not_stop_the_others() {
    let (us, eu) = (server(100), server(50));
    let dir = tempfile::tempdir().unwrap();
    home(
        dir.path(),
        &[
            ("us", us.base_url()),
            ("down", NOWHERE),
            ("eu", eu.base_url()),
        ],
    );
    let output = digicert(dir.path(), &["--timeout", "5", "sync"]);
    assert_eq!(exit_code(&output), 1);
    let stderr = text(&output.stderr);
    assert!(stderr.contains("error: account down:"), "{stderr}");
    assert!(stderr.contains("1 of 3 accounts failed: down"), "{stderr}");
    // "down" comes first in name order; the accounts after it were synced all the same.
    let orders = exported(dir.path(), &[]);
    let count = |account: &str| orders.keys().filter(|(a, _)| a == account).count();
    assert_eq!((count("us"), count("eu"), count("down")), (100, 50, 0));
}

#[test]
fn without_a_config_file_the_one_account_is_default() {
    let server = server(20);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inventory.sqlite");
    let run = |account: &str| {
        Command::new(env!("CARGO_BIN_EXE_digicert"))
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env_remove("DIGICERT_PROFILE")
            .env_remove("DIGICERT_API_KEY")
            .env_remove("DIGICERT_DB")
            .args(["--base-url", server.base_url(), "--api-key", KEY, "--db"])
            .arg(&db)
            .args(["sync", "--account", account])
            .output()
            .unwrap()
    };
    let output = run("us");
    assert_eq!(exit_code(&output), 2);
    assert!(
        text(&output.stderr).contains("the only account is `default`"),
        "{}",
        text(&output.stderr)
    );
    assert!(!db.exists(), "refused before the inventory is created");
    assert!(server.requests().is_empty());
    let output = run("default");
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let orders = exported(dir.path(), &[]);
    assert_eq!(orders.len(), 20);
    assert!(orders.keys().all(|(account, _)| account == "default"));
}

#[test]
fn queries_follow_the_account_rule_of_sync_and_refuse_unknown_names() {
    let (us, eu) = (server(30), server(20));
    let dir = tempfile::tempdir().unwrap();
    home(dir.path(), &[("us", us.base_url()), ("eu", eu.base_url())]);
    let output = digicert(dir.path(), &["sync"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));

    // `--profile` narrows a query as it narrows a sync; `--account` too.
    let only_eu = exported(dir.path(), &["--profile", "eu"]);
    assert_eq!(only_eu.len(), 20);
    assert!(only_eu.keys().all(|(account, _)| account == "eu"));
    assert_eq!(exported(dir.path(), &["--account", "us"]).len(), 30);
    assert_eq!(exported(dir.path(), &[]).len(), 50);

    // An unknown name is an error on every command, before any request; a name in another
    // case is one too, with the name meant.
    for args in [
        &["--account", "nope", "inventory", "expiring", "--days", "30"][..],
        &["--account", "nope", "sync"][..],
        &["--profile", "nope", "inventory", "export"][..],
    ] {
        let output = digicert(dir.path(), args);
        assert_eq!(exit_code(&output), 2, "{args:?}");
        assert!(text(&output.stderr).contains("nope"), "{args:?}");
        assert_eq!(text(&output.stdout), "", "{args:?}");
    }
    let output = digicert(dir.path(), &["--account", "US", "inventory", "find", "1"]);
    assert_eq!(exit_code(&output), 2);
    assert!(
        text(&output.stderr).contains("did you mean `us`?"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn api_commands_call_the_one_account_named_and_every_command_refuses_unknown_names() {
    let (us, eu) = (server(30), server(20));
    let dir = tempfile::tempdir().unwrap();
    home(dir.path(), &[("us", us.base_url()), ("eu", eu.base_url())]);
    let toml = std::fs::read_to_string(dir.path().join("digicert/config.toml")).unwrap();
    std::fs::write(
        dir.path().join("digicert/config.toml"),
        format!("default_profile = \"us\"\n{toml}"),
    )
    .unwrap();
    // `--account eu` is the profile `eu`: its server answers, not the default profile's.
    let output = digicert(
        dir.path(),
        &["--account", "eu", "report", "--format", "jsonl"],
    );
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).lines().count(), 20);
    assert!(us.requests().is_empty(), "{:?}", us.requests());
    // Several accounts: one command calls one; pick one, or sync.
    let output = digicert(
        dir.path(),
        &["--account", "eu", "--account", "us", "report"],
    );
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("pick one") && stderr.contains("digicert sync"),
        "{stderr}"
    );
    // An unknown name: exit 2 and the words of every other command, before any request.
    let (us_before, eu_before) = (us.requests().len(), eu.requests().len());
    for args in [
        &["--account", "nope", "report"][..],
        &["--account", "nope", "expiring", "--days", "30"][..],
        &["--account", "nope", "order", "1"][..],
        &["--account", "US", "report"][..],
        &["--account", "US", "sync"][..],
    ] {
        let output = digicert(dir.path(), args);
        assert_eq!(exit_code(&output), 2, "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("no account `"), "{args:?}: {stderr}");
        if args[1] == "US" {
            assert!(
                stderr.contains("(did you mean `us`?)"),
                "{args:?}: {stderr}"
            );
        }
        assert_eq!(text(&output.stdout), "", "{args:?}");
    }
    assert_eq!(us.requests().len(), us_before);
    assert_eq!(eu.requests().len(), eu_before);
    // `inventory check` checks every account at once: it takes no --account.
    let output = digicert(dir.path(), &["sync"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let output = digicert(dir.path(), &["--account", "nope", "inventory", "check"]);
    assert_eq!(exit_code(&output), 2);
    assert!(
        text(&output.stderr).contains("whole inventory"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn an_account_that_left_the_config_is_forgotten_only_when_asked() {
    let (us, old) = (server(30), server(20));
    let dir = tempfile::tempdir().unwrap();
    home(
        dir.path(),
        &[("us", us.base_url()), ("old", old.base_url())],
    );
    let output = digicert(dir.path(), &["sync"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    // `old` leaves the config: its orders stay, and can still be asked for by name.
    home(dir.path(), &[("us", us.base_url())]);
    assert_eq!(exported(dir.path(), &[]).len(), 50);
    assert_eq!(exported(dir.path(), &["--account", "old"]).len(), 20);

    // Without --yes: what would go, and nothing goes.
    let output = digicert(dir.path(), &["inventory", "forget-account", "old"]);
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("holds 20 orders") && stderr.contains("--yes"),
        "{stderr}"
    );
    assert_eq!(exported(dir.path(), &[]).len(), 50);

    let output = digicert(dir.path(), &["inventory", "forget-account", "old", "--yes"]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("forgot account `old`: 20 orders deleted"),
        "{}",
        text(&output.stderr)
    );
    let left = exported(dir.path(), &[]);
    assert_eq!(left.len(), 30);
    assert!(left.keys().all(|(account, _)| account == "us"));

    // Now an account nobody knows: an error for a query, not found for forgetting it.
    let output = digicert(dir.path(), &["--account", "old", "inventory", "export"]);
    assert_eq!(exit_code(&output), 2);
    let output = digicert(dir.path(), &["inventory", "forget-account", "old", "--yes"]);
    assert_eq!(exit_code(&output), 1);
    assert!(text(&output.stderr).contains("holds no account `old`"));
}
