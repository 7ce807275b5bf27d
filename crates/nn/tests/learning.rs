//! Behaviour: a two-layer MLP trained by plain full-batch gradient descent (written here;
//! the optimizers live in another crate) learns XOR and two-moons.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::{Var, no_grad};
use backprop_nn::{CrossEntropyLoss, Linear, Module, ReLU, Sequential};
use backprop_tensor::{Rng, Tensor};

fn mlp(hidden: usize, rng: &mut Rng) -> Sequential {
    Sequential::new()
        .add(Linear::new(2, hidden, rng))
        .add(ReLU::new())
        .add(Linear::new(hidden, 2, rng))
}

/// Full-batch gradient descent on cross-entropy; returns the final training loss.
fn train(model: &Sequential, x: &Tensor, y: &Tensor<usize>, lr: f32, steps: usize) -> f32 {
    let loss_fn = CrossEntropyLoss::new();
    let x = Var::new(x.clone());
    let mut last = f32::NAN;
    for _ in 0..steps {
        model.zero_grad();
        let loss = loss_fn.forward(&model.forward(&x), y);
        loss.backward();
        last = loss.item();
        no_grad(|| {
            for p in model.parameters() {
                let g = p.grad().expect("every parameter is used");
                p.data_mut().add_scaled_(-lr, &g);
            }
        });
    }
    last
}

fn accuracy(model: &Sequential, x: &Tensor, y: &Tensor<usize>) -> f64 {
    model.eval();
    let pred = no_grad(|| model.forward(&Var::new(x.clone())))
        .value()
        .argmax(1, false);
    model.train();
    let hits = pred
        .to_vec()
        .iter()
        .zip(y.to_vec())
        .filter(|(p, t)| **p == *t)
        .count();
    hits as f64 / y.numel() as f64
}

#[test]
fn mlp_learns_xor() {
    let x = Tensor::from_vec(vec![0.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], &[4, 2]).unwrap();
    let y = Tensor::from_vec(vec![0usize, 1, 1, 0], &[4]).unwrap();
    let mut rng = Rng::seed_from_u64(7);
    let model = mlp(16, &mut rng);
    let loss = train(&model, &x, &y, 0.2, 1000);
    assert!(loss < 0.05, "final loss {loss}");
    assert_eq!(accuracy(&model, &x, &y), 1.0);
}

/// sklearn's `make_moons`: two interleaved half circles with Gaussian noise.
fn moons(n: usize, noise: f32, rng: &mut Rng) -> (Tensor, Tensor<usize>) {
    let mut xs = Vec::with_capacity(2 * n);
    let mut ys = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 2;
        let t = std::f32::consts::PI * rng.next_f64() as f32;
        let (px, py) = if class == 0 {
            (t.cos(), t.sin())
        } else {
            (1.0 - t.cos(), 0.5 - t.sin())
        };
        let e = Tensor::<f32>::randn(&[2], rng).to_vec();
        xs.push(px + noise * e[0]);
        xs.push(py + noise * e[1]);
        ys.push(class);
    }
    (
        Tensor::from_vec(xs, &[n, 2]).unwrap(),
        Tensor::from_vec(ys, &[n]).unwrap(),
    )
}

#[test]
fn mlp_learns_two_moons() {
    let mut rng = Rng::seed_from_u64(11);
    let (x, y) = moons(400, 0.1, &mut rng);
    let (x_test, y_test) = moons(200, 0.1, &mut rng);
    let model = mlp(32, &mut rng);
    let before = accuracy(&model, &x_test, &y_test);
    train(&model, &x, &y, 0.3, 1500);
    let train_acc = accuracy(&model, &x, &y);
    let test_acc = accuracy(&model, &x_test, &y_test);
    assert!(train_acc >= 0.95, "train accuracy {train_acc}");
    assert!(
        test_acc >= 0.95,
        "test accuracy {test_acc} (before training {before})"
    );
}
