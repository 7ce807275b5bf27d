//! Helpers shared by the behaviour tests.

#![allow(dead_code, clippy::unwrap_used)]

pub mod reference;

use backprop_autograd::Var;
use backprop_optim::Optimizer;
use backprop_tensor::Tensor;

/// The starting parameter of the hand-computed tests.
pub const P0: [f64; 3] = [0.5, -1.5, 2.0];

/// Gradients for three steps: large, then small, so AMSGrad's running maximum matters.
pub const GRADS: [[f64; 3]; 3] = [[3.0, -2.0, 0.5], [0.1, 0.2, -0.3], [-0.05, 0.4, 0.25]];

pub fn param(values: &[f64]) -> Var<f64> {
    Var::parameter(Tensor::from_vec(values.to_vec(), &[values.len()]).unwrap())
}

/// Sets each gradient in turn, steps, and returns the parameter after every step.
pub fn run(opt: &mut dyn Optimizer<f64>, p: &Var<f64>, grads: &[[f64; 3]]) -> Vec<Vec<f64>> {
    grads
        .iter()
        .map(|g| {
            p.set_grad(Some(Tensor::from_vec(g.to_vec(), &[3]).unwrap()));
            opt.step();
            p.value().to_vec()
        })
        .collect()
}

/// Asserts every value agrees to `1e-12` relative (absolute below 1).
#[track_caller]
pub fn assert_close(got: &[Vec<f64>], want: &[Vec<f64>]) {
    assert_eq!(got.len(), want.len());
    for (t, (g, w)) in got.iter().zip(want).enumerate() {
        for (i, (a, b)) in g.iter().zip(w).enumerate() {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "step {t}, element {i}: got {a}, expected {b}"
            );
        }
    }
}
