//! Gradient-check cases for every loss and for the layers whose forward pass is more than
//! one op (`LayerNorm`, `BatchNorm1d`, `Embedding`), run by `cargo xtask check-grads` next
//! to the autograd ops and by this crate's tests. Losses and layers compose checked ops (the
//! fused cross-entropy among them); these cases check each as a whole, for every option,
//! with the layer's parameters among the checked inputs.

mod margin_and_likelihood;

use backprop_autograd::checks::{GradCase, OpInfo, SecondOrder, inputs};
use backprop_tensor::{Rng, Tensor};

use self::margin_and_likelihood as more;
use crate::functional as F;
use crate::{
    BCELoss, BCEWithLogitsLoss, BatchNorm1d, CrossEntropyLoss, Embedding, KLDivLoss, LayerNorm,
    Module, NLLLoss, Reduction,
};

/// Every loss and multi-op layer, as a check-grads registry entry.
pub fn registry() -> &'static [OpInfo] {
    &REGISTRY
}

static REGISTRY: [OpInfo; 21] = [
    entry("CrossEntropyLoss", cross_entropy_cases),
    entry("NLLLoss", nll_cases),
    entry("MSELoss", mse_cases),
    entry("L1Loss", l1_cases),
    entry("HuberLoss", huber_cases),
    entry("SmoothL1Loss", smooth_l1_cases),
    entry("BCEWithLogitsLoss", bce_cases),
    entry("BCELoss", bce_prob_cases),
    entry("KLDivLoss", kl_div_cases),
    entry("MarginRankingLoss", more::margin_ranking_cases),
    entry("HingeEmbeddingLoss", more::hinge_embedding_cases),
    entry("SoftMarginLoss", more::soft_margin_cases),
    entry(
        "MultiLabelSoftMarginLoss",
        more::multilabel_soft_margin_cases,
    ),
    entry("MultiMarginLoss", more::multi_margin_cases),
    entry("CosineEmbeddingLoss", more::cosine_embedding_cases),
    entry("TripletMarginLoss", more::triplet_margin_cases),
    entry("PoissonNLLLoss", more::poisson_nll_cases),
    entry("GaussianNLLLoss", more::gaussian_nll_cases),
    entry("LayerNorm", layer_norm_cases),
    entry("BatchNorm1d", batch_norm_cases),
    entry("Embedding", embedding_cases),
];

const fn entry(name: &'static str, cases: fn(&mut Rng) -> Vec<GradCase>) -> OpInfo {
    OpInfo {
        name,
        cases,
        second_order: SecondOrder::Supported,
    }
}

const REDUCTIONS: [(Reduction, &str); 3] = [
    (Reduction::Mean, "mean"),
    (Reduction::Sum, "sum"),
    (Reduction::None, "none"),
];

fn classes(rng: &mut Rng, n: usize, c: usize) -> Tensor<usize> {
    let v: Vec<usize> = (0..n).map(|_| rng.below(c)).collect();
    Tensor::from_vec(v, &[n]).expect("n labels")
}

/// A target offset from `x` by |d| in [0.2, 1.5), with |d| kept 0.05 away from `kink`
/// (0.5 for Huber δ and SmoothL1 β below), so every element is off the loss's kinks.
fn offset_target(rng: &mut Rng, x: &Tensor<f64>, kink: f64) -> Tensor<f64> {
    let d = inputs::away_from_zero(rng, x.shape()).map(|d| {
        if (d.abs() - kink).abs() < 0.05 {
            d * 1.2
        } else {
            d
        }
    });
    x.add(&d)
}

fn cross_entropy_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (2 + rng.below(4), 2 + rng.below(4));
    let mut cases = Vec::new();
    for (r, name) in REDUCTIONS {
        let y = classes(rng, n, c);
        cases.push(GradCase::new(
            format!("indices {name}"),
            vec![inputs::normal(rng, &[n, c])],
            move |v| F::cross_entropy(&v[0], &y, r),
        ));
    }
    let w = inputs::positive(rng, &[c]);
    let y = classes(rng, n, c);
    cases.push(GradCase::new(
        "class weights, label smoothing 0.1",
        vec![inputs::normal(rng, &[n, c])],
        move |v| {
            CrossEntropyLoss::new()
                .weight(w.clone())
                .label_smoothing(0.1)
                .forward(&v[0], &y)
        },
    ));
    let y = classes(rng, n, c);
    let ignored = y.to_vec()[0];
    cases.push(GradCase::new(
        "ignore_index",
        vec![inputs::normal(rng, &[n, c])],
        move |v| {
            CrossEntropyLoss::new()
                .ignore_index(ignored)
                .forward(&v[0], &y)
        },
    ));
    let p = inputs::positive(rng, &[n, c]);
    let p = p.div(&p.sum(&[1], true));
    let w = inputs::positive(rng, &[c]);
    cases.push(GradCase::new(
        "probability targets, weights, smoothing",
        vec![inputs::normal(rng, &[n, c])],
        move |v| {
            CrossEntropyLoss::new()
                .weight(w.clone())
                .label_smoothing(0.2)
                .forward_probs(&v[0], &p)
        },
    ));
    // [N, C, d1, d2] scores with [N, d1, d2] targets, weights and smoothing.
    let (d1, d2) = (1 + rng.below(3), 2);
    let y = classes(rng, n * d1 * d2, c).reshape(&[n, d1, d2]);
    let w = inputs::positive(rng, &[c]);
    cases.push(GradCase::new(
        "[N, C, d1, d2], weights, smoothing 0.1",
        vec![inputs::normal(rng, &[n, c, d1, d2])],
        move |v| {
            CrossEntropyLoss::new()
                .weight(w.clone())
                .label_smoothing(0.1)
                .forward(&v[0], &y)
        },
    ));
    cases
}

fn nll_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (2 + rng.below(4), 2 + rng.below(4));
    let mut cases = Vec::new();
    for (r, name) in REDUCTIONS {
        let y = classes(rng, n, c);
        cases.push(GradCase::new(
            format!("log-probs {name}"),
            vec![inputs::normal(rng, &[n, c])],
            move |v| F::nll_loss(&v[0].log_softmax(1), &y, r),
        ));
    }
    let w = inputs::positive(rng, &[c]);
    let y = classes(rng, n, c);
    cases.push(GradCase::new(
        "class weights",
        vec![inputs::normal(rng, &[n, c])],
        move |v| {
            NLLLoss::new()
                .weight(w.clone())
                .forward(&v[0].log_softmax(1), &y)
        },
    ));
    // [N, C, d] scores with [N, d] targets, one ignored class.
    let d = 1 + rng.below(3);
    let y = classes(rng, n * d, c).reshape(&[n, d]);
    cases.push(GradCase::new(
        "[N, C, d], ignore_index 0",
        vec![inputs::normal(rng, &[n, c, d])],
        move |v| {
            NLLLoss::new()
                .ignore_index(0)
                .forward(&v[0].log_softmax(1), &y)
        },
    ));
    cases
}

/// Cases for a regression loss of (input, target), both differentiable, every reduction.
fn regression_cases(
    rng: &mut Rng,
    kink: f64,
    loss: fn(
        &backprop_autograd::Var<f64>,
        &backprop_autograd::Var<f64>,
        Reduction,
    ) -> backprop_autograd::Var<f64>,
) -> Vec<GradCase> {
    let ndim = 1 + rng.below(2);
    let shape = inputs::shape(rng, ndim, 4);
    REDUCTIONS
        .iter()
        .map(|&(r, name)| {
            let x = inputs::normal(rng, &shape);
            let t = offset_target(rng, &x, kink);
            GradCase::new(name, vec![x, t], move |v| loss(&v[0], &v[1], r))
        })
        .collect()
}

fn mse_cases(rng: &mut Rng) -> Vec<GradCase> {
    regression_cases(rng, 0.0, F::mse_loss)
}

fn l1_cases(rng: &mut Rng) -> Vec<GradCase> {
    regression_cases(rng, 0.0, F::l1_loss)
}

fn huber_cases(rng: &mut Rng) -> Vec<GradCase> {
    regression_cases(rng, 0.5, |x, t, r| F::huber_loss(x, t, 0.5, r))
}

fn smooth_l1_cases(rng: &mut Rng) -> Vec<GradCase> {
    regression_cases(rng, 0.5, |x, t, r| F::smooth_l1_loss(x, t, 0.5, r))
}

fn bce_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (1 + rng.below(4), 1 + rng.below(3));
    let mut cases = Vec::new();
    for (r, name) in REDUCTIONS {
        let y = backprop_autograd::Var::new(Tensor::<f64>::rand(&[n, c], rng));
        cases.push(GradCase::new(
            name,
            vec![inputs::normal(rng, &[n, c])],
            move |v| F::binary_cross_entropy_with_logits(&v[0], &y, r),
        ));
    }
    let y = backprop_autograd::Var::new(Tensor::<f64>::rand(&[n, c], rng));
    let w = inputs::positive(rng, &[c]);
    let pw = inputs::positive(rng, &[c]);
    cases.push(GradCase::new(
        "weight, pos_weight",
        vec![inputs::normal(rng, &[n, c])],
        move |v| {
            BCEWithLogitsLoss::new()
                .weight(w.clone())
                .pos_weight(pw.clone())
                .forward(&v[0], &y)
        },
    ));
    cases
}

fn bce_prob_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (1 + rng.below(4), 1 + rng.below(3));
    // Probabilities and targets both differentiable, away from the clamps at 0 and 1.
    let probs = |rng: &mut Rng| Tensor::<f64>::uniform(&[n, c], 0.05, 0.95, rng);
    let mut cases = Vec::new();
    for (r, name) in REDUCTIONS {
        cases.push(GradCase::new(
            name,
            vec![probs(rng), probs(rng)],
            move |v| BCELoss::new().reduction(r).forward(&v[0], &v[1]),
        ));
    }
    let w = inputs::positive(rng, &[c]);
    cases.push(GradCase::new(
        "weight",
        vec![probs(rng), probs(rng)],
        move |v| BCELoss::new().weight(w.clone()).forward(&v[0], &v[1]),
    ));
    cases
}

fn kl_div_cases(rng: &mut Rng) -> Vec<GradCase> {
    let (n, c) = (1 + rng.below(4), 2 + rng.below(3));
    let mut cases = Vec::new();
    for (loss, name) in [
        (KLDivLoss::new(), "mean"),
        (KLDivLoss::new().reduction(Reduction::Sum), "sum"),
        (KLDivLoss::new().reduction(Reduction::None), "none"),
        (KLDivLoss::new().batch_mean(), "batch mean"),
    ] {
        // Log-probabilities against positive targets, then against log targets.
        cases.push(GradCase::new(
            name,
            vec![inputs::normal(rng, &[n, c]), inputs::positive(rng, &[n, c])],
            move |v| loss.forward(&v[0].log_softmax(1), &v[1]),
        ));
        cases.push(GradCase::new(
            format!("{name}, log target"),
            vec![inputs::normal(rng, &[n, c]), inputs::normal(rng, &[n, c])],
            move |v| loss.log_target(true).forward(&v[0], &v[1]),
        ));
    }
    cases
}

fn layer_norm_cases(rng: &mut Rng) -> Vec<GradCase> {
    let mut cases = Vec::new();
    for (normalized, input, eps) in [
        (vec![3], vec![2, 3], 1e-5),
        (vec![2, 3], vec![2, 2, 2, 3], 0.1),
    ] {
        // Input, weight, bias.
        let xs = vec![
            inputs::normal(rng, &input),
            inputs::normal(rng, &normalized),
            inputs::normal(rng, &normalized),
        ];
        let shape = normalized.clone();
        cases.push(GradCase::new(
            format!("normalized {normalized:?}, eps {eps}"),
            xs,
            move |v| {
                let mut ln = LayerNorm::new(&shape).with_eps(eps);
                ln.weight = Some(v[1].clone());
                ln.bias = Some(v[2].clone());
                ln.forward(&v[0])
            },
        ));
    }
    let shape = [4];
    cases.push(GradCase::new(
        "no affine",
        vec![inputs::normal(rng, &[3, 4])],
        move |v| {
            LayerNorm::new(&shape)
                .with_elementwise_affine(false)
                .forward(&v[0])
        },
    ));
    cases
}

fn batch_norm_cases(rng: &mut Rng) -> Vec<GradCase> {
    let c = 2 + rng.below(2);
    let mut cases = Vec::new();
    for input in [vec![4, c], vec![3, c, 2]] {
        let xs = vec![
            inputs::normal(rng, &input),
            inputs::normal(rng, &[c]),
            inputs::normal(rng, &[c]),
        ];
        cases.push(GradCase::new(format!("training {input:?}"), xs, move |v| {
            let mut bn = BatchNorm1d::new(c);
            bn.weight = Some(v[1].clone());
            bn.bias = Some(v[2].clone());
            bn.forward(&v[0])
        }));
    }
    // Evaluation with running statistics gathered from one training batch.
    let trained = BatchNorm1d::<f64>::new(c).with_momentum(Some(0.5));
    trained.forward(&backprop_autograd::Var::new(inputs::normal(
        rng,
        &[5, c, 3],
    )));
    trained.eval();
    let xs = vec![
        inputs::normal(rng, &[2, c, 3]),
        inputs::normal(rng, &[c]),
        inputs::normal(rng, &[c]),
    ];
    cases.push(GradCase::new("evaluation, running stats", xs, move |v| {
        let mut bn = trained.clone();
        bn.weight = Some(v[1].clone());
        bn.bias = Some(v[2].clone());
        bn.forward(&v[0])
    }));
    cases.push(GradCase::new(
        "no affine, no running stats",
        vec![inputs::normal(rng, &[3, c])],
        move |v| {
            BatchNorm1d::new(c)
                .with_affine(false)
                .with_track_running_stats(false)
                .forward(&v[0])
        },
    ));
    cases
}

fn embedding_cases(rng: &mut Rng) -> Vec<GradCase> {
    use backprop_autograd::Var;
    let (n, dim) = (3 + rng.below(3), 1 + rng.below(3));
    let mut indices = || {
        let idx: Vec<usize> = (0..6)
            .map(|i| if i == 0 { 0 } else { rng.below(n) })
            .collect();
        Tensor::from_vec(idx, &[2, 3]).expect("six indices")
    };
    let (idx, padded_idx) = (indices(), indices());
    vec![
        GradCase::new(
            "no padding_idx",
            vec![inputs::normal(rng, &[n, dim])],
            move |v| {
                let mut emb = Embedding::new(n, dim, None, &mut Rng::seed_from_u64(0));
                emb.weight = v[0].clone();
                emb.forward_indices(&idx)
            },
        ),
        // The padding row (row 0, looked up at least once) gets no gradient by design, so it
        // is a constant here and only the other rows are checked.
        GradCase::new(
            "padding_idx 0",
            vec![inputs::normal(rng, &[n - 1, dim])],
            move |v| {
                let mut emb = Embedding::new(n, dim, Some(0), &mut Rng::seed_from_u64(0));
                let padding = Var::new(Tensor::full(&[1, dim], 0.5));
                emb.weight = Var::concat(&[&padding, &v[0]], 0);
                emb.forward_indices(&padded_idx)
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use backprop_autograd::run_checks_on;

    #[test]
    fn every_loss_and_layer_passes_first_and_second_order_checks() {
        for seed in [0, 1] {
            let rows = run_checks_on(super::registry(), None, seed, true);
            assert!(rows.len() >= 9 * 3 * 2);
            let failed: Vec<String> = rows
                .iter()
                .filter(|r| !r.report.as_ref().is_some_and(|r| r.passed))
                .map(|r| format!("{} [{}] order {}: {:?}", r.op, r.case, r.order, r.report))
                .collect();
            assert!(failed.is_empty(), "seed {seed}:\n{}", failed.join("\n"));
        }
    }
}
