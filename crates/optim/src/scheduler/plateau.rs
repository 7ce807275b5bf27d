//! Reduce the learning rate when a metric stops improving.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::group_lrs;
use crate::{OptimError, Optimizer};

/// Whether the monitored metric should go down (a loss) or up (an accuracy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlateauMode {
    /// Lower is better (PyTorch's default `"min"`).
    Min,
    /// Higher is better (`"max"`).
    Max,
}

/// How `threshold` defines a significant improvement over the best value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThresholdMode {
    /// Better than `best · (1 ∓ threshold)` (PyTorch's default `"rel"`).
    Rel,
    /// Better than `best ∓ threshold` (`"abs"`).
    Abs,
}

/// Options of [`ReduceLrOnPlateau`], with PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PlateauConfig {
    /// Lower or higher is better (default [`PlateauMode::Min`]).
    pub mode: PlateauMode,
    /// Multiplier of the rate on a plateau (default 0.1, must be < 1).
    pub factor: f64,
    /// Bad epochs tolerated before reducing (default 10).
    pub patience: u64,
    /// Minimum significant improvement (default `1e-4`).
    pub threshold: f64,
    /// Relative or absolute threshold (default [`ThresholdMode::Rel`]).
    pub threshold_mode: ThresholdMode,
    /// Epochs after a reduction during which bad epochs are not counted (default 0).
    pub cooldown: u64,
    /// Lower bound of every group's rate (default 0); see
    /// [`ReduceLrOnPlateau::with_min_lrs`] for one bound per group.
    pub min_lr: f64,
    /// Smallest change of rate that is applied (default `1e-8`).
    pub eps: f64,
}

impl Default for PlateauConfig {
    fn default() -> Self {
        PlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            eps: 1e-8,
        }
    }
}

/// Multiplies the learning rate by `factor` when the metric has not improved for more than
/// `patience` epochs, like `torch.optim.lr_scheduler.ReduceLROnPlateau`.
///
/// An epoch improves when its metric beats the best so far by the threshold (for mode min,
/// relative: `metric < best·(1 − threshold)`). After a reduction, `cooldown` epochs pass
/// before bad epochs are counted again. A rate never goes below `min_lr`, and a change
/// smaller than `eps` is skipped.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{Optimizer, PlateauConfig, ReduceLrOnPlateau, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// let config = PlateauConfig { patience: 2, ..Default::default() };
/// let mut sched = ReduceLrOnPlateau::new(&opt, config).unwrap();
/// for loss in [1.0, 0.5, 0.5, 0.5] {
///     sched.step(loss, &mut opt);
/// }
/// assert_eq!(opt.lr(), 1.0); // two bad epochs: still patient
/// sched.step(0.5, &mut opt);
/// assert!((opt.lr() - 0.1).abs() < 1e-15); // the third bad epoch reduces
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReduceLrOnPlateau {
    config: PlateauConfig,
    best: f64,
    num_bad_epochs: u64,
    cooldown_counter: u64,
    last_epoch: u64,
    last_lr: Vec<f64>,
    /// One lower bound per group (PyTorch's `min_lr` given as a list); `None`: `config.min_lr`
    /// for every group.
    #[serde(default)]
    min_lrs: Option<Vec<f64>>,
}

impl ReduceLrOnPlateau {
    /// A plateau scheduler for `optimizer`.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] when `factor >= 1` (or NaN).
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &O,
        config: PlateauConfig,
    ) -> Result<Self, OptimError> {
        if config.factor.is_nan() || config.factor >= 1.0 {
            return Err(OptimError::InvalidOption {
                owner: "ReduceLROnPlateau",
                option: "factor",
                value: config.factor.to_string(),
                reason: "must be < 1.0",
            });
        }
        let best = match config.mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        };
        Ok(ReduceLrOnPlateau {
            config,
            best,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
            last_lr: group_lrs(optimizer),
            min_lrs: None,
        })
    }

    /// A plateau scheduler with one lower bound per group (PyTorch's `min_lr` given as a
    /// list); `config.min_lr` is not used.
    ///
    /// # Errors
    ///
    /// As [`new`](ReduceLrOnPlateau::new), and [`OptimError::InvalidOption`] when `min_lrs`
    /// does not have one value per group of `optimizer`.
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_optim::{PlateauConfig, ReduceLrOnPlateau, Sgd, SgdConfig};
    /// use backprop_tensor::Tensor;
    ///
    /// let group = |lr| (vec![Var::parameter(Tensor::<f32>::zeros(&[1]))], SgdConfig { lr, ..Default::default() });
    /// let mut opt = Sgd::with_groups(vec![group(1.0), group(1.0)]).unwrap();
    /// let config = PlateauConfig { patience: 0, factor: 0.5, ..Default::default() };
    /// let mut sched = ReduceLrOnPlateau::with_min_lrs(&opt, config, vec![0.8, 0.0]).unwrap();
    /// sched.step(1.0, &mut opt);
    /// sched.step(1.0, &mut opt); // no improvement: halve, but not below each group's bound
    /// assert_eq!(sched.get_last_lr(), &[0.8, 0.5]);
    /// ```
    pub fn with_min_lrs<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &O,
        config: PlateauConfig,
        min_lrs: Vec<f64>,
    ) -> Result<Self, OptimError> {
        let groups = optimizer.param_groups().len();
        if min_lrs.len() != groups {
            return Err(OptimError::InvalidOption {
                owner: "ReduceLROnPlateau",
                option: "min_lr",
                value: format!("{min_lrs:?}"),
                reason: "a list of min_lr needs one value per parameter group",
            });
        }
        let mut sched = Self::new(optimizer, config)?;
        sched.min_lrs = Some(min_lrs);
        Ok(sched)
    }

    fn is_better(&self, a: f64) -> bool {
        let (best, threshold) = (self.best, self.config.threshold);
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - threshold),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - threshold,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (threshold + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + threshold,
        }
    }

    /// Records this epoch's metric and reduces the rates if it has plateaued.
    ///
    /// # Panics
    ///
    /// When built [`with_min_lrs`](ReduceLrOnPlateau::with_min_lrs) and the optimizer's
    /// number of groups has changed since (PyTorch raises there too).
    #[track_caller]
    pub fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, metric: f64, optimizer: &mut O) {
        self.last_epoch += 1;
        if self.is_better(metric) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            // Bad epochs during the cooldown are ignored.
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.config.patience {
            let groups = optimizer.param_groups().len();
            if let Some(min_lrs) = &self.min_lrs {
                assert_eq!(
                    min_lrs.len(),
                    groups,
                    "ReduceLROnPlateau.step: the optimizer has {groups} parameter groups but {} min_lrs were given",
                    min_lrs.len()
                );
            }
            for (i, group) in optimizer.param_groups_mut().iter_mut().enumerate() {
                let min_lr = self.min_lrs.as_ref().map_or(self.config.min_lr, |m| m[i]);
                let old_lr = group.options.lr();
                // Python's `max(a, b)` returns `a` unless `b > a`, so a NaN rate stays NaN.
                let new_lr = if min_lr > old_lr * self.config.factor {
                    min_lr
                } else {
                    old_lr * self.config.factor
                };
                if old_lr - new_lr > self.config.eps {
                    group.options.set_lr(new_lr);
                }
            }
            self.cooldown_counter = self.config.cooldown;
            self.num_bad_epochs = 0;
        }
        self.last_lr = group_lrs(optimizer);
    }

    /// The options.
    pub fn config(&self) -> &PlateauConfig {
        &self.config
    }

    /// The best metric seen so far (±∞ before the first step).
    pub fn best(&self) -> f64 {
        self.best
    }

    /// Epochs since the last improvement (reset by a reduction and during cooldown).
    pub fn num_bad_epochs(&self) -> u64 {
        self.num_bad_epochs
    }

    /// The groups' learning rates after the latest step.
    pub fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    /// Steps taken.
    pub fn last_epoch(&self) -> u64 {
        self.last_epoch
    }
}
