//! How long the fake takes to render one 1,000-row report page, to build its dataset, and to
//! make its certificates.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use digicert_mock::{Dataset, DatasetConfig};

fn config(orders: usize) -> DatasetConfig {
    let reference = Utc.with_ymd_and_hms(2024, 3, 10, 12, 0, 0).unwrap();
    DatasetConfig::new(reference).with_orders(orders)
}

fn report_page(c: &mut Criterion) {
    let dataset = Dataset::new(&config(100_000));
    c.bench_function("report page of 1000 rows (offset 50000 of 100000)", |b| {
        b.iter(|| {
            let csv = dataset
                .write_report(Vec::with_capacity(1 << 20), &[], 50_000, 1000)
                .unwrap();
            std::hint::black_box(csv.len())
        });
    });
    c.bench_function("1000 report rows, built but not written", |b| {
        b.iter(|| std::hint::black_box(dataset.report_rows(&[], 50_000, 1000).count()));
    });
    // The same page once 50 orders changed and 50 were placed: the overlay is consulted per
    // order, so this should cost what the unchanged page costs.
    let changed = Dataset::new(&config(100_000));
    let at = changed.reference_time();
    let ids: Vec<u64> = changed.order_ids().step_by(2_000).collect();
    for &id in &ids {
        changed.record_change_at(id, digicert_model::OrderStatus::Revoked, at);
    }
    changed.add_orders_at(50, at);
    c.bench_function(
        "report page of 1000 rows (offset 50000 of 100000), 100 orders changed",
        |b| {
            b.iter(|| {
                let csv = changed
                    .write_report(Vec::with_capacity(1 << 20), &[], 50_000, 1000)
                    .unwrap();
                std::hint::black_box(csv.len())
            });
        },
    );
    c.bench_function("dataset of 100000 orders", |b| {
        b.iter(|| std::hint::black_box(Dataset::new(&config(100_000)).len()));
    });
    // The pages above find their certificates made (their first iteration made them); a
    // page of a fresh dataset makes its 1,000 rows' certificates.
    c.bench_function(
        "report page of 1000 rows (offset 50000 of 100000), certificates not yet made",
        |b| {
            b.iter_batched(
                || Dataset::new(&config(100_000)),
                |fresh| {
                    let csv = fresh
                        .write_report(Vec::with_capacity(1 << 20), &[], 50_000, 1000)
                        .unwrap();
                    std::hint::black_box(csv.len())
                },
                BatchSize::LargeInput,
            );
        },
    );
    let mut group = c.benchmark_group("certificates");
    group.sample_size(10);
    group.bench_function("every certificate of 10000 orders, on every core", |b| {
        b.iter_batched(
            || Dataset::new(&config(10_000)),
            |fresh| fresh.make_certificates(),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

criterion_group!(benches, report_page);
criterion_main!(benches);
