//! One `step()` of each optimizer on a 1M-parameter model (the weights and biases of a
//! 989-1000-10 MLP without the output bias: exactly 10⁶ elements), gradients in place.

use std::hint::black_box;

use backprop_autograd::Var;
use backprop_optim::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax,
    AdamaxConfig, Asgd, AsgdConfig, NAdam, NAdamConfig, Optimizer, RAdam, RAdamConfig, RmsProp,
    RmsPropConfig, Rprop, RpropConfig, Sgd, SgdConfig,
};
use backprop_tensor::{Rng, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Parameters totalling 1,000,000 elements, each with a random gradient.
fn model(rng: &mut Rng) -> Vec<Var> {
    [vec![1000, 989], vec![1000], vec![10, 1000]]
        .iter()
        .map(|shape| {
            let p = Var::parameter(Tensor::randn(shape, rng));
            p.set_grad(Some(Tensor::randn(shape, rng)));
            p
        })
        .collect()
}

fn bench_one(c: &mut Criterion, name: &str, make: impl Fn(Vec<Var>) -> Box<dyn Optimizer<f32>>) {
    let mut rng = Rng::seed_from_u64(0);
    let params = model(&mut rng);
    let n: usize = params.iter().map(Var::numel).sum();
    assert_eq!(n, 1_000_000);
    let mut opt = make(params);
    let mut group = c.benchmark_group("optim_step_1M");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(name, |b| b.iter(|| black_box(&mut opt).step()));
    group.finish();
}

fn optimizers(c: &mut Criterion) {
    bench_one(c, "sgd_momentum", |p| {
        let config = SgdConfig {
            lr: 0.01,
            momentum: 0.9,
            ..Default::default()
        };
        Box::new(Sgd::new(p, config).expect("valid options"))
    });
    bench_one(c, "adam", |p| {
        Box::new(Adam::new(p, AdamConfig::default()).expect("valid options"))
    });
    bench_one(c, "adamw", |p| {
        Box::new(AdamW::new(p, AdamWConfig::default()).expect("valid options"))
    });
    bench_one(c, "rmsprop", |p| {
        Box::new(RmsProp::new(p, RmsPropConfig::default()).expect("valid options"))
    });
    bench_one(c, "adagrad", |p| {
        Box::new(Adagrad::new(p, AdagradConfig::default()).expect("valid options"))
    });
    bench_one(c, "adadelta", |p| {
        Box::new(Adadelta::new(p, AdadeltaConfig::default()).expect("valid options"))
    });
    bench_one(c, "adamax", |p| {
        Box::new(Adamax::new(p, AdamaxConfig::default()).expect("valid options"))
    });
    bench_one(c, "nadam", |p| {
        Box::new(NAdam::new(p, NAdamConfig::default()).expect("valid options"))
    });
    bench_one(c, "radam", |p| {
        Box::new(RAdam::new(p, RAdamConfig::default()).expect("valid options"))
    });
    bench_one(c, "rprop", |p| {
        Box::new(Rprop::new(p, RpropConfig::default()).expect("valid options"))
    });
    bench_one(c, "asgd", |p| {
        Box::new(Asgd::new(p, AsgdConfig::default()).expect("valid options"))
    });
}

criterion_group!(benches, optimizers);
criterion_main!(benches);
