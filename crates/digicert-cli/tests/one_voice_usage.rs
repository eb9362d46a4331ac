//! One voice (issue 26), using the command, through the binary: the README's cron line as
//! written, `inventory expiring --fail-if-any`, examples in every help, every manual page,
//! config errors that name the file, `serve --listen` with a host name and `--interval` with
//! a unit, and an unusable `--db` refused as bad usage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use chrono::{TimeZone, Utc};
use digicert_mock::{MockConfig, MockServer};
use support::{KEY, command, command_at, exit_code, mock, run_db as run, text};

/// The repository's root.
const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// The binary with no server.
fn local(args: &[&str]) -> Output {
    command().args(args).output().unwrap()
}

#[test]
fn the_readmes_cron_line_syncs_with_the_env_file_the_service_file_describes() {
    let readme = std::fs::read_to_string(format!("{ROOT}/README.md")).unwrap();
    let line = readme
        .lines()
        .skip_while(|line| *line != "```cron")
        .nth(1)
        .unwrap();
    // The schedule's five fields, then the command cron gives to `sh -c`.
    let job = line.splitn(6, ' ').nth(5).unwrap();
    let service = std::fs::read_to_string(format!("{ROOT}/contrib/digicert-sync.service")).unwrap();
    assert!(service.contains("EnvironmentFile=%h/.config/digicert/env"));
    assert!(service.contains("put DIGICERT_API_KEY=... in ~/.config/digicert/env"));
    assert!(job.contains("$HOME/.config/digicert/env"), "{job}");

    let server = mock(40);
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".config/digicert")).unwrap();
    // As the service file says: `NAME=value` lines, no `export`.
    std::fs::write(
        home.path().join(".config/digicert/env"),
        format!(
            "DIGICERT_API_KEY={KEY}\nDIGICERT_BASE_URL={}\n",
            server.base_url()
        ),
    )
    .unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_digicert")).parent().unwrap();
    let output = Command::new("sh")
        .args(["-c", job])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", format!("{}:/usr/bin:/bin", binary.display()))
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{job}: {}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "", "--quiet");
    let inventory = home.path().join(".local/share/digicert/inventory.sqlite");
    let output = local(&[
        "--db",
        inventory.to_str().unwrap(),
        "inventory",
        "export",
        "--format",
        "jsonl",
    ]);
    assert_eq!(text(&output.stdout).lines().count(), 40);
}

#[test]
fn inventory_expiring_fails_if_any_for_cron_with_the_finding_said_even_when_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.sqlite");
    let server = mock(500);
    assert_eq!(exit_code(&run(&server, &current, &["sync"])), 0);
    let args = [
        "-q",
        "inventory",
        "expiring",
        "--days",
        "30",
        "--fail-if-any",
    ];
    let output = run(&server, &current, &args);
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
    let listed = text(&output.stdout).lines().count() - 1;
    assert!(listed > 0);
    assert_eq!(
        text(&output.stderr),
        format!("digicert: {listed} orders expiring within 30 days (--fail-if-any)\n")
    );

    // Data of long ago: nothing expires in the next 30 days, exit 0.
    let old = MockServer::start_background(
        MockConfig::default()
            .with_api_key(KEY)
            .with_orders(100)
            .with_reference_time(Utc.with_ymd_and_hms(2019, 1, 1, 0, 0, 0).unwrap()),
    )
    .unwrap();
    let past = dir.path().join("past.sqlite");
    assert_eq!(exit_code(&run(&old, &past, &["sync"])), 0);
    let output = run(&old, &past, &args);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).lines().count(), 1, "the header only");
}

/// Every subcommand's path, at any depth, from each help's `Commands:` list.
fn subcommands(path: &[String]) -> Vec<Vec<String>> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = text(&local(&args).stdout);
    let mut found = Vec::new();
    let Some(list) = help.split("\nCommands:\n").nth(1) else {
        return found;
    };
    for line in list.lines().take_while(|line| line.starts_with("  ")) {
        // A long description goes on in lines indented further.
        if line.as_bytes().get(2) == Some(&b' ') {
            continue;
        }
        let name = line.split_whitespace().next().unwrap();
        if name == "help" {
            continue;
        }
        let mut sub = path.to_vec();
        sub.push(name.to_owned());
        found.extend(subcommands(&sub));
        found.push(sub);
    }
    found
}

#[test]
fn every_subcommands_help_ends_with_examples_and_no_empty_env_is_shown() {
    let all = subcommands(&[]);
    for expected in [
        &["sync"][..],
        &["serve"],
        &["inventory"],
        &["inventory", "expiring"],
        &["inventory", "forget-account"],
    ] {
        assert!(
            all.iter().any(|path| path == expected),
            "{expected:?} in {all:?}"
        );
    }
    for path in &all {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let output = local(&args);
        assert_eq!(exit_code(&output), 0, "{path:?}");
        let help = text(&output.stdout);
        let examples = help
            .rfind("\nExamples:\n")
            .unwrap_or_else(|| panic!("{path:?} has no examples: {help}"));
        let shown = help[examples..]
            .lines()
            .filter(|line| line.starts_with("  digicert "))
            .count();
        assert!(shown >= 2, "{path:?}: {shown} examples");
        assert!(!help.contains("=]"), "{path:?}: an empty [env: NAME=]");
    }
}

#[test]
fn man_dir_writes_every_page_the_pages_name_with_exit_status_files_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let output = local(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
    let written: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(written.len() > 15, "{written:?}");
    for name in &written {
        let page = std::fs::read_to_string(pages.join(name)).unwrap();
        for section in [".SH \"EXIT STATUS\"", ".SH FILES", ".SH ENVIRONMENT"] {
            assert!(page.contains(section), "{name}: {section}");
        }
        assert!(
            page.contains("DIGICERT_DB") && page.contains("config.toml"),
            "{name}"
        );
        // Every page a page names (a line `digicert\-inventory\-find(1)`) exists.
        for line in page.lines().map(|line| line.replace("\\-", "-")) {
            if let Some(stem) = line
                .strip_suffix("(1)")
                .filter(|stem| stem.starts_with("digicert-"))
            {
                assert!(
                    written.contains(&format!("{stem}.1")),
                    "{name} names {line}"
                );
            }
        }
    }
    // The main page alone, on stdout, has the same sections.
    let page = text(&local(&["man"]).stdout);
    assert!(page.contains(".SH \"EXIT STATUS\"") && page.contains("digicert\\-inventory(1)"));
    // Exit 3 names every option that gives it.
    let exit_status = page.split(".SH FILES").next().unwrap().replace("\\-", "-");
    for option in ["expiring --fail-if-any", "probe --fail-if "] {
        assert!(exit_status.contains(option), "{option}: {exit_status}");
    }
    assert!(!page.contains("digicert\\-help(1)"));
}

/// Runs `digicert order 1` with a config home holding `toml`.
fn with_config(toml: &str) -> (Output, String) {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("digicert/config.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, toml).unwrap();
    let output = command()
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .env_remove("DIGICERT_PROFILE")
        .args(["order", "1"])
        .output()
        .unwrap();
    (output, file.display().to_string())
}

#[test]
fn config_errors_name_the_file_and_what_to_change() {
    let (output, file) =
        with_config("[profiles.us]\napi_key_env = \"A\"\napi_key_command = \"echo b\"\n");
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&file) && stderr.contains("profile `us`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`api_key_env`, `api_key_command`"),
        "{stderr}"
    );

    let (output, file) = with_config(
        "[profiles.us]\nregion = \"us\"\nbase_url = \"https://x.example\"\napi_key_env = \"A\"\n",
    );
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&file) && stderr.contains("`region` and `base_url`"),
        "{stderr}"
    );

    // A profile's `ca_cert` or `base_url` that cannot be used: the key, the profile, the file
    // (not a flag the user never passed).
    for (line, key) in [
        (
            "ca_cert = \"/nonexistent/missing.pem\"\nbase_url = \"http://127.0.0.1:9/services/v2\"",
            "`ca_cert = ",
        ),
        ("base_url = \"not a url\"", "`base_url = "),
    ] {
        let (output, file) = with_config(&format!(
            "default_profile = \"us\"\n[profiles.us]\napi_key_command = \"echo k\"\n{line}\n"
        ));
        assert_eq!(exit_code(&output), 2, "{line}");
        let stderr = text(&output.stderr);
        for part in [key, "profile `us`", file.as_str()] {
            assert!(stderr.contains(part), "{part}: {stderr}");
        }
        assert!(!stderr.contains("--ca-cert"), "{stderr}");
    }

    // A key command that fails stops digicert with exit 2, naming the command, its status,
    // the profile and the file (as the README says).
    let (output, file) = with_config(
        "default_profile = \"us\"\n[profiles.us]\nbase_url = \"http://127.0.0.1:9/services/v2\"\napi_key_command = \"exit 7\"\n",
    );
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    for part in [
        "command `exit 7`",
        "exited with status 7",
        "profile `us`",
        file.as_str(),
    ] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
}

#[test]
fn serve_listens_on_a_host_name_and_an_interval_needs_its_unit() {
    let output = local(&["serve", "--interval", "5"]);
    assert_eq!(exit_code(&output), 2);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("no unit") && stderr.contains("5m"),
        "{stderr}"
    );
    let output = local(&["serve", "--listen", "localhost"]);
    assert_eq!(exit_code(&output), 2);
    assert!(text(&output.stderr).contains("no port"));

    let server = mock(20);
    let dir = tempfile::tempdir().unwrap();
    let mut child = command_at(server.base_url())
        .arg("--db")
        .arg(dir.path().join("inventory.sqlite"))
        .args(["serve", "--listen", "localhost:0", "--interval", "1h"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("serving http://") {
        line.clear();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "serve ended");
    }
    let addr = line
        .split("serving http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn an_unusable_db_is_bad_usage_and_an_adopted_file_is_made_private() {
    let server = mock(20);
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist is not created for --db (a typo would go unnoticed).
    let typo = dir.path().join("invetnory/inventory.sqlite");
    let output = run(&server, &typo, &["sync"]);
    assert_eq!(exit_code(&output), 2);
    assert!(
        text(&output.stderr).contains("does not exist"),
        "{}",
        text(&output.stderr)
    );
    assert!(!dir.path().join("invetnory").exists());
    // A folder is said to be one.
    let output = run(&server, dir.path(), &["inventory", "export"]);
    assert_eq!(exit_code(&output), 2);
    assert!(
        text(&output.stderr).contains("is a folder"),
        "{}",
        text(&output.stderr)
    );
    // A URL of another database is not taken for a file name.
    let output = run(
        &server,
        Path::new("postgress://db.example/inventory"),
        &["sync"],
    );
    assert_eq!(exit_code(&output), 2);
    assert!(
        text(&output.stderr).contains("postgresql://"),
        "{}",
        text(&output.stderr)
    );
    assert!(!Path::new("postgress:").exists());
    // A file that cannot be opened is bad usage too (exit 2), its path and why said: a
    // symbolic link to nothing, a file of /proc, a folder that takes no file.
    #[cfg(unix)]
    {
        let dangling = dir.path().join("dangling.sqlite");
        std::os::unix::fs::symlink(dir.path().join("gone/inventory.sqlite"), &dangling).unwrap();
        for args in [&["sync"][..], &["inventory", "export"]] {
            let output = run(&server, &dangling, args);
            assert_eq!(exit_code(&output), 2, "{args:?}");
            let stderr = text(&output.stderr);
            assert!(
                stderr.contains("dangling.sqlite: is a symbolic link to"),
                "{stderr}"
            );
            assert!(stderr.contains("which does not exist"), "{stderr}");
        }
    }
    #[cfg(target_os = "linux")]
    for (db, why) in [
        ("/proc/version", "cannot be opened"),
        ("/proc/self/inventory.sqlite", "cannot be opened"),
    ] {
        let output = run(&server, Path::new(db), &["sync"]);
        assert_eq!(exit_code(&output), 2, "{db}: {}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("--db {db}: {why}")), "{stderr}");
    }
    assert!(server.requests().is_empty());

    // An empty file others may read becomes the inventory, readable by its owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let empty = dir.path().join("empty.sqlite");
        std::fs::write(&empty, "").unwrap();
        std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(exit_code(&run(&server, &empty, &["sync"])), 0);
        let mode = std::fs::metadata(&empty).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
