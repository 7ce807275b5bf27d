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

/// W1's products in the three layouts they arrive in (`x·Wᵀ`, `G·W`, `Gᵀ·X`), and square and
/// rectangular products around the threshold, each on the small-product kernel and on the
/// packed `gemm` crate, interleaved in one run: what `SMALL_MAX_FLOPS` is set from.
fn small_matmul(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(3);
    let mut group = c.benchmark_group("small matmul");
    // (m, k, n, layout): "a.bT" is x·Wᵀ with W [n, k], "a.b" is G·W, "aT.b" is Gᵀ·X with G [k, m].
    let shapes: &[(usize, usize, usize, &str)] = &[
        (120, 4, 8, "a.bT"),
        (120, 8, 9, "a.bT"),
        (120, 9, 3, "a.bT"),
        (120, 3, 9, "a.b"),
        (120, 9, 8, "a.b"),
        (3, 120, 9, "aT.b"),
        (9, 120, 8, "aT.b"),
        (8, 120, 4, "aT.b"),
        (16, 16, 16, "a.b"),
        (24, 24, 24, "a.b"),
        (32, 32, 32, "a.b"),
        (48, 48, 48, "a.b"),
        (64, 64, 64, "a.b"),
        (64, 64, 64, "a.bT"),
        (64, 64, 64, "aT.b"),
        (96, 96, 96, "a.b"),
        (256, 32, 32, "a.bT"),
        (32, 256, 32, "aT.b"),
        (256, 64, 10, "a.bT"),
    ];
    for &(m, k, n, layout) in shapes {
        let (ta, tb) = (layout.starts_with("aT"), layout.ends_with("bT"));
        let a_shape = if ta { [k, m] } else { [m, k] };
        let b_shape = if tb { [n, k] } else { [k, n] };
        let a = Tensor::<f32>::randn(&a_shape, &mut rng);
        let b = Tensor::<f32>::randn(&b_shape, &mut rng);
        group.throughput(Throughput::Elements((2 * m * k * n) as u64));
        for (name, kernel) in [("small", Some(true)), ("gemm", Some(false))] {
            group.bench_function(format!("{m}x{k}x{n} {layout} {name}"), |bench| {
                bench.iter(|| black_box(a.matmul_on_kernel(&b, ta, tb, kernel)))
            });
        }
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

criterion_group!(benches, matmul, small_matmul, elementwise, reductions);
criterion_main!(benches);
