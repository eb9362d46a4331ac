//! A value kept because it does not fit is warned about once per field and run, naming the
//! field and its JSON path (its own test binary: the once-per-run memory is the process's).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail loudly by design.

use std::io::Write;
use std::sync::{Arc, Mutex};

use digicert_model::{ReportReader, SubaccountOrdersPage, decode_json};

/// Everything the log writes, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `work` with warnings logged into a buffer, and returns the log's lines.
fn warnings(work: impl FnOnce()) -> Vec<String> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, work);
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    text.lines().map(str::to_owned).collect()
}

#[test]
fn one_warning_per_field_with_its_path() {
    let body = br#"{"orders": [
        {"id": 1, "status": "issued", "certificate": {"valid_till": "soon"}},
        {"id": 2, "status": "issued", "certificate": {"valid_till": "later"}},
        {"id": 3, "status": "issued", "number_of_sans": "many",
         "certificate": {"dns_names": ["a.example.com", {"x": 1}]}}
    ]}"#;
    let lines = warnings(|| {
        for _ in 0..3 {
            let page: SubaccountOrdersPage = decode_json(body).unwrap();
            assert_eq!(page.orders.len(), 3);
        }
    });
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let valid_till = &lines[0];
    assert!(valid_till.contains("WARN"), "{valid_till}");
    assert!(
        valid_till.contains("field=orders[].certificate.valid_till"),
        "{valid_till}"
    );
    assert!(
        valid_till.contains("path=orders[0].certificate.valid_till"),
        "{valid_till}"
    );
    assert!(
        lines[1].contains("path=orders[2].number_of_sans"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("path=orders[2].certificate.dns_names[1]"),
        "{}",
        lines[2]
    );
}

#[test]
fn one_warning_per_report_column() {
    let csv = "order_id,date_created,status,valid_till\n\
               \"1\",\"2018-10-26 10:15:33\",\"issued\",\"31/12/2025\"\n\
               \"2\",\"2018-10-26 10:15:33\",\"issued\",\"01/01/2026\"\n";
    let lines = warnings(|| {
        let rows = ReportReader::new(csv.as_bytes())
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].extra.kept("valid_till"), Some("01/01/2026"));
    });
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert!(lines[0].contains("column=\"valid_till\""), "{}", lines[0]);
    assert!(lines[0].contains("line=2"), "{}", lines[0]);
}
