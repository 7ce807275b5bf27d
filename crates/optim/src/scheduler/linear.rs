//! Linear warm-up (or decay) of the learning rate.

use backprop_tensor::Float;
use serde::{Deserialize, Serialize};

use super::{LrScheduler, Rule, init_base_lrs};
use crate::{OptimError, Optimizer};

/// Scales the learning rate by a factor going linearly from `start_factor` to `end_factor`
/// over `total_iters` epochs, then keeps it, like `torch.optim.lr_scheduler.LinearLR`:
///
/// `lr(epoch) = base_lr · (start + (end − start) · min(epoch, total_iters) / total_iters)`.
///
/// PyTorch's recursive form is followed (equal up to rounding):
/// `lr ← lr · (1 + (end − start) / (total_iters·start + (epoch − 1)·(end − start)))`.
/// Building the scheduler already multiplies the rates by `start_factor`.
///
/// PyTorch's defaults are `start_factor = 1/3`, `end_factor = 1`, `total_iters = 5`
/// ([`LinearLr::warmup`]).
///
/// # Examples
///
/// ```
/// use backprop_autograd::Var;
/// use backprop_optim::{LinearLr, LrScheduler, Optimizer, Sgd, SgdConfig};
/// use backprop_tensor::Tensor;
///
/// let w = Var::parameter(Tensor::<f32>::zeros(&[1]));
/// let mut opt = Sgd::new(vec![w], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
/// let mut sched = LinearLr::new(&mut opt, 0.5, 1.0, 2).unwrap();
/// assert!((opt.lr() - 0.05).abs() < 1e-15);
/// sched.step(&mut opt);
/// sched.step(&mut opt);
/// assert!((opt.lr() - 0.1).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinearLr {
    start_factor: f64,
    end_factor: f64,
    total_iters: u64,
    last_epoch: i64,
    base_lrs: Vec<f64>,
    last_lr: Vec<f64>,
}

impl LinearLr {
    /// A linear schedule; sets the groups' rates to `start_factor` times their current value.
    ///
    /// # Errors
    ///
    /// [`OptimError::InvalidOption`] unless `0 < start_factor ≤ 1` and `0 ≤ end_factor ≤ 1`.
    pub fn new<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
        start_factor: f64,
        end_factor: f64,
        total_iters: u64,
    ) -> Result<Self, OptimError> {
        if !(start_factor > 0.0 && start_factor <= 1.0) {
            return Err(OptimError::InvalidOption {
                owner: "LinearLR",
                option: "start_factor",
                value: start_factor.to_string(),
                reason: "must be greater than 0 and less or equal to 1",
            });
        }
        if !(0.0..=1.0).contains(&end_factor) {
            return Err(OptimError::InvalidOption {
                owner: "LinearLR",
                option: "end_factor",
                value: end_factor.to_string(),
                reason: "must be between 0 and 1",
            });
        }
        let base_lrs = init_base_lrs(optimizer);
        let mut sched = LinearLr {
            start_factor,
            end_factor,
            total_iters,
            last_epoch: -1,
            base_lrs,
            last_lr: Vec::new(),
        };
        sched.initial_step(optimizer);
        Ok(sched)
    }

    /// PyTorch's default warm-up: from a third of the rate to the full rate over 5 epochs.
    ///
    /// # Errors
    ///
    /// Never in practice; returns `Result` like [`new`](LinearLr::new).
    pub fn warmup<T: Float, O: Optimizer<T> + ?Sized>(
        optimizer: &mut O,
    ) -> Result<Self, OptimError> {
        Self::new(optimizer, 1.0 / 3.0, 1.0, 5)
    }

    /// The base rates, PyTorch's `base_lrs`: each group's
    /// [`initial_lr`](crate::ParamGroup::initial_lr) (its rate when the first scheduler was
    /// attached to the optimizer).
    pub fn base_lrs(&self) -> &[f64] {
        &self.base_lrs
    }

    /// PyTorch's `get_lr` (the recursive form above) and `_get_closed_form_lr`.
    ///
    /// # Panics
    ///
    /// The closed form with `total_iters = 0` (PyTorch raises `ZeroDivisionError`).
    fn rate(&self, rule: Rule, _group: usize, base_lr: f64, lr: f64) -> f64 {
        let (start, end) = (self.start_factor, self.end_factor);
        let e = self.last_epoch;
        let total = self.total_iters;
        match rule {
            Rule::ClosedForm => {
                assert!(
                    total != 0,
                    "LinearLR: the closed form divides by total_iters = 0 (PyTorch raises ZeroDivisionError)"
                );
                let reached = i128::from(e).min(i128::from(total)) as f64;
                base_lr * (start + (end - start) * reached / total as f64)
            }
            _ if e == 0 => lr * start,
            Rule::Initial => lr,
            Rule::Recursive if i128::from(e) > i128::from(total) => lr,
            Rule::Recursive => {
                lr * (1.0 + (end - start) / (total as f64 * start + (e - 1) as f64 * (end - start)))
            }
        }
    }
}

chainable_scheduler!(LinearLr);
