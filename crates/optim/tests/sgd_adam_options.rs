//! Options the PyTorch fixture does not cover, checked for three steps against the documented
//! update rules written as plain scalar math (textbook forms, not the implementation's order).

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use backprop_optim::{Adam, AdamConfig, AdamW, AdamWConfig, OptimError, Sgd, SgdConfig};
use common::reference::{adam_reference, sgd_reference};
use common::{GRADS, P0, assert_close, param, run};

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
