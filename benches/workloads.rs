//! The workloads of `docs/performance.md`: W1 (Iris MLP training run), W2 (MNIST-sized MLP
//! training step), W3 (sgemm 1024³) and W4 (one tiny op and its backward).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mod support;
use support::workloads::{W1, W2, W3, W4};

fn workloads(c: &mut Criterion) {
    let mut group = c.benchmark_group("workloads");
    let w1 = W1::new();
    group.sample_size(20);
    group.bench_function("w1_iris_100_epochs", |b| b.iter(|| black_box(w1.run())));
    let mut w2 = W2::new();
    group.throughput(Throughput::Elements(1));
    group.bench_function("w2_mlp_step", |b| b.iter(|| black_box(w2.step())));
    let w3 = W3::new();
    group.throughput(Throughput::Elements(W3::FLOPS));
    group.bench_function("w3_sgemm_1024", |b| b.iter(|| black_box(w3.run())));
    group.sample_size(100);
    let w4 = W4::new();
    group.throughput(Throughput::Elements(1));
    group.bench_function("w4_add_backward", |b| b.iter(|| w4.run()));
    group.finish();
}

criterion_group!(benches, workloads);
criterion_main!(benches);
