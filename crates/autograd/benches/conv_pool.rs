//! Convolution and pooling, forward + backward, at the shapes of a small image classifier:
//! a 3 × 3 convolution with padding on a [16, 16, 32, 32] batch (CIFAR-sized feature maps),
//! a 5 × 5 convolution on a [64, 1, 28, 28] batch (MNIST's first layer), and 2 × 2 max and
//! average pooling of a [16, 32, 32, 32] batch. Throughput is the convolution's
//! multiply-adds × 2 (forward) + the backward's two products, as FLOPs.

use std::hint::black_box;

use backprop_autograd::{AvgPool2dOptions, Conv2dOptions, Pool2dOptions, Var};
use backprop_tensor::{Rng, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn conv2d(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(0);
    let mut group = c.benchmark_group("conv2d fwd+bwd");
    // (input, out channels, kernel, padding)
    let cases: [([usize; 4], usize, usize, usize); 2] =
        [([16, 16, 32, 32], 32, 3, 1), ([64, 1, 28, 28], 8, 5, 0)];
    for (shape, c_out, k, pad) in cases {
        let [n, c_in, h, w] = shape;
        let x = Var::parameter(Tensor::<f32>::randn(&shape, &mut rng));
        let wt = Var::parameter(Tensor::<f32>::randn(&[c_out, c_in, k, k], &mut rng));
        let b = Var::parameter(Tensor::<f32>::randn(&[c_out], &mut rng));
        let (ho, wo) = (h + 2 * pad - k + 1, w + 2 * pad - k + 1);
        let macs = (n * c_out * ho * wo * c_in * k * k) as u64;
        // Forward, input gradient and weight gradient: three products of `macs` each.
        group.throughput(Throughput::Elements(3 * 2 * macs));
        let opts = Conv2dOptions::default().padding(pad);
        group.bench_function(format!("{shape:?} {k}x{k} to {c_out}"), |bench| {
            bench.iter(|| {
                let y = x.conv2d(&wt, Some(&b), opts).sum();
                y.backward();
                x.zero_grad();
                wt.zero_grad();
                b.zero_grad();
                black_box(y)
            })
        });
    }
    group.finish();
}

fn pool2d(c: &mut Criterion) {
    let mut rng = Rng::seed_from_u64(1);
    let x = Var::parameter(Tensor::<f32>::randn(&[16, 32, 32, 32], &mut rng));
    let mut group = c.benchmark_group("pool2d fwd+bwd [16,32,32,32]");
    group.throughput(Throughput::Elements(16 * 32 * 32 * 32));
    group.bench_function("max 2x2", |bench| {
        bench.iter(|| {
            let y = x.max_pool2d(Pool2dOptions::new(2)).sum();
            y.backward();
            x.zero_grad();
            black_box(y)
        })
    });
    group.bench_function("avg 2x2", |bench| {
        bench.iter(|| {
            let y = x.avg_pool2d(AvgPool2dOptions::new(2)).sum();
            y.backward();
            x.zero_grad();
            black_box(y)
        })
    });
    group.finish();
}

criterion_group!(benches, conv2d, pool2d);
criterion_main!(benches);
