//! `cargo xtask bench-data N`: a synthetic order report of N orders for benchmarks.
//!
//! The rows come from the fake CertCentral's dataset with a fixed seed and reference time,
//! so the same N always gives the same bytes. The fake gives a full-sized CSR to about a
//! third of its orders only; a benchmark wants every row the size of a real one (about
//! 1.7 KB, most of it a 2048-bit CSR), so the short CSRs are replaced by full-sized fakes.

use std::error::Error;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::DateTime;
use digicert_mock::{Dataset, DatasetConfig};
use digicert_model::ReportWriter;

/// The dataset's seed: fixed so the report is the same on every run.
const SEED: u64 = DatasetConfig::DEFAULT_SEED;
/// "Now" for the data, 2024-03-10T12:00:00Z, fixed for the same reason.
const REFERENCE_TIME: i64 = 1_710_072_000;
/// Base64 characters in the body of a PEM CSR for a 2048-bit RSA key.
const CSR_BODY_LEN: usize = 940;

/// Writes the report of `orders` orders to `out` (stdout if `None`) and prints its size
/// on stderr.
pub(crate) fn run(orders: usize, out: Option<&Path>) -> Result<(), Box<dyn Error>> {
    let dataset = dataset(orders)?;
    let bytes = match out {
        Some(path) => {
            let file = File::create(path)
                .map_err(|err| format!("cannot create {}: {err}", path.display()))?;
            write(&dataset, file)?
        }
        None => write(&dataset, io::stdout().lock())?,
    };
    eprintln!("bench-data: {orders} orders, {bytes} bytes");
    Ok(())
}

/// The fixed dataset of `orders` orders.
fn dataset(orders: usize) -> Result<Dataset, &'static str> {
    let reference = DateTime::from_timestamp(REFERENCE_TIME, 0).ok_or("bad reference time")?;
    Ok(Dataset::new(
        &DatasetConfig::new(reference)
            .with_seed(SEED)
            .with_orders(orders),
    ))
}

/// Writes the whole report and returns its size in bytes.
fn write(dataset: &Dataset, output: impl Write) -> io::Result<u64> {
    let counted = Counted {
        inner: BufWriter::with_capacity(256 * 1024, output),
        bytes: 0,
    };
    let mut writer = ReportWriter::new(counted)?;
    for mut row in dataset.report_rows(&[], 0, dataset.len()) {
        if row.csr.as_ref().is_none_or(|csr| csr.len() < CSR_BODY_LEN) {
            row.csr = Some(fake_csr(row.order_id));
        }
        writer.write_row(&row)?;
    }
    let mut counted = writer.into_inner()?;
    counted.flush()?;
    Ok(counted.bytes)
}

/// A PEM-shaped CSR of a real one's size, marked as fake, different for every order.
fn fake_csr(order_id: u64) -> String {
    let seed = format!("FAKECSRFORTESTSONLY{order_id}");
    let mut pem = String::with_capacity(CSR_BODY_LEN + 100);
    pem.push_str("-----BEGIN CERTIFICATE REQUEST-----\n");
    for (index, c) in seed.chars().cycle().take(CSR_BODY_LEN).enumerate() {
        pem.push(c);
        if index % 64 == 63 {
            pem.push('\n');
        }
    }
    pem.push_str("==\n-----END CERTIFICATE REQUEST-----\n");
    pem
}

/// A writer that counts what passes through it.
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use digicert_model::ReportReader;

    fn report(orders: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let bytes = write(&dataset(orders).unwrap(), &mut out).unwrap();
        assert_eq!(bytes, out.len() as u64);
        out
    }

    #[test]
    fn deterministic_readable_and_real_sized() {
        let first = report(50);
        assert_eq!(first, report(50));
        let rows = ReportReader::new(first.as_slice())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(rows.len(), 50);
        assert!(
            rows.iter()
                .all(|row| row.csr.as_ref().unwrap().len() > 1000)
        );
        let per_row = first.len() / rows.len();
        assert!((1500..2000).contains(&per_row), "{per_row} bytes per row");
    }
}
