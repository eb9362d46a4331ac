//! The typed streaming report reader beside the csv crate's untyped `ByteRecord`
//! loop over the same 100,000-order report, and the conversion (read and write
//! back) beside the untyped read-and-write loop (the target: within 1.5x). Each
//! comes as typed rows and as checked records (`read_record`, what the CLI's
//! conversion uses).
//!
//! Run: `cargo bench -p digicert-model --bench report_reader`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // A benchmark, not library code.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use digicert_model::{CustomField, ReportReader, ReportWriter};

/// Orders in the generated report.
const ORDERS: u64 = 100_000;

/// A report of `ORDERS` rows built from the seed's first row, each with its own
/// ids, names, dates, a real-sized (about 1 KB) CSR and a metadata entry.
fn generate_report() -> Vec<u8> {
    let seed = include_bytes!("../../../fixtures/report/seed_limit3.csv");
    let base = ReportReader::new(&seed[..])
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let csr_body: String = (0..16)
        .map(|line| format!("{}\n", "MIIC".repeat(16).replace('C', &line.to_string())))
        .collect();
    let mut writer = ReportWriter::new(Vec::with_capacity(180 << 20)).unwrap();
    for n in 0..ORDERS {
        let mut row = base.clone();
        row.order_id = 1_000_000 + n;
        row.common_name = Some(format!("host{n}.example.com"));
        row.dns_names = vec![
            format!("host{n}.example.com"),
            format!("www.host{n}.example.com"),
        ];
        row.csr = Some(format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{csr_body}-----END CERTIFICATE REQUEST-----\n"
        ));
        row.valid_till = row
            .valid_till
            .and_then(|d| d.checked_add_days(chrono::Days::new(n % 700)));
        row.thumbprint = Some(format!("{:040X}", n * 7919));
        row.serial_number = Some(format!("{:020X}", n * 104_729));
        row.cost = Some("198.00".parse().unwrap());
        row.metadata = vec![CustomField {
            metadata_id: Some(12),
            label: Some("Invoice #".into()),
            value: Some(n.to_string()),
            ..Default::default()
        }];
        writer.write_row(&row).unwrap();
    }
    writer.into_inner().unwrap()
}

fn bench(c: &mut Criterion) {
    let report = generate_report();
    let mut group = c.benchmark_group("report_100k_orders");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(report.len() as u64));

    group.bench_function("csv_byte_record_untyped", |b| {
        b.iter(|| {
            let mut reader = csv::Reader::from_reader(report.as_slice());
            let mut record = csv::ByteRecord::new();
            let mut fields = 0usize;
            while reader.read_byte_record(&mut record).unwrap() {
                fields += record.len();
            }
            black_box(fields)
        });
    });

    group.bench_function("report_reader_typed", |b| {
        b.iter(|| {
            let mut rows = 0usize;
            for row in ReportReader::new(report.as_slice()).unwrap() {
                black_box(row.unwrap());
                rows += 1;
            }
            assert_eq!(rows as u64, ORDERS);
            rows
        });
    });
    group.bench_function("report_reader_typed_reusing_row", |b| {
        b.iter(|| {
            let mut reader = ReportReader::new(report.as_slice()).unwrap();
            let mut row = reader.read_row().unwrap().unwrap();
            let mut rows = 1usize;
            while reader.read_row_into(&mut row).unwrap() {
                black_box(&row);
                rows += 1;
            }
            assert_eq!(rows as u64, ORDERS);
            rows
        });
    });
    group.bench_function("report_records_checked", |b| {
        b.iter(|| {
            let mut reader = ReportReader::new(report.as_slice()).unwrap();
            let mut records = 0usize;
            while let Some(record) = reader.read_record().unwrap() {
                black_box(record);
                records += 1;
            }
            assert_eq!(records as u64, ORDERS);
            records
        });
    });
    group.finish();

    // Conversion, as `digicert --format csv report --input FILE` does it: read
    // every row and write it back out, beside the untyped read-and-write loop.
    let mut group = c.benchmark_group("convert_100k_orders");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(report.len() as u64));
    group.bench_function("csv_byte_record_untyped", |b| {
        b.iter(|| {
            let mut reader = csv::Reader::from_reader(report.as_slice());
            let mut writer = csv::WriterBuilder::new()
                .quote_style(csv::QuoteStyle::Always)
                .from_writer(Vec::with_capacity(report.len()));
            writer
                .write_byte_record(reader.byte_headers().unwrap())
                .unwrap();
            let mut record = csv::ByteRecord::new();
            while reader.read_byte_record(&mut record).unwrap() {
                writer.write_byte_record(&record).unwrap();
            }
            black_box(writer.into_inner().unwrap().len())
        });
    });
    group.bench_function("report_reader_and_writer_typed", |b| {
        b.iter(|| {
            let mut reader = ReportReader::new(report.as_slice()).unwrap();
            let mut writer = ReportWriter::new(Vec::with_capacity(report.len())).unwrap();
            let mut row = reader.read_row().unwrap().unwrap();
            writer.write_row(&row).unwrap();
            while reader.read_row_into(&mut row).unwrap() {
                writer.write_row(&row).unwrap();
            }
            black_box(writer.into_inner().unwrap().len())
        });
    });
    // What the CLI's conversion does: every column checked, the text written as the
    // decoded row would be, without building rows.
    group.bench_function("report_records_checked", |b| {
        b.iter(|| {
            let mut reader = ReportReader::new(report.as_slice()).unwrap();
            let mut writer = ReportWriter::new(Vec::with_capacity(report.len())).unwrap();
            while let Some(record) = reader.read_record().unwrap() {
                writer.write_record(&record).unwrap();
            }
            black_box(writer.into_inner().unwrap().len())
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
