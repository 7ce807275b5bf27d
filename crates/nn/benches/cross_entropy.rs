//! Cross-entropy, forward + backward: the fused op (`CrossEntropyLoss`) against the same
//! loss composed from `log_softmax` and `NLLLoss` in the same run. Quote the ratio, not the
//! absolute times (the machines are shared and noisy).

use std::hint::black_box;

use backprop_autograd::Var;
use backprop_nn::{CrossEntropyLoss, NLLLoss};
use backprop_tensor::{Rng, Tensor};
use criterion::{Criterion, criterion_group, criterion_main};

fn cross_entropy(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(0);
    for (n, classes) in [(256, 10), (256, 1000)] {
        let x = Var::parameter(Tensor::<f32>::randn(&[n, classes], &mut rng));
        let y: Vec<usize> = (0..n).map(|_| rng.below(classes)).collect();
        let y = Tensor::from_vec(y, &[n]).expect("n labels");
        let mut group = c.benchmark_group(format!("cross_entropy [{n}, {classes}]"));
        let fused = CrossEntropyLoss::new();
        group.bench_function("fused op", |b| {
            b.iter(|| {
                let loss = fused.forward(&x, &y);
                loss.backward();
                black_box(loss)
            })
        });
        let nll = NLLLoss::new();
        group.bench_function("log_softmax + nll", |b| {
            b.iter(|| {
                let loss = nll.forward(&x.log_softmax(1), &y);
                loss.backward();
                black_box(loss)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, cross_entropy);
criterion_main!(benches);
