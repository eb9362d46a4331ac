//! The deployment classifier's figure: 5,000 observations of the bench inventory's own
//! orders (mostly current, some unknown, on the wrong name, or unreachable) classified
//! against it, as one process (`xtask classify`: open the inventory, read the observations,
//! classify), held against one second.

use std::error::Error;
use std::path::Path;
use std::process::Command;

use super::{Bins, Check, Contender, Row, WorkDir, measure_rounds};

/// Observations per run.
const OBSERVATIONS: &str = "5000";
/// Target: the whole process, in seconds.
const CLASSIFY_TARGET: f64 = 1.0;

/// The classifier's row, `runs` rounds, against the inventory at `db`.
pub(super) fn classify_rows(
    bins: &Bins,
    work: &WorkDir,
    db: &Path,
    runs: usize,
) -> Result<Vec<Row>, Box<dyn Error>> {
    let observations = work.0.join("observations.txt");
    let status = Command::new(&bins.xtask)
        .arg("classify-setup")
        .arg(db)
        .arg(OBSERVATIONS)
        .arg(&observations)
        .status()?;
    if !status.success() {
        return Err(format!("xtask classify-setup failed ({status})").into());
    }
    let (db, observations) = (db.to_string_lossy(), observations.to_string_lossy());
    let classify = Contender::new(
        &format!("R classify {OBSERVATIONS}"),
        &bins.xtask,
        &["classify", &db, &observations],
    );
    let mut rows = measure_rounds(&[classify], runs, work)?;
    for row in &mut rows {
        let seconds = row.seconds();
        row.checks.push(Check {
            unit: " s",
            ..Check::at_most("wall", seconds, CLASSIFY_TARGET)
        });
    }
    Ok(rows)
}
