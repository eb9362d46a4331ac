//! A PostgreSQL database for the inventory's figures: on the server `DIGICERT_TEST_POSTGRES`
//! names, else on a throwaway cluster started as CI starts one (`.ci/postgres.sh`, which
//! installs PostgreSQL when it is missing); dropped, and the cluster stopped, at the end.

use std::error::Error;
use std::process::{Command, Stdio};

use super::workspace_root;

/// A fresh database, and the cluster started for it, if any.
pub(super) struct Postgres {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub(super) url: String,
    /// The directory of a cluster this benchmark started.
    cluster: Option<String>,
}

impl Postgres {
    /// A fresh database on the configured server, or on a cluster started for it.
    pub(super) fn start() -> Result<Self, Box<dyn Error>> {
        let (admin_url, cluster) = match std::env::var("DIGICERT_TEST_POSTGRES") {
            Ok(url) if !url.trim().is_empty() => (url, None),
            _ => {
                let (url, dir) = start_cluster()?;
                (url, Some(dir))
            }
        };
        let name = format!("digicert_bench_{}", std::process::id());
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let (base, _) = admin_url
            .rsplit_once('/')
            .ok_or("DIGICERT_TEST_POSTGRES is not a URL with a database")?;
        let url = format!("{base}/{name}");
        Ok(Self {
            admin_url,
            name,
            url,
            cluster,
        })
    }
}

/// Starts a cluster with `.ci/postgres.sh`; its URL and directory.
fn start_cluster() -> Result<(String, String), Box<dyn Error>> {
    let output = Command::new("bash")
        .arg("-c")
        .arg(
            "set -euo pipefail; source .ci/postgres.sh; start_postgres >&2; \
             printf '%s\\n%s\\n' \"$DIGICERT_TEST_POSTGRES\" \"$DIGICERT_PG_DIR\"",
        )
        .current_dir(workspace_root())
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err("could not start a PostgreSQL cluster (.ci/postgres.sh)".into());
    }
    let text = String::from_utf8(output.stdout)?;
    let mut lines = text.lines();
    match (lines.next(), lines.next()) {
        (Some(url), Some(dir)) => Ok((url.to_owned(), dir.to_owned())),
        _ => Err(format!(".ci/postgres.sh printed {text:?}").into()),
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
        if let Some(dir) = &self.cluster {
            let _ = Command::new("bash")
                .arg("-c")
                .arg("source .ci/postgres.sh; stop_postgres")
                .env("DIGICERT_PG_DIR", dir)
                .current_dir(workspace_root())
                .status();
        }
    }
}
