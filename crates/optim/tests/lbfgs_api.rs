//! L-BFGS beyond the PyTorch trajectories: PyTorch's validation as typed errors, one group
//! only, `Optimizer::step` refusing to run without a closure, and checkpoints: a state saved
//! mid-run (through JSON) and loaded into a fresh optimizer continues bit for bit, and a state
//! that does not fit the parameters is rejected.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use backprop_autograd::Var;
use backprop_optim::{
    Adam, AdamConfig, GroupOptions, Lbfgs, LbfgsConfig, LineSearch, OptimError, Optimizer,
    OptimizerState, ParamState,
};
use backprop_tensor::{Float, Tensor};

fn param<T: Float>(values: &[f64], shape: &[usize]) -> Var<T> {
    let v = values.iter().map(|&x| T::from_f64(x)).collect();
    Var::parameter(Tensor::from_vec(v, shape).unwrap())
}

/// A smooth, non-quadratic loss over a [2, 2] weight and a [3] bias, through autograd:
/// `Σ (w − 1)⁴ + Σ w² + Σ (b·w₀ − 2)²`-like terms, so the history keeps changing.
fn loss<T: Float>(w: &Var<T>, b: &Var<T>) -> Var<T> {
    let shifted = w.add_scalar(T::from_f64(-1.0));
    let quartic = shifted.square().square().sum();
    let bias = b.add_scalar(T::from_f64(-2.0)).square().sum();
    let coupling = w.sum().mul(&b.sum()).square();
    quartic.add(&w.square().sum()).add(&bias).add(&coupling)
}

fn fresh<T: Float>() -> (Var<T>, Var<T>) {
    (
        param(&[0.3, -1.2, 2.0, 0.7], &[2, 2]),
        param(&[0.5, -0.25, 1.5], &[3]),
    )
}

fn configs() -> Vec<LbfgsConfig> {
    vec![
        LbfgsConfig {
            history_size: 3,
            max_iter: 4,
            lr: 0.5,
            ..Default::default()
        },
        LbfgsConfig {
            history_size: 2,
            max_iter: 5,
            line_search: LineSearch::StrongWolfe,
            ..Default::default()
        },
    ]
}

/// `steps` calls of `step_with`, returning the losses and the parameters' bits after each.
fn run<T: Float>(opt: &mut Lbfgs<T>, w: &Var<T>, b: &Var<T>, steps: usize) -> Vec<Vec<u64>> {
    (0..steps)
        .map(|_| {
            let first = opt.step_with(|| {
                let l = loss(w, b);
                l.backward();
                l.item()
            });
            let mut bits = vec![first.as_f64().to_bits()];
            for p in [w, b] {
                bits.extend(p.value().to_vec().iter().map(|x| x.as_f64().to_bits()));
            }
            bits
        })
        .collect()
}

fn resumes_bit_for_bit<T: Float>() {
    for config in configs() {
        let (w, b) = fresh::<T>();
        let mut opt = Lbfgs::new(vec![w.clone(), b.clone()], config).unwrap();
        let whole = run(&mut opt, &w, &b, 6);

        let (w1, b1) = fresh::<T>();
        let mut first = Lbfgs::new(vec![w1.clone(), b1.clone()], config).unwrap();
        let mut resumed = run(&mut first, &w1, &b1, 3);
        let json = serde_json::to_string(&first.state_dict()).unwrap();
        let saved: OptimizerState<T> = serde_json::from_str(&json).unwrap();
        let ParamState::Lbfgs(s) = &saved.state[&0] else {
            panic!("L-BFGS state is kept under parameter 0");
        };
        assert!(s.n_iter > 3 && s.old_dirs.len() == config.history_size);
        assert_eq!(saved.state.len(), 1);

        let (w2, b2) = (Var::parameter(w1.value()), Var::parameter(b1.value()));
        let mut second = Lbfgs::new(vec![w2.clone(), b2.clone()], LbfgsConfig::default()).unwrap();
        second.load_state_dict(saved).unwrap();
        assert_eq!(
            second.param_groups()[0].options,
            GroupOptions::Lbfgs(LbfgsConfig {
                max_eval: Some(config.max_iter * 5 / 4),
                ..config
            })
        );
        resumed.extend(run(&mut second, &w2, &b2, 3));
        assert_eq!(resumed, whole, "{config:?}");
        assert_eq!(second.state_dict(), opt.state_dict());
    }
}

#[test]
fn resumes_bit_for_bit_in_f64() {
    resumes_bit_for_bit::<f64>();
}

#[test]
fn resumes_bit_for_bit_in_f32() {
    resumes_bit_for_bit::<f32>();
}

#[test]
fn a_fresh_optimizer_without_the_state_takes_another_path() {
    // The resume test above could pass if the state were ignored; it is not.
    let config = configs()[0];
    let (w, b) = fresh::<f64>();
    let mut opt = Lbfgs::new(vec![w.clone(), b.clone()], config).unwrap();
    let whole = run(&mut opt, &w, &b, 6);
    let (w1, b1) = fresh::<f64>();
    let mut first = Lbfgs::new(vec![w1.clone(), b1.clone()], config).unwrap();
    let mut restarted = run(&mut first, &w1, &b1, 3);
    let mut second = Lbfgs::new(vec![w1.clone(), b1.clone()], config).unwrap();
    restarted.extend(run(&mut second, &w1, &b1, 3));
    assert_ne!(restarted, whole);
}

#[test]
fn validation_follows_pytorch() {
    let w = || vec![param::<f64>(&[1.0], &[1])];
    let err = |config: LbfgsConfig| Lbfgs::new(w(), config).err().unwrap();
    for lr in [-0.1, f64::NAN] {
        assert!(matches!(
            err(LbfgsConfig {
                lr,
                ..Default::default()
            }),
            OptimError::InvalidOption {
                owner: "LBFGS",
                option: "lr",
                ..
            }
        ));
    }
    assert!(matches!(
        err(LbfgsConfig {
            history_size: 0,
            ..Default::default()
        }),
        OptimError::InvalidOption {
            option: "history_size",
            ..
        }
    ));
    assert!(
        Lbfgs::new(
            w(),
            LbfgsConfig {
                lr: 0.0,
                ..Default::default()
            }
        )
        .is_ok()
    );
    assert_eq!(
        Lbfgs::<f64>::new(vec![], LbfgsConfig::default()).err(),
        Some(OptimError::EmptyParameters { owner: "LBFGS" })
    );
    let p = param::<f64>(&[1.0], &[1]);
    assert!(matches!(
        Lbfgs::new(vec![p.clone(), p], LbfgsConfig::default()).err(),
        Some(OptimError::DuplicateParameter { .. })
    ));
}

#[test]
fn only_one_parameter_group() {
    let groups = vec![(vec![param::<f64>(&[1.0], &[1])], LbfgsConfig::default()); 2];
    let err = Lbfgs::with_groups(groups).err().unwrap();
    assert_eq!(
        err,
        OptimError::SingleGroupOnly {
            owner: "LBFGS",
            found: 2
        }
    );
    assert!(err.to_string().contains("parameter groups"));
    assert!(
        Lbfgs::with_groups(vec![(
            vec![param::<f64>(&[1.0], &[1])],
            LbfgsConfig::default()
        )])
        .is_ok()
    );
}

#[test]
fn defaults_are_pytorchs() {
    let c = LbfgsConfig::default();
    assert_eq!((c.lr, c.max_iter, c.max_eval), (1.0, 20, None));
    assert_eq!(
        (c.tolerance_grad, c.tolerance_change, c.history_size),
        (1e-7, 1e-9, 100)
    );
    assert_eq!((c.line_search, c.maximize), (LineSearch::None, false));
    // `max_eval = max_iter * 5 // 4`, filled in by the constructor.
    let opt = Lbfgs::new(
        vec![param::<f64>(&[1.0], &[1])],
        LbfgsConfig { max_iter: 7, ..c },
    )
    .unwrap();
    let GroupOptions::Lbfgs(resolved) = opt.param_groups()[0].options else {
        panic!("not L-BFGS options");
    };
    assert_eq!(resolved.max_eval, Some(8));
}

#[test]
#[should_panic(expected = "step_with")]
fn step_without_a_closure_panics() {
    let mut opt = Lbfgs::new(vec![param::<f64>(&[1.0], &[1])], LbfgsConfig::default()).unwrap();
    opt.step();
}

#[test]
fn an_optimal_start_costs_one_closure_call() {
    let w = param::<f64>(&[1.0, 1.0, 1.0, 1.0], &[2, 2]);
    let mut opt = Lbfgs::new(vec![w.clone()], LbfgsConfig::default()).unwrap();
    let mut calls = 0;
    let first = opt.step_with(|| {
        calls += 1;
        let l = w.add_scalar(-1.0).square().sum(); // zero gradient at the start
        l.backward();
        l.item()
    });
    assert_eq!((first, calls), (0.0, 1));
    assert_eq!(w.value().to_vec(), vec![1.0; 4]);
}

#[test]
fn gradients_are_cleared_before_each_closure_call() {
    // The closure never clears them; accumulated gradients would change the trajectory.
    let (w, b) = fresh::<f64>();
    let mut opt = Lbfgs::new(vec![w.clone(), b.clone()], configs()[1]).unwrap();
    let ours = run(&mut opt, &w, &b, 2);
    let (w1, b1) = fresh::<f64>();
    let mut again = Lbfgs::new(vec![w1.clone(), b1.clone()], configs()[1]).unwrap();
    let clearing = (0..2)
        .map(|_| {
            let first = again.step_with(|| {
                w1.zero_grad();
                b1.zero_grad();
                let l = loss(&w1, &b1);
                l.backward();
                l.item()
            });
            let mut bits = vec![first.to_bits()];
            for p in [&w1, &b1] {
                bits.extend(p.value().to_vec().iter().map(|x| x.to_bits()));
            }
            bits
        })
        .collect::<Vec<_>>();
    assert_eq!(ours, clearing);
}

#[test]
fn loading_a_state_that_does_not_fit_is_refused() {
    let (w, b) = fresh::<f64>();
    let mut opt = Lbfgs::new(vec![w.clone(), b.clone()], configs()[0]).unwrap();
    run(&mut opt, &w, &b, 1);
    let saved = opt.state_dict();
    let with = |edit: &dyn Fn(&mut backprop_optim::LbfgsState<f64>)| {
        let mut s = saved.clone();
        let Some(ParamState::Lbfgs(state)) = s.state.get_mut(&0) else {
            panic!("not L-BFGS state");
        };
        edit(state);
        s
    };
    let mut target = Lbfgs::new(vec![w.clone(), b.clone()], configs()[0]).unwrap();
    let before = target.state_dict();
    let cases: Vec<(&str, OptimizerState<f64>)> = vec![
        ("d", with(&|s| s.d.as_mut().unwrap().push(0.0))),
        (
            "prev_flat_grad",
            with(&|s| s.prev_flat_grad = Some(vec![0.0; 3])),
        ),
        (
            "old_dirs",
            with(&|s| s.old_dirs[0].pop().map(drop).unwrap()),
        ),
        (
            "old_stps",
            with(&|s| {
                s.ro.pop();
            }),
        ),
        ("t", with(&|s| s.t = None)),
    ];
    for (field, state) in cases {
        match target.load_state_dict(state) {
            Err(OptimError::InvalidLbfgsState { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: {other:?}"),
        }
        assert_eq!(
            target.state_dict(),
            before,
            "{field}: a failed load changes nothing"
        );
    }
    // Another optimizer's state.
    let adam = Adam::new(vec![w.clone(), b.clone()], AdamConfig::default()).unwrap();
    assert!(matches!(
        target.load_state_dict(adam.state_dict()),
        Err(OptimError::WrongOptimizer { .. })
    ));
    // Under another parameter than the first.
    let mut moved = saved.clone();
    let s = moved.state.remove(&0).unwrap();
    moved.state.insert(1, s);
    assert!(matches!(
        target.load_state_dict(moved),
        Err(OptimError::InvalidLbfgsState { field: "state", .. })
    ));
    target.load_state_dict(saved).unwrap();
}

#[test]
#[should_panic(expected = "LBFGS.step")]
fn a_state_for_other_parameters_panics_at_the_step() {
    let (w, b) = fresh::<f64>();
    let mut opt = Lbfgs::new(vec![w.clone(), b.clone()], configs()[0]).unwrap();
    run(&mut opt, &w, &b, 1);
    // The parameter list edited by hand: the flat vectors no longer fit.
    opt.param_groups_mut()[0].params.pop();
    run(&mut opt, &w, &b, 1);
}
