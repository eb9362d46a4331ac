//! A PostgreSQL database for the inventory's figures: on the server `DIGICERT_TEST_POSTGRES`
//! names, else on a throwaway cluster started as CI starts one (`.ci/postgres.sh`, which
//! installs PostgreSQL when it is missing); dropped, and the cluster stopped, at the end.

use std::error::Error;
use std::process::{Command, Stdio};

use super::inventory::Reset;
use super::workspace_root;

/// A fresh database, and the cluster started for it, if any.
pub(crate) struct Postgres {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub(crate) url: String,
    /// The directory of a cluster this benchmark started.
    cluster: Option<String>,
    /// Further databases made for the benchmark, dropped with the first.
    others: Vec<String>,
}

impl Postgres {
    /// A fresh database on the configured server, or on a cluster started for it.
    pub(crate) fn start() -> Result<Self, Box<dyn Error>> {
        let (admin_url, cluster) = match std::env::var("DIGICERT_TEST_POSTGRES") {
            Ok(url) if !url.trim().is_empty() => (url, None),
            _ => {
                let (url, dir) = start_cluster()?;
                (url, Some(dir))
            }
        };
        let name = format!("digicert_bench_{}", std::process::id());
        recreate(&admin_url, &name)?;
        let (base, _) = admin_url
            .rsplit_once('/')
            .ok_or("DIGICERT_TEST_POSTGRES is not a URL with a database")?;
        let url = format!("{base}/{name}");
        Ok(Self {
            admin_url,
            name,
            url,
            cluster,
            others: Vec::new(),
        })
    }

    /// Another database on the same server, named after the first with `suffix`: its URL,
    /// and the [`Reset`] that empties it (drops and creates it again).
    pub(super) fn another(&mut self, suffix: &str) -> Result<(String, Reset), Box<dyn Error>> {
        let name = format!("{}_{suffix}", self.name);
        let reset = Reset::PostgresDatabase {
            admin_url: self.admin_url.clone(),
            name: name.clone(),
        };
        reset.apply()?;
        self.others.push(name.clone());
        let (base, _) = self.url.rsplit_once('/').ok_or("no database in the URL")?;
        Ok((format!("{base}/{name}"), reset))
    }
}

/// Drops and creates the database `name` again.
pub(super) fn recreate(admin_url: &str, name: &str) -> Result<(), Box<dyn Error>> {
    let mut admin = postgres::Client::connect(admin_url, postgres::NoTls)?;
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(())
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
            for name in std::iter::once(&self.name).chain(&self.others) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
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
