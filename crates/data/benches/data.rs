//! DataLoader throughput: shuffled mini-batches of an MNIST-sized dataset.

use std::hint::black_box;

use backprop_data::DataLoader;
use backprop_tensor::{Rng, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn loader(c: &mut Criterion) {
    let (rows, features) = (10_000, 784);
    let mut rng = Rng::seed_from_u64(0);
    let x = Tensor::<f32>::randn(&[rows, features], &mut rng);
    let labels = (0..rows).map(|_| rng.below(10)).collect();
    let mut loader = DataLoader::from_tensors(x, labels, 256)
        .expect("one label per row")
        .shuffle(1);
    let mut group = c.benchmark_group("dataloader");
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("epoch_10k_x_784_batch_256_shuffled", |b| {
        b.iter(|| {
            for batch in loader.iter() {
                black_box(batch);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, loader);
criterion_main!(benches);
