//! Saving and restoring optimizer state: a resumed optimizer continues exactly where the
//! original would have, through serde_json; mismatched state is rejected with a typed error.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use backprop_autograd::Var;
use backprop_optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, OptimError, Optimizer,
    OptimizerState, ParamState, RmsProp, RmsPropConfig, Sgd, SgdConfig,
};
use backprop_tensor::Tensor;
use common::{GRADS, P0, param};

type Build = fn(Vec<Var<f64>>) -> Box<dyn Optimizer<f64>>;

fn builders() -> Vec<(&'static str, Build)> {
    vec![
        ("SGD", |p| {
            Box::new(
                Sgd::new(
                    p,
                    SgdConfig {
                        lr: 0.1,
                        momentum: 0.9,
                        nesterov: true,
                        ..Default::default()
                    },
                )
                .unwrap(),
            )
        }),
        ("Adam", |p| {
            Box::new(
                Adam::new(
                    p,
                    AdamConfig {
                        lr: 0.1,
                        amsgrad: true,
                        ..Default::default()
                    },
                )
                .unwrap(),
            )
        }),
        ("AdamW", |p| {
            Box::new(
                AdamW::new(
                    p,
                    AdamWConfig {
                        lr: 0.1,
                        ..Default::default()
                    },
                )
                .unwrap(),
            )
        }),
        ("RMSprop", |p| {
            Box::new(
                RmsProp::new(
                    p,
                    RmsPropConfig {
                        momentum: 0.5,
                        centered: true,
                        ..Default::default()
                    },
                )
                .unwrap(),
            )
        }),
        ("Adagrad", |p| {
            Box::new(
                Adagrad::new(
                    p,
                    AdagradConfig {
                        lr_decay: 0.1,
                        ..Default::default()
                    },
                )
                .unwrap(),
            )
        }),
    ]
}

/// Sets a gradient of the parameter's shape, cycling through `g`.
fn set_grad(p: &Var<f64>, g: &[f64]) {
    let data = g.iter().copied().cycle().take(p.numel()).collect();
    p.set_grad(Some(Tensor::from_vec(data, &p.shape()).unwrap()));
}

/// Two parameters of different shapes; the second never gets a gradient in the first steps.
fn params() -> Vec<Var<f64>> {
    vec![
        param(&P0),
        Var::parameter(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap()),
    ]
}

#[test]
fn resumed_optimizer_continues_bit_for_bit() {
    for (name, build) in builders() {
        let original = params();
        let mut opt = build(original.clone());
        for g in &GRADS[..2] {
            set_grad(&original[0], g);
            opt.step();
        }
        let json = serde_json::to_string(&opt.state_dict()).unwrap();
        let saved: OptimizerState<f64> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            saved,
            opt.state_dict(),
            "{name}: JSON round trip changed the state"
        );
        assert_eq!(saved.optimizer, name);

        let resumed: Vec<Var<f64>> = original.iter().map(|p| Var::parameter(p.value())).collect();
        let mut opt2 = build(resumed.clone());
        opt2.load_state_dict(saved).unwrap();
        for p in original.iter().chain(&resumed) {
            set_grad(p, &GRADS[2]);
        }
        opt.step();
        opt2.step();
        for (p, q) in original.iter().zip(&resumed) {
            assert_eq!(p.value(), q.value(), "{name}: resumed run differs");
        }
    }
}

#[test]
fn fresh_optimizer_differs_from_resumed_one() {
    // Guards the test above: without loading, the third step is different.
    let (name, build) = &builders()[1];
    let p = params();
    let mut opt = build(p.clone());
    for g in &GRADS[..2] {
        set_grad(&p[0], g);
        opt.step();
    }
    let q: Vec<Var<f64>> = p.iter().map(|x| Var::parameter(x.value())).collect();
    let mut fresh = build(q.clone());
    set_grad(&p[0], &GRADS[2]);
    set_grad(&q[0], &GRADS[2]);
    opt.step();
    fresh.step();
    assert_ne!(p[0].value(), q[0].value(), "{name}");
}

#[test]
fn loading_restores_group_options() {
    let p = params();
    let mut opt = Adam::new(
        p.clone(),
        AdamConfig {
            lr: 0.5,
            ..Default::default()
        },
    )
    .unwrap();
    let saved = opt.state_dict();
    opt.set_lr(0.1);
    opt.load_state_dict(saved).unwrap();
    assert_eq!(opt.lr(), 0.5);
}

fn adam_with_state() -> (Vec<Var<f64>>, Adam<f64>) {
    let p = params();
    let mut opt = Adam::new(p.clone(), AdamConfig::default()).unwrap();
    set_grad(&p[0], &GRADS[0]);
    set_grad(&p[1], &[1.0, 2.0, 3.0, 4.0]);
    opt.step();
    (p, opt)
}

#[test]
fn load_rejects_another_optimizer() {
    let (p, opt) = adam_with_state();
    let mut sgd = Sgd::new(p, SgdConfig::default()).unwrap();
    let err = sgd.load_state_dict(opt.state_dict()).unwrap_err();
    assert_eq!(
        err,
        OptimError::WrongOptimizer {
            expected: "SGD".into(),
            found: "Adam".into()
        }
    );
}

#[test]
fn load_rejects_different_group_and_param_counts() {
    let (_, opt) = adam_with_state();
    let mut one = Adam::new(vec![param(&P0)], AdamConfig::default()).unwrap();
    let err = one.load_state_dict(opt.state_dict()).unwrap_err();
    assert_eq!(
        err,
        OptimError::ParamCountMismatch {
            group: 0,
            expected: 1,
            found: 2
        }
    );
    assert!(err.to_string().contains("group 0 has 2 parameters"));

    let mut two_groups = Adam::with_groups(vec![
        (vec![param(&P0)], AdamConfig::default()),
        (vec![param(&P0)], AdamConfig::default()),
    ])
    .unwrap();
    let err = two_groups.load_state_dict(opt.state_dict()).unwrap_err();
    assert_eq!(
        err,
        OptimError::GroupCountMismatch {
            expected: 2,
            found: 1
        }
    );
}

#[test]
fn load_rejects_shape_mismatch_naming_group_param_and_shapes() {
    let (_, opt) = adam_with_state();
    let other = vec![param(&P0), Var::parameter(Tensor::<f64>::zeros(&[4]))];
    let mut adam = Adam::new(
        other.clone(),
        AdamConfig {
            lr: 0.3,
            ..Default::default()
        },
    )
    .unwrap();
    let err = adam.load_state_dict(opt.state_dict()).unwrap_err();
    assert_eq!(
        err,
        OptimError::ShapeMismatch {
            group: 0,
            param: 1,
            buffer: "param".into(),
            expected: vec![4],
            found: vec![2, 2]
        }
    );
    assert_eq!(
        err.to_string(),
        "load_state_dict: group 0, param 1: saved `param` has shape [2, 2], the parameter has shape [4]"
    );
    // A failed load changes nothing.
    assert_eq!(adam.lr(), 0.3);
    assert!(adam.state_dict().state.is_empty());

    // A buffer of the wrong shape (edited file) is caught too, by name.
    let mut state = opt.state_dict();
    if let Some(ParamState::Adam(s)) = state.state.get_mut(&0) {
        s.exp_avg_sq = Tensor::zeros(&[2]);
    }
    let mut adam = Adam::new(params(), AdamConfig::default()).unwrap();
    let err = adam.load_state_dict(state).unwrap_err();
    assert_eq!(
        err,
        OptimError::ShapeMismatch {
            group: 0,
            param: 0,
            buffer: "exp_avg_sq".into(),
            expected: vec![3],
            found: vec![2]
        }
    );
}

#[test]
fn load_rejects_foreign_state_and_unknown_indices() {
    let (p, opt) = adam_with_state();
    let mut state = opt.state_dict();
    // AdamW shares Adam's per-parameter state but not its name or options.
    let mut adamw = AdamW::new(p.clone(), AdamWConfig::default()).unwrap();
    assert!(matches!(
        adamw.load_state_dict(state.clone()),
        Err(OptimError::WrongOptimizer { .. })
    ));

    let sgd_state = ParamState::Sgd(backprop_optim::SgdState {
        momentum_buffer: None,
    });
    state.state.insert(1, sgd_state);
    let mut adam = Adam::new(p.clone(), AdamConfig::default()).unwrap();
    let err = adam.load_state_dict(state.clone()).unwrap_err();
    assert_eq!(
        err,
        OptimError::StateKindMismatch {
            group: 0,
            param: 1,
            expected: "Adam",
            found: "SGD"
        }
    );

    let mut state = opt.state_dict();
    let s = state.state[&0].clone();
    state.state.insert(7, s);
    let err = adam.load_state_dict(state).unwrap_err();
    assert_eq!(err, OptimError::UnknownParameter { index: 7 });

    let mut state = opt.state_dict();
    if let backprop_optim::GroupOptions::Adam(c) = &mut state.param_groups[0].options {
        c.betas.0 = 1.5;
    }
    assert!(matches!(
        adam.load_state_dict(state),
        Err(OptimError::InvalidOption {
            option: "betas[0]",
            ..
        })
    ));
}

#[test]
fn bad_json_is_a_serde_error_not_a_panic() {
    let (_, opt) = adam_with_state();
    let json = serde_json::to_string(&opt.state_dict()).unwrap();
    // A tensor whose data does not fill its shape.
    let broken = json.replacen("\"shape\":[3]", "\"shape\":[5]", 1);
    assert!(serde_json::from_str::<OptimizerState<f64>>(&broken).is_err());
}
