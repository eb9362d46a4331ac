//! The deployment classifier's benchmark task: observations made from an inventory's own
//! orders (`classify-setup`), then classified against it as one process (`classify`), so
//! that `cargo xtask bench` times what classifying a probe run costs.

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use digicert_inventory::{AnyStore, Inventory, Outcome, Probed, ServedCertificate};

/// Writes `count` observations of `db`'s issued orders to `out`, one a line: about 70% the
/// order's current certificate on its name, 10% a certificate nobody issued, 10% the
/// right certificate on another name, 10% an unreachable endpoint.
pub fn setup(db: &Path, count: usize, out: &Path) -> Result<(), Box<dyn Error>> {
    let inventory = open(db)?;
    let mut orders = Vec::new();
    inventory.issued(|order| {
        if let (Some(name), Some(thumbprint)) = (order.common_name, order.thumbprint) {
            // A wildcard's certificate is probed on one of its hosts.
            let name = name.replacen("*.", "www.", 1);
            orders.push((name, thumbprint, order.serial_number.unwrap_or_default()));
        }
        Ok(())
    })?;
    if orders.is_empty() {
        return Err(format!("{}: no issued order with a name", db.display()).into());
    }
    let step = (orders.len() / count).max(1);
    let mut lines = String::new();
    for (index, (name, thumbprint, serial)) in orders.iter().step_by(step).take(count).enumerate() {
        let (kind, thumbprint) = match index % 10 {
            7 => ("served", format!("{:040x}", index)),
            8 => ("elsewhere", thumbprint.clone()),
            9 => ("unreachable", String::new()),
            _ => ("served", thumbprint.clone()),
        };
        writeln!(lines, "{kind} {name} {thumbprint} {serial}")?;
    }
    std::fs::write(out, lines)?;
    Ok(())
}

/// Classifies the observations of `observations` against `db` and prints how long the
/// classification took, in seconds.
pub fn run(db: &Path, observations: &Path) -> Result<(), Box<dyn Error>> {
    let text = std::fs::read_to_string(observations)?;
    let now = Utc::now();
    let probed: Vec<Probed> = text
        .lines()
        .enumerate()
        .map(|(index, line)| probed(index, line, now))
        .collect::<Result<_, _>>()?;
    let inventory = open(db)?;
    let started = std::time::Instant::now();
    let deployments = inventory.classify(&probed)?;
    let seconds = started.elapsed().as_secs_f64();
    if deployments.len() != probed.len() {
        return Err("not every observation was classified".into());
    }
    println!("{seconds:.6}");
    Ok(())
}

fn open(db: &Path) -> Result<Inventory<AnyStore>, Box<dyn Error>> {
    let location = db.to_str().ok_or("the inventory's path is not UTF-8")?;
    Ok(Inventory::open_any(location)?)
}

/// One observation from a line `kind name thumbprint serial`, at a loopback address of its
/// own.
fn probed(index: usize, line: &str, now: DateTime<Utc>) -> Result<Probed, Box<dyn Error>> {
    let mut fields = line.split(' ');
    let (kind, name) = (
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
    );
    let thumbprint = fields.next().unwrap_or_default().to_owned();
    let serial_number = fields.next().unwrap_or_default().to_owned();
    let outcome = match kind {
        "unreachable" => Outcome::Unreachable("connection refused".to_owned()),
        "served" | "elsewhere" => Outcome::Served(ServedCertificate {
            thumbprint,
            serial_number,
            not_after: now + Duration::days(90),
            covers_name: kind == "served",
            verified: true,
            verify_error: None,
        }),
        other => return Err(format!("line {}: not an observation: {other}", index + 1).into()),
    };
    Ok(Probed {
        target: if kind == "elsewhere" {
            format!("elsewhere{index}.example.net")
        } else {
            name.to_owned()
        },
        port: 443,
        address: format!("127.0.{}.{}", index / 250, index % 250 + 1),
        probed_at: now,
        duration: None,
        outcome,
    })
}
