//! The performance workloads W1–W4 of `docs/performance.md`, shared by the criterion bench
//! (`benches/workloads.rs`) and the timing example that the PyTorch comparison script runs
//! (`examples/perf_workloads.rs`). Each workload is written with raw autograd ops, the way
//! `benches/reference/pytorch_reference.py` writes it with PyTorch ops.

// Each includer uses a different subset.
#![allow(dead_code)]

use backprop::autograd::{CrossEntropyTarget, Var};
use backprop::optim::{Adam, AdamConfig, Optimizer};
use backprop::tensor::{Rng, Tensor};

/// A fully connected layer in PyTorch's layout: `weight` is `[out, in]`, `bias` is `[out]`,
/// both initialized like `nn.Linear` (uniform in ±1/√in).
pub struct Layer {
    pub weight: Var,
    pub bias: Var,
}

impl Layer {
    pub fn new(inputs: usize, outputs: usize, rng: &mut Rng) -> Self {
        let bound = 1.0 / (inputs as f32).sqrt();
        Layer {
            weight: Var::parameter(Tensor::uniform(&[outputs, inputs], -bound, bound, rng)),
            bias: Var::parameter(Tensor::uniform(&[outputs], -bound, bound, rng)),
        }
    }

    /// `x·Wᵀ + b`, with the fused op (no transpose is materialized).
    pub fn forward(&self, x: &Var) -> Var {
        x.linear(&self.weight, Some(&self.bias))
    }
}

/// An MLP with ReLU between layers, trained with cross-entropy and Adam.
pub struct Mlp {
    pub layers: Vec<Layer>,
    pub optimizer: Adam,
}

impl Mlp {
    /// Layer widths `sizes[0] → sizes[1] → …`, Adam with learning rate `lr`.
    pub fn new(sizes: &[usize], lr: f64, seed: u64) -> Self {
        let mut rng = Rng::seed_from_u64(seed);
        let layers: Vec<Layer> = sizes
            .windows(2)
            .map(|w| Layer::new(w[0], w[1], &mut rng))
            .collect();
        let params = layers
            .iter()
            .flat_map(|l| [l.weight.clone(), l.bias.clone()])
            .collect();
        let config = AdamConfig {
            lr,
            ..Default::default()
        };
        let optimizer = Adam::new(params, config).expect("valid Adam options");
        Mlp { layers, optimizer }
    }

    pub fn logits(&self, x: &Var) -> Var {
        let mut h = x.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(&h);
            if i + 1 < self.layers.len() {
                h = h.relu();
            }
        }
        h
    }

    /// One optimization step on a batch; returns the loss.
    /// `targets` is `[n]`: the class of each row.
    pub fn step(&mut self, x: &Var, targets: &Tensor<usize>) -> f32 {
        self.optimizer.zero_grad();
        let loss = cross_entropy(&self.logits(x), targets);
        loss.backward();
        self.optimizer.step();
        loss.item()
    }
}

/// Mean cross-entropy of `logits` `[n, c]` against class indices `[n]` (as PyTorch's
/// `CrossEntropyLoss` takes them).
pub fn cross_entropy(logits: &Var, classes: &Tensor<usize>) -> Var {
    // The fused log-softmax + NLL op that nn's CrossEntropyLoss uses.
    logits
        .cross_entropy(
            CrossEntropyTarget::Indices {
                classes,
                ignore_index: None,
            },
            None,
            0.0,
        )
        .mean()
}

/// W1: Iris (the first 120 rows), MLP 4-8-9-3, 100 full-batch Adam epochs (lr 0.01).
pub struct W1 {
    pub x: Var,
    pub targets: Tensor<usize>,
}

impl W1 {
    pub fn new() -> Self {
        let iris = backprop::data::iris();
        let x = iris.features.narrow(0, 0, 120);
        let labels = iris.labels[..120].to_vec();
        let targets = Tensor::from_vec(labels, &[120]).expect("120 labels");
        W1 {
            x: Var::new(x),
            targets,
        }
    }

    /// The whole training run, from a fresh model; returns the final loss.
    pub fn run(&self) -> f32 {
        let mut model = Mlp::new(&[4, 8, 9, 3], 0.01, 0);
        let mut loss = 0.0;
        for _ in 0..100 {
            loss = model.step(&self.x, &self.targets);
        }
        loss
    }
}

/// W2: MLP 784-512-512-10 on a random batch of 256, one Adam step per call.
pub struct W2 {
    pub model: Mlp,
    pub x: Var,
    pub targets: Tensor<usize>,
}

impl W2 {
    pub fn new() -> Self {
        let mut rng = Rng::seed_from_u64(2);
        let x = Var::new(Tensor::randn(&[256, 784], &mut rng));
        let labels = (0..256).map(|_| rng.below(10)).collect();
        let targets = Tensor::from_vec(labels, &[256]).expect("256 labels");
        W2 {
            model: Mlp::new(&[784, 512, 512, 10], 1e-3, 1),
            x,
            targets,
        }
    }

    pub fn step(&mut self) -> f32 {
        self.model.step(&self.x, &self.targets)
    }
}

/// W3: a 1024³ single-precision matrix product.
pub struct W3 {
    pub a: Tensor<f32>,
    pub b: Tensor<f32>,
}

impl W3 {
    pub const FLOPS: u64 = 2 * 1024 * 1024 * 1024;

    pub fn new() -> Self {
        let mut rng = Rng::seed_from_u64(3);
        W3 {
            a: Tensor::randn(&[1024, 1024], &mut rng),
            b: Tensor::randn(&[1024, 1024], &mut rng),
        }
    }

    pub fn run(&self) -> Tensor<f32> {
        self.a.matmul(&self.b)
    }
}

/// W4: `c = a + b` on one-element tensors, then backward.
pub struct W4 {
    pub a: Var,
    pub b: Var,
}

impl W4 {
    pub fn new() -> Self {
        W4 {
            a: Var::parameter(Tensor::from_vec(vec![1.0], &[1]).expect("1 element")),
            b: Var::parameter(Tensor::from_vec(vec![2.0], &[1]).expect("1 element")),
        }
    }

    pub fn run(&self) {
        let c = self.a.add(&self.b);
        c.backward();
    }
}
