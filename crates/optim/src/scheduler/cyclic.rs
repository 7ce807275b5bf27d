//! [`CyclicLr`]: the learning rate cycling between two bounds (cyclical learning rates).

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::momentum::{CycledMomentum, set_momenta};
use super::{LrLambda, LrScheduler, PerGroup, epoch_i64, init_base_lrs, update_lrs};
use crate::{OptimError, Optimizer};

/// The amplitude policy of a [`CyclicLr`], PyTorch's `mode` (or `scale_fn` with
/// `scale_mode`).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{CyclicLr, CyclicLrConfig, CyclicMode, LrLambda, LrScheduler, Optimizer, ScaleMode, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig::default()).unwrap();
/// // The amplitude divided by the cycle number.
/// let mode = CyclicMode::Custom {
///     scale_fn: LrLambda::new(|cycle| 1.0 / cycle as f64),
///     scale_mode: ScaleMode::Cycle,
/// };
/// let config = CyclicLrConfig { step_size_up: 1, mode, cycle_momentum: false, ..Default::default() };
/// let mut sched = CyclicLr::new(&mut opt, 0.0, 1.0, config).unwrap();
/// let peaks: Vec<f64> = (0..6).map(|_| { sched.step(&mut opt); opt.lr() }).step_by(2).collect();
/// assert_eq!(peaks, vec![1.0, 0.5, 1.0 / 3.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum CyclicMode {
    /// A plain triangle: `scale(cycle) = 1` (PyTorch's default `"triangular"`).
    Triangular,
    /// The amplitude halves every cycle: `scale(cycle) = 1 / 2^(cycle − 1)`
    /// (`"triangular2"`).
    Triangular2,
    /// The amplitude decays by `gamma` every iteration: `scale(iteration) = gamma^iteration`
    /// (`"exp_range"`; PyTorch's default `gamma` is 1).
    ExpRange {
        /// The decay per iteration.
        gamma: f64,
    },
    /// A scale function of your own (PyTorch's `scale_fn`, which overrides `mode`),
    /// evaluated on the cycle number (counted from 1) or on the iteration, per `scale_mode`
    /// (PyTorch's default is [`ScaleMode::Cycle`]).
    Custom {
        /// The scale, expected in `[0, 1]`.
        scale_fn: LrLambda,
        /// What the function is evaluated on.
        scale_mode: ScaleMode,
    },
}

/// What a [`CyclicLr`]'s scale function is evaluated on, PyTorch's `scale_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScaleMode {
    /// The cycle number, from 1 (`"cycle"`).
    Cycle,
    /// The iteration, `last_epoch` (`"iterations"`).
    Iterations,
}

/// The options of [`CyclicLr`] other than its bounds, with PyTorch's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct CyclicLrConfig {
    /// Iterations in the increasing half of a cycle (default 2000).
    pub step_size_up: u64,
    /// Iterations in the decreasing half (default `None`: the same as `step_size_up`).
    pub step_size_down: Option<u64>,
    /// The amplitude policy (default [`CyclicMode::Triangular`]).
    pub mode: CyclicMode,
    /// Cycle the momentum inversely to the rate between `base_momentum` and
    /// `max_momentum` (default true): SGD's and RMSprop's `momentum`, Adam's and AdamW's
    /// `β₁`.
    pub cycle_momentum: bool,
    /// Lower momentum bound (default 0.8).
    pub base_momentum: PerGroup,
    /// Upper momentum bound (default 0.9).
    pub max_momentum: PerGroup,
}

impl Default for CyclicLrConfig {
    fn default() -> Self {
        CyclicLrConfig {
            step_size_up: 2000,
            step_size_down: None,
            mode: CyclicMode::Triangular,
            cycle_momentum: true,
            base_momentum: PerGroup::All(0.8),
            max_momentum: PerGroup::All(0.9),
        }
    }
}

/// The scale policy as stored: everything but a custom function, which serde skips.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum Policy {
    Triangular,
    Triangular2,
    ExpRange(f64),
    Custom,
}

/// Cycles each group's learning rate between `base_lr` and `max_lr`, like
/// `torch.optim.lr_scheduler.CyclicLR` (Smith, *Cyclical Learning Rates for Training Neural
/// Networks*). Step it after every batch. With `u` = `step_size_up`, `d` = `step_size_down`
/// and `e` the iteration:
///
/// ```text
/// cycle = ⌊1 + e / (u + d)⌋,   x = 1 + e / (u + d) − cycle          (position in the cycle)
/// f     = x / r  if x ≤ r, else (x − 1) / (r − 1),   r = u / (u + d)   (0 → 1 → 0)
/// lr    = base_lr + (max_lr − base_lr) · f · scale(cycle or e)
/// ```
///
/// and, with `cycle_momentum`, `momentum = max_momentum − (max_momentum − base_momentum) · f
/// · scale(…)`, written into SGD's or RMSprop's `momentum` or into Adam's or AdamW's `β₁`.
///
/// Building it sets the rates to `base_lr` (and the momentum to `max_momentum`). Like
/// PyTorch, that first step uses the groups' `initial_lr` as the lower bound when an earlier
/// scheduler had already recorded one, and `base_lr` from then on. It is not chainable.
///
/// Serializing it saves everything but a custom scale function; restore with
/// [`load_state_dict`](CyclicLr::load_state_dict).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{CyclicLr, CyclicLrConfig, GroupOptions, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap();
/// let config = CyclicLrConfig { step_size_up: 2, ..Default::default() };
/// let mut sched = CyclicLr::new(&mut opt, 0.25, 1.0, config).unwrap();
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..4 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// assert_eq!(lrs, vec![0.25, 0.625, 1.0, 0.625, 0.25]);
/// // At the top of the cycle the momentum was at its lower bound, 0.8; now back at 0.9.
/// let GroupOptions::Sgd(c) = opt.param_groups()[0].options else { unreachable!() };
/// assert_eq!(c.momentum, 0.9);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CyclicLr {
    base_lrs: Vec<f64>,
    max_lrs: Vec<f64>,
    total_size: f64,
    step_ratio: f64,
    policy: Policy,
    scale_mode: ScaleMode,
    #[serde(skip)]
    scale_fn: Option<LrLambda>,
    momentum: Option<CycledMomentum>,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl CyclicLr {
    /// A cyclical schedule between `base_lr` and `max_lr` (each one value or one per group).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] (PyTorch's `ValueError`s) when a per-group list does not
    /// have one value per group, and when `cycle_momentum` is set for an optimizer without
    /// momentum ([`Adagrad`](crate::Adagrad)); also when `step_size_up` is 0 (PyTorch
    /// raises `ZeroDivisionError`).
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        base_lr: impl Into<PerGroup>,
        max_lr: impl Into<PerGroup>,
        config: CyclicLrConfig,
    ) -> Result<Self, OptimError> {
        const OWNER: &str = "CyclicLR";
        let groups = optimizer.param_groups().len();
        let base_lrs = base_lr.into().resolve(OWNER, "base_lr", groups)?;
        let max_lrs = max_lr.into().resolve(OWNER, "max_lr", groups)?;
        if config.step_size_up == 0 {
            return Err(OptimError::InvalidOption {
                owner: OWNER,
                option: "step_size_up",
                value: "0".to_string(),
                reason: "must be at least 1 (PyTorch divides by it)",
            });
        }
        let up = config.step_size_up as f64;
        let down = config.step_size_down.map_or(up, |d| d as f64);
        let total_size = up + down;
        let (policy, scale_mode, scale_fn) = match config.mode {
            CyclicMode::Triangular => (Policy::Triangular, ScaleMode::Cycle, None),
            CyclicMode::Triangular2 => (Policy::Triangular2, ScaleMode::Cycle, None),
            CyclicMode::ExpRange { gamma } => {
                (Policy::ExpRange(gamma), ScaleMode::Iterations, None)
            }
            CyclicMode::Custom {
                scale_fn,
                scale_mode,
            } => (Policy::Custom, scale_mode, Some(scale_fn)),
        };
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

        update_lrs(optimizer, |i, _| base_lrs[i]);
        if let Some(m) = &momentum {
            set_momenta(optimizer, &m.max);
        }
        let mut sched = CyclicLr {
            // PyTorch's first step runs with the base rates read from `initial_lr`.
            base_lrs: init_base_lrs(optimizer),
            max_lrs,
            total_size,
            step_ratio: up / total_size,
            policy,
            scale_mode,
            scale_fn,
            momentum,
            last_epoch: -1,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        sched.base_lrs = base_lrs;
        Ok(sched)
    }

    /// Takes over the state of `saved` (typically deserialized) and keeps this scheduler's
    /// custom scale function, if any, like PyTorch's `load_state_dict`.
    pub fn load_state_dict(&mut self, saved: CyclicLr) {
        let scale_fn = self.scale_fn.take();
        *self = CyclicLr { scale_fn, ..saved };
    }

    /// The lower bounds, PyTorch's `base_lrs`.
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    /// The scale factor at `x` (the cycle or the iteration).
    ///
    /// # Panics
    ///
    /// With a custom policy whose function was not restored after deserializing.
    fn scale(&self, x: i64) -> f64 {
        match self.policy {
            Policy::Triangular => 1.0,
            Policy::Triangular2 => 1.0 / 2f64.powf((x - 1) as f64),
            Policy::ExpRange(gamma) => gamma.powf(x as f64),
            Policy::Custom => match &self.scale_fn {
                Some(f) => f.call(x),
                None => panic!(
                    "CyclicLR: the custom scale_fn is missing (a scheduler deserialized by \
                     serde has none): load its state into a built one with load_state_dict"
                ),
            },
        }
    }

    /// PyTorch's `get_lr`: writes the momentum (if cycled) and the rates of the current
    /// iteration.
    fn apply<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        let e = self.last_epoch;
        let q = e as f64 / self.total_size;
        let cycle = (1.0 + q).floor();
        let x = 1.0 + q - cycle;
        let scale_factor = if x <= self.step_ratio {
            x / self.step_ratio
        } else {
            (x - 1.0) / (self.step_ratio - 1.0)
        };
        let scale = self.scale(match self.scale_mode {
            ScaleMode::Cycle => cycle as i64,
            ScaleMode::Iterations => e,
        });
        let lrs: Vec<f64> = self
            .base_lrs
            .iter()
            .zip(&self.max_lrs)
            .map(|(&base, &max)| base + (max - base) * scale_factor * scale)
            .collect();
        if let Some(m) = &self.momentum {
            let momenta: Vec<f64> = m
                .base
                .iter()
                .zip(&m.max)
                .map(|(&base, &max)| max - (max - base) * scale_factor * scale)
                .collect();
            set_momenta(optimizer, &momenta);
        }
        self.last_lr = update_lrs(optimizer, |i, lr| lrs.get(i).copied().unwrap_or(lr));
    }
}

impl LrScheduler for CyclicLr {
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.last_epoch += 1;
        self.apply(optimizer);
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    fn jump_to<T: Float, O: Optimizer<T> + ?Sized>(&mut self, epoch: u64, optimizer: &mut O) {
        self.last_epoch = epoch_i64(epoch);
        self.apply(optimizer);
    }

    fn initial_step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        self.step(optimizer);
    }

    fn undo(&mut self) {
        self.last_epoch -= 1;
    }
}
