//! Decoding a 1000-order sub-account page into typed orders, beside
//! `serde_json::from_slice::<serde_json::Value>` on the same bytes: the typed
//! decode should be no slower.
//!
//! Run: `cargo bench -p digicert-model --bench subaccount_page`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)] // A benchmark, not library code.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use digicert_model::{Page, SubaccountOrdersPage, decode_json};

/// A page of 1000 orders built from the seed page's orders, with distinct ids and names.
fn page_body() -> Vec<u8> {
    let seed = include_bytes!("../../../fixtures/subaccount_orders/seed_page.json");
    let seed: SubaccountOrdersPage = decode_json(seed).unwrap();
    let orders = (0..1000u64)
        .map(|n| {
            let mut order = seed.orders[(n % 3) as usize].clone();
            order.id = 2_000_000 + n;
            if let Some(certificate) = order.certificate.as_mut() {
                certificate.common_name = Some(format!("host{n}.example.com"));
                certificate.dns_names = (0..4)
                    .map(|i| format!("sub{i}.host{n}.example.com"))
                    .collect();
                certificate.thumbprint = Some(format!("{:040X}", n * 7919));
            }
            order
        })
        .collect();
    let page = SubaccountOrdersPage {
        orders,
        page: Some(Page {
            total: 100_000,
            limit: 1000,
            offset: 0,
            ..Default::default()
        }),
        ..Default::default()
    };
    serde_json::to_vec_pretty(&page).unwrap()
}

fn bench(c: &mut Criterion) {
    let body = page_body();
    let mut group = c.benchmark_group("subaccount_page_1000_orders");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("serde_json_value_untyped", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(&body).unwrap()));
    });
    group.bench_function("decode_json_typed", |b| {
        b.iter(|| black_box(decode_json::<SubaccountOrdersPage>(&body).unwrap()));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
