//! Class losses on PyTorch's other input layouts — `[N, C, d1, ...]` with targets
//! `[N, d1, ...]`, one unbatched sample `[C]` with a 0-d target — against a direct
//! loop over the formula, plus gradient checks, and the degenerate means (no rows
//! left, zero-weight classes) that PyTorch answers with NaN.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::{GradCheckConfig, Var, gradcheck};
use backprop_nn::{CrossEntropyLoss, NLLLoss, Reduction};
use backprop_tensor::{Rng, Tensor};

const REDUCTIONS: [Reduction; 3] = [Reduction::Mean, Reduction::Sum, Reduction::None];

/// Row-major offset of `index` in `shape`.
fn offset(shape: &[usize], index: &[usize]) -> usize {
    shape
        .iter()
        .zip(index)
        .fold(0, |acc, (&extent, &i)| acc * extent + i)
}

/// For an input `[N, C, rest...]`, the flat positions of the class values of every sample
/// `(n, rest...)`, samples in row-major order.
fn samples(shape: &[usize]) -> Vec<Vec<usize>> {
    let (n, c, rest) = (shape[0], shape[1], &shape[2..]);
    let per_n: usize = rest.iter().product();
    let mut out = Vec::new();
    for b in 0..n {
        for r in 0..per_n {
            // Unravel r over `rest`.
            let mut idx = vec![0; rest.len()];
            let mut k = r;
            for (a, &e) in rest.iter().enumerate().rev() {
                idx[a] = k % e;
                k /= e;
            }
            out.push(
                (0..c)
                    .map(|cls| {
                        let mut full = vec![b, cls];
                        full.extend_from_slice(&idx);
                        offset(shape, &full)
                    })
                    .collect(),
            );
        }
    }
    out
}

/// PyTorch's cross-entropy with class indices written out: per sample
/// -(1-ε)·w_y·log p_y - (ε/C)·Σ_c w_c·log p_c (0 when ignored); the mean divides by
/// Σ w_y over the samples not ignored. Returns (per-sample losses, mean, sum).
fn direct_cross_entropy(
    x: &[f64],
    shape: &[usize],
    y: &[usize],
    w: &[f64],
    ignore: Option<usize>,
    eps: f64,
) -> (Vec<f64>, f64, f64) {
    let c = shape[1] as f64;
    let (mut per, mut denom) = (Vec::new(), 0.0);
    for (s, pos) in samples(shape).iter().enumerate() {
        if Some(y[s]) == ignore {
            per.push(0.0);
            continue;
        }
        let lse = pos.iter().map(|&p| x[p].exp()).sum::<f64>().ln();
        let logp = |cls: usize| x[pos[cls]] - lse;
        let smooth: f64 = (0..pos.len()).map(|cls| w[cls] * logp(cls)).sum();
        per.push(-(1.0 - eps) * w[y[s]] * logp(y[s]) - eps / c * smooth);
        denom += w[y[s]];
    }
    let sum: f64 = per.iter().sum();
    (per, sum / denom, sum)
}

fn reduced(per: &[f64], mean: f64, sum: f64, r: Reduction) -> Vec<f64> {
    match r {
        Reduction::Mean => vec![mean],
        Reduction::Sum => vec![sum],
        Reduction::None => per.to_vec(),
    }
}

fn assert_close(got: &[f64], want: &[f64], label: &str) {
    assert_eq!(got.len(), want.len(), "{label}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
            "{label}: {got:?} vs {want:?}"
        );
    }
}

#[test]
fn cross_entropy_and_nll_on_spatial_inputs_match_the_formula() {
    let mut rng = Rng::seed_from_u64(7);
    let shape = [2, 3, 4, 2];
    let x = Tensor::<f64>::randn(&shape, &mut rng);
    let y: Vec<usize> = (0..16).map(|i| (i * 7 + 1) % 3).collect();
    let targets = Tensor::from_vec(y.clone(), &[2, 4, 2]).unwrap();
    let w = vec![0.5, 2.0, 1.25];
    let xv = x.to_vec();
    for (ignore, eps) in [(None, 0.0), (Some(1), 0.0), (None, 0.3), (Some(2), 0.2)] {
        let (per, mean, sum) = direct_cross_entropy(&xv, &shape, &y, &w, ignore, eps);
        for r in REDUCTIONS {
            let mut ce = CrossEntropyLoss::new()
                .weight(Tensor::from_vec(w.clone(), &[3]).unwrap())
                .label_smoothing(eps)
                .reduction(r);
            let mut nll = NLLLoss::new()
                .weight(Tensor::from_vec(w.clone(), &[3]).unwrap())
                .reduction(r);
            if let Some(i) = ignore {
                ce = ce.ignore_index(i);
                nll = nll.ignore_index(i);
            }
            let label = format!("ignore {ignore:?} eps {eps} {r:?}");
            let out = ce.forward(&Var::new(x.clone()), &targets);
            if r == Reduction::None {
                assert_eq!(out.shape(), [2, 4, 2], "{label}");
            }
            assert_close(&out.value().to_vec(), &reduced(&per, mean, sum, r), &label);

            let t = targets.clone();
            let f = move |v: &[Var<f64>]| ce.forward(&v[0], &t);
            let report = gradcheck(&f, std::slice::from_ref(&x), &GradCheckConfig::default());
            assert!(report.passed, "{label}: {report:?}");

            if eps == 0.0 {
                // NLL of the log-probabilities is the same loss.
                let logp = x.sub(&x.exp().sum(&[1], true).log());
                let out = nll.forward(&Var::new(logp.clone()), &targets);
                assert_close(&out.value().to_vec(), &reduced(&per, mean, sum, r), &label);
                let t = targets.clone();
                let f = move |v: &[Var<f64>]| nll.forward(&v[0], &t);
                let report = gradcheck(&f, &[logp], &GradCheckConfig::default());
                assert!(report.passed, "nll {label}: {report:?}");
            }
        }
    }
}

#[test]
fn cross_entropy_with_spatial_probability_targets_matches_the_formula() {
    let mut rng = Rng::seed_from_u64(8);
    let shape = [2, 3, 5];
    let x = Tensor::<f64>::randn(&shape, &mut rng);
    let t = Tensor::<f64>::uniform(&shape, 0.0, 1.0, &mut rng);
    let (xv, tv) = (x.to_vec(), t.to_vec());
    let (w, eps) = ([0.5, 2.0, 1.25], 0.1);
    // -Σ_c w_c·(t_c(1-ε) + ε/C)·log p_c per sample; the mean divides by N·d = 10.
    let per: Vec<f64> = samples(&shape)
        .iter()
        .map(|pos| {
            let lse = pos.iter().map(|&p| xv[p].exp()).sum::<f64>().ln();
            -(0..3)
                .map(|c| w[c] * (tv[pos[c]] * (1.0 - eps) + eps / 3.0) * (xv[pos[c]] - lse))
                .sum::<f64>()
        })
        .collect();
    let sum: f64 = per.iter().sum();
    for r in REDUCTIONS {
        let ce = CrossEntropyLoss::new()
            .weight(Tensor::from_vec(w.to_vec(), &[3]).unwrap())
            .label_smoothing(eps)
            .reduction(r);
        let out = ce.forward_probs(&Var::new(x.clone()), &t);
        assert_close(
            &out.value().to_vec(),
            &reduced(&per, sum / 10.0, sum, r),
            "probs",
        );
        if r == Reduction::None {
            assert_eq!(out.shape(), [2, 5]);
        }
        let tt = t.clone();
        let f = move |v: &[Var<f64>]| ce.forward_probs(&v[0], &tt);
        let report = gradcheck(&f, std::slice::from_ref(&x), &GradCheckConfig::default());
        assert!(report.passed, "probs {r:?}: {report:?}");
    }
}

#[test]
fn an_unbatched_sample_is_a_batch_of_one_with_a_0d_loss() {
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0, 0.0], &[4]).unwrap();
    let x2 = x.reshape(&[1, 4]);
    let y = Tensor::from_vec(vec![2usize], &[]).unwrap();
    let y1 = Tensor::from_vec(vec![2usize], &[1]).unwrap();
    for r in REDUCTIONS {
        let ce = CrossEntropyLoss::new().label_smoothing(0.1).reduction(r);
        let a = ce.forward(&Var::new(x.clone()), &y);
        assert_eq!(a.shape(), [0usize; 0]);
        let b = ce.forward(&Var::new(x2.clone()), &y1);
        assert_eq!(a.value().to_vec(), b.value().to_vec());
        let nll = NLLLoss::new().reduction(r);
        assert_eq!(nll.forward(&Var::new(x.clone()), &y).item(), -2.0);
        let p = ce.forward_probs(
            &Var::new(x.clone()),
            &Var::new(x.clone()).softmax(0).value(),
        );
        assert_eq!(p.shape(), [0usize; 0]);
    }
}

/// PyTorch: a weighted mean over no rows is 0/0 = NaN, and its gradient is 0 (ignored
/// rows pass nothing back). Before, NLLLoss gave a NaN gradient (0 · 1/0) and
/// CrossEntropyLoss with smoothing and zero-weight targets an infinite value.
#[test]
fn means_over_nothing_are_nan_with_zero_gradients() {
    let x = Tensor::<f64>::randn(&[3, 4], &mut Rng::seed_from_u64(9));
    let all_ignored = Tensor::from_vec(vec![2usize, 2, 2], &[3]).unwrap();
    let ce = CrossEntropyLoss::new().ignore_index(2);
    let nll = NLLLoss::new().ignore_index(2);
    for loss in [
        Box::new(move |v: &Var<f64>| ce.forward(v, &all_ignored))
            as Box<dyn Fn(&Var<f64>) -> Var<f64>>,
        Box::new(move |v: &Var<f64>| {
            nll.forward(v, &Tensor::from_vec(vec![2usize, 2, 2], &[3]).unwrap())
        }),
    ] {
        let v = Var::parameter(x.clone());
        let l = loss(&v);
        assert!(l.item().is_nan());
        l.backward();
        assert_eq!(v.grad().unwrap().to_vec(), vec![0.0; 12]);
    }
    // An empty batch.
    let empty = Var::parameter(Tensor::<f64>::zeros(&[0, 4]));
    let none = Tensor::from_vec(vec![], &[0]).unwrap();
    assert!(NLLLoss::new().forward(&empty, &none).item().is_nan());
    assert!(
        CrossEntropyLoss::new()
            .forward(&empty, &none)
            .item()
            .is_nan()
    );
    assert_eq!(
        NLLLoss::new()
            .reduction(Reduction::Sum)
            .forward(&empty, &none)
            .item(),
        0.0
    );
    // Only zero-weight classes as targets: the smoothing part is positive, but PyTorch's
    // value is still NaN (its class-index part is 0/0).
    let y = Tensor::from_vec(vec![0usize, 0, 1], &[3]).unwrap();
    let w = Tensor::from_vec(vec![0.0, 0.0, 1.0, 1.0], &[4]).unwrap();
    let l = CrossEntropyLoss::new()
        .weight(w)
        .label_smoothing(0.2)
        .forward(&Var::new(x), &y);
    assert!(l.item().is_nan());
}

#[test]
#[should_panic(
    expected = "CrossEntropyLoss: input [2, 3, 4] needs class-index targets of shape [2, 4], got [2, 3]"
)]
fn spatial_targets_of_the_wrong_shape_panic() {
    let x = Var::new(Tensor::<f64>::zeros(&[2, 3, 4]));
    let _ = CrossEntropyLoss::new().forward(&x, &Tensor::from_vec(vec![0; 6], &[2, 3]).unwrap());
}

#[test]
#[should_panic(expected = "NLLLoss: target 3 of row 1 is out of range for 3 classes")]
fn spatial_targets_out_of_range_panic() {
    let x = Var::new(Tensor::<f64>::zeros(&[1, 3, 2]));
    let _ = NLLLoss::new().forward(&x, &Tensor::from_vec(vec![0, 3], &[1, 2]).unwrap());
}
