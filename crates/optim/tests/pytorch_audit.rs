//! Behaviours found to differ from PyTorch 2.x in a differential audit, each pinned here:
//! chained schedulers share PyTorch's `initial_lr`, a milestone 0 decays at construction,
//! `clip_grad_norm_(..., error_if_nonfinite=True)`, `ReduceLROnPlateau(min_lr=[...])` and
//! `zero_grad(set_to_none=False)`.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use backprop_optim::{
    CosineAnnealingLr, ExponentialLr, LinearLr, LrScheduler, MultiStepLr, OptimError, Optimizer,
    OptimizerState, PlateauConfig, ReduceLrOnPlateau, Sgd, SgdConfig, StepLr, clip_grad_norm,
    clip_grad_norm_checked,
};
use backprop_tensor::Tensor;
use common::param;

fn two_groups(lrs: [f64; 2]) -> Sgd<f64> {
    Sgd::with_groups(
        lrs.iter()
            .map(|&lr| {
                (
                    vec![param(&[1.0])],
                    SgdConfig {
                        lr,
                        ..Default::default()
                    },
                )
            })
            .collect(),
    )
    .unwrap()
}

fn lrs(opt: &Sgd<f64>) -> Vec<f64> {
    opt.param_groups().iter().map(|g| g.options.lr()).collect()
}

#[track_caller]
fn assert_rates(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-12 * w.abs(),
            "{what}: got {got:?}, expected {want:?}"
        );
    }
}

/// A cosine schedule chained after a warm-up anneals from the groups' original rates (the
/// `initial_lr` the warm-up recorded), not from the warmed-down rates it found: the jump
/// back up at the bottom of the period (epoch `T_max + 1`) uses `base_lr`.
#[test]
fn chained_scheduler_reads_base_rates_from_initial_lr() {
    let mut opt = two_groups([0.1, 0.03]);
    let mut warmup = LinearLr::new(&mut opt, 0.1, 1.0, 4).unwrap();
    let mut cosine = CosineAnnealingLr::new(&mut opt, 6, 0.001).unwrap();
    assert_eq!(warmup.base_lrs(), &[0.1, 0.03]);
    assert_eq!(cosine.base_lrs(), &[0.1, 0.03]);
    let initial: Vec<_> = opt.param_groups().iter().map(|g| g.initial_lr).collect();
    assert_eq!(initial, vec![Some(0.1), Some(0.03)]);
    // torch.optim.SGD([{"lr": 0.1}, {"lr": 0.03}]); LinearLR(opt, start_factor=0.1,
    // total_iters=4) then CosineAnnealingLR(opt, T_max=6, eta_min=0.001), both stepped each
    // epoch in that order; `[g["lr"] for g in opt.param_groups]` after 0..=14 epochs
    // (torch 2.15, float64).
    let want = [
        [0.010000000000000002, 0.003],
        [0.03038990010960492, 0.009163861141556921],
        [0.04153727909197235, 0.012662279091972335],
        [0.03935320157124675, 0.012228201571246738],
        [0.02588916230403017, 0.008389162304030157],
        [0.007669030939652019, 0.002979920072107373],
        [0.001, 0.001],
        [0.007631742512670284, 0.002942631645125639],
        [0.025750000000000002, 0.00825],
        [0.05050000000000004, 0.01550000000000001],
        [0.07525000000000008, 0.02275000000000002],
        [0.0933682574873298, 0.028057368354874383],
        [0.1000000000000001, 0.03000000000000003],
        [0.09336825748732981, 0.02805736835487439],
        [0.07525000000000011, 0.02275000000000003],
    ];
    for (epoch, want) in want.iter().enumerate() {
        if epoch > 0 {
            opt.step();
            warmup.step(&mut opt);
            cosine.step(&mut opt);
        }
        assert_rates(&lrs(&opt), want, &format!("epoch {epoch}"));
    }
}

/// Every scheduler kind records `initial_lr` only if it is not set yet.
#[test]
fn every_scheduler_shares_the_first_initial_lr() {
    let mut opt = two_groups([0.2, 0.04]);
    let _warmup = LinearLr::new(&mut opt, 0.5, 1.0, 3).unwrap();
    assert_eq!(lrs(&opt), vec![0.1, 0.02]);
    assert_eq!(
        StepLr::new(&mut opt, 2, 0.5).unwrap().base_lrs(),
        &[0.2, 0.04]
    );
    assert_eq!(
        MultiStepLr::new(&mut opt, &[3], 0.5).base_lrs(),
        &[0.2, 0.04]
    );
    assert_eq!(ExponentialLr::new(&mut opt, 0.9).base_lrs(), &[0.2, 0.04]);
    let exp = ExponentialLr::new(&mut opt, 0.9);
    // The rates themselves are untouched by building these, and `get_last_lr` is the
    // current rate, not the base.
    assert_eq!(exp.get_last_lr(), &[0.1, 0.02]);
}

/// `initial_lr` travels with the optimizer's state, as it does in PyTorch's `param_groups`.
#[test]
fn initial_lr_survives_a_state_dict_round_trip() {
    let mut opt = two_groups([0.2, 0.04]);
    let _warmup = LinearLr::new(&mut opt, 0.5, 1.0, 3).unwrap();
    let json = serde_json::to_string(&opt.state_dict()).unwrap();
    let saved: OptimizerState<f64> = serde_json::from_str(&json).unwrap();
    assert_eq!(saved.param_groups[1].initial_lr, Some(0.04));

    let mut fresh = two_groups([0.2, 0.04]);
    fresh.load_state_dict(saved).unwrap();
    assert_eq!(lrs(&fresh), vec![0.1, 0.02]);
    let cosine = CosineAnnealingLr::new(&mut fresh, 5, 0.0).unwrap();
    assert_eq!(cosine.base_lrs(), &[0.2, 0.04]);

    // A state saved before the field existed still loads, with no initial rate.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    for g in value["param_groups"].as_array_mut().unwrap() {
        g.as_object_mut().unwrap().remove("initial_lr");
    }
    let old: OptimizerState<f64> = serde_json::from_value(value).unwrap();
    let mut fresh = two_groups([0.2, 0.04]);
    fresh.load_state_dict(old).unwrap();
    assert!(fresh.param_groups().iter().all(|g| g.initial_lr.is_none()));
}

/// Building a scheduler is epoch 0, so PyTorch's `MultiStepLR` decays at once for a
/// milestone 0 (`gamma^count` when it is listed `count` times).
#[test]
fn multistep_milestone_zero_decays_at_construction() {
    let mut opt = two_groups([0.1, 0.03]);
    let mut sched = MultiStepLr::new(&mut opt, &[0, 0, 2], 0.5);
    let want = [0.1 * 0.25, 0.03 * 0.25];
    assert_rates(&lrs(&opt), &want, "after construction");
    assert_rates(sched.get_last_lr(), &want, "get_last_lr");
    assert_eq!(sched.base_lrs(), &[0.1, 0.03]);
    sched.step(&mut opt);
    assert_rates(&lrs(&opt), &want, "epoch 1");
    sched.step(&mut opt);
    assert_rates(&lrs(&opt), &[want[0] * 0.5, want[1] * 0.5], "epoch 2");
}

fn with_grad(g: &[f64]) -> backprop_autograd::Var<f64> {
    let p = param(&vec![0.0; g.len()]);
    p.set_grad(Some(Tensor::from_vec(g.to_vec(), &[g.len()]).unwrap()));
    p
}

/// `error_if_nonfinite=True`: a NaN or infinite total norm is an error and no gradient is
/// scaled; a finite one clips exactly as `clip_grad_norm`.
#[test]
fn clip_grad_norm_checked_refuses_non_finite_norms() {
    for (bad, norm_type) in [
        (f64::NAN, 2.0),
        (f64::INFINITY, 2.0),
        (f64::NEG_INFINITY, f64::INFINITY),
        (f64::NAN, 1.0),
    ] {
        let (a, b) = (with_grad(&[1.0, bad]), with_grad(&[2.0]));
        let err = clip_grad_norm_checked([&a, &b], 1.0, norm_type).unwrap_err();
        let OptimError::NonFiniteNorm {
            norm_type: n,
            total,
        } = err
        else {
            panic!("unexpected error {err:?}");
        };
        assert_eq!(n, norm_type);
        assert!(!total.is_finite());
        assert_eq!(b.grad().unwrap().to_vec(), vec![2.0]);
        assert_eq!(a.grad().unwrap().to_vec()[0], 1.0);
    }
    // The squares overflow although every element is finite: PyTorch raises too.
    let big = with_grad(&[1e200, 1e200]);
    assert!(clip_grad_norm_checked([&big], 1.0, 2.0).is_err());
    assert_eq!(big.grad().unwrap().to_vec(), vec![1e200, 1e200]);

    let (a, b) = (with_grad(&[3.0, -4.0]), with_grad(&[12.0]));
    let (c, d) = (with_grad(&[3.0, -4.0]), with_grad(&[12.0]));
    assert_eq!(clip_grad_norm_checked([&a, &b], 1.0, 2.0), Ok(13.0));
    assert_eq!(clip_grad_norm([&c, &d], 1.0, 2.0), 13.0);
    assert_eq!(a.grad().unwrap().to_vec(), c.grad().unwrap().to_vec());
    assert_eq!(
        b.grad().unwrap().to_vec(),
        vec![12.0 * (1.0 / (13.0 + 1e-6))]
    );
    let none = param(&[0.0]);
    assert_eq!(clip_grad_norm_checked([&none], 1.0, 2.0), Ok(0.0));
}

/// `ReduceLROnPlateau(min_lr=[...])`: each group stops at its own bound; the list must have
/// one value per group.
#[test]
fn plateau_min_lr_per_group() {
    let mut opt = two_groups([0.1, 0.03]);
    let config = PlateauConfig {
        patience: 1,
        factor: 0.5,
        ..Default::default()
    };
    let mut sched = ReduceLrOnPlateau::with_min_lrs(&opt, config, vec![0.04, 0.001]).unwrap();
    // Reference: new = max(old·factor, min_lr_i), applied when old − new > eps.
    let mut want = [0.1f64, 0.03];
    for epoch in 0..16 {
        sched.step(1.0, &mut opt);
        // Epoch 0 sets the best; then every second bad epoch exceeds the patience of 1.
        if epoch > 0 && epoch % 2 == 0 {
            for (w, min) in want.iter_mut().zip([0.04, 0.001]) {
                let new = (*w * 0.5).max(min);
                if *w - new > 1e-8 {
                    *w = new;
                }
            }
        }
        assert_eq!(lrs(&opt), want.to_vec(), "epoch {epoch}");
    }
    assert_eq!(lrs(&opt), vec![0.04, 0.001]);

    let err = ReduceLrOnPlateau::with_min_lrs(&opt, config, vec![0.0]).unwrap_err();
    assert!(matches!(
        err,
        OptimError::InvalidOption {
            option: "min_lr",
            ..
        }
    ));
}

/// `zero_grad(set_to_none=False)`: the gradient becomes zeros, so the next step still counts
/// for Adam (its bias corrections advance) and momentum keeps moving SGD; with `zero_grad`
/// (`set_to_none=True`) the parameter is skipped.
#[test]
fn zero_grad_in_place_keeps_stepping_with_zero_gradients() {
    use backprop_optim::{Adam, AdamConfig};
    let config = AdamConfig {
        lr: 0.1,
        ..Default::default()
    };
    let (a, b) = (param(&[1.0]), param(&[1.0]));
    let mut in_place = Adam::new(vec![a.clone()], config).unwrap();
    let mut to_none = Adam::new(vec![b.clone()], config).unwrap();
    for p in [&a, &b] {
        p.set_grad(Some(Tensor::from_vec(vec![2.0], &[1]).unwrap()));
    }
    in_place.step();
    to_none.step();
    in_place.zero_grad_in_place();
    to_none.zero_grad();
    assert_eq!(a.grad().unwrap().to_vec(), vec![0.0]);
    assert!(b.grad().is_none());
    let after_one = b.value().to_vec()[0];
    in_place.step();
    to_none.step();
    assert_eq!(b.value().to_vec()[0], after_one);
    // Adam's second step with g = 0, from the update formula: m₂ = β₁·m₁, v₂ = β₂·v₁, with
    // m₁ = (1 − β₁)·2 and v₁ = (1 − β₂)·2².
    let (m1, v1): (f64, f64) = (0.1 * 2.0, 0.001 * 4.0);
    let (m2, v2) = (0.9 * m1, 0.999 * v1);
    let denom = v2.sqrt() / (1.0 - 0.999f64.powi(2)).sqrt() + 1e-8;
    let want = after_one - 0.1 / (1.0 - 0.9f64.powi(2)) * m2 / denom;
    let got = a.value().to_vec()[0];
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    let state = in_place.state_dict();
    let backprop_optim::ParamState::Adam(s) = &state.state[&0] else {
        panic!("Adam state expected");
    };
    assert_eq!(s.step, 2);
}

/// The rates of an SGD optimizer (lr 0.05) over `steps` scheduler steps, starting with the
/// rate after construction.
fn trajectory(
    steps: usize,
    build: impl FnOnce(
        &mut backprop_optim::Sgd<f64>,
    ) -> Vec<Box<dyn FnMut(&mut backprop_optim::Sgd<f64>)>>,
) -> Vec<f64> {
    use backprop_optim::{Optimizer, Sgd, SgdConfig};
    let w = backprop_autograd::Var::parameter(backprop_tensor::Tensor::<f64>::zeros(&[1]));
    let mut opt = Sgd::new(
        vec![w],
        SgdConfig {
            lr: 0.05,
            ..Default::default()
        },
    )
    .unwrap();
    let mut steppers = build(&mut opt);
    let mut lrs = vec![opt.lr()];
    for _ in 0..steps {
        for s in &mut steppers {
            s(&mut opt);
        }
        lrs.push(opt.lr());
    }
    lrs
}

/// ConstantLR and PolynomialLR, alone and chained, against PyTorch 2.15's rates (printed
/// by `torch.optim.lr_scheduler.ConstantLR(opt, factor=0.3, total_iters=4)`,
/// `PolynomialLR(opt, total_iters=6, power=0.7)`, and `ConstantLR(factor=0.5,
/// total_iters=3)` followed by `PolynomialLR(total_iters=5, power=2.0)` on the same SGD
/// optimizer with lr 0.05), bit for bit.
#[test]
fn constant_and_polynomial_schedules_match_pytorch() {
    use backprop_optim::{ConstantLr, LrScheduler, PolynomialLr};
    let constant = trajectory(8, |opt| {
        let mut s = ConstantLr::new(opt, 0.3, 4).unwrap();
        vec![Box::new(move |o: &mut _| s.step(o))]
    });
    assert_eq!(
        constant,
        [0.015, 0.015, 0.015, 0.015, 0.05, 0.05, 0.05, 0.05, 0.05]
    );
    let poly = trajectory(8, |opt| {
        let mut s = PolynomialLr::new(opt, 6, 0.7).unwrap();
        vec![Box::new(move |o: &mut _| s.step(o))]
    });
    assert_eq!(
        poly,
        [
            0.05,
            0.044009165351635765,
            0.037644897848561856,
            0.030778610333622912,
            0.023173152838598495,
            0.014264748828414211,
            0.0,
            0.0,
            0.0
        ]
    );
    let chain = trajectory(7, |opt| {
        let mut a = ConstantLr::new(opt, 0.5, 3).unwrap();
        let mut b = PolynomialLr::new(opt, 5, 2.0).unwrap();
        vec![
            Box::new(move |o: &mut _| a.step(o)),
            Box::new(move |o: &mut _| b.step(o)),
        ]
    });
    assert_eq!(
        chain,
        [
            0.025,
            0.016000000000000004,
            0.009000000000000001,
            0.008000000000000002,
            0.0019999999999999996,
            0.0,
            0.0,
            0.0
        ]
    );
    let w = backprop_autograd::Var::parameter(backprop_tensor::Tensor::<f64>::zeros(&[1]));
    let mut opt = backprop_optim::Sgd::new(vec![w], Default::default()).unwrap();
    assert!(ConstantLr::new(&mut opt, 0.0, 3).is_err());
    assert!(ConstantLr::new(&mut opt, 1.5, 3).is_err());
    assert!(PolynomialLr::new(&mut opt, 0, 1.0).is_err());
}
