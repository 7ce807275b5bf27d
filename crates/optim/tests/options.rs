//! Options the PyTorch fixture does not cover, checked for three steps against the documented
//! update rules written as plain scalar math (textbook forms, not the implementation's order).

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use backprop_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, OptimError, Optimizer, RmsProp,
    RmsPropConfig, Sgd, SgdConfig,
};
use common::{GRADS, P0, assert_close, param, run};

/// The trajectory of plain-math SGD (torch.optim.SGD docs).
fn sgd_reference(
    lr: f64,
    mu: f64,
    tau: f64,
    wd: f64,
    nesterov: bool,
    maximize: bool,
) -> Vec<Vec<f64>> {
    let mut p = P0.to_vec();
    let mut b: Option<Vec<f64>> = None;
    let mut out = vec![];
    for g in GRADS {
        let mut g: Vec<f64> = (0..3)
            .map(|i| (if maximize { -g[i] } else { g[i] }) + wd * p[i])
            .collect();
        if mu != 0.0 {
            let nb: Vec<f64> = match &b {
                None => g.clone(),
                Some(b) => (0..3).map(|i| mu * b[i] + (1.0 - tau) * g[i]).collect(),
            };
            g = if nesterov {
                (0..3).map(|i| g[i] + mu * nb[i]).collect()
            } else {
                nb.clone()
            };
            b = Some(nb);
        }
        for i in 0..3 {
            p[i] -= lr * g[i];
        }
        out.push(p.clone());
    }
    out
}

fn sgd_run(config: SgdConfig) -> Vec<Vec<f64>> {
    let p = param(&P0);
    let mut opt = Sgd::new(vec![p.clone()], config).unwrap();
    run(&mut opt, &p, &GRADS)
}

#[test]
fn sgd_nesterov() {
    let c = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        nesterov: true,
        ..Default::default()
    };
    assert_close(&sgd_run(c), &sgd_reference(0.1, 0.9, 0.0, 0.0, true, false));
}

#[test]
fn sgd_dampening_applies_from_the_second_step() {
    let c = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.3,
        ..Default::default()
    };
    assert_close(
        &sgd_run(c),
        &sgd_reference(0.1, 0.9, 0.3, 0.0, false, false),
    );
    // First step: the buffer is the raw gradient, not (1 - dampening) times it.
    assert_eq!(sgd_run(c)[0][0], P0[0] - 0.1 * GRADS[0][0]);
}

#[test]
fn sgd_weight_decay_and_maximize() {
    let c = SgdConfig {
        lr: 0.05,
        momentum: 0.5,
        weight_decay: 0.2,
        maximize: true,
        ..Default::default()
    };
    assert_close(
        &sgd_run(c),
        &sgd_reference(0.05, 0.5, 0.0, 0.2, false, true),
    );
    let c = SgdConfig {
        lr: 0.05,
        weight_decay: 0.2,
        ..Default::default()
    };
    assert_close(
        &sgd_run(c),
        &sgd_reference(0.05, 0.0, 0.0, 0.2, false, false),
    );
}

#[test]
fn sgd_nesterov_needs_momentum_and_no_dampening() {
    for c in [
        SgdConfig {
            nesterov: true,
            ..Default::default()
        },
        SgdConfig {
            nesterov: true,
            momentum: 0.9,
            dampening: 0.1,
            ..Default::default()
        },
    ] {
        let err = Sgd::new(vec![param(&P0)], c).err().unwrap();
        assert!(
            matches!(
                err,
                OptimError::InvalidOption {
                    option: "nesterov",
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("Nesterov momentum requires a momentum and zero dampening")
        );
    }
}

/// Plain-math Adam/AdamW (torch.optim.Adam / AdamW docs): bias-corrected moments.
#[allow(clippy::too_many_arguments)]
fn adam_reference(
    lr: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    wd: f64,
    decoupled: bool,
    amsgrad: bool,
    maximize: bool,
) -> Vec<Vec<f64>> {
    let mut p = P0.to_vec();
    let (mut m, mut v, mut vmax) = (vec![0.0; 3], vec![0.0; 3], vec![0.0f64; 3]);
    let mut out = vec![];
    for (t, g) in GRADS.iter().enumerate() {
        let t = (t + 1) as i32;
        for i in 0..3 {
            let mut g = if maximize { -g[i] } else { g[i] };
            if decoupled {
                p[i] *= 1.0 - lr * wd;
            } else {
                g += wd * p[i];
            }
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            let m_hat = m[i] / (1.0 - b1.powi(t));
            vmax[i] = vmax[i].max(v[i]);
            let v_used = if amsgrad { vmax[i] } else { v[i] };
            let v_hat = v_used / (1.0 - b2.powi(t));
            p[i] -= lr * m_hat / (v_hat.sqrt() + eps);
        }
        out.push(p.clone());
    }
    out
}

fn adam_run(c: AdamConfig) -> Vec<Vec<f64>> {
    let p = param(&P0);
    let mut opt = Adam::new(vec![p.clone()], c).unwrap();
    run(&mut opt, &p, &GRADS)
}

#[test]
fn adam_l2_weight_decay() {
    let c = AdamConfig {
        lr: 0.01,
        weight_decay: 0.1,
        ..Default::default()
    };
    assert_close(
        &adam_run(c),
        &adam_reference(0.01, 0.9, 0.999, 1e-8, 0.1, false, false, false),
    );
}

#[test]
fn adam_amsgrad_uses_the_running_maximum() {
    let c = AdamConfig {
        lr: 0.01,
        amsgrad: true,
        betas: (0.8, 0.9),
        ..Default::default()
    };
    let want = adam_reference(0.01, 0.8, 0.9, 1e-8, 0.0, false, true, false);
    assert_close(&adam_run(c), &want);
    // The maximum changes the result (the gradients shrink, so v falls below its maximum).
    let plain = adam_reference(0.01, 0.8, 0.9, 1e-8, 0.0, false, false, false);
    assert!((plain[2][0] - want[2][0]).abs() > 1e-6);
}

#[test]
fn adam_maximize_and_eps() {
    let c = AdamConfig {
        lr: 0.02,
        eps: 0.1,
        maximize: true,
        ..Default::default()
    };
    assert_close(
        &adam_run(c),
        &adam_reference(0.02, 0.9, 0.999, 0.1, 0.0, false, false, true),
    );
}

#[test]
fn adamw_decays_the_parameter_not_the_gradient() {
    let p = param(&P0);
    let c = AdamWConfig {
        lr: 0.01,
        weight_decay: 0.5,
        amsgrad: true,
        ..Default::default()
    };
    let mut opt = AdamW::new(vec![p.clone()], c).unwrap();
    let want = adam_reference(0.01, 0.9, 0.999, 1e-8, 0.5, true, true, false);
    assert_close(&run(&mut opt, &p, &GRADS), &want);
    assert_eq!(AdamWConfig::default().weight_decay, 1e-2);
}

#[test]
fn adam_rejects_bad_options() {
    let bad = [
        AdamConfig {
            lr: -1.0,
            ..Default::default()
        },
        AdamConfig {
            betas: (1.0, 0.999),
            ..Default::default()
        },
        AdamConfig {
            betas: (0.9, -0.1),
            ..Default::default()
        },
        AdamConfig {
            eps: -1e-8,
            ..Default::default()
        },
        AdamConfig {
            weight_decay: f64::NAN,
            ..Default::default()
        },
    ];
    for c in bad {
        assert!(matches!(
            Adam::new(vec![param(&P0)], c),
            Err(OptimError::InvalidOption { owner: "Adam", .. })
        ));
    }
}

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
