//! Graph overhead: W4 (one tiny op and its backward) and a deep chain of small ops.

use std::hint::black_box;

use backprop_autograd::Var;
use backprop_tensor::Tensor;
use criterion::{Criterion, criterion_group, criterion_main};

fn w4_per_op(c: &mut Criterion) {
    let a = Var::parameter(Tensor::<f32>::from_vec(vec![1.0], &[1]).expect("1 element"));
    let b = Var::parameter(Tensor::<f32>::from_vec(vec![2.0], &[1]).expect("1 element"));
    let mut group = c.benchmark_group("w4");
    group.bench_function("add 1-element + backward", |bench| {
        bench.iter(|| {
            let y = a.add(&b);
            y.backward();
            black_box(&y);
        })
    });
    group.bench_function("add 1-element forward only", |bench| {
        bench.iter(|| black_box(a.add(&b)))
    });
    group.finish();
}

fn deep_chain(c: &mut Criterion) {
    let x = Var::parameter(Tensor::<f32>::from_vec(vec![0.5; 16], &[16]).expect("16 elements"));
    c.bench_function("chain/100 small ops + backward", |bench| {
        bench.iter(|| {
            let mut y = x.clone();
            for i in 0..25 {
                y = y.mul_scalar(0.9).add_scalar(0.01 * i as f32).sin().add(&x);
            }
            let loss = y.sum();
            loss.backward();
            black_box(loss)
        })
    });
}

criterion_group!(benches, w4_per_op, deep_chain);
criterion_main!(benches);
