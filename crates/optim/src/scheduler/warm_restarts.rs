//! [`CosineAnnealingWarmRestarts`]: cosine annealing restarted every `T_i` epochs (SGDR).

use std::f64::consts::PI;

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, epoch_i64, init_base_lrs, update_lrs};
use crate::{OptimError, Optimizer};

/// Cosine annealing with warm restarts, like
/// `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` (Loshchilov & Hutter, *SGDR*):
///
/// `lr = eta_min + (base_lr − eta_min) · (1 + cos(π · T_cur / T_i)) / 2`,
///
/// where `T_cur` counts the epochs since the last restart and `T_i` is the length of the
/// current period: `t_0` at first, multiplied by `t_mult` at each restart. It is not
/// chainable.
///
/// [`step`](LrScheduler::step) advances `T_cur` by one and restarts when it reaches `T_i`.
/// [`step_at`](CosineAnnealingWarmRestarts::step_at) is PyTorch's `step(epoch)`: it places a
/// fractional epoch (`epoch + batch / batches`, to anneal within epochs) in its period.
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{CosineAnnealingWarmRestarts, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
/// // Periods of 2, then 4 epochs.
/// let mut sched = CosineAnnealingWarmRestarts::new(&mut opt, 2, 2, 0.0).unwrap();
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..4 {
///     sched.step(&mut opt);
///     lrs.push(opt.lr());
/// }
/// assert!((lrs[1] - 0.5).abs() < 1e-15); // half way through the first period
/// assert_eq!(lrs[2], 1.0); // restart
/// assert!((lrs[3] - 0.8535533905932737).abs() < 1e-15); // a quarter into the second
/// // Half way through epoch 3: 1.5 epochs into the second period.
/// sched.step_at(3.5, &mut opt).unwrap();
/// assert!((opt.lr() - 0.6913417161825449).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CosineAnnealingWarmRestarts {
    t_0: u64,
    t_i: u64,
    t_mult: u64,
    eta_min: f64,
    t_cur: f64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl CosineAnnealingWarmRestarts {
    /// Warm restarts with a first period of `t_0` epochs, each next one `t_mult` times longer
    /// (PyTorch's defaults: `t_mult = 1`, `eta_min = 0`).
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] (PyTorch's `ValueError`s) when `t_0` or `t_mult` is 0.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        t_0: u64,
        t_mult: u64,
        eta_min: f64,
    ) -> Result<Self, OptimError> {
        if t_0 == 0 {
            return Err(OptimError::InvalidOption {
                owner: "CosineAnnealingWarmRestarts",
                option: "T_0",
                value: "0".to_string(),
                reason: "Expected positive integer T_0",
            });
        }
        if t_mult == 0 {
            return Err(OptimError::InvalidOption {
                owner: "CosineAnnealingWarmRestarts",
                option: "T_mult",
                value: "0".to_string(),
                reason: "Expected integer T_mult >= 1",
            });
        }
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = CosineAnnealingWarmRestarts {
            t_0,
            t_i: t_0,
            t_mult,
            eta_min,
            t_cur: -1.0,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        Ok(sched)
    }

    /// PyTorch's `step(epoch)`: moves to `epoch`, which may be fractional, placing it in its
    /// period (`T_cur = epoch − (start of its period)`, `T_i` that period's length), and
    /// writes the rates. `last_epoch` becomes `⌊epoch⌋`; a later [`step`](LrScheduler::step)
    /// continues from there by whole epochs.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] when `epoch` is negative (PyTorch's `ValueError`) or not
    /// finite (PyTorch fails converting it to an integer).
    ///
    /// # Examples
    ///
    /// ```
    /// use backprop_autograd::Var;
    /// use backprop_optim::{CosineAnnealingWarmRestarts, Optimizer, Sgd, SgdConfig};
    /// use backprop_tensor::Tensor;
    ///
    /// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
    /// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 1.0, ..Default::default() }).unwrap();
    /// let mut sched = CosineAnnealingWarmRestarts::new(&mut opt, 4, 1, 0.0).unwrap();
    /// let batches = 2;
    /// for epoch in 0..2 {
    ///     for batch in 0..batches {
    ///         // ... train on the batch ...
    ///         sched.step_at(epoch as f64 + batch as f64 / batches as f64, &mut opt).unwrap();
    ///     }
    /// }
    /// assert!((opt.lr() - 0.5 * (1.0 + (std::f64::consts::PI * 1.5 / 4.0).cos())).abs() < 1e-15);
    /// assert!(sched.step_at(-1.0, &mut opt).is_err());
    /// ```
    pub fn step_at<T: Float, O: Optimizer<T> + ?Sized>(
        &mut self,
        epoch: f64,
        optimizer: &mut O,
    ) -> Result<(), OptimError> {
        if !(epoch >= 0.0 && epoch.is_finite()) {
            return Err(OptimError::InvalidOption {
                owner: "CosineAnnealingWarmRestarts",
                option: "epoch",
                value: epoch.to_string(),
                reason: "Expected non-negative, finite epoch",
            });
        }
        let t_0 = self.t_0 as f64;
        if epoch >= t_0 {
            if self.t_mult == 1 {
                self.t_cur = epoch % t_0;
            } else {
                let mult = self.t_mult as f64;
                // Python's `int(math.log(x, base))`: ln(x) / ln(base), truncated.
                let n = ((epoch / t_0 * (mult - 1.0) + 1.0).ln() / mult.ln()) as u32;
                let (start, t_i) = match self.t_mult.checked_pow(n) {
                    Some(p) => (
                        self.t_0.saturating_mul(p - 1) as f64 / (self.t_mult - 1) as f64,
                        self.t_0.saturating_mul(p),
                    ),
                    None => (t_0 * (mult.powi(n as i32) - 1.0) / (mult - 1.0), u64::MAX),
                };
                self.t_cur = epoch - start;
                self.t_i = t_i;
            }
        } else {
            self.t_i = self.t_0;
            self.t_cur = epoch;
        }
        self.last_epoch = epoch.floor() as i64;
        self.apply(optimizer);
        Ok(())
    }

    /// The base rates, PyTorch's `base_lrs` (see [`LinearLr::base_lrs`](crate::LinearLr::base_lrs)).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    /// PyTorch's `get_lr`, written into the groups.
    fn apply<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        let (eta_min, t_cur, t_i) = (self.eta_min, self.t_cur, self.t_i as f64);
        let lrs: Vec<f64> = self
            .base_lrs
            .iter()
            .map(|&base| eta_min + (base - eta_min) * (1.0 + (PI * t_cur / t_i).cos()) / 2.0)
            .collect();
        self.last_lr = update_lrs(optimizer, |i, lr| lrs.get(i).copied().unwrap_or(lr));
    }
}

impl LrScheduler for CosineAnnealingWarmRestarts {
    fn step<T: Float, O: Optimizer<T> + ?Sized>(&mut self, optimizer: &mut O) {
        if self.last_epoch < 0 {
            // PyTorch's `step()` before the first epoch is `step(0)`.
            self.t_i = self.t_0;
            self.t_cur = 0.0;
            self.last_epoch = 0;
        } else {
            self.last_epoch += 1;
            self.t_cur += 1.0;
            if self.t_cur >= self.t_i as f64 {
                self.t_cur %= self.t_i as f64;
                self.t_i = self.t_i.saturating_mul(self.t_mult);
            }
        }
        self.apply(optimizer);
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    /// PyTorch's `_update_lr(epoch)`: sets the epoch and writes the rates for the current
    /// `T_cur` and `T_i`, which it leaves alone (use
    /// [`step_at`](CosineAnnealingWarmRestarts::step_at) to move to an epoch).
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
