//! Saving and restoring NAdam, RAdam, Adamax, Adadelta, Rprop and ASGD: a state saved mid-run
//! and loaded into a fresh optimizer continues bit for bit (in `f64` and `f32`, through JSON);
//! a state that does not fit is rejected with a typed error.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_optim::{
    Adadelta, AdadeltaConfig, Adamax, AdamaxConfig, Asgd, AsgdConfig, NAdam, NAdamConfig,
    OptimError, Optimizer, OptimizerState, ParamState, RAdam, RAdamConfig, Rprop, RpropConfig,
};
use backprop_tensor::{Float, Rng, Tensor};

/// Two groups with different options; the second parameter of each run has no gradient on
/// some steps.
type Build<T> = fn(Vec<Var<T>>, Vec<Var<T>>) -> Box<dyn Optimizer<T>>;

fn builders<T: Float>() -> Vec<(&'static str, Build<T>)> {
    vec![
        ("NAdam", |a, b| {
            Box::new(
                NAdam::with_groups(vec![
                    (
                        a,
                        NAdamConfig {
                            lr: 0.05,
                            weight_decay: 0.1,
                            ..Default::default()
                        },
                    ),
                    (
                        b,
                        NAdamConfig {
                            lr: 0.02,
                            weight_decay: 0.1,
                            decoupled_weight_decay: true,
                            maximize: true,
                            ..Default::default()
                        },
                    ),
                ])
                .unwrap(),
            )
        }),
        ("RAdam", |a, b| {
            Box::new(
                RAdam::with_groups(vec![
                    (
                        a,
                        RAdamConfig {
                            lr: 0.05,
                            betas: (0.9, 0.9),
                            ..Default::default()
                        },
                    ),
                    (
                        b,
                        RAdamConfig {
                            weight_decay: 0.1,
                            decoupled_weight_decay: true,
                            ..Default::default()
                        },
                    ),
                ])
                .unwrap(),
            )
        }),
        ("Adamax", |a, b| {
            Box::new(
                Adamax::with_groups(vec![
                    (
                        a,
                        AdamaxConfig {
                            lr: 0.05,
                            ..Default::default()
                        },
                    ),
                    (
                        b,
                        AdamaxConfig {
                            weight_decay: 0.2,
                            maximize: true,
                            ..Default::default()
                        },
                    ),
                ])
                .unwrap(),
            )
        }),
        ("Adadelta", |a, b| {
            Box::new(
                Adadelta::with_groups(vec![
                    (a, AdadeltaConfig::default()),
                    (
                        b,
                        AdadeltaConfig {
                            rho: 0.5,
                            weight_decay: 0.1,
                            ..Default::default()
                        },
                    ),
                ])
                .unwrap(),
            )
        }),
        ("Rprop", |a, b| {
            Box::new(
                Rprop::with_groups(vec![
                    (
                        a,
                        RpropConfig {
                            lr: 0.05,
                            ..Default::default()
                        },
                    ),
                    (
                        b,
                        RpropConfig {
                            etas: (0.3, 1.5),
                            step_sizes: (1e-3, 0.1),
                            ..Default::default()
                        },
                    ),
                ])
                .unwrap(),
            )
        }),
        ("ASGD", |a, b| {
            Box::new(
                Asgd::with_groups(vec![
                    (
                        a,
                        AsgdConfig {
                            lr: 0.05,
                            t0: 3.0,
                            lambd: 0.1,
                            ..Default::default()
                        },
                    ),
                    (
                        b,
                        AsgdConfig {
                            t0: 5.0,
                            weight_decay: 0.1,
                            ..Default::default()
                        },
                    ),
                ])
                .unwrap(),
            )
        }),
    ]
}

fn random_tensor<T: Float>(shape: &[usize], rng: &mut Rng) -> Tensor<T> {
    let n = shape.iter().product();
    let data = (0..n)
        .map(|_| T::from_f64(rng.next_f64() * 2.0 - 1.0))
        .collect();
    Tensor::from_vec(data, shape).unwrap()
}

/// Three parameters over two groups.
fn make_params<T: Float>(rng: &mut Rng) -> (Vec<Var<T>>, Vec<Var<T>>) {
    let a = vec![Var::parameter(random_tensor(&[2, 3], rng))];
    let b = vec![
        Var::parameter(random_tensor(&[4], rng)),
        Var::parameter(random_tensor(&[1], rng)),
    ];
    (a, b)
}

/// Random gradients; the last parameter gets none on odd steps.
fn set_grads<T: Float>(params: &[Var<T>], step: usize, rng: &mut Rng) {
    for (i, p) in params.iter().enumerate() {
        let g = random_tensor(&p.shape(), rng);
        p.set_grad((i + 1 < params.len() || step % 2 == 0).then_some(g));
    }
}

fn bits<T: Float>(t: &Tensor<T>) -> Vec<u64> {
    t.to_vec().iter().map(|x| x.as_f64().to_bits()).collect()
}

/// Runs `before` steps, saves and reloads the state through JSON into a fresh optimizer over
/// copies of the parameters, then runs both for `after` steps with the same gradients.
fn check_resume<T: Float>(before: usize, after: usize) {
    for (name, build) in builders::<T>() {
        let mut rng = Rng::seed_from_u64(11);
        let (a, b) = make_params::<T>(&mut rng);
        let original: Vec<Var<T>> = a.iter().chain(&b).cloned().collect();
        let mut opt = build(a, b);
        for step in 0..before {
            set_grads(&original, step, &mut rng);
            opt.step();
        }
        let json = serde_json::to_string(&opt.state_dict()).unwrap();
        let saved: OptimizerState<T> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            saved,
            opt.state_dict(),
            "{name}: the JSON round trip changed the state"
        );
        assert_eq!(saved.optimizer, name);
        let with_state = if before == 0 { 0 } else { 3 };
        assert_eq!(
            saved.state.len(),
            with_state,
            "{name}: parameters with state"
        );

        let copies: Vec<Var<T>> = original.iter().map(|p| Var::parameter(p.value())).collect();
        let mut resumed = build(copies[..1].to_vec(), copies[1..].to_vec());
        resumed.load_state_dict(saved).unwrap();
        for step in before..before + after {
            set_grads(&original, step, &mut rng);
            for (p, q) in original.iter().zip(&copies) {
                q.set_grad(p.grad());
            }
            opt.step();
            resumed.step();
            for (i, (p, q)) in original.iter().zip(&copies).enumerate() {
                assert_eq!(
                    bits(&p.value()),
                    bits(&q.value()),
                    "{name}: param {i} differs {} steps after resuming",
                    step - before + 1
                );
            }
            assert_eq!(
                opt.state_dict(),
                resumed.state_dict(),
                "{name}: state differs"
            );
        }
    }
}

#[test]
fn resumed_optimizers_continue_bit_for_bit() {
    // Seven steps: past RAdam's rectification threshold with β₂ = 0.9 and ASGD's `t0`.
    check_resume::<f64>(7, 6);
    check_resume::<f32>(7, 6);
    // After one step, and before any (nothing saved but the options).
    check_resume::<f64>(1, 3);
    check_resume::<f64>(0, 2);
}

/// Guards the test above: without loading, a fresh optimizer continues differently.
#[test]
fn a_fresh_optimizer_does_not_continue_the_run() {
    for (name, build) in builders::<f64>() {
        let mut rng = Rng::seed_from_u64(3);
        let (a, b) = make_params::<f64>(&mut rng);
        let original: Vec<Var<f64>> = a.iter().chain(&b).cloned().collect();
        let mut opt = build(a, b);
        for step in 0..7 {
            set_grads(&original, step, &mut rng);
            opt.step();
        }
        let copies: Vec<Var<f64>> = original.iter().map(|p| Var::parameter(p.value())).collect();
        let mut fresh = build(copies[..1].to_vec(), copies[1..].to_vec());
        set_grads(&original, 8, &mut rng);
        for (p, q) in original.iter().zip(&copies) {
            q.set_grad(p.grad());
        }
        opt.step();
        fresh.step();
        assert_ne!(original[0].value(), copies[0].value(), "{name}");
    }
}

#[test]
fn state_of_another_optimizer_is_rejected() {
    let p = || {
        vec![Var::parameter(
            Tensor::from_vec(vec![1.0f64, 2.0], &[2]).unwrap(),
        )]
    };
    let nadam_params = p();
    let mut nadam = NAdam::new(nadam_params.clone(), NAdamConfig::default()).unwrap();
    nadam_params[0].set_grad(Some(Tensor::from_vec(vec![0.5, -0.5], &[2]).unwrap()));
    nadam.step();
    let mut radam = RAdam::new(p(), RAdamConfig::default()).unwrap();
    assert_eq!(
        radam.load_state_dict(nadam.state_dict()).unwrap_err(),
        OptimError::WrongOptimizer {
            expected: "RAdam".into(),
            found: "NAdam".into()
        }
    );
    // Right name and options, wrong per-parameter state (an edited file).
    let mut state = radam.state_dict();
    let ParamState::NAdam(s) = nadam.state_dict().state[&0].clone() else {
        panic!("NAdam state expected");
    };
    state.state.insert(0, ParamState::NAdam(s));
    assert_eq!(
        radam.load_state_dict(state).unwrap_err(),
        OptimError::StateKindMismatch {
            group: 0,
            param: 0,
            expected: "RAdam",
            found: "NAdam"
        }
    );
    // A buffer of the wrong shape is named.
    let mut state = nadam.state_dict();
    if let Some(ParamState::NAdam(s)) = state.state.get_mut(&0) {
        s.exp_avg_sq = Tensor::zeros(&[3]);
    }
    let mut other = NAdam::new(p(), NAdamConfig::default()).unwrap();
    assert_eq!(
        other.load_state_dict(state).unwrap_err(),
        OptimError::ShapeMismatch {
            group: 0,
            param: 0,
            buffer: "exp_avg_sq".into(),
            expected: vec![2],
            found: vec![3]
        }
    );
}
