//! Tensor kernels: matmul at the shapes the workloads use, elementwise math, reductions.

use std::hint::black_box;

use backprop_tensor::{Rng, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn matmul(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(0);
    let mut group = c.benchmark_group("matmul");
    // (n, k, m): W3's sgemm, W2's forward/backward products, W1's tiny layers.
    for &(n, k, m) in &[
        (1024, 1024, 1024),
        (256, 784, 512),
        (256, 512, 512),
        (512, 256, 784),
        (120, 4, 8),
        (120, 8, 9),
    ] {
        let a = Tensor::<f32>::randn(&[n, k], &mut rng);
        let b = Tensor::<f32>::randn(&[k, m], &mut rng);
        group.throughput(Throughput::Elements((2 * n * k * m) as u64));
        group.bench_function(format!("{n}x{k}x{m}"), |bench| {
            bench.iter(|| black_box(a.matmul(&b)))
        });
    }
    group.finish();
}

fn elementwise(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(1);
    let mut group = c.benchmark_group("elementwise");
    let n = 1 << 20;
    let a = Tensor::<f32>::randn(&[1024, 1024], &mut rng);
    let b = Tensor::<f32>::randn(&[1024, 1024], &mut rng);
    let row = Tensor::<f32>::randn(&[1024], &mut rng);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("add 1M", |bench| bench.iter(|| black_box(a.add(&b))));
    group.bench_function("add broadcast row 1M", |bench| {
        bench.iter(|| black_box(a.add(&row)))
    });
    group.bench_function("exp 1M", |bench| bench.iter(|| black_box(a.exp())));
    group.finish();
}

fn reductions(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(2);
    let mut group = c.benchmark_group("reduce");
    let a = Tensor::<f32>::randn(&[1024, 1024], &mut rng);
    group.throughput(Throughput::Elements(1 << 20));
    group.bench_function("sum all 1M", |bench| bench.iter(|| black_box(a.sum_all())));
    group.bench_function("sum axis 0 1M", |bench| {
        bench.iter(|| black_box(a.sum(&[0], false)))
    });
    group.bench_function("max axis 1 1M", |bench| {
        bench.iter(|| black_box(a.max(&[1], false)))
    });
    group.finish();
}

criterion_group!(benches, matmul, elementwise, reductions);
criterion_main!(benches);
