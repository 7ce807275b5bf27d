//! Scheduler checkpoints (serde round trips, functions kept by `load_state_dict`) and the
//! calls that panic like PyTorch raises.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

use std::panic::{AssertUnwindSafe, catch_unwind};

use backprop_autograd::Var;
use backprop_optim::{
    ChainedScheduler, CosineAnnealingWarmRestarts, CyclicLr, CyclicLrConfig, CyclicMode,
    ExponentialLr, LambdaLr, LrLambda, LrScheduler, MultiplicativeLr, OneCycleLr, OneCycleLrConfig,
    Optimizer, ScaleMode, SequentialLr, Sgd, SgdConfig, StepLr,
};
use backprop_tensor::Tensor;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn sgd() -> Sgd<f64> {
    let p = || Var::parameter(Tensor::<f64>::zeros(&[1]));
    let c = |lr| SgdConfig {
        lr,
        momentum: 0.9,
        ..Default::default()
    };
    Sgd::with_groups(vec![(vec![p()], c(0.1)), (vec![p()], c(0.03))]).unwrap()
}

fn lrs(opt: &Sgd<f64>) -> Vec<f64> {
    opt.param_groups().iter().map(|g| g.options.lr()).collect()
}

fn round_trip<S: Serialize + DeserializeOwned>(s: &S) -> S {
    serde_json::from_str(&serde_json::to_string(s).unwrap()).unwrap()
}

/// Steps `a` on one optimizer and `b` on a copy for `n` steps; the rates must agree.
fn same_rates<S: LrScheduler>(
    a: &mut S,
    oa: &mut Sgd<f64>,
    b: &mut S,
    ob: &mut Sgd<f64>,
    n: usize,
) {
    ob.load_state_dict(oa.state_dict()).unwrap();
    for _ in 0..n {
        a.step(oa);
        b.step(ob);
        assert_eq!(lrs(oa), lrs(ob));
        assert_eq!(a.last_epoch(), b.last_epoch());
    }
}

#[test]
fn lambda_schedulers_resume_with_their_functions() {
    let f = |e: i64| 0.9f64.powf(e as f64);
    let (mut oa, mut ob) = (sgd(), sgd());
    let mut a = LambdaLr::new(&mut oa, f);
    for _ in 0..4 {
        a.step(&mut oa);
    }
    let mut b = LambdaLr::new(&mut ob, f);
    b.load_state_dict(round_trip(&a));
    assert_eq!(b.last_epoch(), 4);
    same_rates(&mut a, &mut oa, &mut b, &mut ob, 5);

    let (mut oa, mut ob) = (sgd(), sgd());
    let mut a = MultiplicativeLr::new(&mut oa, |e| 1.0 - 0.01 * e as f64);
    a.step(&mut oa);
    let mut b = MultiplicativeLr::new(&mut ob, |e| 1.0 - 0.01 * e as f64);
    b.load_state_dict(round_trip(&a));
    same_rates(&mut a, &mut oa, &mut b, &mut ob, 5);
}

#[test]
fn a_deserialized_lambda_scheduler_without_its_functions_panics() {
    let mut opt = sgd();
    let sched = LambdaLr::new(&mut opt, |_| 0.5);
    let mut restored: LambdaLr = round_trip(&sched);
    let err = catch_unwind(AssertUnwindSafe(|| restored.step(&mut opt))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("load_state_dict"), "{msg}");
}

#[test]
fn cyclic_one_cycle_and_warm_restarts_resume_from_json() {
    let custom = CyclicLrConfig {
        step_size_up: 3,
        mode: CyclicMode::Custom {
            scale_fn: LrLambda::new(|x| 1.0 / x as f64),
            scale_mode: ScaleMode::Cycle,
        },
        ..Default::default()
    };
    let (mut oa, mut ob) = (sgd(), sgd());
    let mut a = CyclicLr::new(&mut oa, 0.01, 0.1, custom.clone()).unwrap();
    for _ in 0..7 {
        a.step(&mut oa);
    }
    let mut b = CyclicLr::new(&mut ob, 0.01, 0.1, custom).unwrap();
    b.load_state_dict(round_trip(&a));
    same_rates(&mut a, &mut oa, &mut b, &mut ob, 10);

    let (mut oa, mut ob) = (sgd(), sgd());
    let config = OneCycleLrConfig {
        total_steps: Some(30),
        ..Default::default()
    };
    let mut a = OneCycleLr::new(&mut oa, 0.5, config).unwrap();
    for _ in 0..11 {
        a.step(&mut oa);
    }
    let mut b: OneCycleLr = round_trip(&a);
    assert_eq!(a, b);
    same_rates(&mut a, &mut oa, &mut b, &mut ob, 19);

    // A fractional position in the period survives too.
    let (mut oa, mut ob) = (sgd(), sgd());
    let mut a = CosineAnnealingWarmRestarts::new(&mut oa, 3, 2, 1e-3).unwrap();
    a.step_at(4.25, &mut oa).unwrap();
    let mut b: CosineAnnealingWarmRestarts = round_trip(&a);
    assert_eq!(a, b);
    same_rates(&mut a, &mut oa, &mut b, &mut ob, 12);
}

#[test]
fn a_sequence_of_one_scheduler_type_is_serializable() {
    let (mut oa, mut ob) = (sgd(), sgd());
    let first = StepLr::new(&mut oa, 2, 0.5).unwrap();
    let second = StepLr::new(&mut oa, 3, 0.1).unwrap();
    let mut a = SequentialLr::new(&mut oa, vec![first, second], &[5]).unwrap();
    for _ in 0..4 {
        a.step(&mut oa);
    }
    let mut b: SequentialLr<StepLr> = round_trip(&a);
    assert_eq!(a, b);
    assert_eq!(b.schedulers()[1].last_epoch(), -1);
    same_rates(&mut a, &mut oa, &mut b, &mut ob, 10);
}

#[test]
fn schedulers_holding_others_cannot_jump_to_an_epoch() {
    let mut opt = sgd();
    let e = ExponentialLr::new(&mut opt, 0.9).boxed();
    let mut chained = ChainedScheduler::new(&opt, vec![e]).unwrap();
    assert!(!chained.supports_jump_to());
    assert!(catch_unwind(AssertUnwindSafe(|| chained.jump_to(3, &mut opt))).is_err());

    let e = ExponentialLr::new(&mut opt, 0.9).boxed();
    let mut seq = SequentialLr::new(&mut opt, vec![e], &[]).unwrap();
    assert!(!seq.supports_jump_to());
    assert!(!seq.boxed().supports_jump_to());
    let e = ExponentialLr::new(&mut opt, 0.9).boxed();
    seq = SequentialLr::new(&mut opt, vec![e], &[]).unwrap();
    assert!(catch_unwind(AssertUnwindSafe(|| seq.jump_to(3, &mut opt))).is_err());
}

#[test]
fn one_cycle_panics_past_its_total_steps_and_leaves_the_rates() {
    let mut opt = sgd();
    let config = OneCycleLrConfig {
        total_steps: Some(3),
        ..Default::default()
    };
    let mut sched = OneCycleLr::new(&mut opt, 0.5, config).unwrap();
    for _ in 0..3 {
        sched.step(&mut opt);
    }
    let before = lrs(&opt);
    let err = catch_unwind(AssertUnwindSafe(|| sched.step(&mut opt))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("tried to step 4 times"), "{msg}");
    assert_eq!((lrs(&opt), sched.last_epoch()), (before, 3));
}

/// The optimizers with `betas` cycle their first beta exactly as Adam does (which the
/// PyTorch fixture checks); those with neither `momentum` nor `betas` are refused, as
/// PyTorch refuses them.
#[test]
fn one_cycle_cycles_beta1_of_every_optimizer_with_betas() {
    use backprop_optim::{
        Adadelta, AdadeltaConfig, Adam, AdamConfig, Adamax, AdamaxConfig, Asgd, AsgdConfig,
        GroupOptions, NAdam, NAdamConfig, RAdam, RAdamConfig, Rprop, RpropConfig,
    };
    let p = || vec![Var::parameter(Tensor::<f64>::zeros(&[1]))];
    let config = || OneCycleLrConfig {
        total_steps: Some(10),
        ..Default::default()
    };
    fn beta1(options: &GroupOptions) -> f64 {
        match options {
            GroupOptions::Adam(c) => c.betas.0,
            GroupOptions::NAdam(c) => c.betas.0,
            GroupOptions::RAdam(c) => c.betas.0,
            GroupOptions::Adamax(c) => c.betas.0,
            other => panic!("{} has no betas", other.kind()),
        }
    }
    fn trajectory<O: Optimizer<f64>>(mut opt: O, config: OneCycleLrConfig) -> Vec<f64> {
        let mut sched = OneCycleLr::new(&mut opt, 0.1, config).unwrap();
        let mut out = vec![beta1(&opt.param_groups()[0].options)];
        for _ in 0..9 {
            sched.step(&mut opt);
            out.push(beta1(&opt.param_groups()[0].options));
        }
        out
    }
    let adam = trajectory(Adam::new(p(), AdamConfig::default()).unwrap(), config());
    assert_ne!(adam[0], adam[5], "the first beta moves over the cycle");
    let nadam = trajectory(NAdam::new(p(), NAdamConfig::default()).unwrap(), config());
    let radam = trajectory(RAdam::new(p(), RAdamConfig::default()).unwrap(), config());
    let adamax = trajectory(Adamax::new(p(), AdamaxConfig::default()).unwrap(), config());
    assert_eq!(nadam, adam);
    assert_eq!(radam, adam);
    assert_eq!(adamax, adam);

    let refused = |e: backprop_optim::OptimError| e.to_string().contains("cycle_momentum");
    let mut rprop = Rprop::new(p(), RpropConfig::default()).unwrap();
    assert!(refused(
        OneCycleLr::new(&mut rprop, 0.1, config()).unwrap_err()
    ));
    let mut adadelta = Adadelta::new(p(), AdadeltaConfig::default()).unwrap();
    assert!(refused(
        OneCycleLr::new(&mut adadelta, 0.1, config()).unwrap_err()
    ));
    let mut asgd = Asgd::new(p(), AsgdConfig::default()).unwrap();
    assert!(refused(
        OneCycleLr::new(&mut asgd, 0.1, config()).unwrap_err()
    ));
}
