//! [`OneCycleLr`]: the 1cycle policy (warm up to a peak, then anneal far below the start).

use std::f64::consts::PI;

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::momentum::{CycledMomentum, set_momenta};
use super::{LrScheduler, PerGroup, epoch_i64, update_lrs};
use crate::{OptimError, Optimizer};

/// How [`OneCycleLr`] interpolates within a phase, PyTorch's `anneal_strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AnnealStrategy {
    /// `end + (start − end)/2 · (1 + cos(π·pct))` (`"cos"`, the default).
    Cos,
    /// `(end − start)·pct + start` (`"linear"`).
    Linear,
}

impl AnnealStrategy {
    fn anneal(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            AnnealStrategy::Cos => {
                let cos_out = (PI * pct).cos() + 1.0;
                end + (start - end) / 2.0 * cos_out
            }
            AnnealStrategy::Linear => (end - start) * pct + start,
        }
    }
}

/// The options of [`OneCycleLr`] other than `max_lr`, with PyTorch's defaults.
///
/// The cycle length is `total_steps` if given, else `epochs · steps_per_epoch`; one of the
/// two must be given (the default gives neither).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Adam, AdamConfig, OneCycleLr, OneCycleLrConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Adam::new(vec![w], AdamConfig::default()).unwrap();
/// let config = OneCycleLrConfig { epochs: Some(10), steps_per_epoch: Some(100), ..Default::default() };
/// let sched = OneCycleLr::new(&mut opt, 0.01, config).unwrap();
/// assert_eq!(sched.total_steps(), 1000);
/// assert!(OneCycleLr::new(&mut opt, 0.01, OneCycleLrConfig::default()).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneCycleLrConfig {
    /// Steps in the cycle (default `None`).
    pub total_steps: Option<u64>,
    /// Epochs, to infer `total_steps = epochs · steps_per_epoch` (default `None`).
    pub epochs: Option<u64>,
    /// Steps per epoch, with `epochs` (default `None`).
    pub steps_per_epoch: Option<u64>,
    /// Fraction of the cycle spent raising the rate (default 0.3).
    pub pct_start: f64,
    /// Interpolation within a phase (default [`AnnealStrategy::Cos`]).
    pub anneal_strategy: AnnealStrategy,
    /// Cycle the momentum inversely to the rate between `base_momentum` and
    /// `max_momentum` (default true): SGD's and RMSprop's `momentum`, Adam's and AdamW's
    /// `β₁`.
    pub cycle_momentum: bool,
    /// Lower momentum bound, reached at the peak rate (default 0.85).
    pub base_momentum: PerGroup,
    /// Upper momentum bound (default 0.95).
    pub max_momentum: PerGroup,
    /// `initial_lr = max_lr / div_factor` (default 25).
    pub div_factor: f64,
    /// `min_lr = initial_lr / final_div_factor` (default 1e4).
    pub final_div_factor: f64,
    /// Three phases (up, back down to `initial_lr`, then down to `min_lr`), as in the paper,
    /// instead of fastai's two (default false).
    pub three_phase: bool,
}

impl Default for OneCycleLrConfig {
    fn default() -> Self {
        OneCycleLrConfig {
            total_steps: None,
            epochs: None,
            steps_per_epoch: None,
            pct_start: 0.3,
            anneal_strategy: AnnealStrategy::Cos,
            cycle_momentum: true,
            base_momentum: PerGroup::All(0.85),
            max_momentum: PerGroup::All(0.95),
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

/// A group's rate or momentum bound, by its key in PyTorch's `param_group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Bound {
    InitialLr,
    MaxLr,
    MinLr,
    MaxMomentum,
    BaseMomentum,
}

/// One phase of the cycle: from `start` to `end` until step `end_step`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Phase {
    end_step: f64,
    start_lr: Bound,
    end_lr: Bound,
    start_momentum: Bound,
    end_momentum: Bound,
}

/// The 1cycle learning-rate policy, like `torch.optim.lr_scheduler.OneCycleLR` (Smith &
/// Topin, *Super-Convergence*): the rate rises from `initial_lr = max_lr / div_factor` to
/// `max_lr` over the first `pct_start` of the cycle, then falls to
/// `min_lr = initial_lr / final_div_factor` (with `three_phase`, it falls back to
/// `initial_lr` over another `pct_start`, then to `min_lr`). Step it after every batch.
///
/// Phase `k` runs from step `s₀` (the previous phase's end, 0 for the first) to
/// `s₁ = pct_start·total_steps − 1` (first phase), `2·pct_start·total_steps − 2` (second of
/// three) or `total_steps − 1` (last), and at step `t`
/// `lr = anneal(start, end, (t − s₀)/(s₁ − s₀))` with the cosine or linear interpolation of
/// [`AnnealStrategy`]. With `cycle_momentum` the momentum moves the opposite way between
/// `max_momentum` and `base_momentum`.
///
/// Building it overwrites each group's `initial_lr` with `max_lr / div_factor` (as PyTorch
/// does, so schedulers built after it take that as their base rate) and sets the rates to it.
/// It is not chainable. Steps run up to `total_steps` (one past the last phase's end, as in
/// PyTorch).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{AnnealStrategy, LrScheduler, OneCycleLr, OneCycleLrConfig, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { momentum: 0.9, ..Default::default() }).unwrap();
/// let config = OneCycleLrConfig {
///     total_steps: Some(12),
///     pct_start: 0.25,
///     anneal_strategy: AnnealStrategy::Linear,
///     div_factor: 4.0,
///     final_div_factor: 2.0,
///     ..Default::default()
/// };
/// let mut sched = OneCycleLr::new(&mut opt, 1.0, config).unwrap();
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..11 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// // Up from 1/4 to 1 over 2 steps, then down to 1/8 over 9.
/// assert_eq!((lrs[0], lrs[2], lrs[11]), (0.25, 1.0, 0.125));
/// assert_eq!(sched.total_steps(), 12); // one more step is allowed, a second would panic
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneCycleLr {
    total_steps: u64,
    phases: Vec<Phase>,
    anneal_strategy: AnnealStrategy,
    initial_lrs: Vec<f64>,
    max_lrs: Vec<f64>,
    min_lrs: Vec<f64>,
    momentum: Option<CycledMomentum>,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl OneCycleLr {
    /// A 1cycle schedule peaking at `max_lr` (one value or one per group).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] (PyTorch's `ValueError`s) when neither `total_steps`
    /// nor both `epochs` and `steps_per_epoch` are given, when the one used is 0, when
    /// `pct_start` is not in `[0, 1]`, when a per-group list does not have one value per
    /// group, and when `cycle_momentum` is set for an optimizer without momentum
    /// ([`Adagrad`](crate::Adagrad)); also when the first phase ends at step 0
    /// (`pct_start · total_steps = 1`, where PyTorch raises `ZeroDivisionError`).
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        max_lr: impl Into<PerGroup>,
        config: OneCycleLrConfig,
    ) -> Result<Self, OptimError> {
        const OWNER: &str = "OneCycleLR";
        let invalid = |option, value: String, reason| OptimError::InvalidOption {
            owner: OWNER,
            option,
            value,
            reason,
        };
        let total_steps = match (config.total_steps, config.epochs, config.steps_per_epoch) {
            (Some(0), _, _) => {
                return Err(invalid(
                    "total_steps",
                    "0".into(),
                    "expected positive integer",
                ));
            }
            (Some(total), _, _) => total,
            (None, Some(0), Some(_)) => {
                return Err(invalid("epochs", "0".into(), "expected positive integer"));
            }
            (None, Some(_), Some(0)) => {
                return Err(invalid(
                    "steps_per_epoch",
                    "0".into(),
                    "expected positive integer",
                ));
            }
            (None, Some(epochs), Some(per_epoch)) => {
                epochs.checked_mul(per_epoch).ok_or_else(|| {
                    invalid(
                        "epochs",
                        format!("{epochs} · steps_per_epoch {per_epoch}"),
                        "the total number of steps overflows u64",
                    )
                })?
            }
            _ => {
                return Err(invalid(
                    "total_steps",
                    "None".into(),
                    "You must define either total_steps OR (epochs AND steps_per_epoch)",
                ));
            }
        };
        let (pct, total) = (config.pct_start, total_steps as f64);
        let phase = |end_step, start_lr, end_lr, start_momentum, end_momentum| Phase {
            end_step,
            start_lr,
            end_lr,
            start_momentum,
            end_momentum,
        };
        use Bound::*;
        let phases = if config.three_phase {
            vec![
                phase(
                    pct * total - 1.0,
                    InitialLr,
                    MaxLr,
                    MaxMomentum,
                    BaseMomentum,
                ),
                phase(
                    2.0 * pct * total - 2.0,
                    MaxLr,
                    InitialLr,
                    BaseMomentum,
                    MaxMomentum,
                ),
                phase(total - 1.0, InitialLr, MinLr, MaxMomentum, MaxMomentum),
            ]
        } else {
            vec![
                phase(
                    pct * total - 1.0,
                    InitialLr,
                    MaxLr,
                    MaxMomentum,
                    BaseMomentum,
                ),
                phase(total - 1.0, MaxLr, MinLr, BaseMomentum, MaxMomentum),
            ]
        };
        if !(0.0..=1.0).contains(&pct) {
            return Err(invalid(
                "pct_start",
                pct.to_string(),
                "Expected float between 0 and 1",
            ));
        }
        let groups = optimizer.param_groups().len();
        let max_lrs = max_lr.into().resolve(OWNER, "max_lr", groups)?;
        let initial_lrs: Vec<f64> = max_lrs.iter().map(|m| m / config.div_factor).collect();
        let min_lrs = initial_lrs
            .iter()
            .map(|i| i / config.final_div_factor)
            .collect();
        let momentum = if config.cycle_momentum {
            Some(CycledMomentum::new(
                OWNER,
                optimizer,
                &config.base_momentum,
                &config.max_momentum,
            )?)
        } else {
            None
        };
        let mut sched = OneCycleLr {
            total_steps,
            phases,
            anneal_strategy: config.anneal_strategy,
            initial_lrs,
            max_lrs,
            min_lrs,
            momentum,
            last_epoch: 0,
            last_lr: Vec::new(),
        };
        let (lrs, momenta) = sched.rates_at(0, &sched.initial_lrs).map_err(|_| {
            invalid(
                "pct_start",
                pct.to_string(),
                "puts the end of the first phase at step 0 (PyTorch raises ZeroDivisionError)",
            )
        })?;

        for (g, &initial) in optimizer
            .param_groups_mut()
            .iter_mut()
            .zip(&sched.initial_lrs)
        {
            g.initial_lr = Some(initial);
        }
        if let Some(m) = &momenta {
            set_momenta(optimizer, m);
        }
        sched.last_lr = update_lrs(optimizer, |i, lr| lrs.get(i).copied().unwrap_or(lr));
        Ok(sched)
    }

    /// The number of steps in the cycle; stepping beyond it panics.
    pub fn total_steps(&self) -> u64 {
        self.total_steps
    }

    /// The value of `bound` for group `i` (`initial_lrs` holds each group's current
    /// `initial_lr`, which PyTorch reads from the group at every step).
    fn bound(&self, bound: Bound, i: usize, initial_lrs: &[f64]) -> f64 {
        match bound {
            Bound::InitialLr => initial_lrs[i],
            Bound::MaxLr => self.max_lrs[i],
            Bound::MinLr => self.min_lrs[i],
            // Without cycled momentum the momentum bounds are never used.
            Bound::MaxMomentum => self.momentum.as_ref().map_or(0.0, |m| m.max[i]),
            Bound::BaseMomentum => self.momentum.as_ref().map_or(0.0, |m| m.base[i]),
        }
    }

    /// PyTorch's `get_lr` at `step`: the rate of every group and, if cycled, its momentum.
    /// `Err` when the phase holding `step` has no length (PyTorch divides by zero).
    #[allow(clippy::type_complexity)]
    fn rates_at(&self, step: i64, initial_lrs: &[f64]) -> Result<(Vec<f64>, Option<Vec<f64>>), ()> {
        let t = step as f64;
        let mut lrs = Vec::with_capacity(self.max_lrs.len());
        let mut momenta = Vec::with_capacity(self.max_lrs.len());
        for i in 0..self.max_lrs.len() {
            let mut start_step = 0.0;
            for (k, phase) in self.phases.iter().enumerate() {
                if t <= phase.end_step || k == self.phases.len() - 1 {
                    let span = phase.end_step - start_step;
                    if span == 0.0 {
                        return Err(());
                    }
                    let pct = (t - start_step) / span;
                    let anneal = |a, b| {
                        self.anneal_strategy.anneal(
                            self.bound(a, i, initial_lrs),
                            self.bound(b, i, initial_lrs),
                            pct,
                        )
                    };
                    lrs.push(anneal(phase.start_lr, phase.end_lr));
                    momenta.push(anneal(phase.start_momentum, phase.end_momentum));
                    break;
                }
                start_step = phase.end_step;
            }
        }
        Ok((lrs, self.momentum.as_ref().map(|_| momenta)))
    }

    /// Moves to `step` and writes PyTorch's `get_lr` there into the groups.
    ///
    /// # Panics
    ///
    /// Beyond `total_steps`, and in a phase of no length (both raise in PyTorch); nothing
    /// is changed then.
    #[track_caller]
    fn apply<T: Float, O: Optimizer<T> + ?Sized>(&mut self, step: i64, optimizer: &mut O) {
        assert!(
            i128::from(step) <= i128::from(self.total_steps),
            "OneCycleLR: tried to step {step} times; the specified number of total steps is {}",
            self.total_steps
        );
        let initial_lrs: Vec<f64> = optimizer
            .param_groups()
            .iter()
            .zip(&self.initial_lrs)
            .map(|(g, &own)| g.initial_lr.unwrap_or(own))
            .collect();
        let Ok((lrs, momenta)) = self.rates_at(step, &initial_lrs) else {
            panic!(
                "OneCycleLR: step {step} falls in a phase of no length (PyTorch raises ZeroDivisionError)"
            );
        };
        self.last_epoch = step;
        if let Some(m) = &momenta {
            set_momenta(optimizer, m);
        }
        self.last_lr = update_lrs(optimizer, |i, lr| lrs.get(i).copied().unwrap_or(lr));
    }
}

impl LrScheduler for OneCycleLr {
    /// # Panics
    ///
    /// When stepping beyond [`total_steps`](OneCycleLr::total_steps) (PyTorch raises
    /// `ValueError`), and at step `total_steps` when `pct_start = 1` leaves the last phase
    /// without length (PyTorch raises `ZeroDivisionError`). Nothing is changed then.
    #[track_caller]
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.apply(self.last_epoch + 1, optimizer);
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    #[track_caller]
    fn jump_to<T: Float, O: Optimizer<T> + ?Sized>(&mut self, epoch: u64, optimizer: &mut O) {
        self.apply(epoch_i64(epoch), optimizer);
    }

    #[track_caller]
    fn initial_step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.step(optimizer);
    }

    fn undo(&mut self) {
        self.last_epoch -= 1;
    }
}
