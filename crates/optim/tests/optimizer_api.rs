//! The optimizer API: parameter groups, skipped parameters, construction errors, defaults.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use backprop_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, OptimError, Optimizer, RmsProp, RmsPropConfig, Sgd,
    SgdConfig,
};
use common::reference::{adam_reference, sgd_reference};
use common::{GRADS, P0, assert_close, param, run};

#[test]
fn param_groups_have_their_own_learning_rates() {
    let (a, b) = (param(&P0), param(&P0));
    let base = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        ..Default::default()
    };
    let mut opt = Sgd::with_groups(vec![
        (vec![a.clone()], base),
        (vec![b.clone()], SgdConfig { lr: 0.01, ..base }),
    ])
    .unwrap();
    assert_eq!(opt.param_groups().len(), 2);
    assert_eq!(opt.lr(), 0.1);
    let grads = [GRADS[0]];
    b.set_grad(Some(
        backprop_tensor::Tensor::from_vec(GRADS[0].to_vec(), &[3]).unwrap(),
    ));
    let got_a = run(&mut opt, &a, &grads);
    assert_close(
        &got_a,
        &sgd_reference(0.1, 0.9, 0.0, 0.0, false, false)[..1],
    );
    assert_close(
        &[b.value().to_vec()],
        &sgd_reference(0.01, 0.9, 0.0, 0.0, false, false)[..1],
    );
    opt.set_lr(0.5);
    assert!(opt.param_groups().iter().all(|g| g.options.lr() == 0.5));
    opt.param_groups_mut()[1].options.set_lr(0.25);
    assert_eq!(opt.param_groups()[1].options.lr(), 0.25);
    assert_eq!(opt.lr(), 0.5);
}

#[test]
fn adam_groups_with_different_lr() {
    let (a, b) = (param(&P0), param(&P0));
    let mut opt = Adam::with_groups(vec![
        (
            vec![a.clone()],
            AdamConfig {
                lr: 0.01,
                ..Default::default()
            },
        ),
        (
            vec![b.clone()],
            AdamConfig {
                lr: 0.03,
                ..Default::default()
            },
        ),
    ])
    .unwrap();
    for g in GRADS {
        for p in [&a, &b] {
            p.set_grad(Some(
                backprop_tensor::Tensor::from_vec(g.to_vec(), &[3]).unwrap(),
            ));
        }
        opt.step();
    }
    let want_a = adam_reference(0.01, 0.9, 0.999, 1e-8, 0.0, false, false, false);
    let want_b = adam_reference(0.03, 0.9, 0.999, 1e-8, 0.0, false, false, false);
    assert_close(&[a.value().to_vec()], &want_a[2..]);
    assert_close(&[b.value().to_vec()], &want_b[2..]);
}

#[test]
fn parameters_without_gradient_are_skipped() {
    let (a, b) = (param(&P0), param(&P0));
    let mut opt = Adam::new(
        vec![a.clone(), b.clone()],
        AdamConfig {
            lr: 0.01,
            ..Default::default()
        },
    )
    .unwrap();
    // b gets no gradient on the first step: unchanged, and its step count starts later.
    let _ = run(&mut opt, &a, &GRADS[..1]);
    assert_eq!(b.value().to_vec(), P0.to_vec());
    let state = opt.state_dict();
    assert_eq!(state.state.len(), 1);
    assert!(state.state.contains_key(&0));
    // zero_grad clears gradients to None, so the next step skips both.
    opt.zero_grad();
    assert!(a.grad().is_none());
    let before = a.value();
    opt.step();
    assert_eq!(a.value(), before);
}

#[test]
fn construction_errors() {
    assert!(matches!(
        Sgd::<f64>::new(vec![], SgdConfig::default()),
        Err(OptimError::EmptyParameters { .. })
    ));
    let p = param(&P0);
    let err = Adam::with_groups(vec![
        (vec![param(&P0)], AdamConfig::default()),
        (
            vec![param(&P0), p.clone(), p.clone()],
            AdamConfig::default(),
        ),
    ])
    .err()
    .unwrap();
    assert_eq!(
        err,
        OptimError::DuplicateParameter {
            owner: "Adam",
            group: 1,
            param: 2
        }
    );
    let mut opt = RmsProp::new(vec![p.clone()], RmsPropConfig::default()).unwrap();
    assert!(
        opt.add_param_group(vec![p], RmsPropConfig::default())
            .is_err()
    );
    assert!(
        RmsProp::new(
            vec![param(&P0)],
            RmsPropConfig {
                alpha: -0.1,
                ..Default::default()
            }
        )
        .is_err()
    );
    assert!(
        Adagrad::new(
            vec![param(&P0)],
            AdagradConfig {
                lr_decay: -1.0,
                ..Default::default()
            }
        )
        .is_err()
    );
}

#[test]
fn defaults_match_pytorch() {
    let s = SgdConfig::default();
    assert_eq!(
        (
            s.lr,
            s.momentum,
            s.dampening,
            s.weight_decay,
            s.nesterov,
            s.maximize
        ),
        (1e-3, 0.0, 0.0, 0.0, false, false)
    );
    let a = AdamConfig::default();
    assert_eq!(
        (a.lr, a.betas, a.eps, a.weight_decay, a.amsgrad),
        (1e-3, (0.9, 0.999), 1e-8, 0.0, false)
    );
    let r = RmsPropConfig::default();
    assert_eq!(
        (r.lr, r.alpha, r.eps, r.weight_decay, r.momentum, r.centered),
        (1e-2, 0.99, 1e-8, 0.0, 0.0, false)
    );
    let g = AdagradConfig::default();
    assert_eq!(
        (
            g.lr,
            g.lr_decay,
            g.weight_decay,
            g.initial_accumulator_value,
            g.eps
        ),
        (1e-2, 0.0, 0.0, 0.0, 1e-10)
    );
}

#[test]
fn f32_adam_trains() {
    use backprop_autograd::Var;
    use backprop_tensor::Tensor;
    let w = Var::parameter(Tensor::from_vec(vec![2.0f32, -3.0], &[2]).unwrap());
    let mut opt = Adam::new(
        vec![w.clone()],
        AdamConfig {
            lr: 0.05,
            ..Default::default()
        },
    )
    .unwrap();
    for _ in 0..300 {
        opt.zero_grad();
        w.mul(&w).sum().backward();
        opt.step();
    }
    assert!(
        w.value().to_vec().iter().all(|x| x.abs() < 0.05),
        "{:?}",
        w.value()
    );
}
