//! Learning-rate schedules against the closed forms in PyTorch's documentation, over two
//! parameter groups with different base rates; plateau detection step by step.

#![allow(clippy::unwrap_used)] // Tests may unwrap.

mod common;

use backprop_optim::{
    CosineAnnealingLr, ExponentialLr, LinearLr, LrScheduler, MultiStepLr, OptimError, Optimizer,
    PlateauConfig, PlateauMode, ReduceLrOnPlateau, Sgd, SgdConfig, StepLr, ThresholdMode,
};
use common::{P0, param};

const BASE: [f64; 2] = [0.1, 0.03];

fn two_groups() -> Sgd<f64> {
    Sgd::with_groups(vec![
        (
            vec![param(&P0)],
            SgdConfig {
                lr: BASE[0],
                ..Default::default()
            },
        ),
        (
            vec![param(&P0)],
            SgdConfig {
                lr: BASE[1],
                ..Default::default()
            },
        ),
    ])
    .unwrap()
}

fn lrs(opt: &Sgd<f64>) -> Vec<f64> {
    opt.param_groups().iter().map(|g| g.options.lr()).collect()
}

/// Steps `epochs` times and checks, at every epoch from 0, the rates in the optimizer and
/// `get_last_lr` against `closed(base, epoch)`.
fn check<S: LrScheduler>(
    opt: &mut Sgd<f64>,
    sched: &mut S,
    epochs: u64,
    closed: impl Fn(f64, u64) -> f64,
) {
    for epoch in 0..=epochs {
        if epoch > 0 {
            opt.step();
            sched.step(opt);
        }
        assert_eq!(sched.last_epoch(), epoch as i64);
        assert_eq!(sched.get_last_lr(), lrs(opt).as_slice());
        for (g, (&got, base)) in lrs(opt).iter().zip(BASE).enumerate() {
            let want = closed(base, epoch);
            assert!(
                (got - want).abs() <= 1e-12 * want.abs() + 1e-15,
                "epoch {epoch}, group {g}: lr {got}, closed form {want}"
            );
        }
    }
}

#[test]
fn step_lr() {
    let mut opt = two_groups();
    let mut sched = StepLr::new(&mut opt, 3, 0.5).unwrap();
    check(&mut opt, &mut sched, 20, |b, e| {
        b * 0.5f64.powi((e / 3) as i32)
    });
    assert_eq!(sched.base_lrs(), &BASE);
    assert!(StepLr::new(&mut opt, 0, 0.5).is_err());
}

#[test]
fn multi_step_lr_counts_repeated_milestones() {
    let mut opt = two_groups();
    let milestones = [2, 5, 5, 9];
    let mut sched = MultiStepLr::new(&mut opt, &milestones, 0.1);
    check(&mut opt, &mut sched, 12, |b, e| {
        b * 0.1f64.powi(milestones.iter().filter(|&&m| m <= e).count() as i32)
    });
}

#[test]
fn exponential_lr() {
    let mut opt = two_groups();
    let mut sched = ExponentialLr::new(&mut opt, 0.9);
    check(&mut opt, &mut sched, 30, |b, e| b * 0.9f64.powi(e as i32));
}

#[test]
fn cosine_annealing_over_more_than_one_period() {
    let mut opt = two_groups();
    let (t_max, eta_min) = (10, 1e-3);
    let mut sched = CosineAnnealingLr::new(&mut opt, t_max, eta_min).unwrap();
    check(&mut opt, &mut sched, 35, |b, e| {
        eta_min
            + (b - eta_min) * (1.0 + (std::f64::consts::PI * e as f64 / t_max as f64).cos()) / 2.0
    });
    assert!(CosineAnnealingLr::new(&mut opt, 0, 0.0).is_err());
}

#[test]
fn linear_warmup_defaults() {
    let mut opt = two_groups();
    let mut sched = LinearLr::warmup(&mut opt).unwrap();
    // Construction is epoch 0: the rates are already a third of the base.
    assert!((opt.lr() - 0.1 / 3.0).abs() < 1e-15);
    check(&mut opt, &mut sched, 9, |b, e| {
        b * (1.0 / 3.0 + (1.0 - 1.0 / 3.0) * e.min(5) as f64 / 5.0)
    });
}

#[test]
fn linear_decay_and_bad_factors() {
    let mut opt = two_groups();
    let mut sched = LinearLr::new(&mut opt, 1.0, 0.25, 4).unwrap();
    check(&mut opt, &mut sched, 6, |b, e| {
        b * (1.0 + (0.25 - 1.0) * e.min(4) as f64 / 4.0)
    });
    for (start, end) in [(0.0, 1.0), (1.5, 1.0), (0.5, -0.1), (0.5, 1.1)] {
        assert!(matches!(
            LinearLr::new(&mut two_groups(), start, end, 5),
            Err(OptimError::InvalidOption {
                owner: "LinearLR",
                ..
            })
        ));
    }
}

#[test]
fn scheduler_state_round_trips_through_json() {
    let (mut a, mut b) = (two_groups(), two_groups());
    let mut sched = CosineAnnealingLr::new(&mut a, 8, 0.0).unwrap();
    for _ in 0..5 {
        sched.step(&mut a);
    }
    // Resume: the optimizer state carries the current rates, the scheduler its epoch.
    b.load_state_dict(a.state_dict()).unwrap();
    let json = serde_json::to_string(&sched).unwrap();
    let mut resumed: CosineAnnealingLr = serde_json::from_str(&json).unwrap();
    assert_eq!(resumed, sched);
    for _ in 0..6 {
        sched.step(&mut a);
        resumed.step(&mut b);
        assert_eq!(lrs(&a), lrs(&b));
    }
}

fn plateau(config: PlateauConfig) -> (Sgd<f64>, ReduceLrOnPlateau) {
    let opt = two_groups();
    let sched = ReduceLrOnPlateau::new(&opt, config).unwrap();
    (opt, sched)
}

#[test]
fn plateau_waits_for_patience_with_relative_threshold() {
    let (mut opt, mut sched) = plateau(PlateauConfig {
        patience: 2,
        ..Default::default()
    });
    // 0.99995 is not below 1·(1 − 1e-4): a bad epoch. 0.9 improves and resets the count.
    let metrics = [1.0, 0.99995, 0.9, 0.9, 0.9];
    for m in metrics {
        sched.step(m, &mut opt);
        assert_eq!(lrs(&opt), BASE.to_vec());
    }
    assert_eq!(sched.num_bad_epochs(), 2);
    assert_eq!(sched.best(), 0.9);
    sched.step(0.9, &mut opt);
    assert_eq!(lrs(&opt), vec![BASE[0] * 0.1, BASE[1] * 0.1]);
    assert_eq!(sched.get_last_lr(), lrs(&opt).as_slice());
    assert_eq!(sched.num_bad_epochs(), 0);
}

#[test]
fn plateau_cooldown_ignores_bad_epochs() {
    let (mut opt, mut sched) = plateau(PlateauConfig {
        patience: 0,
        cooldown: 2,
        factor: 0.5,
        ..Default::default()
    });
    let mut reduced_at = vec![];
    for epoch in 1..=9 {
        let before = opt.lr();
        sched.step(1.0, &mut opt);
        if opt.lr() < before {
            reduced_at.push(epoch);
        }
    }
    // Epoch 1 sets the best; then a reduction every 1 + cooldown epochs.
    assert_eq!(reduced_at, vec![2, 5, 8]);
    assert_eq!(opt.lr(), BASE[0] * 0.125);
}

#[test]
fn plateau_min_lr_and_eps() {
    let (mut opt, mut sched) = plateau(PlateauConfig {
        patience: 0,
        factor: 0.5,
        min_lr: 0.04,
        ..Default::default()
    });
    for _ in 0..5 {
        sched.step(3.0, &mut opt);
    }
    // Group 0: 0.1 → 0.05 → 0.04 (floor). Group 1 starts below the floor: 0.03 − 0.04 < eps,
    // so it is never changed (PyTorch does not raise a rate to min_lr).
    assert_eq!(lrs(&opt), vec![0.04, 0.03]);
}

#[test]
fn plateau_max_mode_with_absolute_threshold() {
    let config = PlateauConfig {
        mode: PlateauMode::Max,
        threshold_mode: ThresholdMode::Abs,
        threshold: 0.01,
        patience: 1,
        ..Default::default()
    };
    let (mut opt, mut sched) = plateau(config);
    // 0.505 does not beat 0.5 + 0.01; 0.52 does.
    for m in [0.5, 0.505, 0.52, 0.525] {
        sched.step(m, &mut opt);
    }
    assert_eq!(opt.lr(), BASE[0]);
    assert_eq!(sched.best(), 0.52);
    sched.step(0.4, &mut opt);
    assert!((opt.lr() - BASE[0] * 0.1).abs() < 1e-18);
}

#[test]
fn plateau_rejects_factor_of_one() {
    let opt = two_groups();
    let err = ReduceLrOnPlateau::new(
        &opt,
        PlateauConfig {
            factor: 1.0,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("factor"), "{err}");
}

#[test]
fn boxed_optimizer_works_with_schedulers() {
    let mut opt: Box<dyn Optimizer<f64>> = Box::new(two_groups());
    let mut sched = ExponentialLr::new(&mut opt, 0.5);
    sched.step(&mut opt);
    assert_eq!(opt.lr(), BASE[0] * 0.5);
    assert_eq!(opt.param_groups()[1].options.lr(), BASE[1] * 0.5);
}
