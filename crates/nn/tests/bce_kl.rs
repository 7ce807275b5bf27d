//! BCELoss (probabilities, logs clamped at -100) and KLDivLoss (probability and log
//! targets, every reduction including batch mean) against their formulas written out,
//! with gradient checks.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::{GradCheckConfig, Var, gradcheck};
use backprop_nn::{BCELoss, KLDivLoss, Reduction};
use backprop_tensor::{Rng, Tensor};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn bce_matches_the_formula_with_weights_and_reductions() {
    let mut rng = Rng::seed_from_u64(3);
    let x = Tensor::<f64>::uniform(&[3, 4], 0.05, 0.95, &mut rng);
    let y = Tensor::<f64>::uniform(&[3, 4], 0.0, 1.0, &mut rng);
    let w = Tensor::<f64>::uniform(&[4], 0.1, 2.0, &mut rng);
    let (xv, yv, wv) = (x.to_vec(), y.to_vec(), w.to_vec());
    let per: Vec<f64> = (0..12)
        .map(|i| -wv[i % 4] * (yv[i] * xv[i].ln() + (1.0 - yv[i]) * (1.0 - xv[i]).ln()))
        .collect();
    let sum: f64 = per.iter().sum();
    for (r, want) in [
        (Reduction::Mean, vec![sum / 12.0]),
        (Reduction::Sum, vec![sum]),
        (Reduction::None, per.clone()),
    ] {
        let loss = BCELoss::new().weight(w.clone()).reduction(r);
        let got = loss
            .forward(&Var::new(x.clone()), &Var::new(y.clone()))
            .value()
            .to_vec();
        assert!(
            got.iter().zip(&want).all(|(a, b)| close(*a, *b)),
            "{r:?}: {got:?} vs {want:?}"
        );
        // Gradients to the probabilities and to the targets.
        let f = move |v: &[Var<f64>]| loss.forward(&v[0], &v[1]);
        let report = gradcheck(&f, &[x.clone(), y.clone()], &GradCheckConfig::default());
        assert!(report.passed, "{r:?}: {report:?}");
    }
}

/// PyTorch 2.15: `F.binary_cross_entropy(x, y, reduction='sum')` at x = 0 and 1 is 100 per
/// wrong element (ln 0 clamped at -100), and the input gradient there is ∓1e12.
#[test]
fn bce_clamps_the_logs_at_minus_100() {
    let x = Var::parameter(Tensor::from_vec(vec![0.0f64, 1.0, 0.0, 0.3], &[4]).unwrap());
    let y = Var::new(Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 1.0], &[4]).unwrap());
    let loss = BCELoss::new().reduction(Reduction::Sum).forward(&x, &y);
    assert!(close(loss.item(), 200.0 - 0.3f64.ln()));
    loss.backward();
    let g = x.grad().unwrap().to_vec();
    assert_eq!(&g[..3], [-1e12, 1e12, 0.0]);
    assert!(close(g[3], -1.0 / 0.3));
}

#[test]
#[should_panic(expected = "binary_cross_entropy: all elements of input should be between 0 and 1")]
fn bce_rejects_values_outside_0_1() {
    let x = Var::new(Tensor::from_vec(vec![-0.1f64], &[1]).unwrap());
    let _ = BCELoss::new().forward(&x, &Var::new(Tensor::zeros(&[1])));
}

#[test]
fn kl_div_matches_the_formula_for_every_reduction_and_target_form() {
    let mut rng = Rng::seed_from_u64(4);
    let logits = Tensor::<f64>::randn(&[3, 5], &mut rng);
    let x = logits.sub(&logits.exp().sum(&[1], true).log()); // log-probabilities
    let mut t = Tensor::<f64>::uniform(&[3, 5], 0.0, 1.0, &mut rng).to_vec();
    t[2] = 0.0; // 0·ln 0 counts as 0
    let t = Tensor::from_vec(t, &[3, 5]).unwrap();
    let (xv, tv) = (x.to_vec(), t.to_vec());
    for log_target in [false, true] {
        let per: Vec<f64> = (0..15)
            .map(|i| {
                if log_target {
                    tv[i].exp() * (tv[i] - xv[i])
                } else if tv[i] == 0.0 {
                    0.0
                } else {
                    tv[i] * (tv[i].ln() - xv[i])
                }
            })
            .collect();
        let sum: f64 = per.iter().sum();
        let cases = [
            (KLDivLoss::new(), vec![sum / 15.0]),
            (KLDivLoss::new().reduction(Reduction::Sum), vec![sum]),
            (KLDivLoss::new().reduction(Reduction::None), per.clone()),
            (KLDivLoss::new().batch_mean(), vec![sum / 3.0]),
        ];
        for (loss, want) in cases {
            let loss = loss.log_target(log_target);
            let got = loss
                .forward(&Var::new(x.clone()), &Var::new(t.clone()))
                .value()
                .to_vec();
            assert!(
                got.iter().zip(&want).all(|(a, b)| close(*a, *b)),
                "{loss:?}: {got:?} vs {want:?}"
            );
            // The input gradient is -t (-eᵗ for log targets); check it by differences.
            let tt = t.clone();
            let f = move |v: &[Var<f64>]| loss.forward(&v[0], &Var::new(tt.clone()));
            let report = gradcheck(&f, std::slice::from_ref(&x), &GradCheckConfig::default());
            assert!(report.passed, "{loss:?}: {report:?}");
        }
    }
}

#[test]
fn kl_div_batch_mean_of_an_empty_batch_is_nan() {
    let x = Var::new(Tensor::<f64>::zeros(&[0, 3]));
    assert!(
        KLDivLoss::new()
            .batch_mean()
            .forward(&x, &x)
            .item()
            .is_nan()
    );
}
