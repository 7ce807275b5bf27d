//! Losses: gradient checks of every loss and option (f64, finite differences), stability
//! at logits ±1e4 in f32, and the reduction rules.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::{GradCheckConfig, Var, gradcheck, gradgradcheck};
use backprop_nn::{
    BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss, NLLLoss, Reduction,
    SmoothL1Loss, functional as F,
};
use backprop_tensor::{Rng, Tensor};

fn t64(v: Vec<f64>, s: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v, s).unwrap()
}

fn classes(v: Vec<usize>) -> Tensor<usize> {
    let n = v.len();
    Tensor::from_vec(v, &[n]).unwrap()
}

/// Values with |x| in [0.2, 1.5): away from the kinks of L1/Huber/SmoothL1 at 0 when used
/// as differences, and away from the Huber/SmoothL1 thresholds chosen below.
fn away_from_kinks(rng: &mut Rng, shape: &[usize], avoid: f64) -> Tensor<f64> {
    Tensor::<f64>::uniform(shape, -1.5, 1.5, rng).map(|x| {
        let x = if x.abs() < 0.2 {
            x.signum() * 0.2 + x
        } else {
            x
        };
        if (x.abs() - avoid).abs() < 0.05 {
            x * 1.1
        } else {
            x
        }
    })
}

fn check(label: &str, f: impl Fn(&[Var<f64>]) -> Var<f64>, inputs: &[Tensor<f64>], second: bool) {
    let cfg = GradCheckConfig::default();
    let r = gradcheck(&f, inputs, &cfg);
    assert!(r.passed, "{label}: {r:?}");
    if second {
        let r = gradgradcheck(&f, inputs, &cfg);
        assert!(r.passed, "{label} (second order): {r:?}");
    }
}

#[test]
fn cross_entropy_gradchecks_for_every_option() {
    let mut rng = Rng::seed_from_u64(1);
    let x = Tensor::<f64>::randn(&[5, 4], &mut rng);
    let y = classes(vec![0, 3, 1, 3, 2]);
    let w = t64(vec![0.5, 2.0, 1.0, 3.0], &[4]);
    let probs = {
        let p = Tensor::<f64>::uniform(&[5, 4], 0.1, 1.0, &mut rng);
        p.div(&p.sum(&[1], true))
    };
    let configs: Vec<(&str, CrossEntropyLoss<f64>)> = vec![
        ("plain", CrossEntropyLoss::new()),
        ("sum", CrossEntropyLoss::new().reduction(Reduction::Sum)),
        ("none", CrossEntropyLoss::new().reduction(Reduction::None)),
        ("weight", CrossEntropyLoss::new().weight(w.clone())),
        ("ignore_index", CrossEntropyLoss::new().ignore_index(3)),
        ("smoothing", CrossEntropyLoss::new().label_smoothing(0.2)),
        (
            "all options",
            CrossEntropyLoss::new()
                .weight(w.clone())
                .ignore_index(1)
                .label_smoothing(0.1),
        ),
    ];
    for (label, ce) in configs {
        let yy = y.clone();
        let ce2 = ce.clone();
        check(
            label,
            move |v| ce.forward(&v[0], &yy),
            std::slice::from_ref(&x),
            true,
        );
        let p = probs.clone();
        check(
            &format!("{label} (probs)"),
            move |v| ce2.forward_probs(&v[0], &p),
            std::slice::from_ref(&x),
            true,
        );
    }
}

#[test]
fn cross_entropy_reductions_follow_pytorch_weighted_mean() {
    let x = t64(vec![1.0, 2.0, 0.5, -1.0, 0.0, 3.0], &[2, 3]);
    let y = classes(vec![2, 0]);
    let w = t64(vec![3.0, 1.0, 0.5], &[3]);
    let none = CrossEntropyLoss::new()
        .weight(w.clone())
        .reduction(Reduction::None)
        .forward(&Var::new(x.clone()), &y)
        .value()
        .to_vec();
    // Hand-computed -w_y·log softmax(x)_y.
    let lse0 = (1f64.exp() + 2f64.exp() + 0.5f64.exp()).ln();
    let lse1 = ((-1f64).exp() + 1.0 + 3f64.exp()).ln();
    assert!((none[0] - 0.5 * (lse0 - 0.5)).abs() < 1e-12);
    assert!((none[1] - 3.0 * (lse1 + 1.0)).abs() < 1e-12);
    let mean = CrossEntropyLoss::new()
        .weight(w.clone())
        .forward(&Var::new(x.clone()), &y)
        .item();
    assert!((mean - (none[0] + none[1]) / 3.5).abs() < 1e-12);
    let ignored = CrossEntropyLoss::new()
        .weight(w)
        .ignore_index(2)
        .forward(&Var::new(x), &y)
        .item();
    assert!((ignored - none[1] / 3.0).abs() < 1e-12);
}

#[test]
fn nll_gradchecks_and_matches_cross_entropy_on_log_probs() {
    let mut rng = Rng::seed_from_u64(2);
    let x = Tensor::<f64>::randn(&[4, 3], &mut rng);
    let y = classes(vec![2, 0, 1, 1]);
    let w = t64(vec![0.2, 1.0, 3.0], &[3]);
    for nll in [
        NLLLoss::new(),
        NLLLoss::new().weight(w.clone()).ignore_index(0),
        NLLLoss::new().reduction(Reduction::None),
    ] {
        let yy = y.clone();
        check(
            "nll",
            move |v| nll.forward(&v[0], &yy),
            std::slice::from_ref(&x),
            true,
        );
    }
    let logp = {
        let lse = x.exp().sum(&[1], true).log();
        Var::new(x.sub(&lse))
    };
    let a = NLLLoss::new().weight(w.clone()).forward(&logp, &y).item();
    let b = CrossEntropyLoss::new()
        .weight(w)
        .forward(&Var::new(x), &y)
        .item();
    assert!((a - b).abs() < 1e-12);
}

#[test]
fn regression_losses_gradcheck() {
    let mut rng = Rng::seed_from_u64(3);
    let target = Tensor::<f64>::randn(&[3, 4], &mut rng);
    let diff = away_from_kinks(&mut rng, &[3, 4], 0.7);
    let x = target.add(&diff);
    for r in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let tg = target.clone();
        check(
            "mse",
            move |v| F::mse_loss(&v[0], &v[1], r),
            &[x.clone(), tg.clone()],
            true,
        );
        check(
            "l1",
            move |v| F::l1_loss(&v[0], &v[1], r),
            &[x.clone(), target.clone()],
            true,
        );
        check(
            "huber",
            move |v| F::huber_loss(&v[0], &v[1], 0.7, r),
            &[x.clone(), target.clone()],
            true,
        );
        check(
            "smooth_l1",
            move |v| F::smooth_l1_loss(&v[0], &v[1], 0.7, r),
            &[x.clone(), target.clone()],
            true,
        );
    }
}

#[test]
fn huber_and_smooth_l1_pieces() {
    let x = Var::new(t64(vec![0.1, -0.3, 2.0, -5.0], &[4]));
    let y = Var::new(Tensor::zeros(&[4]));
    let h = HuberLoss::new()
        .delta(0.5)
        .reduction(Reduction::None)
        .forward(&x, &y)
        .value()
        .to_vec();
    let want = [0.005, 0.045, 0.5 * (2.0 - 0.25), 0.5 * (5.0 - 0.25)];
    for (a, b) in h.iter().zip(want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    let s = SmoothL1Loss::new()
        .beta(0.5)
        .reduction(Reduction::None)
        .forward(&x, &y)
        .value()
        .to_vec();
    for (a, b) in s.iter().zip(want) {
        assert!(
            (a - b / 0.5).abs() < 1e-12,
            "smooth l1 = huber / beta: {a} vs {b}"
        );
    }
    let l1 = SmoothL1Loss::new().beta(0.0).forward(&x, &y).item();
    assert!((l1 - L1Loss::new().forward(&x, &y).item()).abs() < 1e-15);
    assert!(
        (MSELoss::new()
            .reduction(Reduction::Sum)
            .forward(&x, &y)
            .item()
            - 29.1)
            .abs()
            < 1e-12
    );
}

#[test]
fn bce_with_logits_gradchecks_with_weights() {
    let mut rng = Rng::seed_from_u64(4);
    let x = Tensor::<f64>::randn(&[4, 3], &mut rng);
    let y = Tensor::<f64>::rand(&[4, 3], &mut rng);
    let w = Tensor::<f64>::uniform(&[4, 3], 0.5, 2.0, &mut rng);
    let pw = t64(vec![2.0, 0.5, 1.5], &[3]);
    let configs = [
        BCEWithLogitsLoss::new(),
        BCEWithLogitsLoss::new().weight(w).pos_weight(pw.clone()),
        BCEWithLogitsLoss::new()
            .pos_weight(pw)
            .reduction(Reduction::None),
    ];
    for bce in configs {
        check(
            "bce",
            move |v| bce.forward(&v[0], &v[1]),
            &[x.clone(), y.clone()],
            true,
        );
    }
}

#[test]
fn bce_with_logits_matches_the_definition() {
    // -[p·y·ln σ(x) + (1-y)·ln(1-σ(x))] at moderate x, where the naive form is accurate.
    let (x, y, p) = (0.8f64, 0.3f64, 2.5f64);
    let s = 1.0 / (1.0 + (-x).exp());
    let want = -(p * y * s.ln() + (1.0 - y) * (1.0 - s).ln());
    let got = BCEWithLogitsLoss::new()
        .pos_weight(t64(vec![p], &[1]))
        .forward(&Var::new(t64(vec![x], &[1])), &Var::new(t64(vec![y], &[1])))
        .item();
    assert!((got - want).abs() < 1e-12);
}

/// Logits at ±1e4 (f32): every loss and every gradient must stay finite.
#[test]
fn class_losses_are_finite_at_huge_logits_in_f32() {
    let x = Tensor::from_vec(
        vec![1e4f32, -1e4, 0.0, -1e4, 1e4, -1e4, 1e4, 1e4, 1e4],
        &[3, 3],
    )
    .unwrap();
    let y = classes(vec![1, 0, 2]);
    let probs = Tensor::from_vec(
        vec![0.2f32, 0.3, 0.5, 1.0, 0.0, 0.0, 0.0, 0.5, 0.5],
        &[3, 3],
    )
    .unwrap();
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 0.5], &[3]).unwrap();
    let bce_target = Var::new(probs.clone());
    type LossFn = Box<dyn Fn(&Var<f32>) -> Var<f32>>;
    let losses: Vec<LossFn> = vec![
        Box::new(|v| CrossEntropyLoss::new().forward(v, &classes(vec![1, 0, 2]))),
        Box::new(move |v| {
            CrossEntropyLoss::new()
                .weight(w.clone())
                .label_smoothing(0.1)
                .forward(v, &classes(vec![1, 0, 2]))
        }),
        Box::new(|v| {
            CrossEntropyLoss::new()
                .ignore_index(2)
                .reduction(Reduction::Sum)
                .forward(v, &classes(vec![1, 0, 2]))
        }),
        Box::new({
            let p = probs.clone();
            move |v| {
                CrossEntropyLoss::new()
                    .label_smoothing(0.2)
                    .forward_probs(v, &p)
            }
        }),
        Box::new(move |v| NLLLoss::new().forward(&v.log_softmax(1), &classes(vec![1, 0, 2]))),
        Box::new(move |v| {
            BCEWithLogitsLoss::new()
                .pos_weight(Tensor::from_vec(vec![3.0f32, 1.0, 0.5], &[3]).unwrap())
                .forward(v, &bce_target)
        }),
    ];
    for (i, f) in losses.iter().enumerate() {
        let v = Var::parameter(x.clone());
        let loss = f(&v);
        assert!(loss.value().all_finite(), "loss {i}: {:?}", loss.value());
        loss.backward();
        let g = v.grad().unwrap();
        assert!(g.all_finite(), "loss {i}: gradient {g:?}");
    }
    // The large-logit cross-entropy is the exact margin, not a clamped value.
    let v = Var::parameter(x.clone());
    let l = CrossEntropyLoss::new()
        .reduction(Reduction::None)
        .forward(&v, &y)
        .value()
        .to_vec();
    assert!((l[0] - 2e4).abs() < 1.0 && (l[1] - 2e4).abs() < 1.0);
    assert!((l[2] - 3f32.ln()).abs() < 1e-3);
}
