//! Gradient-check cases of the margin, embedding and likelihood losses. Every input that
//! meets a hinge is placed away from its kink (by construction where the kink is simple,
//! by the seeds otherwise); GaussianNLL variances stay above eps, where the clamp is inactive
//! (its gradient-preserving clamp is checked against PyTorch in `tests/more_losses_fixture.rs`).

use backprop_autograd::Var;
use backprop_autograd::checks::{GradCase, inputs};
use backprop_tensor::{Rng, Tensor};

use super::{REDUCTIONS, classes, offset_target};
use crate::{
    CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss,
    MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss, Reduction, SoftMarginLoss,
    TripletMarginLoss,
};

/// Labels drawn from `values`.
fn labels(rng: &mut Rng, shape: &[usize], values: &[f64]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(|_| values[rng.below(values.len())]).collect();
    Tensor::from_vec(v, shape).expect("shape product")
}

pub(super) fn margin_ranking_cases(rng: &mut Rng) -> Vec<GradCase> {
    let n = 2 + rng.below(4);
    let mut cases = Vec::new();
    for (margin, (r, name)) in [
        (0.0, REDUCTIONS[0]),
        (0.0, REDUCTIONS[1]),
        (0.5, REDUCTIONS[2]),
    ] {
        let y = labels(rng, &[n], &[1.0, -1.0]);
        // -y·(x1 - x2) + margin is kept ≥ 0.2 from 0: x1 - x2 = y·margin + d, |d| ≥ 0.2.
        let x2 = inputs::normal(rng, &[n]);
        let x1 = offset_target(rng, &x2.add(&y.mul_scalar(margin)), 0.0);
        cases.push(GradCase::new(
            format!("margin {margin}, {name}"),
            vec![x1, x2],
            move |v| {
                MarginRankingLoss::new()
                    .margin(margin)
                    .reduction(r)
                    .forward(&v[0], &v[1], &y)
            },
        ));
    }
    cases
}

pub(super) fn hinge_embedding_cases(rng: &mut Rng) -> Vec<GradCase> {
    let shape = inputs::shape(rng, 2, 4);
    let mut cases = Vec::new();
    for (margin, values, (r, name)) in [
        (1.0, &[1.0, -1.0][..], REDUCTIONS[0]),
        (1.0, &[1.0, -1.0][..], REDUCTIONS[1]),
        (0.5, &[1.0, -1.0, 0.0][..], REDUCTIONS[2]),
    ] {
        let y = labels(rng, &shape, values);
        let x = offset_target(rng, &Tensor::full(&shape, margin), 0.0);
        cases.push(GradCase::new(
            format!("margin {margin}, {name}"),
            vec![x],
            move |v| {
                HingeEmbeddingLoss::new()
                    .margin(margin)
                    .reduction(r)
                    .forward(&v[0], &y)
            },
        ));
    }
    cases
}

pub(super) fn soft_margin_cases(rng: &mut Rng) -> Vec<GradCase> {
    let shape = inputs::shape(rng, 2, 4);
    REDUCTIONS
        .iter()
        .map(|&(r, name)| {
            let y = labels(rng, &shape, &[1.0, -1.0]);
            let x = inputs::normal(rng, &shape).mul_scalar(3.0);
            GradCase::new(name, vec![x], move |v| {
                SoftMarginLoss::new().reduction(r).forward(&v[0], &y)
            })
        })
        .collect()
}

pub(super) fn multilabel_soft_margin_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (1 + rng.below(4), 2 + rng.below(3));
    let mut cases = Vec::new();
    for (r, name) in REDUCTIONS {
        let y = labels(rng, &[n, c], &[0.0, 1.0]);
        cases.push(GradCase::new(
            name,
            vec![inputs::normal(rng, &[n, c])],
            move |v| {
                MultiLabelSoftMarginLoss::new()
                    .reduction(r)
                    .forward(&v[0], &y)
            },
        ));
    }
    let y = labels(rng, &[2, n, c], &[0.0, 1.0]);
    let w = inputs::positive(rng, &[c]);
    cases.push(GradCase::new(
        "[2, N, C], weight",
        vec![inputs::normal(rng, &[2, n, c])],
        move |v| {
            MultiLabelSoftMarginLoss::new()
                .weight(w.clone())
                .reduction(Reduction::None)
                .forward(&v[0], &y)
        },
    ));
    cases
}

pub(super) fn multi_margin_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (2 + rng.below(4), 2 + rng.below(4));
    let mut cases = Vec::new();
    for (p, margin, weighted, (r, name)) in [
        (1, 1.0, false, REDUCTIONS[0]),
        (2, 1.0, false, REDUCTIONS[1]),
        (1, 0.5, true, REDUCTIONS[2]),
        (2, 0.5, true, REDUCTIONS[0]),
    ] {
        let y = classes(rng, n, c);
        let w = inputs::positive(rng, &[c]);
        cases.push(GradCase::new(
            format!("p {p}, margin {margin}, weighted {weighted}, {name}"),
            vec![inputs::normal(rng, &[n, c])],
            move |v| {
                let mut loss = MultiMarginLoss::new().p(p).margin(margin).reduction(r);
                if weighted {
                    loss = loss.weight(w.clone());
                }
                loss.forward(&v[0], &y)
            },
        ));
    }
    cases
}

pub(super) fn cosine_embedding_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, d) = (2 + rng.below(4), 2 + rng.below(3));
    let mut cases = Vec::new();
    for (margin, (r, name)) in [
        (0.0, REDUCTIONS[0]),
        (0.0, REDUCTIONS[1]),
        (0.25, REDUCTIONS[2]),
    ] {
        let y = labels(rng, &[n], &[1.0, -1.0]);
        let xs = vec![inputs::normal(rng, &[n, d]), inputs::normal(rng, &[n, d])];
        cases.push(GradCase::new(
            format!("margin {margin}, {name}"),
            xs,
            move |v| {
                CosineEmbeddingLoss::new()
                    .margin(margin)
                    .reduction(r)
                    .forward(&v[0], &v[1], &y)
            },
        ));
    }
    cases
}

pub(super) fn triplet_margin_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, d) = (2 + rng.below(4), 2 + rng.below(3));
    let mut cases = Vec::new();
    for (p, swap, (r, name)) in [
        (2.0, false, REDUCTIONS[0]),
        (1.0, false, REDUCTIONS[1]),
        (3.0, true, REDUCTIONS[2]),
    ] {
        let xs = (0..3).map(|_| inputs::normal(rng, &[n, d])).collect();
        cases.push(GradCase::new(
            format!("p {p}, swap {swap}, {name}"),
            xs,
            move |v| {
                TripletMarginLoss::new()
                    .p(p)
                    .swap(swap)
                    .reduction(r)
                    .forward(&v[0], &v[1], &v[2])
            },
        ));
    }
    cases
}

pub(super) fn poisson_nll_cases(rng: &mut Rng) -> Vec<GradCase> {
    let shape = inputs::shape(rng, 2, 4);
    let mut cases = Vec::new();
    // Targets in [0.5, 2.5): on both sides of 1, where the Stirling term starts.
    for (log_input, full, (r, name)) in [
        (true, false, REDUCTIONS[0]),
        (true, true, REDUCTIONS[1]),
        (false, false, REDUCTIONS[2]),
        (false, true, REDUCTIONS[0]),
    ] {
        let x = if log_input {
            inputs::normal(rng, &shape)
        } else {
            inputs::positive(rng, &shape)
        };
        let t = inputs::positive(rng, &shape).add_scalar(0.5);
        cases.push(GradCase::new(
            format!("log_input {log_input}, full {full}, {name}"),
            vec![x, t],
            move |v| {
                PoissonNLLLoss::new()
                    .log_input(log_input)
                    .full(full)
                    .reduction(r)
                    .forward(&v[0], &v[1])
            },
        ));
    }
    cases
}

pub(super) fn gaussian_nll_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (1 + rng.below(4), 2 + rng.below(3));
    let mut cases = Vec::new();
    for (var_shape, full, (r, name)) in [
        (vec![n, c], false, REDUCTIONS[0]),
        (vec![n], true, REDUCTIONS[1]),
        (vec![n, 1], false, REDUCTIONS[2]),
        (vec![1, c], true, REDUCTIONS[0]),
    ] {
        let xs = vec![
            inputs::normal(rng, &[n, c]),
            inputs::normal(rng, &[n, c]),
            inputs::positive(rng, &var_shape),
        ];
        cases.push(GradCase::new(
            format!("var {var_shape:?}, full {full}, {name}"),
            xs,
            move |v: &[Var<f64>]| {
                GaussianNLLLoss::new()
                    .full(full)
                    .reduction(r)
                    .forward(&v[0], &v[1], &v[2])
            },
        ));
    }
    cases
}
