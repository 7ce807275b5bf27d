//! Options the PyTorch fixture does not cover, checked for three steps against the documented
//! update rules written as plain scalar math (textbook forms, not the implementation's order).

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use backprop_optim::{Adagrad, AdagradConfig, RmsProp, RmsPropConfig};
use common::{GRADS, P0, assert_close, param, run};

/// Plain-math RMSprop (torch.optim.RMSprop docs).
fn rmsprop_reference(
    lr: f64,
    alpha: f64,
    eps: f64,
    wd: f64,
    mu: f64,
    centered: bool,
) -> Vec<Vec<f64>> {
    let mut p = P0.to_vec();
    let (mut v, mut ga, mut b) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]);
    let mut out = vec![];
    for g in GRADS {
        for i in 0..3 {
            let g = g[i] + wd * p[i];
            v[i] = alpha * v[i] + (1.0 - alpha) * g * g;
            let mut v_tilde = v[i];
            if centered {
                ga[i] = alpha * ga[i] + (1.0 - alpha) * g;
                v_tilde -= ga[i] * ga[i];
            }
            let step = g / (v_tilde.sqrt() + eps);
            if mu > 0.0 {
                b[i] = mu * b[i] + step;
                p[i] -= lr * b[i];
            } else {
                p[i] -= lr * step;
            }
        }
        out.push(p.clone());
    }
    out
}

fn rmsprop_run(c: RmsPropConfig) -> Vec<Vec<f64>> {
    let p = param(&P0);
    let mut opt = RmsProp::new(vec![p.clone()], c).unwrap();
    run(&mut opt, &p, &GRADS)
}

#[test]
fn rmsprop_centered() {
    let c = RmsPropConfig {
        lr: 0.01,
        alpha: 0.9,
        centered: true,
        ..Default::default()
    };
    assert_close(
        &rmsprop_run(c),
        &rmsprop_reference(0.01, 0.9, 1e-8, 0.0, 0.0, true),
    );
}

#[test]
fn rmsprop_momentum_and_weight_decay() {
    let c = RmsPropConfig {
        lr: 0.01,
        momentum: 0.8,
        weight_decay: 0.1,
        ..Default::default()
    };
    assert_close(
        &rmsprop_run(c),
        &rmsprop_reference(0.01, 0.99, 1e-8, 0.1, 0.8, false),
    );
}

#[test]
fn rmsprop_centered_with_momentum() {
    let c = RmsPropConfig {
        lr: 0.01,
        alpha: 0.9,
        momentum: 0.5,
        centered: true,
        eps: 1e-3,
        ..Default::default()
    };
    assert_close(
        &rmsprop_run(c),
        &rmsprop_reference(0.01, 0.9, 1e-3, 0.0, 0.5, true),
    );
}

/// Plain-math Adagrad (torch.optim.Adagrad docs).
fn adagrad_reference(lr: f64, lr_decay: f64, wd: f64, init: f64, eps: f64) -> Vec<Vec<f64>> {
    let mut p = P0.to_vec();
    let mut sum = [init; 3];
    let mut out = vec![];
    for (t, g) in GRADS.iter().enumerate() {
        let clr = lr / (1.0 + t as f64 * lr_decay);
        for i in 0..3 {
            let g = g[i] + wd * p[i];
            sum[i] += g * g;
            p[i] -= clr * g / (sum[i].sqrt() + eps);
        }
        out.push(p.clone());
    }
    out
}

#[test]
fn adagrad_lr_decay_weight_decay_and_initial_accumulator() {
    let p = param(&P0);
    let c = AdagradConfig {
        lr: 0.1,
        lr_decay: 0.5,
        weight_decay: 0.2,
        initial_accumulator_value: 0.3,
        ..Default::default()
    };
    let mut opt = Adagrad::new(vec![p.clone()], c).unwrap();
    assert_close(
        &run(&mut opt, &p, &GRADS),
        &adagrad_reference(0.1, 0.5, 0.2, 0.3, 1e-10),
    );
}
