//! The softmax family at the shapes of the workloads: fused cross-entropy forward + backward
//! (W1's [120, 3] logits, a [256, 10] classifier batch), log_softmax, and the elementwise
//! exp kernel against the per-element standard-library exp it replaced.

use std::hint::black_box;

use backprop_autograd::{CrossEntropyTarget, Var};
use backprop_tensor::{Rng, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cross_entropy(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(0);
    let mut group = c.benchmark_group("cross_entropy fwd+bwd");
    for &(n, k) in &[(120, 3), (256, 10)] {
        let x = Var::parameter(Tensor::<f32>::randn(&[n, k], &mut rng));
        let y = Tensor::from_vec((0..n).map(|_| rng.below(k)).collect(), &[n]).expect("n classes");
        group.bench_function(format!("[{n},{k}]"), |bench| {
            bench.iter(|| {
                let target = CrossEntropyTarget::Indices {
                    classes: &y,
                    ignore_index: None,
                };
                let loss = x.cross_entropy(target, None, 0.0).mean();
                loss.backward();
                x.zero_grad();
                black_box(loss)
            })
        });
    }
    group.finish();
}

fn log_softmax(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(1);
    let x = Var::parameter(Tensor::<f32>::randn(&[256, 10], &mut rng));
    c.bench_function("log_softmax fwd+bwd/[256,10]", |bench| {
        bench.iter(|| {
            let loss = x.log_softmax(1).sum();
            loss.backward();
            x.zero_grad();
            black_box(loss)
        })
    });
}

fn exp_kernel(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(2);
    let a = Tensor::<f32>::randn(&[1024, 1024], &mut rng);
    let mut group = c.benchmark_group("exp 1M");
    group.throughput(Throughput::Elements(1 << 20));
    group.bench_function("Tensor::exp (vectorized)", |bench| {
        bench.iter(|| black_box(a.exp()))
    });
    group.bench_function("map(f32::exp) (per element, std)", |bench| {
        bench.iter(|| black_box(a.map(|v| v.exp())))
    });
    group.bench_function("Tensor::log (vectorized)", |bench| {
        bench.iter(|| black_box(a.abs().log()))
    });
    group.bench_function("map(f32::ln) (per element, std)", |bench| {
        bench.iter(|| black_box(a.abs().map(|v| v.ln())))
    });
    group.finish();
}

criterion_group!(benches, cross_entropy, log_softmax, exp_kernel);
criterion_main!(benches);
