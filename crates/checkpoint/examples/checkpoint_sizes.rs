//! Prints the size of a checkpoint and the time to save, load and restore it, for the Iris
//! MLP (4-8-9-3) and an MNIST-sized MLP (784-512-512-10), both with Adam state.
//!
//! ```sh
//! cargo run --release -p backprop-checkpoint --example checkpoint_sizes
//! ```
//!
//! Times are medians of several runs on whatever disk the temporary directory is on; `save`
//! includes the fsyncs that make it atomic and durable; `encode` is the same without the
//! file (`to_bytes`).

use std::time::{Duration, Instant};

use backprop_autograd::Var;
use backprop_checkpoint::Checkpoint;
use backprop_nn::{Linear, Module, ReLU, Sequential};
use backprop_optim::{Adam, AdamConfig, Optimizer};
use backprop_tensor::{Rng, Tensor};

fn mlp(sizes: &[usize], rng: &mut Rng) -> Sequential {
    let mut model = Sequential::new();
    for (i, pair) in sizes.windows(2).enumerate() {
        model = model.add(Linear::new(pair[0], pair[1], rng));
        if i + 2 < sizes.len() {
            model = model.add(ReLU::new());
        }
    }
    model
}

/// The median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn measure(name: &str, sizes: &[usize], runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = Rng::seed_from_u64(0);
    let model = mlp(sizes, &mut rng);
    let mut opt = Adam::new(model.parameters(), AdamConfig::default())?;
    // One step, so that Adam holds both moments for every parameter.
    let x = Var::new(Tensor::<f32>::randn(&[8, sizes[0]], &mut rng));
    model.forward(&x).square().mean().backward();
    opt.step();

    let dir = std::env::temp_dir().join(format!("bpckpt-sizes-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{name}.ckpt"));
    let ckpt = Checkpoint::capture(&model, &opt).with_epoch(1).with_step(1);
    ckpt.save(&path)?;
    let bytes = std::fs::metadata(&path)?.len();
    let params = model.num_parameters();
    // Parameters plus Adam's two moments, as raw f32.
    let raw = 3 * 4 * params as u64;

    let encode = median(runs, || {
        ckpt.to_bytes().expect("encode");
    });
    let save = median(runs, || ckpt.save(&path).expect("save"));
    let load = median(runs, || {
        Checkpoint::<f32>::load(&path).expect("load");
    });
    let loaded = Checkpoint::<f32>::load(&path)?;
    let restore = median(runs, || loaded.restore(&model, &mut opt).expect("restore"));
    println!(
        "{name:<16} {params:>9} params  {bytes:>9} bytes ({:.3} × raw)  \
         encode {encode:>9.2?}  save {save:>9.2?}  load {load:>9.2?}  restore {restore:>9.2?}",
        bytes as f64 / raw as f64
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("raw = 12 bytes per parameter: the f32 parameters and Adam's two moments");
    measure("iris 4-8-9-3", &[4, 8, 9, 3], 101)?;
    measure("mlp 784-512²-10", &[784, 512, 512, 10], 11)?;
    Ok(())
}
