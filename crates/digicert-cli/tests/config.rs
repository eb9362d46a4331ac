//! The config file and the order the sources of each setting win in (flag > environment >
//! profile > default), through the binary, with a config home of the test's own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use digicert_mock::{MockConfig, MockServer};
use support::{KEY, exit_code, text};

/// A base URL where nothing listens: a source that loses must not be the one used.
const NOWHERE: &str = "http://127.0.0.1:9/services/v2";

/// One fake CertCentral for the file, with the test key.
fn server() -> &'static MockServer {
    static SERVER: OnceLock<MockServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        MockServer::start_background(MockConfig::default().with_api_key(KEY)).unwrap()
    })
}

/// An order the fake has.
fn order_id() -> String {
    server().dataset().order_ids().next().unwrap().to_string()
}

/// A fresh, empty folder used as both HOME and XDG_CONFIG_HOME.
struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "digicert-config-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("digicert")).unwrap();
        Self(dir)
    }

    /// Writes the config file.
    fn config(&self, toml: &str) -> &Self {
        std::fs::write(self.0.join("digicert/config.toml"), toml).unwrap();
        self
    }

    /// Writes a key file with the given mode and returns its path.
    fn key_file(&self, name: &str, key: &str, mode: u32) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, format!("{key}\n")).unwrap();
        set_mode(&path, mode);
        path
    }

    /// The binary, with this home and nothing from the caller's environment.
    fn command(&self) -> Command {
        let mut command = support::command();
        command
            .env("HOME", &self.0)
            .env("XDG_CONFIG_HOME", &self.0)
            .env_remove("DIGICERT_PROFILE")
            .env_remove("DIGICERT_TEST_KEY");
        command
    }

    /// Runs `order <id>` with extra environment and arguments.
    fn order(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let mut command = self.command();
        command.envs(env.iter().copied()).args(args);
        command.args(["--no-rate-limit", "order", &order_id()]);
        command.output().unwrap()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Asserts success (and that the key never showed).
fn succeeds(output: &Output) {
    assert_eq!(exit_code(output), 0, "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains(&order_id()));
}

/// Asserts refusal before any request, with `message` on stderr.
fn refused(output: &Output, message: &str) {
    assert_eq!(exit_code(output), 2, "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains(message),
        "expected {message:?} in: {}",
        text(&output.stderr)
    );
}

#[test]
fn a_profile_gives_the_instance_and_the_key_from_a_file() {
    let home = Home::new();
    home.key_file("us.key", KEY, 0o600);
    home.config(&format!(
        "default_profile = \"us\"\n[profiles.us]\nbase_url = \"{}\"\napi_key_file = \"~/us.key\"\ntimeout = 30\nconcurrency = 4\n",
        server().base_url()
    ));
    for backend in ["blocking", "async"] {
        succeeds(&home.order(&[], &["--backend", backend]));
    }
}

#[test]
fn profiles_are_chosen_by_flag_then_environment_then_default() {
    let home = Home::new();
    home.config(&format!(
        "default_profile = \"broken\"\n\
         [profiles.broken]\nbase_url = \"{NOWHERE}\"\napi_key_env = \"DIGICERT_TEST_KEY\"\n\
         [profiles.good]\nbase_url = \"{}\"\napi_key_env = \"DIGICERT_TEST_KEY\"\n",
        server().base_url()
    ));
    let key = [("DIGICERT_TEST_KEY", KEY)];
    // The default profile points nowhere: exit 1, a connection failure.
    assert_eq!(exit_code(&home.order(&key, &[])), 1);
    succeeds(&home.order(&key, &["--profile", "good"]));
    let env = [("DIGICERT_TEST_KEY", KEY), ("DIGICERT_PROFILE", "good")];
    succeeds(&home.order(&env, &[]));
    let env = [("DIGICERT_TEST_KEY", KEY), ("DIGICERT_PROFILE", "broken")];
    succeeds(&home.order(&env, &["--profile", "good"]));
    refused(
        &home.order(&key, &["--profile", "eu"]),
        "no profile `eu` in",
    );
    refused(&home.order(&key, &["--profile", "eu"]), "broken, good");
}

#[test]
fn flag_beats_environment_beats_profile() {
    let home = Home::new();
    let base = server().base_url();
    home.config(&format!(
        "default_profile = \"p\"\n[profiles.p]\nbase_url = \"{NOWHERE}\"\napi_key_command = \"echo wrong-key\"\n"
    ));
    // The environment's base URL and key beat the profile's.
    succeeds(&home.order(
        &[("DIGICERT_BASE_URL", base), ("DIGICERT_API_KEY", KEY)],
        &[],
    ));
    // A flag beats the environment, for the base URL and for the key.
    let env = [
        ("DIGICERT_BASE_URL", NOWHERE),
        ("DIGICERT_API_KEY", "wrong"),
    ];
    succeeds(&home.order(&env, &["--base-url", base, "--api-key", KEY]));
    let file = home.key_file("flag.key", KEY, 0o600);
    let file = file.to_str().unwrap();
    succeeds(&home.order(&env, &["--base-url", base, "--api-key-file", file]));
    // The profile's key, when nothing else gives one: here the wrong one, so 401 (exit 1).
    let output = home.order(&[], &["--base-url", base]);
    assert_eq!(exit_code(&output), 1, "{}", text(&output.stderr));
}

#[test]
fn an_environment_variable_never_blocks_a_flag() {
    let home = Home::new();
    let env = [
        ("DIGICERT_BASE_URL", server().base_url()),
        ("DIGICERT_API_KEY", KEY),
    ];
    // --region with DIGICERT_BASE_URL set: accepted (the bad reference is then refused
    // before any request, so nothing leaves this machine).
    let mut command = home.command();
    let output = command
        .envs(env)
        .args(["--region", "eu", "order", "not-a-reference"])
        .output()
        .unwrap();
    refused(&output, "");
    assert!(!text(&output.stderr).contains("cannot be used with"));
    // --demo with DIGICERT_BASE_URL set: the demo runs.
    let output = home
        .command()
        .envs(env)
        .args(["--demo", "reissues", &order_id()])
        .output()
        .unwrap();
    assert_eq!(exit_code(&output), 0, "{}", text(&output.stderr));
}

#[test]
fn a_key_from_a_command() {
    let home = Home::new();
    home.config(&format!(
        "default_profile = \"ok\"\n\
         [profiles.ok]\nbase_url = \"{0}\"\napi_key_command = \"printf '%s\\\\n' {KEY}\"\n\
         [profiles.fails]\nbase_url = \"{0}\"\napi_key_command = \"echo no such entry >&2; exit 3\"\n\
         [profiles.silent]\nbase_url = \"{0}\"\napi_key_command = \"true\"\n",
        server().base_url()
    ));
    succeeds(&home.order(&[], &[]));
    let output = home.order(&[], &["--profile", "fails"]);
    refused(&output, "API key from command `echo no such entry");
    refused(&output, "exited with status 3");
    // The command's own stderr reaches the user.
    refused(&output, "no such entry");
    refused(&home.order(&[], &["--profile", "silent"]), "is empty");
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    let home = Home::new();
    let open = home.key_file("open.key", KEY, 0o644);
    home.config(&format!(
        "default_profile = \"p\"\n[profiles.p]\nbase_url = \"{}\"\napi_key_file = \"../open.key\"\n",
        server().base_url()
    ));
    refused(&home.order(&[], &[]), "is readable by others (mode 644)");
    refused(
        &home.order(&[], &["--api-key-file", open.to_str().unwrap()]),
        "chmod 600",
    );
    let missing = home.0.join("missing.key");
    refused(
        &home.order(&[], &["--api-key-file", missing.to_str().unwrap()]),
        "missing.key",
    );
    set_mode(&open, 0o600);
    succeeds(&home.order(&[], &[]));
}

#[test]
fn a_broken_config_file_is_named_with_its_line() {
    let home = Home::new();
    home.config("[profiles.us]\nregion = \"us\"\napi_kee_file = \"x\"\n");
    let output = home.order(&[("DIGICERT_API_KEY", KEY)], &[]);
    refused(&output, "config.toml");
    refused(&output, "api_kee_file");
    refused(&output, "line 3");
    home.config("[profiles.us]\nregion = \"us\"\nbase_url = \"https://x.example\"\n");
    refused(
        &home.order(&[("DIGICERT_API_KEY", KEY)], &[]),
        "profile `us`: it sets both `region` and `base_url`: keep one",
    );
}

#[test]
fn no_key_anywhere_names_every_source() {
    let home = Home::new();
    let output = home.order(&[], &["--base-url", server().base_url()]);
    refused(&output, "--api-key-file");
    refused(&output, "DIGICERT_API_KEY");
    refused(&output, "config.toml");
}
